/**
 * A model of the async poll schedule, to weigh a change to the first-poll delay before making it (the
 * benchmark does not edit src/). It replays the API-efficiency runs' jobs, in order, one at a time:
 * POST (the gate allows a call an interval after the previous one ended; calls take no clock time on
 * the warp clock), a first status call after the expected duration, then poll-job.ts's backoff. The
 * `current` strategy copies poll-job.ts and windows.repository.ts (typicalJobDurationMs: the median of
 * the entity's last 10 `ready_at − requested_at`, requested_at taken before the POST waited for the
 * gate); reproducing the measured figures with it is the model's check. `proposed` is the change the
 * report suggests:
 * - time the first poll from when the POST answered (the job exists from then);
 * - learn from what the polls proved: with a RUNNING answer at r and SUCCEEDED at s, the job ended in
 *   (r, s], take the middle; with no RUNNING answer it ended by s, which only bounds it from above, so
 *   take 0.75 × (s − POST) and let the estimate come down until a RUNNING answer brackets it;
 * - scale to the window: fit duration = base + perDay × days over the entity's last 10 windows
 *   (proportional to days while only one window length has been seen), and start an entity without
 *   history of its own from the other entities' windows.
 */
export interface ModelJob {
  entity: string;
  days: number;
  durationMs: number;
}

export interface ModelRun {
  calls: number;
  running: number;
  clockMs: number;
}

export type Strategy = 'current' | 'proposed';

interface Observation {
  days: number;
  /** current: ready_at − requested_at; proposed: the bracketed estimate from the POST. */
  ms: number;
}

/** poll-job.ts: later waits grow by 1.5, floor max(interval, expected / 10), at most 5 min. */
const BACKOFF = 1.5;
const MAX_POLL_WAIT_MS = 5 * 60_000;
const HISTORY = 10;
/** How far an upper-bound-only observation is trusted: the estimate comes down by a quarter each time. */
const UNBRACKETED_SHARE = 0.75;

/** Replays runs in order with one history; each run starts with the gate free (runs are a night apart). */
export function modelRuns(runs: ModelJob[][], intervalMs: number, strategy: Strategy): ModelRun[] {
  const history = new Map<string, Observation[]>();
  return runs.map((jobs) => {
    let now = 0;
    let nextAllowed = 0;
    let calls = 0;
    let running = 0;
    for (const job of jobs) {
      const requestedAt = now;
      const posted = Math.max(now, nextAllowed);
      calls++;
      nextAllowed = posted + intervalMs;
      const past = history.get(job.entity) ?? [];
      const expected =
        strategy === 'current' ? medianOf(past) : fitted(past.length > 0 ? past : pooled(history), job.days);
      const from = strategy === 'current' ? requestedAt : posted;
      let wait = expected === undefined ? 0 : Math.max(0, from + expected - posted);
      let previous = 0;
      let lastRunning: number | undefined;
      let at = posted;
      for (;;) {
        at = Math.max(at + wait, nextAllowed);
        calls++;
        nextAllowed = at + intervalMs;
        if (at >= posted + job.durationMs) break;
        running++;
        lastRunning = at;
        previous = Math.min(
          MAX_POLL_WAIT_MS,
          Math.max(intervalMs, Math.round((expected ?? 0) / 10), Math.round(previous * BACKOFF)),
        );
        wait = previous;
      }
      const ms =
        strategy === 'current'
          ? at - requestedAt
          : lastRunning === undefined
            ? UNBRACKETED_SHARE * (at - posted)
            : (lastRunning + at) / 2 - posted;
      history.set(job.entity, [{ days: job.days, ms }, ...past].slice(0, HISTORY));
      now = at;
    }
    return { calls, running, clockMs: now };
  });
}

/** Every entity's recent windows: a first guess for an entity with none of its own yet. */
function pooled(history: Map<string, Observation[]>): Observation[] {
  return [...history.values()].flat();
}

function medianOf(past: Observation[]): number | undefined {
  if (past.length === 0) return undefined;
  const sorted = past.map((o) => o.ms).sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Least squares of ms on days; proportional to days while every observation has the same length. */
function fitted(past: Observation[], days: number): number | undefined {
  if (past.length === 0) return undefined;
  const n = past.length;
  const meanDays = past.reduce((t, o) => t + o.days, 0) / n;
  const meanMs = past.reduce((t, o) => t + o.ms, 0) / n;
  const spreadDays = past.reduce((t, o) => t + (o.days - meanDays) ** 2, 0);
  if (spreadDays === 0) return (meanMs / meanDays) * days;
  const perDay = Math.max(
    0,
    past.reduce((t, o) => t + (o.days - meanDays) * (o.ms - meanMs), 0) / spreadDays,
  );
  const base = Math.max(0, meanMs - perDay * meanDays);
  return base + perDay * days;
}
