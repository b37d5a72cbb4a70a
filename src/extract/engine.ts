/**
 * The window engine, in the shape of pg-boss's worker: windows in, at most `limit` jobs in flight
 * (1: one window at a time), one loop that either starts the next window or polls what is due, and
 * sleeps on the clock in between, always saying what it waits for. Calls are the scarce resource (one
 * per 30 s per tenant), and a job is mostly waited on: while one runs, the next window's job is
 * requested in the next gated slot, up to the limit. A busy answer to a POST while one of ours runs is
 * the tenant's limit, not a failure: the window waits for a free place (what the answers teach about
 * the limit, and when it is saved: jobs-limit.ts). `/jobs/sync` is a job whose POST answer is
 * already final.
 *
 * One rule each: polling (poll-job.ts: one due job asked with GET /jobs/{id}, several with one GET /jobs
 * listing); a failed job is requested again after the retry helper's backoff (src/lib/retry.ts); the
 * checkpoint is the end of the contiguous loaded prefix, so a failed window holds it (load-job.ts);
 * shutdown is told by error code or the run's signal, never by message text. The ledger holds each job
 * id before it is polled (post-job.ts), so a crash resumes every job in flight. The budget counts the
 * calls in-flight jobs still need before a new POST: a job, once requested, is always polled and loaded,
 * even past the budget, never stranded.
 */
import { isBusy } from '../cxone/http-errors.js';
import type { CallContext, JobRequest, JobState } from '../cxone/types.js';
import { zoneFor } from '../entities/catalog.js';
import { crashPoint } from '../lib/crash-points.js';
import { EtlError, isEtlError, toError, type EtlErrorContext } from '../lib/errors.js';
import { backoffMs } from '../lib/retry.js';
import { apiDates, windowLabel } from './api-dates.js';
import { createJobsLimit, type JobsLimit } from './jobs-limit.js';
import type { loadJob } from './load-job.js';
import type { PlannedWindow } from './plan-windows.js';
import {
  learn,
  learnedJobMs,
  MAX_POLL_WAIT_MS,
  pickPoll,
  scheduleFlight,
  type DurationBook,
  type PollCandidate,
} from './poll-job.js';
import { obtainJob } from './post-job.js';
import type {
  EntitySummary,
  PlannedEntity,
  RunBudget,
  RunDeps,
  RunSummary,
  WindowEvent,
  WindowOutcome,
  WindowReport,
} from './types.js';
import type { WindowKey, WindowLedger } from './windows.repository.js';

/** Job durations older than this no longer shape the first poll: a bad sample ages out. */
export const SAMPLE_MAX_AGE_MS = 14 * 86_400_000;

export interface EngineRun {
  tenantId: string;
  plans: PlannedEntity[];
  summary: RunSummary;
  total: number;
  /** Jobs allowed in flight at the start (1: one window at a time). */
  limit: number;
  /** What `auto` learned of the tenant before this run (cxone_etl.tenant_jobs_limit), if anything. */
  learned: number | undefined;
  /** Where the windows' steps are recorded: the window ledger in a run, the probe's own in `check`. */
  ledger: WindowLedger;
  /** What a SUCCEEDED job becomes: its file loaded (load-job.ts), or for a probe nothing. */
  load: typeof loadJob;
  /** Who learned a jobs limit, in the saved reason (a run: unset; `check --probe`). */
  learnedBy?: string;
}

/** A window of the run, from the plan until its outcome. */
interface Task {
  plan: PlannedEntity;
  window: PlannedWindow;
  label: string;
  key: WindowKey;
  ctx: CallContext;
  request: JobRequest;
  started?: number;
  /** Jobs of this window that ended FAILED / CANCELLED / EXPIRED in this run (EXTRACT_MAX_ATTEMPTS). */
  failedJobs: number;
  /** startPass done (or not needed: a resumed job); a retry after a failed job does not start a pass. */
  passStarted: boolean;
  lostPost: boolean;
  /** Not before: a retry after a failed job waits out its backoff, a lost POST's window a busy tenant. */
  notBefore: number;
  /** A lost POST's window held back while the tenant runs a job not ours (post-job.ts): since when, how often. */
  held?: { since: number; rounds: number; for: string };
}

