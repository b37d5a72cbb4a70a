/**
 * What a typed view should look like for a staging table: every staging column in table order,
 * metadata columns included; hinted columns cast, the rest text. Pure, so it is unit-tested and the
 * fingerprint decides cheaply whether the live view is already this one.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import type { EntityName } from '../entities/catalog.js';
import { hintsByColumn, type ColumnType } from '../entities/type-hints.js';
import { castSql, PG_TYPE_NAMES } from './cast-sql.js';
import { qualifiedName, type RelationColumn } from './relations.repository.js';

export interface PlannedColumn {
  name: string;
  /** The view column's type as format_type() names it. */
  pgType: string;
  /** The hinted type; undefined for metadata columns and columns without a hint. */
  hinted: ColumnType | undefined;
  sql: string;
}

export interface ViewPlan {
  columns: PlannedColumn[];
  /** SELECT ... FROM the staging table. */
  select: string;
  /** Changes whenever the SELECT would: new columns, other hints, another zone. */
  fingerprint: string;
}

const FINGERPRINT = /fingerprint=([0-9a-f]+)/;

export function planView(
  entity: EntityName,
  staging: { schema: string; table: string; columns: readonly RelationColumn[] },
  zone: string,
): ViewPlan {
  const hints = hintsByColumn(entity);
  const columns = staging.columns.map((column): PlannedColumn => {
    // Metadata columns (_tenant_id, ...) are typed already; data column names never start with `_`.
    const hint = column.name.startsWith('_') ? undefined : hints.get(column.name);
    if (!hint || hint.type === 'text') {
      return {
        name: column.name,
        pgType: column.type,
        hinted: hint?.type,
        sql: castSql(column.name, { type: 'text' }, zone),
      };
    }
    const cast = castSql(column.name, hint, zone);
    return { name: column.name, pgType: PG_TYPE_NAMES[hint.type], hinted: hint.type, sql: cast };
  });
  const list = columns.map((c) =>
    c.hinted && c.hinted !== 'text' ? `${c.sql} AS ${pg.escapeIdentifier(c.name)}` : c.sql,
  );
  const select = `SELECT ${list.join(', ')} FROM ${qualifiedName(staging.schema, staging.table)}`;
  const fingerprint = createHash('sha256').update(select, 'utf8').digest('hex').slice(0, 16);
  return { columns, select, fingerprint };
}

/** The comment a maintained view carries; the fingerprint in it is what refreshes compare. */
export function viewComment(stagingRef: string, fingerprint: string): string {
  return (
    `Typed view over ${stagingRef}, maintained by cxone-etl: rebuilt when the staging table gains ` +
    `columns or the type hints change; do not edit (see docs/REPORTING.md). fingerprint=${fingerprint}`
  );
}

export function fingerprintOf(comment: string | null): string | undefined {
  return comment === null ? undefined : FINGERPRINT.exec(comment)?.[1];
}

/**
 * Whether CREATE OR REPLACE VIEW can turn the live view into the planned one: Postgres allows it only
 * when the existing columns keep their names, types and order and new ones come after them (42P16
 * invalid_table_definition otherwise). Schema drift appends staging columns, so drift takes this path,
 * which keeps grants and the views users built on ours.
 */
export function canReplaceInPlace(
  live: readonly RelationColumn[],
  planned: readonly PlannedColumn[],
): boolean {
  if (live.length > planned.length) return false;
  return live.every((c, i) => c.name === planned[i]?.name && c.type === planned[i]?.pgType);
}
