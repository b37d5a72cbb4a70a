/**
 * The shared state of an overlapped run (run-overlapped.ts) and the small steps every part of it takes:
 * report a window's outcome, fail it or retry its job, put a job in flight and schedule its next poll.
 */
import type { EtlError } from '../lib/errors.js';
import { advanceCheckpointContiguous } from './checkpoints.repository.js';
import { buildQueue, type Task } from './overlap-queue.js';
import { asEtlError, SAMPLE_MAX_AGE_MS, type CheckpointAdvance } from './extract-window.js';
import { scheduleFlight, type DurationBook, type PollCandidate } from './overlap-timing.js';
import type { EntitySummary, PlannedEntity, RunDeps, RunSummary, WindowReport } from './run-extraction.js';
import { accountWindow } from './window-accounting.js';
import * as ledger from './windows.repository.js';

export interface OverlapRun {
  tenantId: string;
  plans: PlannedEntity[];
  summary: RunSummary;
  entitySummaries: Map<string, EntitySummary>;
  total: number;
  /** Jobs allowed in flight at the start (≥ 2). */
  limit: number;
  /** What `auto` learned of the tenant before this run (cxone_etl.tenant_jobs_limit), if anything. */
  learned: number | undefined;
}

export interface Flight extends PollCandidate {
  task: Task;
  jobId: string;
  postedAt: number;
  postedHere: boolean;
  /** When that listing answered: the job's end as the polls bracket it, for learning its duration. */
  endedSeenAt: number | undefined;
}

export interface OverlapState {
  deps: RunDeps;
  run: OverlapRun;
  /** Windows not yet requested (or waiting to retry), in the order their jobs are requested. */
  queue: Task[];
  /** Jobs requested and not yet answered ended. */
  flying: Flight[];
  /** Why an entity ('*': every entity) stops: its remaining windows fail without a call. */
  stopped: Map<string, EtlError>;
  /** Jobs allowed in flight now (lowered when a POST answers busy). */
  limit: number;
  learned: number | undefined;
  /** The next onWindowStart index. */
  index: number;
  advance: CheckpointAdvance;
  /** Where this run's reports begin in summary.windows. */
  firstReport: number;
  planOrder: Map<WindowReport, [number, number]>;
  book: DurationBook;
}

export async function createOverlapState(deps: RunDeps, run: OverlapRun): Promise<OverlapState> {
  const { clock } = deps;
  const queue = buildQueue(deps, run);
  const chainFrom = new Map<string, number>(
    run.plans.map((p) => [p.entity.name, Math.min(...p.windows.map((w) => w.start))]),
  );
  const advance: CheckpointAdvance = async (client, key, columns, now) => {
    const from = chainFrom.get(key.entity) ?? key.start;
    await advanceCheckpointContiguous(client, key.tenantId, key.entity, from, columns, now);
  };
  // Reports reach onWindowEnd as jobs end; the run's summary lists them in plan order (entity, window),
  // as a serial run does, so the summary and `--json` read the same whatever finished first.
  const firstReport = run.summary.windows.length;
  // Durations by entity, the ledger's and then what this run watches (overlap-timing.ts).
  const book: DurationBook = new Map();
  for (const plan of run.plans) {
    const name = plan.entity.name;
    const since = clock.now() - SAMPLE_MAX_AGE_MS;
    book.set(name, await ledger.recentJobDurations(deps.pool, run.tenantId, name, since));
  }
  return {
    deps,
    run,
    queue,
    flying: [],
    stopped: new Map(),
    limit: run.limit,
    learned: run.learned,
    index: 0,
    advance,
    firstReport,
    planOrder: new Map(),
    book,
  };
}

export function entitySummary(state: OverlapState, task: Task): EntitySummary {
  return state.run.entitySummaries.get(task.plan.entity.name) as EntitySummary;
}

