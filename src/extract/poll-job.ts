/**
 * Adaptive polling. Each status call spends one slot of the tenant's "one call per 30 s" budget, so the
 * first call waits for the duration this entity's jobs of this window length are expected to take (a
 * call that answers RUNNING is wasted), and later calls back off. The gate still spaces calls by its
 * interval; these waits only ever add to it. Every wait has a deadline and honours the abort signal.
 *
 * Learning: a job's duration is only bracketed by the polls (last RUNNING, first SUCCEEDED answer), so
 * the midpoint is recorded; when the very first poll already says SUCCEEDED, the job took at most that
 * long, and 3/4 of it is recorded, so an estimate that came out too long shrinks instead of sticking.
 * Only a job this process posted is learned from: a job resumed from the ledger was posted before a
 * downtime of unknown length, and its "duration" would include the downtime (a 3-s job
 * resumed after 30 s down taught 25 s, and the next window failed its deadline before polling once).
 */
import type { JobState, JobStatus } from '../cxone/types.js';
import type { Clock } from '../lib/clock.js';
import { EtlError, type EtlErrorContext } from '../lib/errors.js';

export interface PollOptions {
  getJob: () => Promise<JobState>;
  clock: Clock;
  /** When the API accepted the job (its POST answered); earlier than now when resuming. */
  postedAt: number;
  /**
   * Whether this process saw the POST answer at `postedAt` (and so watched the job from its start).
   * False for a job resumed from the ledger: nothing is learned from it.
   */
  postedHere: boolean;
  /** Expected duration of this job, if known. */
  expectedMs: number | undefined;
  minIntervalMs: number;
  deadline: number;
  signal?: AbortSignal;
  context: EtlErrorContext;
}

export interface PollResult {
  state: JobState;
  /** The job's duration as the polls bracket it (undefined when it did not succeed or was resumed). */
  jobMs: number | undefined;
  /** Status answers received. */
  polls: number;
}

/** Later waits grow by this factor, up to MAX_POLL_WAIT_MS. */
const BACKOFF = 1.5;
/** Never leave more than 5 min between polls: the URL is fetched at once when the job is done, and a long job should not idle. */
export const MAX_POLL_WAIT_MS = 5 * 60_000;
/** A first poll that finds the job done says only "at most this long": learn a bit less. */
const SHRINK_ON_FIRST_SUCCESS = 0.75;

/**
 * The wait before the first status call: until the expected end of the job, capped like every later
 * wait, so one bad estimate costs at most MAX_POLL_WAIT_MS of idling, never the window.
 */
export function firstPollDelay(now: number, postedAt: number, expectedMs: number | undefined): number {
  if (expectedMs === undefined) return 0;
  return Math.min(MAX_POLL_WAIT_MS, Math.max(0, postedAt + expectedMs - now));
}

export function nextPollDelay(
  previousMs: number,
  minIntervalMs: number,
  expectedMs: number | undefined,
): number {
  const floor = Math.min(MAX_POLL_WAIT_MS, Math.max(minIntervalMs, Math.round((expectedMs ?? 0) / 10)));
  return Math.min(MAX_POLL_WAIT_MS, Math.max(floor, Math.round(previousMs * BACKOFF)));
}

/** The lower median: with two samples, one wrong and one right, the shorter wins (costs a poll, not a window). */
function lowerMedian(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] as number;
}

/**
 * Expected duration of a job over a window of `windowMs`, from recent jobs of the same entity: jobs
 * grow with the window (a day of recordings is not two weeks of them), so fit base + perMs × window
 * robustly (Theil-Sen: the median of the pairwise slopes, then the median intercept), so one bad sample
 * among several is outvoted rather than pulling a least-squares line; with one window length only,
 * scale the median.
 */
export function expectedJobMs(
  samples: readonly { jobMs: number; windowMs: number }[],
  windowMs: number,
): number | undefined {
  if (samples.length === 0) return undefined;
  const slopes: number[] = [];
  for (let i = 0; i < samples.length; i++) {
    for (let j = i + 1; j < samples.length; j++) {
      const a = samples[i] as { jobMs: number; windowMs: number };
      const b = samples[j] as { jobMs: number; windowMs: number };
      if (a.windowMs !== b.windowMs) slopes.push((b.jobMs - a.jobMs) / (b.windowMs - a.windowMs));
    }
  }
  if (slopes.length > 0) {
    const slope = Math.max(0, lowerMedian(slopes));
    const base = Math.max(0, lowerMedian(samples.map((s) => s.jobMs - slope * s.windowMs)));
    return Math.round(base + slope * windowMs);
  }
  const median = lowerMedian(samples.map((s) => s.jobMs));
  // Same window length for every sample: the median, scaled if this window is longer or shorter.
  return Math.round(median * (windowMs / (samples[0] as { windowMs: number }).windowMs));
}

/**
 * Polls until the job ends. The deadline is checked after a status answer, never before the first
 * one: a job resumed after a downtime longer than EXTRACT_JOB_TIMEOUT may well be done (its file lives
 * 24 h), and a window must not fail on an estimate without asking the API once.
 */
export async function waitForJob(opts: PollOptions): Promise<PollResult> {
  const { clock } = opts;
  let wait = firstPollDelay(clock.now(), opts.postedAt, opts.expectedMs);
  let previous = 0;
  let lastRunningAt: number | undefined;
  let polls = 0;
  for (;;) {
    // Never sleep past the deadline: the last poll comes at the deadline, not after it.
    const sleep = Math.min(wait, Math.max(0, opts.deadline - clock.now()));
    if (sleep > 0) await clock.sleep(sleep, opts.signal);
    const state = await opts.getJob();
    polls++;
    const answeredAt = clock.now();
    if (state.status !== 'RUNNING') {
      return { state, jobMs: learnedMs(opts, state.status, lastRunningAt, answeredAt), polls };
    }
    lastRunningAt = answeredAt;
    if (answeredAt >= opts.deadline) {
      throw new EtlError(
        'DEADLINE',
        `job still RUNNING after ${Math.round((answeredAt - opts.postedAt) / 1000)} s and ${polls} status ` +
          'answers (EXTRACT_JOB_TIMEOUT); the window fails and the next run requests a new job',
        { context: opts.context, retryable: true },
      );
    }
    previous = nextPollDelay(previous, opts.minIntervalMs, opts.expectedMs);
    wait = previous;
  }
}

/** The duration to learn, only from a job watched since its POST, and never more than was watched. */
function learnedMs(
  opts: PollOptions,
  status: JobStatus,
  lastRunningAt: number | undefined,
  answeredAt: number,
): number | undefined {
  return learnedJobMs(
    { postedAt: opts.postedAt, postedHere: opts.postedHere },
    status,
    lastRunningAt,
    answeredAt,
  );
}

/** As `waitForJob` learns it; also for jobs polled by a GET /jobs listing (run-overlapped.ts). */
export function learnedJobMs(
  job: { postedAt: number; postedHere: boolean },
  status: JobStatus,
  lastRunningAt: number | undefined,
  answeredAt: number,
): number | undefined {
  if (status !== 'SUCCEEDED' || !job.postedHere) return undefined;
  const observed = answeredAt - job.postedAt;
  const jobMs =
    lastRunningAt === undefined
      ? SHRINK_ON_FIRST_SUCCESS * observed
      : (lastRunningAt + answeredAt) / 2 - job.postedAt;
  return Math.round(Math.min(observed, Math.max(0, jobMs)));
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
