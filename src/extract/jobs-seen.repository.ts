/**
 * SQL for cxone_etl.jobs_seen (migrations/, the recovery migration): the job ids this worker already knows per
 * tenant, so that after a POST whose answer was lost, GET /jobs can show which job is that POST's.
 */
import type { Queryable } from '../db/pool.js';

export type JobSource = 'posted' | 'adopted' | 'listed';

/**
 * Records ids as known. A later, stronger source (posted, adopted) replaces 'listed', never the reverse,
 * so the crash harness can tell a lost post (never 'posted') from a job whose POST answer arrived.
 */
export async function rememberJobs(
  db: Queryable,
  tenantId: string,
  ids: readonly string[],
  source: JobSource,
  now: number,
): Promise<void> {
  if (ids.length === 0) return;
  await db.query(
    `INSERT INTO cxone_etl.jobs_seen (tenant_id, job_id, source, seen_at)
     SELECT $1, id, $3, $4 FROM unnest($2::text[]) AS id
     ON CONFLICT (tenant_id, job_id) DO UPDATE SET source = EXCLUDED.source
      WHERE cxone_etl.jobs_seen.source = 'listed' AND EXCLUDED.source <> 'listed'`,
    [tenantId, [...new Set(ids)], source, new Date(now)],
  );
}

/** Which of `ids` the worker already knows: seen before, or named by a ledger row. */
export async function knownJobIds(
  db: Queryable,
  tenantId: string,
  ids: readonly string[],
): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const { rows } = await db.query(
    `SELECT job_id FROM cxone_etl.jobs_seen WHERE tenant_id = $1 AND job_id = ANY($2::text[])
     UNION SELECT job_id FROM cxone_etl.windows WHERE tenant_id = $1 AND job_id = ANY($2::text[])`,
    [tenantId, [...ids]],
  );
  return new Set(rows.map((r: { job_id: string }) => r.job_id));
}

/** Every known id with how it was learned (the crash harness counts lost posts with it). */
export async function jobSources(db: Queryable, tenantId: string): Promise<Map<string, JobSource>> {
  const { rows } = await db.query('SELECT job_id, source FROM cxone_etl.jobs_seen WHERE tenant_id = $1', [
    tenantId,
  ]);
  return new Map(rows.map((r: { job_id: string; source: JobSource }) => [r.job_id, r.source]));
}

/** Retention: ids learned before the cutoff (their jobs have long EXPIRED, 24 h after they ended). */
export async function pruneJobsSeen(db: Queryable, cutoff: number): Promise<number> {
  const result = await db.query('DELETE FROM cxone_etl.jobs_seen WHERE seen_at < $1', [new Date(cutoff)]);
  return result.rowCount ?? 0;
}