/** The run's reports in plan order (entity, window), whatever order they ended in. */
export function sortReports(state: OverlapState): void {
  const { summary } = state.run;
  const key = (r: WindowReport): [number, number] => state.planOrder.get(r) ?? [Number.MAX_SAFE_INTEGER, 0];
  const reports = summary.windows.splice(state.firstReport);
  reports.sort((a, b) => key(a)[0] - key(b)[0] || key(a)[1] - key(b)[1]);
  summary.windows.push(...reports);
}

export function settle(state: OverlapState, task: Task, outcome: WindowReport['outcome']): void {
  const { deps, run } = state;
  const report: WindowReport = {
    entity: task.plan.entity.name,
    window: task.label,
    reason: task.window.reason,
    outcome,
  };
  state.planOrder.set(report, [run.plans.indexOf(task.plan), task.window.start]);
  deps.onWindowEnd?.(report);
  const stop = accountWindow(run.summary, entitySummary(state, task), report);
  if (stop) state.stopped.set(stop.code === 'AUTH' ? '*' : task.plan.entity.name, stop);
}

export async function fail(state: OverlapState, task: Task, thrown: unknown): Promise<void> {
  const { deps, run } = state;
  const { clock } = deps;
  const error = asEtlError(thrown, {
    tenant: run.tenantId,
    entity: task.plan.entity.name,
    window: task.label,
  });
  // On shutdown the ledger keeps the job id, so the next start resumes instead of requesting again.
  if (error.code === 'ABORTED') throw error;
  await ledger.markFailed(deps.pool, task.key, error.message, clock.now());
  settle(state, task, { status: 'failed', error, durationMs: clock.now() - (task.started ?? clock.now()) });
}

export function event(
  state: OverlapState,
  task: Task,
  e: Parameters<NonNullable<RunDeps['onWindowEvent']>>[2],
): void {
  state.deps.onWindowEvent?.(task.plan.entity.name, task.label, e);
}

/** A failed job: request another for the window after a backoff, or fail it (EXTRACT_MAX_ATTEMPTS). */
export async function retryOrFail(state: OverlapState, task: Task, error: EtlError): Promise<void> {
  const { settings, clock } = state.deps;
  task.failedJobs++;
  if (task.failedJobs >= settings.maxAttempts) return fail(state, task, error);
  task.notBefore =
    clock.now() + Math.min(settings.jobRetryBaseMs * 2 ** (task.failedJobs - 1), settings.jobRetryBaseMs * 8);
  state.queue.unshift(task);
}

export function schedule(state: OverlapState, f: Flight): void {
  const { settings, clock } = state.deps;
  scheduleFlight(state.book, f, state.flying, clock.now(), settings.minCallIntervalMs);
  // Never past the deadline: the last call comes at it (poll-job.ts does the same).
  const deadline = f.postedAt + settings.jobTimeoutMs;
  if (f.lastRunningAt !== undefined)
    f.nextPollAt = Math.min(f.nextPollAt, Math.max(f.lastRunningAt, deadline));
}

/** Every flight's next poll again: what one job ran may raise the others' estimates (overlap-timing.ts). */
export function rescheduleAll(state: OverlapState): void {
  state.flying.forEach((f) => schedule(state, f));
}

export function fly(
  state: OverlapState,
  task: Task,
  jobId: string,
  postedAt: number,
  postedHere: boolean,
): void {
  const flight: Flight = {
    task,
    jobId,
    entity: task.key.entity,
    postedAt,
    postedHere,
    windowMs: task.key.end - task.key.start,
    expectedMs: undefined,
    nextPollAt: state.deps.clock.now(),
    lastRunningAt: undefined,
    ended: false,
    endedSeenAt: undefined,
  };
  schedule(state, flight);
  state.flying.push(flight);
}

/** Takes a flight off: its job ended, failed its deadline, or its status call failed. */
export function land(state: OverlapState, flight: Flight): void {
  state.flying.splice(state.flying.indexOf(flight), 1);
}