interface Flight extends PollCandidate {
  task: Task;
  jobId: string;
  postedAt: number;
  postedHere: boolean;
  /** When a listing showed it ended: the job's end as the polls bracket it, for learning its duration. */
  endedSeenAt: number | undefined;
}

interface Engine {
  deps: RunDeps;
  run: EngineRun;
  ledger: WindowLedger;
  entities: Map<string, EntitySummary>;
  /** Windows not yet requested (or waiting to retry), in the order their jobs are requested. */
  queue: Task[];
  /** Jobs requested and not yet answered ended. */
  flying: Flight[];
  /** Why an entity ('*': every entity) stops: its remaining windows fail without a call. */
  stopped: Map<string, EtlError>;
  /** Jobs allowed in flight now (lowered when a POST answers busy). */
  limits: JobsLimit;
  /** The next onWindowStart index. */
  index: number;
  /** Per entity, where its contiguous loaded chain starts when it has no checkpoint (its first window). */
  chainFrom: Map<string, number>;
  /** Where this run's reports begin in summary.windows, and each report's plan position. */
  firstReport: number;
  planOrder: Map<WindowReport, [number, number]>;
  book: DurationBook;
  /** The last call answered or window settled: a run idle past EXTRACT_JOB_TIMEOUT since then ends. */
  progressAt: number;
}

export async function runWindows(deps: RunDeps, run: EngineRun): Promise<void> {
  const { clock } = deps;
  const e = await createEngine(deps, run);
  const { queue, flying } = e;
  try {
    while (queue.length > 0 || flying.length > 0) {
      if (deps.signal?.aborted) {
        run.summary.aborted = true;
        return;
      }
      const next = queue[0];
      if (next && flying.length < e.limits.limit && next.notBefore <= clock.now()) {
        const stop = budgetStop(deps.budget, clock.now(), flying.length, costOf(deps, next));
        if (stop) {
          await deferRest(e, stop);
          continue;
        }
        queue.shift();
        await guarded(e, next, () => start(e, next));
        continue;
      }
      await waitForNext(e, next);
      await poll(e);
    }
  } catch (thrown) {
    // Only a shutdown escapes: stop the whole run, the ledger keeps every in-flight job for the next one.
    if (!isShutdown(thrown, deps.signal)) throw thrown;
    run.summary.aborted = true;
    const first = flying[0]?.task ?? queue[0];
    if (first) entitySummary(e, first).errors.push(toError(thrown).message);
  } finally {
    sortReports(e);
  }
}

async function createEngine(deps: RunDeps, run: EngineRun): Promise<Engine> {
  const { clock } = deps;
  const entities = new Map<string, EntitySummary>();
  const chainFrom = new Map<string, number>();
  // Durations by entity, the ledger's and then what this run watches (poll-job.ts).
  const book: DurationBook = new Map();
  for (const plan of run.plans) {
    const name = plan.entity.name;
    const es: EntitySummary = {
      entity: name,
      windows: plan.windows.length,
      ...{ loaded: 0, failed: 0, rows: 0, bytes: 0, seconds: 0 },
      errors: [],
    };
    run.summary.entities.push(es);
    entities.set(name, es);
    chainFrom.set(name, Math.min(...plan.windows.map((w) => w.start)));
    const since = clock.now() - SAMPLE_MAX_AGE_MS;
    book.set(name, await run.ledger.recentJobDurations(run.tenantId, name, since));
  }
  return {
    deps,
    run,
    ledger: run.ledger,
    entities,
    queue: buildQueue(deps, run),
    flying: [],
    stopped: new Map(),
    limits: createJobsLimit({
      pool: deps.pool,
      clock,
      tenantId: run.tenantId,
      limit: run.limit,
      learned: run.learned,
      learnedBy: run.learnedBy,
      onLearned: deps.onJobsLimit,
    }),
    index: 0,
    chainFrom,
    // Reports reach onWindowEnd as jobs end; the summary lists them in plan order (entity, window), so
    // the summary and `--json` read the same whatever finished first.
    firstReport: run.summary.windows.length,
    planOrder: new Map(),
    book,
    progressAt: clock.now(),
  };
}

