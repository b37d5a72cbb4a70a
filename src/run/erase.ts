/**
 * `cxone-etl erase --column C --value V [--entity E] [--yes]` (docs/OPERATIONS.md, "Personal data"):
 * deletes every staging row whose column C equals V, in every entity (or E), in one transaction. Where
 * COLUMN_POLICY hashes C, the rows hold V's keyed hash, so both V and its hash are matched (rows
 * loaded before the policy still hold V). A column the policy drops holds nothing to erase. The load
 * counts in cxone_etl.loads follow, cast-problem samples equal to V are cleared, and the erasure is
 * recorded in cxone_etl.erasures without the value. Without `yes` it only counts.
 */
import type pg from 'pg';
import type { Config } from '../config.js';
import { withTransaction, type Queryable } from '../db/pool.js';
import { stagingTableName, type EntityName } from '../entities/catalog.js';
import type { Clock } from '../lib/clock.js';
import {
  entityPolicy,
  hashText,
  hasStagingColumn,
  matchingRowsByLoad,
  subtractLoadRows,
} from '../load/index.js';
import { clearCastSamples } from '../reporting/index.js';

export interface EraseRequest {
  /** Staging column name (what `cxone-etl schema` shows). */
  column: string;
  value: string;
  entities: readonly EntityName[];
  /** The entity named with --entity, for the record (undefined: every entity). */
  named: EntityName | undefined;
  /** Delete; without it, count only. */
  yes: boolean;
}

export interface EntityErasure {
  entity: EntityName;
  /** How the value was looked for: as sent, also as its keyed hash, or not at all (no such column, or dropped). */
  matched: 'value' | 'value or hash' | 'no column' | 'dropped by policy';
  rows: number;
}

export interface EraseResult {
  entities: EntityErasure[];
  rows: number;
  /** The cxone_etl.erasures row; undefined without `yes`. */
  erasureId: number | undefined;
}

export async function eraseValue(
  deps: { pool: pg.Pool; clock: Clock; config: Pick<Config, 'stagingSchema' | 'privacy'> },
  request: EraseRequest,
): Promise<EraseResult> {
  const { config } = deps;
  return withTransaction(deps.pool, async (client) => {
    const entities: EntityErasure[] = [];
    for (const entity of request.entities) {
      const action = entityPolicy(config.privacy.columnPolicy, entity).get(request.column);
      const ref = { schema: config.stagingSchema, table: stagingTableName(entity), column: request.column };
      if (action === 'drop') {
        entities.push({ entity, matched: 'dropped by policy', rows: 0 });
        continue;
      }
      if (!(await hasStagingColumn(client, ref))) {
        entities.push({ entity, matched: 'no column', rows: 0 });
        continue;
      }
      const hashed = action === 'hash' && config.privacy.hashKey !== undefined;
      const values = hashed
        ? [request.value, hashText(config.privacy.hashKey!, request.value)]
        : [request.value];
      const byLoad = await matchingRowsByLoad(client, { ...ref, values, remove: request.yes });
      let rows = 0;
      for (const [loadId, n] of byLoad) {
        rows += n;
        if (request.yes) await subtractLoadRows(client, loadId, n);
      }
      if (request.yes) await clearCastSamples(client, { entity, column: request.column, values });
      entities.push({ entity, matched: hashed ? 'value or hash' : 'value', rows });
    }
    const rows = entities.reduce((n, e) => n + e.rows, 0);
    if (!request.yes) return { entities, rows, erasureId: undefined };
    const erasureId = await recordErasure(client, {
      at: deps.clock.now(),
      column: request.column,
      entity: request.named,
      rowsByEntity: Object.fromEntries(entities.filter((e) => e.rows > 0).map((e) => [e.entity, e.rows])),
    });
    return { entities, rows, erasureId };
  });
}

/** cxone_etl.erasures (migrations/0011_privacy.sql): the record of each `cxone-etl erase --yes`. */
/** Records an erasure: when, which column, how many rows per entity. Never the value, nor its hash. */
export async function recordErasure(
  db: Queryable,
  erasure: { at: number; column: string; entity: string | undefined; rowsByEntity: Record<string, number> },
): Promise<number> {
  const total = Object.values(erasure.rowsByEntity).reduce((n, r) => n + r, 0);
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO cxone_etl.erasures (erased_at, column_name, entity, rows_by_entity, rows_deleted)
     VALUES ($1, $2, $3, $4, $5) RETURNING id::text`,
    [
      new Date(erasure.at),
      erasure.column,
      erasure.entity ?? null,
      JSON.stringify(erasure.rowsByEntity),
      total,
    ],
  );
  return Number(rows[0]?.id);
}
