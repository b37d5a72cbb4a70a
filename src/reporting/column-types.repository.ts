/**
 * SQL for cxone_etl.column_types (migrations/0010_column_types.sql): the type each view column casts
 * to, per deployment (staging schema) and entity, and where it came from.
 */
import type { EntityName } from '../entities/catalog.js';
import type { ColumnType } from '../entities/type-hints.js';
import type { Queryable } from '../db/pool.js';

export type TypeOrigin = 'hint' | 'learned' | 'manual';

export interface ColumnTypeRecord {
  column: string;
  type: ColumnType;
  origin: TypeOrigin;
  /** origin 'learned': how many non-empty values the type was inferred from. */
  learnedFrom: number | null;
  decidedAt: number;
}

export interface TypeScope {
  stagingSchema: string;
  entity: EntityName;
}

/** The entity's recorded types by staging column. */
export async function readColumnTypes(
  db: Queryable,
  scope: TypeScope,
): Promise<Map<string, ColumnTypeRecord>> {
  const { rows } = await db.query<{
    column_name: string;
    column_type: ColumnType;
    origin: TypeOrigin;
    learned_from: number | null;
    decided_at: Date;
  }>(
    `SELECT column_name, column_type, origin, learned_from, decided_at
       FROM cxone_etl.column_types WHERE staging_schema = $1 AND entity = $2`,
    [scope.stagingSchema, scope.entity],
  );
  return new Map(
    rows.map((r) => [
      r.column_name,
      {
        column: r.column_name,
        type: r.column_type,
        origin: r.origin,
        learnedFrom: r.learned_from,
        decidedAt: r.decided_at.getTime(),
      },
    ]),
  );
}

/**
 * Records first decisions; a column another load decided meanwhile keeps that decision (ON CONFLICT DO
 * NOTHING): types freeze once recorded, whoever recorded them first.
 */
export async function insertColumnTypes(
  db: Queryable,
  scope: TypeScope,
  records: readonly Omit<ColumnTypeRecord, 'decidedAt'>[],
  now: number,
): Promise<void> {
  if (records.length === 0) return;
  // One order for every load: two loads deciding the same columns wait on each other's rows in the
  // same order instead of deadlocking (40P01).
  const sorted = [...records].sort((a, b) => (a.column < b.column ? -1 : a.column > b.column ? 1 : 0));
  await db.query(
    `INSERT INTO cxone_etl.column_types
       (staging_schema, entity, column_name, column_type, origin, learned_from, decided_at)
     SELECT $1, $2, c, t, o, n, $7
       FROM unnest($3::text[], $4::text[], $5::text[], $6::int[]) AS d(c, t, o, n)
     ON CONFLICT (staging_schema, entity, column_name) DO NOTHING`,
    [
      scope.stagingSchema,
      scope.entity,
      sorted.map((r) => r.column),
      sorted.map((r) => r.type),
      sorted.map((r) => r.origin),
      sorted.map((r) => r.learnedFrom),
      new Date(now),
    ],
  );
}

/** Sets one column's type by hand (origin 'manual'), whatever was recorded before. */
export async function setColumnType(
  db: Queryable,
  scope: TypeScope,
  column: string,
  type: ColumnType,
  now: number,
): Promise<void> {
  await db.query(
    `INSERT INTO cxone_etl.column_types
       (staging_schema, entity, column_name, column_type, origin, learned_from, decided_at)
     VALUES ($1, $2, $3, $4, 'manual', NULL, $5)
     ON CONFLICT (staging_schema, entity, column_name)
       DO UPDATE SET column_type = EXCLUDED.column_type, origin = 'manual', learned_from = NULL,
                     decided_at = EXCLUDED.decided_at`,
    [scope.stagingSchema, scope.entity, column, type, new Date(now)],
  );
}