/** Windows in plan order, resumed jobs first: they are running already and need no POST. */
function buildQueue(deps: RunDeps, run: EngineRun): Task[] {
  const tasks: Task[] = [];
  for (const plan of run.plans) {
    const zone = zoneFor(plan.entity.timeBasis, deps.planning.wfmTimeZone);
    for (const window of plan.windows) {
      const label = windowLabel(window, zone);
      tasks.push({
        plan,
        window,
        label,
        key: { tenantId: run.tenantId, entity: plan.entity.name, start: window.start, end: window.end },
        ctx: { entity: plan.entity.name, window: label, ...(deps.signal ? { signal: deps.signal } : {}) },
        request: {
          entityName: plan.entity.name,
          version: plan.entity.version,
          ...apiDates(window, plan.entity, plan.entity.timeBasis, deps.settings.wfmTimeZone),
        },
        failedJobs: 0,
        passStarted: false,
        lostPost: false,
        notBefore: -Infinity,
      });
    }
  }
  const resumed = (t: Task): boolean => t.window.reason === 'resume' && t.window.jobId !== undefined;
  return [...tasks.filter(resumed), ...tasks.filter((t) => !resumed(t))];
}

/**
 * Sleeps until the next poll or the next window may start, saying so (debug log). A run that made no
 * progress for EXTRACT_JOB_TIMEOUT fails the window it waits on, naming the job and what it waited for.
 */
async function waitForNext(e: Engine, next: Task | undefined): Promise<void> {
  const { clock, settings } = e.deps;
  const canStart = next !== undefined && e.flying.length < e.limits.limit;
  const due = e.flying.reduce<Flight | undefined>(
    (a, f) => (a && a.nextPollAt <= f.nextPollAt ? a : f),
    undefined,
  );
  const wakeAt = Math.min(due?.nextPollAt ?? Infinity, canStart ? next.notBefore : Infinity);
  const task = due && due.nextPollAt === wakeAt ? due.task : next;
  if (!task || wakeAt <= clock.now()) return;
  const what =
    task === due?.task
      ? `the status call of job ${due.jobId} (expected to end then)`
      : (task.held?.for ?? `the next request for this window (backoff after a failed job)`);
  if (clock.now() - e.progressAt > settings.jobTimeoutMs) {
    const error = new EtlError(
      'DEADLINE',
      `no progress for ${Math.round((clock.now() - e.progressAt) / 1000)} s (EXTRACT_JOB_TIMEOUT) while ` +
        `waiting for ${what}; the window fails and the next run requests it again`,
      { context: contextOf(e, task, due?.task === task ? due.jobId : undefined), retryable: true },
    );
    if (due?.task === task) land(e, due);
    else e.queue.splice(e.queue.indexOf(task), 1);
    await fail(e, task, error);
    return;
  }
  event(e, task, {
    type: 'waiting',
    for: what,
    until: wakeAt,
    ...(task === due?.task ? { jobId: due.jobId } : {}),
  });
  await clock.sleep(wakeAt - clock.now(), e.deps.signal);
}

/** A step of one window; what it throws fails that window (a shutdown stops the run). */
async function guarded(e: Engine, task: Task, step: () => Promise<void>): Promise<void> {
  try {
    await step();
  } catch (thrown) {
    await fail(e, task, thrown);
  }
}

