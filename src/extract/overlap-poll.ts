/**
 * Polling the jobs in flight of an overlapped run (run-overlapped.ts) and acting on each answer:
 * schedule the next poll, fail a job past its deadline, retry a failed job, or load a finished one.
 */
import type { JobState } from '../cxone/types.js';
import { crashPoint } from '../lib/crash-points.js';
import { EtlError, isEtlError, type EtlErrorContext } from '../lib/errors.js';
import { loadJob } from './extract-window.js';
import { learn, pickPoll } from './overlap-timing.js';
import {
  event,
  fail,
  land,
  rescheduleAll,
  retryOrFail,
  settle,
  type Flight,
  type OverlapState,
} from './overlap-state.js';
import { learnedJobMs } from './poll-job.js';
import * as ledger from './windows.repository.js';

/**
 * Polls what is due, one call per turn so a freed place gets its POST in the next slot. A job a
 * listing showed ended, or one due at its expected end, is asked on its own: that answer carries its
 * URL. Two or more due jobs whose end is a guess (no history, or already answered RUNNING) are asked
 * with one listing instead of one status call each; the ones it shows ended are fetched next.
 */
export async function poll(state: OverlapState): Promise<void> {
  const { deps } = state;
  const now = deps.clock.now();
  const pick = pickPoll(state.flying, now);
  if (!pick) return;
  if ('one' in pick) return pollOne(state, pick.one);
  const first = pick.listing[0] as Flight;
  let listing: Map<string, string>;
  try {
    const jobs = await deps.api.listJobs(deps.signal ? { signal: deps.signal } : {});
    listing = new Map(jobs.map((j) => [j.id, j.status]));
  } catch (thrown) {
    if (deps.signal?.aborted) throw thrown;
    // The listing is a shortcut: without it, the due jobs are asked on their own.
    return pollOne(state, first);
  }
  await readListing(state, listing, now);
}

/** Every flight, due or not: one the listing shows ended is fetched next rather than at its turn. */
async function readListing(state: OverlapState, listing: Map<string, string>, now: number): Promise<void> {
  const { deps } = state;
  for (const f of [...state.flying]) {
    const status = listing.get(f.jobId);
    if (status !== 'RUNNING') {
      // Ended, or not listed (its own status call says what became of it).
      f.ended = true;
      f.endedSeenAt ??= deps.clock.now();
      f.nextPollAt = Math.min(f.nextPollAt, now);
    } else if (f.nextPollAt <= now) {
      await ledger.recordListed(deps.pool, f.task.key, status, deps.clock.now());
      event(state, f.task, { type: 'polled', jobId: f.jobId, status });
      await answered(state, f, { id: f.jobId, status });
    }
  }
}

/** One status call for one flight; its failure fails that window, as a failed poll does in extract-window.ts. */
async function pollOne(state: OverlapState, flight: Flight): Promise<void> {
  const { deps } = state;
  let jobState: JobState;
  try {
    jobState = await deps.api.getJob(flight.jobId, { ...flight.task.ctx, jobId: flight.jobId });
    crashPoint('poll');
    await ledger.recordPoll(deps.pool, flight.task.key, jobState.status, deps.clock.now());
    event(state, flight.task, { type: 'polled', jobId: flight.jobId, status: jobState.status });
  } catch (thrown) {
    land(state, flight);
    await fail(state, flight.task, thrown);
    return;
  }
  await answered(state, flight, jobState);
}

/** A status answer for one flight: schedule its next poll, or take it off and load or retry. */
async function answered(state: OverlapState, flight: Flight, jobState: JobState): Promise<void> {
  const now = state.deps.clock.now();
  if (jobState.status === 'RUNNING') return stillRunning(state, flight, now);
  land(state, flight);
  if (jobState.status !== 'SUCCEEDED') return endedUnsuccessful(state, flight, jobState, now);
  await succeeded(state, flight, jobState, now);
}

async function stillRunning(state: OverlapState, flight: Flight, now: number): Promise<void> {
  const { deps } = state;
  const { task } = flight;
  flight.lastRunningAt = now;
  flight.ended = false;
  flight.endedSeenAt = undefined;
  const deadline = flight.postedAt + deps.settings.jobTimeoutMs;
  if (now >= deadline) {
    land(state, flight);
    const error = new EtlError(
      'DEADLINE',
      `job still RUNNING after ${Math.round((now - flight.postedAt) / 1000)} s (EXTRACT_JOB_TIMEOUT); ` +
        'the window fails and the next run requests a new job',
      { context: jobContext(state, flight), retryable: true },
    );
    await fail(state, task, error);
    return;
  }
  // What it has run so far may raise the others' estimates too (overlap-timing.ts).
  rescheduleAll(state);
}

/** FAILED, CANCELLED or EXPIRED: another job for the window after a backoff, or the window fails. */
async function endedUnsuccessful(
  state: OverlapState,
  flight: Flight,
  jobState: JobState,
  now: number,
): Promise<void> {
  const { deps } = state;
  const { task } = flight;
  const context = jobContext(state, flight);
  const message = jobState.errorMessage ?? `job ended ${jobState.status} without a message`;
  await ledger.markJobEnded(deps.pool, task.key, jobState.status, message, now);
  event(state, task, { type: 'job-ended', jobId: flight.jobId, status: jobState.status, message });
  await retryOrFail(
    state,
    task,
    new EtlError('JOB_FAILED', `job ended ${jobState.status}: ${message}`, { context, retryable: true }),
  );
}

async function succeeded(
  state: OverlapState,
  flight: Flight,
  jobState: JobState,
  now: number,
): Promise<void> {
  const { deps, run } = state;
  const { task } = flight;
  const jobMs = learnedJobMs(flight, jobState.status, flight.lastRunningAt, flight.endedSeenAt ?? now);
  await ledger.markReady(deps.pool, task.key, now, jobMs);
  if (jobMs !== undefined) {
    learn(state.book, task.key.entity, { jobMs, windowMs: flight.windowMs });
    rescheduleAll(state);
  }
  try {
    const loaded = await loadJob(
      { ...deps, onEvent: (e) => event(state, task, e) },
      { tenantId: run.tenantId, entity: task.plan.entity, window: task.window },
      task.key,
      { ...task.ctx, jobId: flight.jobId },
      jobState,
      state.advance,
    );
    settle(state, task, {
      status: 'loaded',
      ...loaded,
      durationMs: deps.clock.now() - (task.started ?? now),
    });
  } catch (thrown) {
    if (isEtlError(thrown, 'JOB_FAILED') && thrown.retryable) await retryOrFail(state, task, thrown);
    else await fail(state, task, thrown);
  }
}

function jobContext(state: OverlapState, flight: Flight): EtlErrorContext {
  return {
    tenant: state.run.tenantId,
    entity: flight.task.key.entity,
    window: flight.task.label,
    jobId: flight.jobId,
  };
}
