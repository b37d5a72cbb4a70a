/**
 * Adaptive polling. Each status call spends one slot of the tenant's "one call per 30 s" budget, so the
 * first call waits for the duration this entity's jobs of this window length are expected to take (a
 * call that answers RUNNING is wasted), and later calls back off. The gate still spaces calls by its
 * interval; these waits only ever add to it. Every wait has a deadline and honours the abort signal.
 *
 * Learning: a job's duration is only bracketed by the polls (last RUNNING, first SUCCEEDED answer), so
 * the midpoint is recorded; when the very first poll already says SUCCEEDED, the job took at most that
 * long, and 3/4 of it is recorded, so an estimate that came out too long shrinks instead of sticking.
 */
import type { JobState, JobStatus } from '../cxone/types.js';
import type { Clock } from '../lib/clock.js';
import { EtlError, type EtlErrorContext } from '../lib/errors.js';

export interface PollOptions {
  getJob: () => Promise<JobState>;
  clock: Clock;
  /** When the API accepted the job (its POST answered); earlier than now when resuming. */
  postedAt: number;
  /** Expected duration of this job, if known. */
  expectedMs: number | undefined;
  minIntervalMs: number;
  deadline: number;
  signal?: AbortSignal;
  context: EtlErrorContext;
}

export interface PollResult {
  state: JobState;
  /** The job's duration as the polls bracket it (undefined when it did not succeed). */
  jobMs: number | undefined;
}

/** Later waits grow by this factor, up to MAX_POLL_WAIT_MS. */
const BACKOFF = 1.5;
/** Never leave more than 5 min between polls: the URL is fetched at once when the job is done, and a long job should not idle. */
const MAX_POLL_WAIT_MS = 5 * 60_000;
/** A first poll that finds the job done says only "at most this long": learn a bit less. */
const SHRINK_ON_FIRST_SUCCESS = 0.75;

export function firstPollDelay(now: number, postedAt: number, expectedMs: number | undefined): number {
  if (expectedMs === undefined) return 0;
  return Math.max(0, postedAt + expectedMs - now);
}

export function nextPollDelay(
  previousMs: number,
  minIntervalMs: number,
  expectedMs: number | undefined,
): number {
  const floor = Math.max(minIntervalMs, Math.round((expectedMs ?? 0) / 10));
  return Math.min(MAX_POLL_WAIT_MS, Math.max(floor, Math.round(previousMs * BACKOFF)));
}

/**
 * Expected duration of a job over a window of `windowMs`, from recent jobs of the same entity: jobs
 * grow with the window (a day of recordings is not two weeks of them), so fit base + perMs × window by
 * least squares when the samples have different window lengths, else scale their median.
 */
export function expectedJobMs(
  samples: readonly { jobMs: number; windowMs: number }[],
  windowMs: number,
): number | undefined {
  if (samples.length === 0) return undefined;
  const xs = samples.map((s) => s.windowMs);
  const ys = samples.map((s) => s.jobMs);
  const n = samples.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  const sxx = xs.reduce((a, x) => a + (x - mx) ** 2, 0);
  if (sxx > 0) {
    const slope = Math.max(0, xs.reduce((a, x, i) => a + (x - mx) * ((ys[i] as number) - my), 0) / sxx);
    const base = Math.max(0, my - slope * mx);
    return Math.round(base + slope * windowMs);
  }
  const sorted = [...ys].sort((a, b) => a - b);
  const median = sorted[Math.floor(n / 2)] as number;
  // Same window length for every sample: the median, scaled if this window is longer or shorter.
  return Math.round(median * (windowMs / (xs[0] as number)));
}

export async function waitForJob(opts: PollOptions): Promise<PollResult> {
  const { clock } = opts;
  let wait = firstPollDelay(clock.now(), opts.postedAt, opts.expectedMs);
  let previous = 0;
  let lastRunningAt: number | undefined;
  for (;;) {
    if (clock.now() + wait > opts.deadline) {
      throw new EtlError(
        'DEADLINE',
        `job still RUNNING after ${Math.round((clock.now() - opts.postedAt) / 1000)} s (EXTRACT_JOB_TIMEOUT); the window fails and the next run requests a new job`,
        { context: opts.context, retryable: true },
      );
    }
    if (wait > 0) await clock.sleep(wait, opts.signal);
    const state = await opts.getJob();
    const answeredAt = clock.now();
    if (state.status !== 'RUNNING') {
      const jobMs =
        state.status !== 'SUCCEEDED'
          ? undefined
          : lastRunningAt === undefined
            ? SHRINK_ON_FIRST_SUCCESS * (answeredAt - opts.postedAt)
            : (lastRunningAt + answeredAt) / 2 - opts.postedAt;
      return { state, jobMs: jobMs === undefined ? undefined : Math.max(0, Math.round(jobMs)) };
    }
    lastRunningAt = answeredAt;
    previous = nextPollDelay(previous, opts.minIntervalMs, opts.expectedMs);
    wait = previous;
  }
}

export interface QuietOptions {
  listJobs: () => Promise<{ status: JobStatus }[]>;
  clock: Clock;
  minIntervalMs: number;
  deadline: number;
  signal?: AbortSignal;
  context: EtlErrorContext;
}

/**
 * Waits until the tenant has no RUNNING job (GET /jobs). Called before requesting a window again whose
 * last POST may have reached the API unrecorded (the process died between the POST and the ledger
 * write): that job may still run, and a POST now would be refused as busy or run a second job beside
 * it (one job per tenant, contract "Limits"). Found by the crash suite. Polls back off like status polls.
 */
export async function waitForNoRunningJob(opts: QuietOptions): Promise<void> {
  const { clock } = opts;
  const started = clock.now();
  let wait = 0;
  for (;;) {
    const jobs = await opts.listJobs();
    if (!jobs.some((j) => j.status === 'RUNNING')) return;
    wait = nextPollDelay(wait, opts.minIntervalMs, undefined);
    if (clock.now() + wait > opts.deadline) {
      throw new EtlError(
        'DEADLINE',
        `the tenant still has a RUNNING job ${Math.round((clock.now() - started) / 1000)} s after a request whose ` +
          'outcome was lost (EXTRACT_JOB_TIMEOUT); a new job will be requested on the next attempt',
        { context: opts.context, retryable: true },
      );
    }
    await clock.sleep(wait, opts.signal);
  }
}