async function start(e: Engine, task: Task): Promise<void> {
  const { deps } = e;
  announce(e, task);
  const stop = e.stopped.get('*') ?? e.stopped.get(task.key.entity);
  if (stop) {
    settle(e, task, { status: 'failed', error: stop, durationMs: 0 });
    return;
  }
  if (task.window.reason === 'resume' && task.window.jobId && !task.passStarted) {
    task.passStarted = true;
    event(e, task, { type: 'resumed', jobId: task.window.jobId });
    const postedAt = (await e.ledger.postedAt(task.key)) ?? deps.clock.now();
    fly(e, task, task.window.jobId, postedAt, false);
    return;
  }
  if (!task.passStarted) {
    // A POST of this window that got no answer (the last process died before the ledger write, or its
    // failure may have come after the job was created) is looked for before posting (post-job.ts).
    const uncertain = await e.ledger.postUncertain(task.key);
    if (task.window.reason !== 'resume') await e.ledger.startPass(task.key, deps.clock.now());
    task.lostPost = task.window.reason === 'resume' || uncertain;
    task.passStarted = true;
  }
  await request(e, task);
}

/** onWindowStart, once per window (a retry after a failed job is the same window). */
function announce(e: Engine, task: Task): void {
  const { deps, run } = e;
  if (task.started !== undefined) return;
  task.started = deps.clock.now();
  deps.onWindowStart?.({
    entity: task.key.entity,
    window: task.label,
    reason: task.window.reason,
    index: e.index++,
    total: run.total,
  });
}

/** POST /jobs (or adopt the job a lost POST created) while `others` jobs of ours are in flight. */
async function request(e: Engine, task: Task): Promise<void> {
  const { deps } = e;
  const others = e.flying.length;
  let job;
  try {
    job = await obtainJob(
      { ...deps, ledger: e.ledger },
      task.key,
      task.request,
      { ...task.ctx, ...(others > 0 ? { busyIsFinal: true } : {}) },
      { lostPost: task.lostPost, inFlight: new Set(e.flying.map((f) => f.jobId)) },
    );
  } catch (thrown) {
    if (others > 0 && isBusy(thrown)) return busy(e, task, others, thrown);
    throw thrown;
  }
  if ('running' in job) return hold(e, task, job.running);
  e.progressAt = deps.clock.now();
  task.lostPost = false;
  delete task.held;
  await e.limits.accepted(
    windowId(task),
    job.jobId,
    e.flying.map((f) => f.jobId),
  );
  event(
    e,
    task,
    job.origin === 'adopted'
      ? { type: 'adopted', jobId: job.jobId, note: job.note ?? '' }
      : { type: 'requested', jobId: job.jobId, attempt: job.attempt },
  );
  // /jobs/sync answered the job's end: nothing to poll, and nothing learned of its duration.
  const final = job.state && job.state.status !== 'RUNNING' ? job.state : undefined;
  const flight = fly(e, task, job.jobId, job.postedAt, job.postedHere && !final);
  if (final) await answered(e, flight, final);
}

/** The tenant runs no more jobs than ours in flight: the window waits for one to end (jobs-limit.ts). */
async function busy(e: Engine, task: Task, others: number, thrown: EtlError): Promise<void> {
  await e.limits.busy(windowId(task), others, thrown);
  // Back to 'planned': the busy POST created nothing, so a crash now must not look for its job.
  if (task.failedJobs === 0) await e.ledger.startPass(task.key, e.deps.clock.now());
  e.queue.unshift(task);
}

/**
 * A lost POST's window while the tenant runs a job that is not one of ours in flight: asked again after
 * the retry helper's backoff (each time one GET /jobs), while the loop polls our own jobs. Past
 * EXTRACT_JOB_TIMEOUT the window fails, naming the job it waited for.
 */
function hold(e: Engine, task: Task, running: string[]): void {
  const { clock, settings } = e.deps;
  const now = clock.now();
  const held = (task.held ??= { since: now, rounds: 0, for: '' });
  held.rounds++;
  held.for = `the end of job ${running.join(', ')}, not ours (a lost POST's?), before posting again`;
  const wait = backoffMs(held.rounds, settings.minCallIntervalMs, MAX_POLL_WAIT_MS);
  if (now + wait - held.since > settings.jobTimeoutMs) {
    throw new EtlError(
      'DEADLINE',
      `the tenant still has a RUNNING job (${running.join(', ')}) ${Math.round((now - held.since) / 1000)} s ` +
        'after a request whose outcome was lost (EXTRACT_JOB_TIMEOUT); a new job will be requested on the next attempt',
      { context: contextOf(e, task), retryable: true },
    );
  }
  task.lostPost = true;
  task.notBefore = now + wait;
  event(e, task, { type: 'waiting', for: held.for, until: task.notBefore });
  e.queue.unshift(task);
}

