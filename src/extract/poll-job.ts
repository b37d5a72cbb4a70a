/**
 * When to ask about a job, and what its duration teaches. Each status call spends a slot of the
 * tenant's "one call per 30 s" budget: a call that answers RUNNING is wasted, one asked too late leaves
 * slots idle (and, with several jobs in flight, keeps the next POST waiting). Measured on the
 * simulator's realistic durations (bench/api-efficiency.ts, a fresh 14-day backfill: per entity one
 * 13-day and one 1-day window), the run spent 12 of its 30 calls on RUNNING answers, nearly all on the
 * first jobs of each entity, which had no history of their own. So, within the run:
 *
 * - every job this process watched teaches its entity at once (a `book` seeded from the ledger), and an
 *   entity with no history of its own starts from the least of what the run's other entities took over
 *   the same window length (see "Calls on slots" for why the least);
 * - from samples of one window length only, a longer window is not scaled in proportion: a job's time
 *   has a fixed part and a part growing with the window, and one length cannot tell them apart. In
 *   proportion (all growth) overshoots and idles slots (a 30-s day made 13 days look 390 s, against a
 *   real 150 s); flat (all fixed) undershoots. The geometric middle of the two is the guess;
 * - the first call comes at the expected end (on a slot, below); after a RUNNING answer at `elapsed`, the
 *   next comes at 1.25 × elapsed (at least an interval later, at most MAX_POLL_WAIT_MS), or at the
 *   estimate if that is later. Measured: 1.5 and 2 overshot the jobs that ran just past their estimate
 *   (the usual miss) and idled slots (765 and 840 s against 713 s for the same backfill); a fixed 30 s
 *   spent a call per interval on a long job.
 *
 * Calls on slots (issue 23's acceptance: N = 1 no worse than the serial code it replaced, b95ac24). The
 * gate allows a call only at the last call + k × interval, so a poll between two slots leaves the earlier
 * one idle; at one job in flight, an idle slot is clock lost and a RUNNING answer in it costs a call but
 * no clock. Measured (bench/api-efficiency.ts, async 14-day backfill, jobs 43/13 s ×3, 85/25, 21/6 s),
 * the engine spent 24 calls in 756 s (1.05 × calls × interval) against the serial code's 25 in 735 s
 * (0.98×), and 578 s against 570 s for nightly run 1: first polls at 32-45 s for jobs of 12-25 s. Two
 * causes: the pooled fit of the other entities gave 45 s to the 21-s payroll and 85-s recordings 13-day
 * jobs alike (entities differ by multiples; an overshoot idles, an undershoot costs a RUNNING call that
 * at N = 1 fills a slot anyway: hence the least of the others), and polls at the estimate between slots
 * (32.5 s for a 13-s job, 33.8 s that answered RUNNING then 63.8 s). So a wanted time less than half an
 * interval past a slot is brought back to that slot; half or more past it stands (`onSlot`). Each
 * change alone: the least of the others 24 calls in 728 s; slots alone 24 in 750 s (ties to the slot:
 * 25 in 720 s, one call over overlap-strict's 24 before). Both: 24 calls in 705 s (0.98×)
 * for the backfill, 570 s (0.95×) for each nightly run, with one job in flight, with `auto` on a
 * one-job tenant and on a two-job one (there also nightly runs 578/585 s → 570 s).
 *
 * Learning: a job's duration is only bracketed by the polls (last RUNNING, first SUCCEEDED answer), so
 * the midpoint is recorded; when the very first poll already says SUCCEEDED, the job took at most that
 * long, and 3/4 of it is recorded, so an estimate that came out too long shrinks instead of sticking.
 * Only a job this process posted is learned from: a job resumed from the ledger was posted before a
 * downtime of unknown length, and its "duration" would include the downtime (a 3-s job resumed after
 * 30 s down taught 25 s, and the next window failed its deadline before polling once).
 */
import type { JobStatus } from '../cxone/types.js';
import { RECENT_JOB_SAMPLES } from './windows.repository.js';

