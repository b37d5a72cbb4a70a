/** SQL for cxone_etl.checkpoints: per tenant and entity, how far data is loaded and the last header seen. */
import type { Queryable } from '../db/pool.js';

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
 * Raises the checkpoint to `windowEnd` (advanceCheckpointContiguous decides how far): re-loading an
 * older window (lookback, backfill) never moves it back. A zero-byte file has no header: the columns
 * stay as they were.
 */
async function advanceCheckpoint(
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

/**
 * Inside the load transaction (load-job.ts), the one checkpoint rule: windows may load out of order
 * (several jobs in flight), so the checkpoint becomes the end of the contiguous run of loaded windows that starts at it (or at `from`,
 * the run's first window, when there is none yet), so a later window loaded first never moves it past
 * a window still in flight or failed. Loaded ledger windows never overlap (markLoaded), and a window
 * whose rows are in staging keeps `loaded_at` while it is being re-extracted, so it still counts.
 * Returns the checkpoint after the call (undefined: still none).
 */
export async function advanceCheckpointContiguous(
  db: Queryable,
  tenantId: string,
  entity: string,
  from: number,
  columns: string[] | null,
  now: number,
): Promise<number | undefined> {
  const current = await getCheckpoint(db, tenantId, entity);
  const start = current?.loadedUntil ?? from;
  const { rows } = await db.query(
    `WITH RECURSIVE chain(reach) AS (
       SELECT $3::timestamptz
       UNION
       SELECT w.window_end FROM chain c
         JOIN cxone_etl.windows w
           ON w.tenant_id = $1 AND w.entity = $2 AND w.loaded_at IS NOT NULL
          AND w.window_start <= c.reach AND w.window_end > c.reach
     )
     SELECT max(reach) AS reach FROM chain`,
    [tenantId, entity, new Date(start)],
  );
  const reach = (rows[0] as { reach: Date }).reach.getTime();
  if (current === undefined && reach === start) return undefined;
  if (current !== undefined && reach === current.loadedUntil) {
    // Not moved; the header is still the newest seen.
    if (columns !== null) {
      await db.query(
        'UPDATE cxone_etl.checkpoints SET last_columns = $3, updated_at = $4 WHERE tenant_id = $1 AND entity = $2',
        [tenantId, entity, columns, new Date(now)],
      );
    }
    return reach;
  }
  await advanceCheckpoint(db, tenantId, entity, reach, columns, now);
  return reach;
}