/** The fewest calls a window still needs: a resumed job one status call, a new one a POST and a status. */
function costOf(deps: RunDeps, task: Task): number {
  if (task.window.reason === 'resume' && task.window.jobId && !task.passStarted) return 1;
  return deps.budget?.minCallsPerWindow ?? 2;
}

/**
 * Whether the budget stops new windows: each job in flight still needs at least one status call (its
 * URL), so a window starts only if those and its own fewest calls fit.
 */
export function budgetStop(
  budget: RunBudget | undefined,
  now: number,
  inFlight: number,
  cost: number,
): string | undefined {
  if (!budget) return undefined;
  const needed = inFlight + cost;
  if (budget.maxApiCalls !== undefined && budget.apiCalls() + needed > budget.maxApiCalls) {
    return `the API-call budget (${budget.maxApiCalls}) would be passed`;
  }
  if (budget.deadline !== undefined && now + needed * budget.minCallIntervalMs > budget.deadline) {
    return `the deadline ${new Date(budget.deadline).toISOString()} would be passed`;
  }
  return undefined;
}

/** The budget stops the run: every window not yet started is deferred to the next run. */
async function deferRest(e: Engine, reason: string): Promise<void> {
  const { deps, run } = e;
  run.summary.deferReason ??= reason;
  for (const task of e.queue.splice(0)) {
    // An in-flight job stays 'requested' so the next run resumes it rather than asking again.
    if (task.window.reason !== 'resume' || task.passStarted) {
      await e.ledger.markDeferred(task.key, deps.clock.now());
    }
    run.summary.deferred++;
  }
}

function fly(e: Engine, task: Task, jobId: string, postedAt: number, postedHere: boolean): Flight {
  const flight: Flight = {
    task,
    jobId,
    entity: task.key.entity,
    postedAt,
    postedHere,
    windowMs: task.key.end - task.key.start,
    expectedMs: undefined,
    nextPollAt: e.deps.clock.now(),
    lastRunningAt: undefined,
    ended: false,
    endedSeenAt: undefined,
  };
  schedule(e, flight);
  e.flying.push(flight);
  return flight;
}

/** Takes a flight off: its job ended, failed its deadline, or its status call failed. */
function land(e: Engine, flight: Flight): void {
  const i = e.flying.indexOf(flight);
  if (i >= 0) e.flying.splice(i, 1);
}

function schedule(e: Engine, f: Flight): void {
  const { settings, clock } = e.deps;
  scheduleFlight(e.book, f, e.flying, clock.now(), settings.minCallIntervalMs);
  // Never past the deadline: the last call comes at it.
  const deadline = f.postedAt + settings.jobTimeoutMs;
  if (f.lastRunningAt !== undefined)
    f.nextPollAt = Math.min(f.nextPollAt, Math.max(f.lastRunningAt, deadline));
}

/**
 * Polls what is due, one call per turn so a freed place gets its POST in the next slot. A job a
 * listing showed ended, or one due at its expected end, is asked on its own: that answer carries its
 * URL. Two or more due jobs whose end is a guess are asked with one listing instead of one status call
 * each; the ones it shows ended are fetched next.
 */
