/**
 * One run of one tenant, shared by `run`, `backfill`, `reload`, the daemon and `demo`: builds the API
 * client with the tenant's persisted rate gate, takes the tenant lock, records the run, runs the plan
 * and tells the webhook how it ended. Prints nothing but progress; the caller prints the summary.
 */
import type { Writable } from 'node:stream';
import type { Config } from '../config.js';
import type { CxoneClient } from '../cxone/client.js';
import type { Database } from '../db/open-database.js';
import { extractSettings, planningFrom, runTenant } from '../extract/run-extraction.js';
import type { RunBudget, RunDeps, RunSummary } from '../extract/types.js';
import { latestRunStart } from '../extract/runs.repository.js';
import { nextClockTime } from '../extract/time-grid.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../logger.js';
import { notifyRunEnd } from '../observability/run-notices.js';
import { buildClient } from './build-client.js';
import { createCallCounter, type CallCounter, type CallCounts } from './call-counter.js';
import { createProgress, type ProgressReporter } from './progress.js';
import type { RunObserver } from './run-observer.js';
import { startRunRecord } from './run-record.js';
import { selectEntities, toRunRequest, type RunCommandRequest, type RunLimits } from './run-request.js';
import { applyRetention } from './retention.js';
import { withRunLock } from './run-lock.js';

export interface ExecuteRunDeps {
  config: Config;
  log: Logger;
  clock: Clock;
  signal: AbortSignal;
  out: Writable;
  isTty: boolean;
  db: Database;
  /** What started the run, for the run history: cli, schedule, startup, catch-up, manual, demo. */
  trigger?: string;
  /** Extra observers (tests, metrics). */
  observer?: RunObserver;
}

export interface RunResult {
  /** Data-quality flags and cast problems seen in this run, one line each. */
  qualityNotes: string[];
  runId: number;
  summary: RunSummary;
  calls: Map<string, CallCounts>;
  client: CxoneClient;
}

export async function executeRun(deps: ExecuteRunDeps, request: RunCommandRequest): Promise<RunResult> {
  const { config, clock } = deps;
  const pool = deps.db.pool;
  const counter = createCallCounter(config.cxone.tenantId ?? 'unknown', deps.observer);
  const client = buildClient(pool, config, clock, counter.onCall);
  const tenantId = await client.tenantId(deps.signal);
  counter.setTenant(tenantId);
  const log = deps.log.child({ tenant: tenantId });
  return withRunLock({ ...deps, pool, log }, tenantId, async ({ signal, waited }) => {
    // Fresh is relative to the run of the process we waited for, not to when we began waiting: a
    // replica started a few seconds late would otherwise repeat lookbacks loaded moments before.
    const freshSince = waited ? await latestRunStart(pool, tenantId) : undefined;
    const progress = createProgress({ log, out: deps.out, isTty: deps.isTty });
    try {
      const record = await startRunRecord(pool, clock, log, tenantId, deps.trigger ?? request.mode);
      try {
        const runDeps = tenantRunDeps({ ...deps, log, signal }, request, {
          tenantId,
          client,
          counter,
          progress,
        });
        const entities = selectEntities(config.extract.entities, request.entities);
        const summary = await runTenant(runDeps, tenantId, entities, toRunRequest(request, freshSince));
        progress.stop();
        logRunEnd(log, summary);
        await record.finish(summary, counter.total());
        if (!summary.aborted) await applyRetention({ ...deps, log }, tenantId, entities, record.runId);
        // Bounded by NOTIFY_TIMEOUT and never throws: a receiver that is down does not fail the run.
        await notifyRunEnd({ pool, config, clock, log }, summary);
        const calls = counter.byEntity;
        return { summary, calls, client, runId: record.runId, qualityNotes: progress.qualityNotes() };
      } catch (err) {
        await record.fail(err);
        throw err;
      }
    } finally {
      progress.stop();
    }
  });
}

/** What runTenant needs, from the config and this run's parts. */
function tenantRunDeps(
  deps: ExecuteRunDeps,
  limits: RunCommandRequest,
  parts: {
    tenantId: string;
    client: CxoneClient;
    counter: CallCounter;
    progress: ReturnType<typeof createProgress>;
  },
): RunDeps {
  const { config, log } = deps;
  const budget = runBudget(config, limits, deps.clock.now(), parts.counter.total);
  return {
    pool: deps.db.pool,
    ...(budget ? { budget } : {}),
    api: parts.client,
    clock: deps.clock,
    signal: deps.signal,
    maxJobsInFlight: config.extract.maxJobsInFlight,
    // Under `auto` learning the tenant's limit is the design (learned once, kept); a set number refused is news.
    onJobsLimit: (info) => {
      const setting = config.extract.maxJobsInFlight;
      log[setting !== 'auto' && info.limit < setting ? 'warn' : 'info'](
        { jobsInFlight: info.limit },
        `jobs in flight for this tenant: ${info.limit} (${info.reason})`,
      );
    },
    settings: extractSettings(config),
    planning: planningFrom(config),
    ...windowHooks({ ...parts, observer: deps.observer }),
  };
}

function logRunEnd(log: Logger, summary: RunSummary): void {
  log.info(
    {
      windows: summary.windows.length,
      failed: summary.failed,
      rows: summary.entities.reduce((n, e) => n + e.rows, 0),
      aborted: summary.aborted,
    },
    summary.failed > 0 ? 'run finished with failed windows' : 'run finished',
  );
}

/**
 * A run's limits (RUN_DEADLINE or --until, RUN_MAX_API_CALLS or --max-api-calls) as the engine's budget.
 * No budget when neither limit is set; the deadline is the next HH:MM in SCHEDULE_TZ after the start.
 */
function runBudget(
  config: Config,
  limits: RunLimits,
  runStarted: number,
  apiCalls: () => number,
): RunBudget | undefined {
  const deadlineAt = limits.until ?? config.run.deadline;
  const maxApiCalls = limits.maxApiCalls ?? config.run.maxApiCalls;
  if (deadlineAt === undefined && maxApiCalls === undefined) return undefined;
  return {
    ...(deadlineAt !== undefined
      ? { deadline: nextClockTime(runStarted, deadlineAt, config.schedule.timeZone) }
      : {}),
    ...(maxApiCalls !== undefined ? { maxApiCalls } : {}),
    apiCalls,
    minCallsPerWindow: config.cxone.useSyncEndpoint ? 1 : 2,
    minCallIntervalMs: config.cxone.minCallIntervalMs,
  };
}

/** The run's window callbacks: progress for people, call and gate-wait counts, and the observer. */
function windowHooks(parts: {
  tenantId: string;
  client: CxoneClient;
  counter: CallCounter;
  progress: ProgressReporter;
  observer?: RunObserver | undefined;
}): Pick<RunDeps, 'onWindowStart' | 'onWindowEvent' | 'onWindowEnd'> {
  const { tenantId, client, counter, progress, observer } = parts;
  const gateWaitMs = (): number => client.stats().gate?.waitMs ?? 0;
  return {
    onWindowStart: (info) => {
      counter.windowStart(info.entity, gateWaitMs());
      progress.windowStart(info);
    },
    onWindowEvent: (entity, window, event) => {
      progress.windowEvent(entity, window, event);
      observer?.windowEvent?.(tenantId, entity, window, event);
    },
    onWindowEnd: (report) => {
      const waited = counter.windowEnd(report.entity, gateWaitMs());
      progress.windowEnd(report);
      observer?.windowEnd?.(tenantId, report, waited);
    },
  };
}
