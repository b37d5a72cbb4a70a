/**
 * Several jobs in flight for one tenant (EXTRACT_MAX_JOBS_IN_FLIGHT ≥ 2). Calls are the scarce
 * resource (one per 30 s per tenant), and a serial run spends most of its time waiting on jobs: here,
 * while a job runs, the next window's job is requested in the next gated slot, up to the limit. The
 * contract assumes a tenant runs one job at a time and no source forbids two ("one caller" speaks of
 * callers), so a busy answer to a POST while one of ours runs is the tenant's limit: it lowers the
 * limit (saved for the tenant, jobs-limit.repository.ts) and the window waits for a free place; it is
 * not a failure.
 *
 * Polling: one due job is asked with GET /jobs/{id} (its answer carries the URL); several at once with
 * one GET /jobs listing, then GET /jobs/{id} for each that ended, downloaded at once (the URL lives 30 s).
 * Loads stay one window per transaction, in whatever order jobs end; the checkpoint is the end of the
 * contiguous loaded prefix (checkpoints.repository.ts `advanceCheckpointContiguous`). The ledger holds
 * each job id before it is polled (post-job.ts), so a crash resumes every job in flight. The budget
 * counts the calls in-flight jobs still need before a new POST: a job, once requested, is always
 * polled and loaded, even past the budget, never stranded.
 */
import type { JobState } from '../cxone/types.js';
import { isBusy } from '../cxone/http-errors.js';
import { crashPoint } from '../lib/crash-points.js';
import { EtlError, isEtlError } from '../lib/errors.js';
import { advanceCheckpointContiguous } from './checkpoints.repository.js';
import { buildQueue, costOf, overlapBudgetStop, type Task } from './overlap-queue.js';
import { asEtlError, loadJob, SAMPLE_MAX_AGE_MS, type CheckpointAdvance } from './extract-window.js';
import { saveLearnedJobsLimit } from './jobs-limit.repository.js';
import { learn, pickPoll, scheduleFlight, type DurationBook, type PollCandidate } from './overlap-timing.js';
import { learnedJobMs } from './poll-job.js';
import { obtainJob } from './post-job.js';
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

interface Flight extends PollCandidate {
  task: Task;
  jobId: string;
  postedAt: number;
  postedHere: boolean;
  /** When that listing answered: the job's end as the polls bracket it, for learning its duration. */
  endedSeenAt: number | undefined;
}