async function poll(e: Engine): Promise<void> {
  const { deps } = e;
  const now = deps.clock.now();
  const pick = pickPoll(e.flying, now);
  if (!pick) return;
  if ('one' in pick) return pollOne(e, pick.one);
  let listing: Map<string, string>;
  try {
    const jobs = await deps.api.listJobs(deps.signal ? { signal: deps.signal } : {});
    listing = new Map(jobs.map((j) => [j.id, j.status]));
  } catch (thrown) {
    if (isShutdown(thrown, deps.signal)) throw thrown;
    // The listing is a shortcut: without it, the due jobs are asked on their own.
    return pollOne(e, pick.listing[0] as Flight);
  }
  e.progressAt = deps.clock.now();
  for (const f of [...e.flying]) {
    const status = listing.get(f.jobId);
    await e.limits.answered(f.jobId, status ?? 'unlisted');
    if (status !== 'RUNNING') {
      // Ended, or not listed (its own status call says what became of it).
      f.ended = true;
      f.endedSeenAt ??= deps.clock.now();
      f.nextPollAt = Math.min(f.nextPollAt, now);
    } else if (f.nextPollAt <= now) {
      await guarded(e, f.task, async () => {
        await e.ledger.recordListed(f.task.key, status, deps.clock.now());
        event(e, f.task, { type: 'polled', jobId: f.jobId, status });
        await answered(e, f, { id: f.jobId, status });
      });
    }
  }
}

/** One status call for one flight; its failure fails that window. */
async function pollOne(e: Engine, flight: Flight): Promise<void> {
  const { deps } = e;
  await guarded(e, flight.task, async () => {
    let state: JobState;
    try {
      state = await deps.api.getJob(flight.jobId, { ...flight.task.ctx, jobId: flight.jobId });
      crashPoint('poll');
      e.progressAt = deps.clock.now();
      await e.ledger.recordPoll(flight.task.key, state.status, deps.clock.now());
    } catch (thrown) {
      land(e, flight);
      throw thrown;
    }
    event(e, flight.task, { type: 'polled', jobId: flight.jobId, status: state.status });
    await answered(e, flight, state);
  });
}

/** A status answer for one flight: schedule its next poll, or take it off and load or retry. */
async function answered(e: Engine, flight: Flight, state: JobState): Promise<void> {
  const { deps } = e;
  const now = deps.clock.now();
  const { task } = flight;
  await e.limits.answered(flight.jobId, state.status);
  if (state.status === 'RUNNING') {
    flight.lastRunningAt = now;
    flight.ended = false;
    flight.endedSeenAt = undefined;
    if (now < flight.postedAt + deps.settings.jobTimeoutMs) {
      // What it has run so far may raise the others' estimates too (poll-job.ts).
      e.flying.forEach((f) => schedule(e, f));
      return;
    }
    land(e, flight);
    throw new EtlError(
      'DEADLINE',
      `job still RUNNING after ${Math.round((now - flight.postedAt) / 1000)} s (EXTRACT_JOB_TIMEOUT); ` +
        'the window fails and the next run requests a new job',
      { context: contextOf(e, task, flight.jobId), retryable: true },
    );
  }
  land(e, flight);
  if (state.status !== 'SUCCEEDED') {
    // FAILED, CANCELLED or EXPIRED: a new job may well succeed (contract: retry policy).
    const message = state.errorMessage ?? `job ended ${state.status} without a message`;
    await e.ledger.markJobEnded(task.key, state.status, message, now);
    event(e, task, { type: 'job-ended', jobId: flight.jobId, status: state.status, message });
    const error = new EtlError('JOB_FAILED', `job ended ${state.status}: ${message}`, {
      context: contextOf(e, task, flight.jobId),
      retryable: true,
    });
    return retryOrFail(e, task, error);
  }
  const jobMs = learnedJobMs(flight, state.status, flight.lastRunningAt, flight.endedSeenAt ?? now);
  await e.ledger.markReady(task.key, now, jobMs);
  if (jobMs !== undefined) {
    learn(e.book, task.key.entity, { jobMs, windowMs: flight.windowMs });
    e.flying.forEach((f) => schedule(e, f));
  }
  try {
    const loaded = await e.run.load(
      { ...deps, onEvent: (ev) => event(e, task, ev) },
      task.plan.entity.name,
      task.key,
      { ...task.ctx, jobId: flight.jobId },
      state,
      e.chainFrom.get(task.key.entity) ?? task.key.start,
    );
    settle(e, task, { status: 'loaded', ...loaded, durationMs: deps.clock.now() - (task.started ?? now) });
  } catch (thrown) {
    if (isEtlError(thrown, 'JOB_FAILED') && thrown.retryable) await retryOrFail(e, task, thrown);
    else throw thrown;
  }
}

