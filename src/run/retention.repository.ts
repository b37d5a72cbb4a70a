/**
 * SQL of RETENTION's removal (./retention.ts, migrations/0011_privacy.sql): expiring a tenant's old
 * loads with every fact the control tables keep of their windows, in one transaction, then deleting
 * their staging rows in batches. Retention cuts across the tables of several layers (cxone_etl.loads,
 * the window ledger, the reporting layer's per-window tables), so its SQL lives together here.
 */
import pg from 'pg';
import type { Queryable } from '../db/pool.js';
import { stagingTableName, type EntityName } from '../entities/catalog.js';

export interface ExpireKey {
  stagingSchema: string;
  tenantId: string;
  entity: EntityName;
  /** Windows that ended at or before this instant go. */
  endedBy: number;
}

/** Per-window tables of the reporting layer (migrations/0004_reporting.sql), keyed like the ledger. */
const WINDOW_TABLES = ['cxone_etl.cast_problems', 'cxone_etl.window_profiles', 'cxone_etl.quality_flags'];

/**
 * Moves the tenant's loads of windows that ended by `endedBy` to cxone_etl.expired_loads and deletes
 * their ledger rows and reporting facts (cast problems keep a sample value: customer data). Run it in
 * a transaction. Returns how many loads were expired.
 */
export async function expireLoads(db: Queryable, key: ExpireKey, now: number): Promise<number> {
  const params = [key.stagingSchema, key.tenantId, key.entity, new Date(key.endedBy)];
  const { rowCount } = await db.query(
    `WITH gone AS (
       DELETE FROM cxone_etl.loads
        WHERE staging_schema = $1 AND tenant_id = $2 AND entity = $3 AND window_end <= $4
        RETURNING load_id, staging_schema, tenant_id, entity, window_start, window_end, rows_loaded)
     INSERT INTO cxone_etl.expired_loads
       (load_id, staging_schema, tenant_id, entity, window_start, window_end, rows_loaded, expired_at)
     SELECT load_id, staging_schema, tenant_id, entity, window_start, window_end, rows_loaded, $5 FROM gone`,
    [...params, new Date(now)],
  );
  const ledger = [key.tenantId, key.entity, new Date(key.endedBy)];
  await db.query(
    'DELETE FROM cxone_etl.windows WHERE tenant_id = $1 AND entity = $2 AND window_end <= $3',
    ledger,
  );
  for (const table of WINDOW_TABLES) {
    await db.query(`DELETE FROM ${table} WHERE tenant_id = $1 AND entity = $2 AND window_end <= $3`, ledger);
  }
  return rowCount ?? 0;
}

export interface ExpiredLoad {
  loadId: string;
  stagingSchema: string;
  entity: EntityName;
  rows: number;
}

/** Expired loads whose staging rows are not all deleted yet (this run's, or an interrupted run's). */
export async function pendingExpiredLoads(db: Queryable, stagingSchema: string): Promise<ExpiredLoad[]> {
  const { rows } = await db.query<{ load_id: string; entity: EntityName; rows_loaded: string }>(
    `SELECT load_id::text, entity, rows_loaded FROM cxone_etl.expired_loads
      WHERE staging_schema = $1 ORDER BY load_id`,
    [stagingSchema],
  );
  return rows.map((r) => ({
    loadId: r.load_id,
    stagingSchema,
    entity: r.entity,
    rows: Number(r.rows_loaded),
  }));
}

/**
 * Deletes up to `limit` staging rows of one expired load (found through the table's BRIN index on
 * `_load_id`); fewer than `limit` means none are left. Zero when the table does not exist.
 */
export async function deleteExpiredRows(db: Queryable, load: ExpiredLoad, limit: number): Promise<number> {
  const name = `${pg.escapeIdentifier(load.stagingSchema)}.${pg.escapeIdentifier(stagingTableName(load.entity))}`;
  const { rows } = await db.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [name]);
  if (!rows[0]?.found) return 0;
  const result = await db.query(
    `DELETE FROM ${name} WHERE ctid = ANY(ARRAY(SELECT ctid FROM ${name} WHERE _load_id = $1 LIMIT $2))`,
    [load.loadId, limit],
  );
  return result.rowCount ?? 0;
}

export async function forgetExpiredLoad(db: Queryable, loadId: string): Promise<void> {
  await db.query('DELETE FROM cxone_etl.expired_loads WHERE load_id = $1', [loadId]);
}

/** What a run's retention step removed, for the run's row in cxone_etl.runs. */
export async function recordRetention(
  db: Queryable,
  runId: number,
  removed: { loads: number; rows: number },
): Promise<void> {
  await db.query(
    `UPDATE cxone_etl.runs SET retention_loads_removed = $2, retention_rows_removed = $3 WHERE id = $1`,
    [runId, removed.loads, removed.rows],
  );
}

/** Expired loads the dry run would remove: per entity, loads and rows of windows that ended by then. */
export async function countExpiring(
  db: Queryable,
  key: ExpireKey,
): Promise<{ loads: number; rows: number; windows: number }> {
  const { rows } = await db.query<{ loads: number; rows: string; windows: number }>(
    `SELECT (SELECT count(*)::int FROM cxone_etl.loads
              WHERE staging_schema = $1 AND tenant_id = $2 AND entity = $3 AND window_end <= $4) AS loads,
            (SELECT coalesce(sum(rows_loaded), 0)::text FROM cxone_etl.loads
              WHERE staging_schema = $1 AND tenant_id = $2 AND entity = $3 AND window_end <= $4) AS rows,
            (SELECT count(*)::int FROM cxone_etl.windows
              WHERE tenant_id = $2 AND entity = $3 AND window_end <= $4) AS windows`,
    [key.stagingSchema, key.tenantId, key.entity, new Date(key.endedBy)],
  );
  const row = rows[0];
  return { loads: row?.loads ?? 0, rows: Number(row?.rows ?? 0), windows: row?.windows ?? 0 };
}