/** Never leave more than 5 min between polls: the URL is fetched at once when the job is done, and a long job should not idle. */
export const MAX_POLL_WAIT_MS = 5 * 60_000;
/** A first poll that finds the job done says only "at most this long": learn a bit less. */
const SHRINK_ON_FIRST_SUCCESS = 0.75;
/** After a RUNNING answer, the next call at this multiple of the time since the POST. */
const RUNNING_BACKOFF = 1.25;

export interface DurationSample {
  jobMs: number;
  windowMs: number;
}

/** Per entity, its recent job durations, newest first: the ledger's, then what this run learns. */
export type DurationBook = Map<string, DurationSample[]>;

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

/** What a job's end teaches, from a status answer or a GET /jobs listing (see the header). */
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

export function learn(book: DurationBook, entity: string, sample: DurationSample): void {
  book.set(entity, [sample, ...(book.get(entity) ?? [])].slice(0, RECENT_JOB_SAMPLES));
}

/**
 * The expected duration of a job of `entity` over `windowMs`, undefined when nothing is known at all:
 * from the entity's own samples when they span window lengths; from one length only, the other
 * entities' fit at both lengths scaled to this entity's level (a heavier entity takes a multiple of what
 * the others take over the same window); without samples of its own, the least of the others' estimates.
 */
export function estimateJobMs(book: DurationBook, entity: string, windowMs: number): number | undefined {
  const own = book.get(entity) ?? [];
  const all = [...book].flatMap(([name, samples]) => (name === entity ? [] : samples));
  if (own.length === 0) return leastOfOthers(book, entity, windowMs);
  const lengths = new Set(own.map((s) => s.windowMs));
  const [ownLength] = lengths;
  if (lengths.size > 1 || ownLength === undefined || !spansLengths(all)) return fromSamples(own, windowMs);
  const atOwn = expectedJobMs(all, ownLength);
  const atWindow = expectedJobMs(all, windowMs);
  const ownMs = expectedJobMs(own, ownLength);
  if (!atOwn || atWindow === undefined || ownMs === undefined) return fromSamples(own, windowMs);
  return Math.round((atWindow * ownMs) / atOwn);
}

/**
 * An entity without history of its own: the least of the other entities' estimates, not their pooled
 * fit. Entities differ by multiples (a heavy one takes twice the others, a light one half), and at one
 * job in flight the two errors do not cost alike: a first call that comes too early answers RUNNING in
 * a slot that would have idled, one that comes too late idles the slots up to it (see the header).
 */
function leastOfOthers(book: DurationBook, entity: string, windowMs: number): number | undefined {
  const estimates = [...book]
    .filter(([name, samples]) => name !== entity && samples.length > 0)
    .map(([, samples]) => fromSamples(samples, windowMs) as number);
  return estimates.length > 0 ? Math.min(...estimates) : undefined;
}

function spansLengths(samples: readonly DurationSample[]): boolean {
  return new Set(samples.map((s) => s.windowMs)).size > 1;
}

/** `expectedJobMs`, except that one window length is not scaled up in proportion (see the header). */
function fromSamples(samples: readonly DurationSample[], windowMs: number): number | undefined {
  if (samples.length === 0) return undefined;
  const longest = Math.max(...samples.map((s) => s.windowMs));
  if (spansLengths(samples) || windowMs <= longest) return expectedJobMs(samples, windowMs);
  // One window length, and a longer window: between flat and in proportion.
  const flat = expectedJobMs(samples, longest) as number;
  return Math.round(flat * Math.sqrt(windowMs / longest));
}

/** When to ask again after a RUNNING answer at `now` (see the header). */
export function nextPollAfterRunning(
  postedAt: number,
  now: number,
  expectedMs: number | undefined,
  intervalMs: number,
): number {
  const elapsed = Math.max(0, now - postedAt);
  const wait = Math.max(intervalMs, (RUNNING_BACKOFF - 1) * elapsed, postedAt + (expectedMs ?? 0) - now);
  return onSlot(now, now + Math.min(MAX_POLL_WAIT_MS, wait), intervalMs);
}

