/** SQL for cxone_etl.checkpoints: per tenant and entity, how far data is loaded and the last header seen. */
import type { Queryable } from './windows.repository.js';

export interface Checkpoint {
  loadedUntil: number;
  lastColumns: string[] | null;
  updatedAt: number;
}

export async function getCheckpoint(
  db: Queryable,
  tenantId: string,
  entity: string,
): Promise<Checkpoint | undefined> {
  const { rows } = await db.query(
    'SELECT loaded_until, last_columns, updated_at FROM cxone_etl.checkpoints WHERE tenant_id = $1 AND entity = $2',
    [tenantId, entity],
  );
  const r = rows[0] as { loaded_until: Date; last_columns: string[] | null; updated_at: Date } | undefined;
  return (
    r && {
      loadedUntil: r.loaded_until.getTime(),
      lastColumns: r.last_columns,
      updatedAt: r.updated_at.getTime(),
    }
  );
}

export async function listCheckpoints(
  db: Queryable,
): Promise<({ tenantId: string; entity: string } & Checkpoint)[]> {
  const { rows } = await db.query(
    'SELECT tenant_id, entity, loaded_until, last_columns, updated_at FROM cxone_etl.checkpoints ORDER BY 1, 2',
  );
  return rows.map(
    (r: {
      tenant_id: string;
      entity: string;
      loaded_until: Date;
      last_columns: string[] | null;
      updated_at: Date;
    }) => ({
      tenantId: r.tenant_id,
      entity: r.entity,
      loadedUntil: r.loaded_until.getTime(),
      lastColumns: r.last_columns,
      updatedAt: r.updated_at.getTime(),
    }),
  );
}

/**
 * Inside the load transaction. The checkpoint is a high-water mark: re-loading an older window
 * (lookback, backfill) never moves it back. A zero-byte file has no header: the columns stay as they were.
 */
export async function advanceCheckpoint(
  db: Queryable,
  tenantId: string,
  entity: string,
  windowEnd: number,
  columns: string[] | null,
  now: number,
): Promise<void> {
  await db.query(
    `INSERT INTO cxone_etl.checkpoints AS c (tenant_id, entity, loaded_until, last_columns, updated_at)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (tenant_id, entity) DO UPDATE
        SET loaded_until = GREATEST(c.loaded_until, EXCLUDED.loaded_until),
            last_columns = COALESCE(EXCLUDED.last_columns, c.last_columns),
            updated_at = EXCLUDED.updated_at`,
    [tenantId, entity, new Date(windowEnd), columns, new Date(now)],
  );
}
