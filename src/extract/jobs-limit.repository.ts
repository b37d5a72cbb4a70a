/**
 * SQL for cxone_etl.tenant_jobs_limit (migrations/, the jobs-in-flight migration): per tenant, how many
 * jobs EXTRACT_MAX_JOBS_IN_FLIGHT=auto learned it may run at once. Persisted so that a tenant whose API
 * refuses a second job costs one busy answer once, not once per run.
 */
import type { Queryable } from '../db/pool.js';

export interface LearnedJobsLimit {
  maxJobsInFlight: number;
  reason: string;
  learnedAt: number;
}

export async function getLearnedJobsLimit(
  db: Queryable,
  tenantId: string,
): Promise<LearnedJobsLimit | undefined> {
  const { rows } = await db.query(
    'SELECT max_jobs_in_flight, reason, learned_at FROM cxone_etl.tenant_jobs_limit WHERE tenant_id = $1',
    [tenantId],
  );
  const r = rows[0] as { max_jobs_in_flight: number; reason: string; learned_at: Date } | undefined;
  return r && { maxJobsInFlight: r.max_jobs_in_flight, reason: r.reason, learnedAt: r.learned_at.getTime() };
}

export async function saveLearnedJobsLimit(
  db: Queryable,
  tenantId: string,
  limit: number,
  reason: string,
  now: number,
): Promise<void> {
  await db.query(
    `INSERT INTO cxone_etl.tenant_jobs_limit (tenant_id, max_jobs_in_flight, reason, learned_at)
     VALUES ($1, $2, $3, $4)
     ON CONFLICT (tenant_id) DO UPDATE
        SET max_jobs_in_flight = EXCLUDED.max_jobs_in_flight, reason = EXCLUDED.reason,
            learned_at = EXCLUDED.learned_at`,
    [tenantId, limit, reason.slice(0, 1000), new Date(now)],
  );
}

/** Every tenant's learned limit, for `status`. */
export async function listLearnedJobsLimits(
  db: Queryable,
): Promise<(LearnedJobsLimit & { tenantId: string })[]> {
  const { rows } = await db.query(
    'SELECT tenant_id, max_jobs_in_flight, reason, learned_at FROM cxone_etl.tenant_jobs_limit ORDER BY tenant_id',
  );
  return (rows as { tenant_id: string; max_jobs_in_flight: number; reason: string; learned_at: Date }[]).map(
    (r) => ({
      tenantId: r.tenant_id,
      maxJobsInFlight: r.max_jobs_in_flight,
      reason: r.reason,
      learnedAt: r.learned_at.getTime(),
    }),
  );
}
