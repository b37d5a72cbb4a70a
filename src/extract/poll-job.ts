/**
 * Adaptive polling. Each status call spends one slot of the tenant's "one call per 30 s" budget, so the
 * first call waits for the duration this entity's jobs took lately (a call that answers RUNNING is
 * wasted), and later calls back off. The gate still spaces calls by its interval; these waits only ever
 * add to it. Every wait has a deadline and honours the abort signal.
 */
import type { JobState } from '../cxone/types.js';
import type { Clock } from '../lib/clock.js';
import { EtlError, type EtlErrorContext } from '../lib/errors.js';

export interface PollOptions {
  getJob: () => Promise<JobState>;
  clock: Clock;
  /** When the job was requested (the ledger's requested_at; earlier than now when resuming). */
  requestedAt: number;
  /** Typical duration of this entity's jobs, if known. */
  expectedMs: number | undefined;
  minIntervalMs: number;
  deadline: number;
  signal?: AbortSignal;
  context: EtlErrorContext;
}

/** Later waits grow by this factor, up to MAX_POLL_WAIT_MS. */
const BACKOFF = 1.5;
/** Never leave more than 5 min between polls: the URL is fetched at once when the job is done, and a long job should not idle. */
const MAX_POLL_WAIT_MS = 5 * 60_000;

export function firstPollDelay(now: number, requestedAt: number, expectedMs: number | undefined): number {
  if (expectedMs === undefined) return 0;
  return Math.max(0, requestedAt + expectedMs - now);
}

export function nextPollDelay(
  previousMs: number,
  minIntervalMs: number,
  expectedMs: number | undefined,
): number {
  const floor = Math.max(minIntervalMs, Math.round((expectedMs ?? 0) / 10));
  return Math.min(MAX_POLL_WAIT_MS, Math.max(floor, Math.round(previousMs * BACKOFF)));
}

export async function waitForJob(opts: PollOptions): Promise<JobState> {
  const { clock } = opts;
  let wait = firstPollDelay(clock.now(), opts.requestedAt, opts.expectedMs);
  let previous = 0;
  for (;;) {
    if (clock.now() + wait > opts.deadline) {
      throw new EtlError(
        'DEADLINE',
        `job still RUNNING after ${Math.round((clock.now() - opts.requestedAt) / 1000)} s (EXTRACT_JOB_TIMEOUT); a new job will be requested on the next attempt`,
        { context: opts.context, retryable: true },
      );
    }
    if (wait > 0) await clock.sleep(wait, opts.signal);
    const state = await opts.getJob();
    if (state.status !== 'RUNNING') return state;
    previous = nextPollDelay(previous, opts.minIntervalMs, opts.expectedMs);
    wait = previous;
  }
}