export async function runOverlapped(deps: RunDeps, run: OverlapRun): Promise<void> {
  const { clock } = deps;
  const { summary } = run;
  let limit = run.limit;
  let learned = run.learned;
  const queue = buildQueue(deps, run);
  const flying: Flight[] = [];
  const stopped = new Map<string, EtlError>();
  let index = 0;
  const settings = deps.settings;
  const chainFrom = new Map<string, number>(
    run.plans.map((p) => [p.entity.name, Math.min(...p.windows.map((w) => w.start))]),
  );
  const advance: CheckpointAdvance = async (client, key, columns, now) => {
    const from = chainFrom.get(key.entity) ?? key.start;
    await advanceCheckpointContiguous(client, key.tenantId, key.entity, from, columns, now);
  };

  const entitySummary = (task: Task): EntitySummary =>
    run.entitySummaries.get(task.plan.entity.name) as EntitySummary;

  // Reports reach onWindowEnd as jobs end; the run's summary lists them in plan order (entity, window),
  // as a serial run does, so the summary and `--json` read the same whatever finished first.
  const firstReport = summary.windows.length;
  const planOrder = new Map<WindowReport, [number, number]>();
  const settle = (task: Task, outcome: WindowReport['outcome']): void => {
    const report: WindowReport = {
      entity: task.plan.entity.name,
      window: task.label,
      reason: task.window.reason,
      outcome,
    };
    planOrder.set(report, [run.plans.indexOf(task.plan), task.window.start]);
    deps.onWindowEnd?.(report);
    const stop = accountWindow(summary, entitySummary(task), report);
    if (stop) stopped.set(stop.code === 'AUTH' ? '*' : task.plan.entity.name, stop);
  };

  const fail = async (task: Task, thrown: unknown): Promise<void> => {
    const error = asEtlError(thrown, {
      tenant: run.tenantId,
      entity: task.plan.entity.name,
      window: task.label,
    });
    // On shutdown the ledger keeps the job id, so the next start resumes instead of requesting again.
    if (error.code === 'ABORTED') throw error;
    await ledger.markFailed(deps.pool, task.key, error.message, clock.now());
    settle(task, { status: 'failed', error, durationMs: clock.now() - (task.started ?? clock.now()) });
  };

  const event = (task: Task, e: Parameters<NonNullable<RunDeps['onWindowEvent']>>[2]): void =>
    deps.onWindowEvent?.(task.plan.entity.name, task.label, e);

  /** A failed job: request another for the window after a backoff, or fail it (EXTRACT_MAX_ATTEMPTS). */
  const retryOrFail = async (task: Task, error: EtlError): Promise<void> => {
    task.failedJobs++;
    if (task.failedJobs >= settings.maxAttempts) return fail(task, error);
    task.notBefore =
      clock.now() +
      Math.min(settings.jobRetryBaseMs * 2 ** (task.failedJobs - 1), settings.jobRetryBaseMs * 8);
    queue.unshift(task);
  };

  // Durations by entity, the ledger's and then what this run watches (overlap-timing.ts).
  const book: DurationBook = new Map();
  for (const plan of run.plans) {
    const name = plan.entity.name;
    const since = clock.now() - SAMPLE_MAX_AGE_MS;
    book.set(name, await ledger.recentJobDurations(deps.pool, run.tenantId, name, since));
  }
  const schedule = (f: Flight): void => {
    scheduleFlight(book, f, flying, clock.now(), settings.minCallIntervalMs);
    // Never past the deadline: the last call comes at it (poll-job.ts does the same).
    const deadline = f.postedAt + settings.jobTimeoutMs;
    if (f.lastRunningAt !== undefined)
      f.nextPollAt = Math.min(f.nextPollAt, Math.max(f.lastRunningAt, deadline));
  };

  const fly = (task: Task, jobId: string, postedAt: number, postedHere: boolean): void => {
    const flight: Flight = {
      task,
      jobId,
      entity: task.key.entity,
      postedAt,
      postedHere,
      windowMs: task.key.end - task.key.start,
      expectedMs: undefined,
      nextPollAt: clock.now(),
      lastRunningAt: undefined,
      ended: false,
      endedSeenAt: undefined,
    };
    schedule(flight);
    flying.push(flight);
  };

  const start = async (task: Task): Promise<void> => {
    const entity = task.plan.entity.name;
    if (task.started === undefined) {
      task.started = clock.now();
      deps.onWindowStart?.({
        entity,
        window: task.label,
        reason: task.window.reason,
        index: index++,
        total: run.total,
      });
    }
    const stop = stopped.get('*') ?? stopped.get(entity);
    if (stop) {
      settle(task, { status: 'failed', error: stop, durationMs: 0 });
      return;
    }
    if (task.window.reason === 'resume' && task.window.jobId && !task.passStarted) {
      task.passStarted = true;
      event(task, { type: 'resumed', jobId: task.window.jobId });
      fly(task, task.window.jobId, (await ledger.postedAt(deps.pool, task.key)) ?? clock.now(), false);
      return;
    }
    if (!task.passStarted) {
      // As extract-window.ts: a POST of this window that got no answer is looked for before posting.
      const before = await ledger.getWindow(deps.pool, task.key);
      if (task.window.reason !== 'resume') await ledger.startPass(deps.pool, task.key, clock.now());
      task.lostPost = task.window.reason === 'resume' || before?.postUncertain === true;
      task.passStarted = true;
    }
    const others = flying.length;
    try {
      const job = await obtainJob(
        deps,
        task.key,
        task.request,
        { ...task.ctx, ...(others > 0 ? { busyIsFinal: true } : {}) },
        task.lostPost,
      );
      task.lostPost = false;
      if (others > 0 && learned !== undefined && learned < others + 1) {
        // An explicit EXTRACT_MAX_JOBS_IN_FLIGHT proved the tenant runs more than `auto` had learned.
        learned = others + 1;
        const reason = `POST /jobs accepted while ${others} job(s) of ours ran`;
        await saveLearnedJobsLimit(deps.pool, run.tenantId, learned, reason, clock.now());
        deps.onJobsLimit?.({ limit: learned, reason });
      }
      event(
        task,
        job.origin === 'adopted'
          ? { type: 'adopted', jobId: job.jobId, note: job.note ?? '' }
          : { type: 'requested', jobId: job.jobId, attempt: job.attempt },
      );
      fly(task, job.jobId, job.postedAt, job.postedHere);
    } catch (thrown) {
      if (others > 0 && isBusy(thrown)) {
        // The tenant runs no more jobs than ours in flight: wait for one to end, and remember it.
        const reason =
          `POST /jobs answered busy (${String(thrown.context.status ?? '')}) while ${others} job(s) of ours ` +
          `ran: the tenant allows ${others} at a time`;
        limit = others;
        learned = others;
        await saveLearnedJobsLimit(deps.pool, run.tenantId, others, reason, clock.now());
        deps.onJobsLimit?.({ limit: others, reason });
        // Back to 'planned': the busy POST created nothing, so a crash now must not look for its job.
        if (task.failedJobs === 0) await ledger.startPass(deps.pool, task.key, clock.now());
        queue.unshift(task);
        return;
      }
      await fail(task, thrown);
    }
  };

  /** A status answer for one flight: schedule its next poll, or take it off and load or retry. */
  const answered = async (flight: Flight, state: JobState): Promise<void> => {
    const { task } = flight;
    const now = clock.now();
    if (state.status === 'RUNNING') {
      flight.lastRunningAt = now;
      flight.ended = false;
      flight.endedSeenAt = undefined;
      const deadline = flight.postedAt + settings.jobTimeoutMs;
      if (now >= deadline) {
        flying.splice(flying.indexOf(flight), 1);
        const error = new EtlError(
          'DEADLINE',
          `job still RUNNING after ${Math.round((now - flight.postedAt) / 1000)} s (EXTRACT_JOB_TIMEOUT); ` +
            'the window fails and the next run requests a new job',
          {
            context: {
              tenant: run.tenantId,
              entity: task.key.entity,
              window: task.label,
              jobId: flight.jobId,
            },
            retryable: true,
          },
        );
        await fail(task, error);
        return;
      }
      // What it has run so far may raise the others' estimates too (overlap-timing.ts).
      flying.forEach(schedule);
      return;
    }
    flying.splice(flying.indexOf(flight), 1);
    const context = {
      tenant: run.tenantId,
      entity: task.key.entity,
      window: task.label,
      jobId: flight.jobId,
    };
    if (state.status !== 'SUCCEEDED') {
      const message = state.errorMessage ?? `job ended ${state.status} without a message`;
      await ledger.markJobEnded(deps.pool, task.key, state.status, message, now);
      event(task, { type: 'job-ended', jobId: flight.jobId, status: state.status, message });
      await retryOrFail(
        task,
        new EtlError('JOB_FAILED', `job ended ${state.status}: ${message}`, { context, retryable: true }),
      );
      return;
    }
    const jobMs = learnedJobMs(flight, state.status, flight.lastRunningAt, flight.endedSeenAt ?? now);
    await ledger.markReady(deps.pool, task.key, now, jobMs);
    if (jobMs !== undefined) {
      learn(book, task.key.entity, { jobMs, windowMs: flight.windowMs });
      flying.forEach(schedule);
    }
    try {
      const loaded = await loadJob(
        { ...deps, onEvent: (e) => event(task, e) },
        { tenantId: run.tenantId, entity: task.plan.entity, window: task.window },
        task.key,
        { ...task.ctx, jobId: flight.jobId },
        state,
        advance,
      );
      settle(task, { status: 'loaded', ...loaded, durationMs: clock.now() - (task.started ?? now) });
    } catch (thrown) {
      if (isEtlError(thrown, 'JOB_FAILED') && thrown.retryable) await retryOrFail(task, thrown);
      else await fail(task, thrown);
    }
  };

  /** One status call for one flight; its failure fails that window, as a failed poll does in extract-window.ts. */
  const pollOne = async (flight: Flight): Promise<void> => {
    let state: JobState;
    try {
      state = await deps.api.getJob(flight.jobId, { ...flight.task.ctx, jobId: flight.jobId });
      crashPoint('poll');
      await ledger.recordPoll(deps.pool, flight.task.key, state.status, clock.now());
      event(flight.task, { type: 'polled', jobId: flight.jobId, status: state.status });
    } catch (thrown) {
      flying.splice(flying.indexOf(flight), 1);
      await fail(flight.task, thrown);
      return;
    }
    await answered(flight, state);
  };

  /**
   * Polls what is due, one call per turn so a freed place gets its POST in the next slot. A job a
   * listing showed ended, or one due at its expected end, is asked on its own: that answer carries its
   * URL. Two or more due jobs whose end is a guess (no history, or already answered RUNNING) are asked
   * with one listing instead of one status call each; the ones it shows ended are fetched next.
   */
  const poll = async (): Promise<void> => {
    const now = clock.now();
    const pick = pickPoll(flying, now);
    if (!pick) return;
    if ('one' in pick) return pollOne(pick.one);
    const first = pick.listing[0] as Flight;
    let listing: Map<string, string>;
    try {
      const jobs = await deps.api.listJobs(deps.signal ? { signal: deps.signal } : {});
      listing = new Map(jobs.map((j) => [j.id, j.status]));
    } catch (thrown) {
      if (deps.signal?.aborted) throw thrown;
      // The listing is a shortcut: without it, the due jobs are asked on their own.
      return pollOne(first);
    }
    // Every flight, due or not: one the listing shows ended is fetched next rather than at its turn.
    for (const f of [...flying]) {
      const status = listing.get(f.jobId);
      if (status !== 'RUNNING') {
        // Ended, or not listed (its own status call says what became of it).
        f.ended = true;
        f.endedSeenAt ??= clock.now();
        f.nextPollAt = Math.min(f.nextPollAt, now);
      } else if (f.nextPollAt <= now) {
        await ledger.recordListed(deps.pool, f.task.key, status, clock.now());
        event(f.task, { type: 'polled', jobId: f.jobId, status });
        await answered(f, { id: f.jobId, status });
      }
    }
  };

  const deferRest = async (reason: string): Promise<void> => {
    summary.deferReason ??= reason;
    for (const task of queue.splice(0)) {
      // An in-flight job stays 'requested' so the next run resumes it rather than asking again.
      if (task.window.reason !== 'resume' || task.passStarted) {
        await ledger.markDeferred(deps.pool, task.key, clock.now());
      }
      summary.deferred++;
    }
  };

  try {
    while (queue.length > 0 || flying.length > 0) {
      if (deps.signal?.aborted) {
        summary.aborted = true;
        return;
      }
      const next = queue[0];
      if (next && flying.length < limit && next.notBefore <= clock.now()) {
        const stop = overlapBudgetStop(deps.budget, clock.now(), flying.length, costOf(deps, next));
        if (stop) {
          await deferRest(stop);
          continue;
        }
        queue.shift();
        await start(next);
        continue;
      }
      const wakeAt = Math.min(
        ...flying.map((f) => f.nextPollAt),
        next && flying.length < limit ? next.notBefore : Infinity,
      );
      if (wakeAt > clock.now()) await clock.sleep(wakeAt - clock.now(), deps.signal);
      await poll();
    }
  } catch (thrown) {
    // Only ABORTED escapes: stop the whole run, the ledger keeps every in-flight job for the next one.
    if (!isEtlError(thrown, 'ABORTED') && !deps.signal?.aborted) throw thrown;
    summary.aborted = true;
    const first = flying[0]?.task ?? queue[0];
    if (first) entitySummary(first).errors.push((thrown as Error).message);
  } finally {
    const key = (r: WindowReport): [number, number] => planOrder.get(r) ?? [Infinity, Infinity];
    const reports = summary.windows.splice(firstReport);
    reports.sort((a, b) => key(a)[0] - key(b)[0] || key(a)[1] - key(b)[1]);
    summary.windows.push(...reports);
  }
}