/** A failed job: request another for the window after the retry helper's backoff, or fail it. */
async function retryOrFail(e: Engine, task: Task, error: EtlError): Promise<void> {
  const { settings, clock } = e.deps;
  task.failedJobs++;
  if (task.failedJobs >= settings.maxAttempts) return fail(e, task, error);
  const waitMs = backoffMs(task.failedJobs, settings.jobRetryBaseMs, settings.jobRetryBaseMs * 8);
  task.notBefore = clock.now() + waitMs;
  e.queue.unshift(task);
}

async function fail(e: Engine, task: Task, thrown: unknown): Promise<void> {
  const { deps } = e;
  const { clock } = deps;
  // On shutdown the ledger keeps the job id, so the next start resumes instead of requesting again.
  if (isShutdown(thrown, deps.signal)) throw thrown;
  const error =
    thrown instanceof EtlError
      ? thrown
      : new EtlError('INTERNAL', toError(thrown).message, { context: contextOf(e, task), cause: thrown });
  await e.ledger.markFailed(task.key, error.message, clock.now());
  settle(e, task, { status: 'failed', error, durationMs: clock.now() - (task.started ?? clock.now()) });
}

/**
 * Shutdown, by code: an ABORTED error, an AbortError, or anything thrown once the run's signal fired.
 * Never by message text: Postgres 25P02 ("current transaction is aborted") is a failure, not a stop.
 */
export function isShutdown(thrown: unknown, signal: AbortSignal | undefined): boolean {
  if (signal?.aborted) return true;
  if (thrown instanceof EtlError) return thrown.code === 'ABORTED';
  return thrown instanceof Error && thrown.name === 'AbortError';
}

/** Adds the report to the summary; a permission error stops the entity, an auth error every entity. */
function settle(e: Engine, task: Task, outcome: WindowOutcome): void {
  const { deps, run } = e;
  e.progressAt = deps.clock.now();
  const report: WindowReport = {
    entity: task.key.entity,
    window: task.label,
    reason: task.window.reason,
    outcome,
  };
  e.planOrder.set(report, [run.plans.indexOf(task.plan), task.window.start]);
  deps.onWindowEnd?.(report);
  const es = entitySummary(e, task);
  run.summary.windows.push(report);
  es.seconds += outcome.durationMs / 1000;
  if (outcome.status === 'loaded') {
    es.loaded++;
    es.rows += outcome.rows;
    es.bytes += outcome.bytes;
    return;
  }
  es.failed++;
  run.summary.failed++;
  if (!es.errors.includes(outcome.error.message)) es.errors.push(outcome.error.message);
  const { code } = outcome.error;
  if (code === 'PERMISSION') e.limits.permissionDenied(windowId(task));
  if (code === 'PERMISSION' || code === 'AUTH') {
    e.stopped.set(code === 'AUTH' ? '*' : task.key.entity, outcome.error);
  }
}

function entitySummary(e: Engine, task: Task): EntitySummary {
  return e.entities.get(task.key.entity) as EntitySummary;
}

/** The run's reports in plan order (entity, window), whatever order they ended in. */
function sortReports(e: Engine): void {
  const { summary } = e.run;
  const key = (r: WindowReport): [number, number] => e.planOrder.get(r) ?? [Number.MAX_SAFE_INTEGER, 0];
  const reports = summary.windows.splice(e.firstReport);
  reports.sort((a, b) => key(a)[0] - key(b)[0] || key(a)[1] - key(b)[1]);
  summary.windows.push(...reports);
}

function event(e: Engine, task: Task, ev: WindowEvent): void {
  e.deps.onWindowEvent?.(task.key.entity, task.label, ev);
}

/** A window's name across entities (its label alone repeats for each entity). */
function windowId(task: Task): string {
  return `${task.key.entity} ${task.label}`;
}

function contextOf(e: Engine, task: Task, jobId?: string): EtlErrorContext {
  return {
    tenant: e.run.tenantId,
    entity: task.key.entity,
    window: task.label,
    ...(jobId ? { jobId } : {}),
  };
}
