/** SQL for cxone_etl.entity_freshness (migrations/0008_freshness.sql). */
import type { Queryable } from '../db/pool.js';

/** Per entity of the tenant: whether the last check found it stale. */
export async function lastFreshness(db: Queryable, tenantId: string): Promise<Map<string, boolean>> {
  const { rows } = await db.query<{ entity: string; stale: boolean }>(
    'SELECT entity, stale FROM cxone_etl.entity_freshness WHERE tenant_id = $1',
    [tenantId],
  );
  return new Map(rows.map((r) => [r.entity, r.stale]));
}

export async function recordFreshness(
  db: Queryable,
  tenantId: string,
  entity: string,
  stale: boolean,
  now: number,
): Promise<void> {
  await db.query(
    `INSERT INTO cxone_etl.entity_freshness (tenant_id, entity, stale, changed_at, checked_at)
     VALUES ($1, $2, $3, $4, $4)
     ON CONFLICT (tenant_id, entity) DO UPDATE
       SET changed_at = CASE WHEN entity_freshness.stale = EXCLUDED.stale THEN entity_freshness.changed_at
                             ELSE EXCLUDED.changed_at END,
           stale = EXCLUDED.stale,
           checked_at = EXCLUDED.checked_at`,
    [tenantId, entity, stale, new Date(now)],
  );
}