/**
 * When to call for a wanted time `at`, the last call of this job having been at `lastCallAt`: the gate
 * allows calls at lastCallAt + k × interval, and a call between two of them leaves the earlier one idle.
 * So `at` less than half an interval past such a slot is brought back to it; half or more past it, `at`
 * stands (a duration learned from a bracket, RUNNING at one slot and SUCCEEDED at the next, is their
 * midpoint: the job of that kind ran past the earlier slot, which would answer RUNNING). Never later than
 * `at`, never before the first slot (the gate holds a call there anyway).
 */
export function onSlot(lastCallAt: number, at: number, intervalMs: number): number {
  if (intervalMs <= 0 || at <= lastCallAt + intervalMs) return at;
  const slot = lastCallAt + Math.floor((at - lastCallAt) / intervalMs) * intervalMs;
  return at - slot < intervalMs / 2 ? slot : at;
}

/** What the timing of the next status call needs to know of a job in flight. */
export interface PollCandidate {
  entity: string;
  postedAt: number;
  nextPollAt: number;
  expectedMs: number | undefined;
  lastRunningAt: number | undefined;
  /** A listing showed it no longer RUNNING: its status call comes next. */
  ended: boolean;
  windowMs: number;
}

/**
 * The next status call, if any is due: `one` job asked with GET /jobs/{id} (its answer carries the
 * URL), or a `listing` (GET /jobs) when two or more due jobs are guesses (no estimate, or one already
 * proved short) and none of them is likelier to have ended than the others. A job with no estimate
 * over a shorter window than every other guess is likelier to have ended: it is asked on its own, so a
 * 1-day window's job beside a 13-day one costs one call, not a listing and then its status.
 */
export function pickPoll<F extends PollCandidate>(
  flights: readonly F[],
  now: number,
): { one: F } | { listing: F[] } | undefined {
  const due = flights.filter((f) => f.nextPollAt <= now).sort((a, b) => a.nextPollAt - b.nextPollAt);
  const first = due.find((f) => f.ended) ?? due[0];
  if (!first) return undefined;
  const guessed = due.filter(
    (f) => !f.ended && (f.expectedMs === undefined || f.lastRunningAt !== undefined),
  );
  if (first.ended || guessed.length < 2) return { one: first };
  const shortest = Math.min(...guessed.map((f) => f.windowMs));
  const [short, ...alike] = guessed.filter((f) => f.windowMs === shortest);
  if (short && alike.length === 0 && short.expectedMs === undefined) return { one: short };
  return { listing: guessed };
}

/**
 * Sets a job's estimate and next status call (on a slot, `onSlot`) from what is known now. An entity with
 * no history of its own takes the least of the others' estimates, raised to what another entity's job over the same window has already
 * run (answered RUNNING): the first qm-questions job of a backfill is asked no sooner than the
 * qm-workflows one beside it has proved to take.
 */
export function scheduleFlight(
  book: DurationBook,
  flight: PollCandidate,
  flying: readonly PollCandidate[],
  now: number,
  intervalMs: number,
): void {
  if (flight.ended) return;
  let expectedMs = estimateJobMs(book, flight.entity, flight.windowMs);
  if ((book.get(flight.entity) ?? []).length === 0) {
    for (const other of flying) {
      if (other.lastRunningAt === undefined || other.windowMs !== flight.windowMs) continue;
      expectedMs = Math.max(expectedMs ?? 0, other.lastRunningAt - other.postedAt);
    }
  }
  flight.expectedMs = expectedMs;
  flight.nextPollAt =
    flight.lastRunningAt === undefined
      ? Math.max(now, onSlot(flight.postedAt, flight.postedAt + firstPollWait(expectedMs), intervalMs))
      : nextPollAfterRunning(flight.postedAt, flight.lastRunningAt, expectedMs, intervalMs);
}

/** The first call at the expected end, capped like every wait: one bad estimate costs at most MAX_POLL_WAIT_MS of idling. */
function firstPollWait(expectedMs: number | undefined): number {
  return expectedMs === undefined ? 0 : Math.min(MAX_POLL_WAIT_MS, expectedMs);
}
