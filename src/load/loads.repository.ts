/**
 * SQL for cxone_etl.loads (migrations/0006_loads.sql): one row per load of a window, saying what the
 * staging rows with its `_load_id` are (tenant, entity, window, job) and how many there are. A load
 * that replaces a window removes the loads it replaces, in the same transaction, so a window has at
 * most one load and the loads table says exactly what staging holds.
 */
import type pg from 'pg';
import type { Queryable } from '../db/pool.js';

export interface LoadKey {
  stagingSchema: string;
  tenantId: string;
  entity: string;
  start: Date;
  end: Date;
}

/**
 * Removes the loads of this tenant's windows inside [start, end) and returns their ids, whose staging
 * rows the caller deletes: a re-load replaces its window, a larger window (a backfill) the smaller
 * ones it covers.
 */
export async function removeReplacedLoads(client: pg.ClientBase, key: LoadKey): Promise<string[]> {
  const { rows } = await client.query<{ load_id: string }>(
    `DELETE FROM cxone_etl.loads
      WHERE staging_schema = $1 AND tenant_id = $2 AND entity = $3 AND window_start >= $4 AND window_end <= $5
      RETURNING load_id::text`,
    [key.stagingSchema, key.tenantId, key.entity, key.start, key.end],
  );
  return rows.map((r) => r.load_id);
}

/** Starts a load and returns its id (as text: bigint). */
export async function insertLoad(client: pg.ClientBase, key: LoadKey & { jobId: string }): Promise<string> {
  const { rows } = await client.query<{ load_id: string }>(
    `INSERT INTO cxone_etl.loads (staging_schema, tenant_id, entity, window_start, window_end, job_id)
     VALUES ($1, $2, $3, $4, $5, $6)
     RETURNING load_id::text`,
    [key.stagingSchema, key.tenantId, key.entity, key.start, key.end, key.jobId],
  );
  const id = rows[0]?.load_id;
  if (id === undefined) throw new Error('INSERT INTO cxone_etl.loads returned no load_id');
  return id;
}

/** Records the load's counts once COPY has finished. */
export async function finishLoad(
  client: pg.ClientBase,
  loadId: string,
  counts: { rows: number; bytes: number },
): Promise<void> {
  await client.query(`UPDATE cxone_etl.loads SET rows_loaded = $2, bytes_loaded = $3 WHERE load_id = $1`, [
    loadId,
    counts.rows,
    counts.bytes,
  ]);
}

/** Rows `cxone-etl erase` deleted from a load: its count keeps saying what staging holds. */
export async function subtractLoadRows(client: Queryable, loadId: string, rows: number): Promise<void> {
  await client.query('UPDATE cxone_etl.loads SET rows_loaded = rows_loaded - $2 WHERE load_id = $1', [
    loadId,
    rows,
  ]);
}
