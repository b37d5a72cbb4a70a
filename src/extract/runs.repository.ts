/** SQL for cxone_etl.runs, the run history shown by `status` and used for the last-success metric. */
import type { Queryable } from '../db/pool.js';

export type RunOutcome = 'running' | 'succeeded' | 'partial' | 'failed' | 'aborted';

export interface RunRow {
  id: number;
  tenantId: string;
  trigger: string;
  startedAt: number;
  endedAt: number | null;
  outcome: RunOutcome;
  windowsLoaded: number;
  windowsFailed: number;
  rows: number;
  bytes: number;
  apiCalls: number;
  error: string | null;
}

export async function insertRun(
  db: Queryable,
  tenantId: string,
  trigger: string,
  now: number,
): Promise<number> {
  const { rows } = await db.query(
    'INSERT INTO cxone_etl.runs (tenant_id, trigger, started_at) VALUES ($1, $2, $3) RETURNING id',
    [tenantId, trigger, new Date(now)],
  );
  return Number(rows[0]?.id);
}

export async function finishRun(
  db: Queryable,
  id: number,
  result: {
    outcome: Exclude<RunOutcome, 'running'>;
    windowsLoaded: number;
    windowsFailed: number;
    rows: number;
    bytes: number;
    apiCalls: number;
    error?: string | undefined;
  },
  now: number,
): Promise<void> {
  await db.query(
    `UPDATE cxone_etl.runs SET ended_at = $2, outcome = $3, windows_loaded = $4, windows_failed = $5,
            rows_loaded = $6, bytes_loaded = $7, api_calls = $8, error = $9
      WHERE id = $1`,
    [
      id,
      new Date(now),
      result.outcome,
      result.windowsLoaded,
      result.windowsFailed,
      result.rows,
      result.bytes,
      result.apiCalls,
      result.error?.slice(0, 4000) ?? null,
    ],
  );
}

function toRun(r: Record<string, unknown>): RunRow {
  return {
    id: Number(r.id),
    tenantId: r.tenant_id as string,
    trigger: r.trigger as string,
    startedAt: (r.started_at as Date).getTime(),
    endedAt: r.ended_at ? (r.ended_at as Date).getTime() : null,
    outcome: r.outcome as RunOutcome,
    windowsLoaded: Number(r.windows_loaded),
    windowsFailed: Number(r.windows_failed),
    rows: Number(r.rows_loaded),
    bytes: Number(r.bytes_loaded),
    apiCalls: Number(r.api_calls),
    error: (r.error as string | null) ?? null,
  };
}

export async function recentRuns(db: Queryable, limit = 10): Promise<RunRow[]> {
  const { rows } = await db.query('SELECT * FROM cxone_etl.runs ORDER BY started_at DESC, id DESC LIMIT $1', [
    limit,
  ]);
  return rows.map(toRun);
}

/** Per tenant, when the newest succeeded run ended (for the last-success metric after a restart). */
export async function lastSuccessPerTenant(db: Queryable): Promise<{ tenantId: string; endedAt: number }[]> {
  const { rows } = await db.query(
    `SELECT tenant_id, max(ended_at) AS ended_at FROM cxone_etl.runs
      WHERE outcome = 'succeeded' AND ended_at IS NOT NULL GROUP BY tenant_id`,
  );
  return rows.map((r: { tenant_id: string; ended_at: Date }) => ({
    tenantId: r.tenant_id,
    endedAt: r.ended_at.getTime(),
  }));
}

/**
 * When the tenant's newest run started: read right after this process got the tenant lock it waited
 * for, that is the run of the process that held it (each run inserts its row once it holds the lock).
 */
export async function latestRunStart(db: Queryable, tenantId: string): Promise<number | undefined> {
  const { rows } = await db.query('SELECT max(started_at) AS t FROM cxone_etl.runs WHERE tenant_id = $1', [
    tenantId,
  ]);
  const t = rows[0]?.t as Date | null | undefined;
  return t ? t.getTime() : undefined;
}

/** The newest run start of any tenant: the daemon's catch-up check compares it with the last cron tick. */
export async function lastRunStart(db: Queryable): Promise<number | undefined> {
  const { rows } = await db.query('SELECT max(started_at) AS t FROM cxone_etl.runs');
  const t = rows[0]?.t as Date | null | undefined;
  return t ? t.getTime() : undefined;
}

/**
 * Retention: finished runs older than the cutoff, and ledger rows of windows that never loaded and were
 * last touched before it. Loaded windows stay: they are what keeps re-loads from overlapping.
 */
export async function pruneHistory(
  db: Queryable,
  cutoff: number,
): Promise<{ runs: number; windows: number }> {
  const runs = await db.query("DELETE FROM cxone_etl.runs WHERE started_at < $1 AND outcome <> 'running'", [
    new Date(cutoff),
  ]);
  const windows = await db.query(
    "DELETE FROM cxone_etl.windows WHERE updated_at < $1 AND state IN ('failed', 'deferred', 'planned')",
    [new Date(cutoff)],
  );
  return { runs: runs.rowCount ?? 0, windows: windows.rowCount ?? 0 };
}

/** Failed windows per tenant and entity, for the failed-windows gauge. */
export async function countFailedWindows(
  db: Queryable,
): Promise<{ tenant: string; entity: string; count: number }[]> {
  const { rows } = await db.query(
    "SELECT tenant_id, entity, count(*)::int AS n FROM cxone_etl.windows WHERE state = 'failed' GROUP BY 1, 2",
  );
  return rows.map((r: { tenant_id: string; entity: string; n: number }) => ({
    tenant: r.tenant_id,
    entity: r.entity,
    count: r.n,
  }));
}
