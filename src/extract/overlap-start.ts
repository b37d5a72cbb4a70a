/**
 * Starting a window of an overlapped run (run-overlapped.ts): resume its job, or request one while
 * others run, learning the tenant's jobs limit from how the POST is answered; or defer what is left.
 */
import { isBusy } from '../cxone/http-errors.js';
import type { EtlError } from '../lib/errors.js';
import { saveLearnedJobsLimit } from './jobs-limit.repository.js';
import type { Task } from './overlap-queue.js';
import { event, fail, fly, settle, type OverlapState } from './overlap-state.js';
import { obtainJob } from './post-job.js';
import * as ledger from './windows.repository.js';

export async function start(state: OverlapState, task: Task): Promise<void> {
  const { deps } = state;
  const entity = task.plan.entity.name;
  announce(state, task);
  const stop = state.stopped.get('*') ?? state.stopped.get(entity);
  if (stop) {
    settle(state, task, { status: 'failed', error: stop, durationMs: 0 });
    return;
  }
  if (task.window.reason === 'resume' && task.window.jobId && !task.passStarted) {
    task.passStarted = true;
    event(state, task, { type: 'resumed', jobId: task.window.jobId });
    const postedAt = (await ledger.postedAt(deps.pool, task.key)) ?? deps.clock.now();
    fly(state, task, task.window.jobId, postedAt, false);
    return;
  }
  if (!task.passStarted) await startPass(state, task);
  await request(state, task);
}

/** onWindowStart, once per window (a retry after a failed job is the same window). */
function announce(state: OverlapState, task: Task): void {
  const { deps, run } = state;
  if (task.started !== undefined) return;
  task.started = deps.clock.now();
  deps.onWindowStart?.({
    entity: task.plan.entity.name,
    window: task.label,
    reason: task.window.reason,
    index: state.index++,
    total: run.total,
  });
}

async function startPass(state: OverlapState, task: Task): Promise<void> {
  const { deps } = state;
  // As extract-window.ts: a POST of this window that got no answer is looked for before posting.
  const before = await ledger.getWindow(deps.pool, task.key);
  if (task.window.reason !== 'resume') await ledger.startPass(deps.pool, task.key, deps.clock.now());
  task.lostPost = task.window.reason === 'resume' || before?.postUncertain === true;
  task.passStarted = true;
}

/** POST /jobs (or adopt the job a lost POST created) while `others` jobs of ours are in flight. */
async function request(state: OverlapState, task: Task): Promise<void> {
  const { deps } = state;
  const others = state.flying.length;
  try {
    const job = await obtainJob(
      deps,
      task.key,
      task.request,
      { ...task.ctx, ...(others > 0 ? { busyIsFinal: true } : {}) },
      task.lostPost,
      new Set(state.flying.map((f) => f.jobId)),
    );
    task.lostPost = false;
    if (others > 0 && state.learned !== undefined && state.learned < others + 1) {
      // An explicit EXTRACT_MAX_JOBS_IN_FLIGHT proved the tenant runs more than `auto` had learned.
      const reason = `POST /jobs accepted while ${others} job(s) of ours ran`;
      await learnLimit(state, others + 1, reason);
    }
    event(
      state,
      task,
      job.origin === 'adopted'
        ? { type: 'adopted', jobId: job.jobId, note: job.note ?? '' }
        : { type: 'requested', jobId: job.jobId, attempt: job.attempt },
    );
    fly(state, task, job.jobId, job.postedAt, job.postedHere);
  } catch (thrown) {
    if (others > 0 && isBusy(thrown)) {
      await busy(state, task, others, thrown);
      return;
    }
    await fail(state, task, thrown);
  }
}

/** The tenant runs no more jobs than ours in flight: wait for one to end, and remember it. */
async function busy(state: OverlapState, task: Task, others: number, thrown: EtlError): Promise<void> {
  const { deps } = state;
  const reason =
    `POST /jobs answered busy (${String(thrown.context.status ?? '')}) while ${others} job(s) of ours ` +
    `ran: the tenant allows ${others} at a time`;
  state.limit = others;
  await learnLimit(state, others, reason);
  // Back to 'planned': the busy POST created nothing, so a crash now must not look for its job.
  if (task.failedJobs === 0) await ledger.startPass(deps.pool, task.key, deps.clock.now());
  state.queue.unshift(task);
}

/** Saves what the run learned of the tenant's jobs limit (jobs-limit.repository.ts) and reports it. */
async function learnLimit(state: OverlapState, limit: number, reason: string): Promise<void> {
  const { deps, run } = state;
  state.learned = limit;
  await saveLearnedJobsLimit(deps.pool, run.tenantId, limit, reason, deps.clock.now());
  deps.onJobsLimit?.({ limit, reason });
}

/** The budget stops the run: every window not yet started is deferred to the next run. */
export async function deferRest(state: OverlapState, reason: string): Promise<void> {
  const { deps, run } = state;
  run.summary.deferReason ??= reason;
  for (const task of state.queue.splice(0)) {
    // An in-flight job stays 'requested' so the next run resumes it rather than asking again.
    if (task.window.reason !== 'resume' || task.passStarted) {
      await ledger.markDeferred(deps.pool, task.key, deps.clock.now());
    }
    run.summary.deferred++;
  }
}
