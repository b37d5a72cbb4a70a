/**
 * The run's row in cxone_etl.runs (the history `status` shows and the last-success metric reads):
 * inserted as 'running' when the run starts, finished once with its outcome, or 'failed' with the
 * error when the run throws before it could be finished.
 */
import type pg from 'pg';
import type { RunSummary } from '../extract/types.js';
import { finishRun, insertRun, type RunOutcome } from '../extract/runs.repository.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../logger.js';

export interface RunRecord {
  runId: number;
  /** Records the run's outcome from its summary and the jobs calls it made. */
  finish(summary: RunSummary, apiCalls: number): Promise<void>;
  /**
   * Records a run that threw, unless it was finished already; never throws itself, so the run's own
   * error is the one thrown. A record that cannot be written is logged: the row stays 'running'.
   */
  fail(err: unknown): Promise<void>;
}

export function runOutcome(summary: RunSummary): Exclude<RunOutcome, 'running'> {
  const loaded = summary.windows.filter((w) => w.outcome.status === 'loaded').length;
  if (summary.aborted) return 'aborted';
  if (summary.failed === 0) return 'succeeded';
  return loaded > 0 ? 'partial' : 'failed';
}

export async function startRunRecord(
  pool: pg.Pool,
  clock: Clock,
  log: Pick<Logger, 'warn'>,
  tenantId: string,
  trigger: string,
): Promise<RunRecord> {
  const runId = await insertRun(pool, tenantId, trigger, clock.now());
  let finished = false;
  return {
    runId,
    async finish(summary, apiCalls) {
      await finishRun(pool, runId, runResult(summary, apiCalls), clock.now());
      finished = true;
    },
    async fail(err) {
      if (finished) return;
      const failed = { outcome: 'failed' as const, windowsLoaded: 0, windowsFailed: 0, rows: 0, bytes: 0 };
      const result = { ...failed, apiCalls: 0, error: (err as Error).message };
      await finishRun(pool, runId, result, clock.now()).catch((writeErr: unknown) => {
        log.warn(
          { err: writeErr, runId },
          `run ${runId} failed and its outcome could not be recorded in cxone_etl.runs`,
        );
      });
    },
  };
}

function runResult(summary: RunSummary, apiCalls: number): Parameters<typeof finishRun>[2] {
  const loaded = summary.entities.reduce(
    (t, e) => ({ windows: t.windows + e.loaded, rows: t.rows + e.rows, bytes: t.bytes + e.bytes }),
    { windows: 0, rows: 0, bytes: 0 },
  );
  return {
    outcome: runOutcome(summary),
    windowsLoaded: loaded.windows,
    windowsFailed: summary.failed,
    rows: loaded.rows,
    bytes: loaded.bytes,
    apiCalls,
    error: summary.entities.flatMap((e) => e.errors)[0],
  };
}
