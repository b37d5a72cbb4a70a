/**
 * `cxone-etl run` and `backfill`: one tenant from the env config. Builds the API client with the
 * tenant's persisted rate gate, takes the tenant lock, runs the plan, prints the summary.
 * Exit 0 when every window loaded, 1 when any failed.
 */
import type { Writable } from 'node:stream';
import type pg from 'pg';
import { requireCredentials, type Config, type EntitySettings } from '../config.js';
import { createCxoneClient, type CxoneClient } from '../cxone/client.js';
import { busyRetryAfterMs } from '../cxone/http-errors.js';
import type { CallInfo, OnCall } from '../cxone/types.js';
import type { Database } from '../db/open-database.js';
import { createRateGate } from '../db/rate-gate.js';
import { ENTITIES, type EntityName } from '../entities/catalog.js';
import type { WindowEvent } from '../extract/extract-window.js';
import { finishRun, insertRun, latestRunStart, type RunOutcome } from '../extract/runs.repository.js';
import {
  planningFrom,
  runTenant,
  type RunRequest,
  type RunSummary,
  type WindowReport,
} from '../extract/run-extraction.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../logger.js';
import { nextClockTime } from '../extract/time-grid.js';
import { acquireTenantLock } from '../schedule/tenant-lock.js';
import { createProgress } from './progress.js';
import { formatSummary, type CallCounts } from './summary.js';
import { notifyRunEnd } from '../observability/run-notices.js';

export interface RunCommandDeps {
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

/** Told what a run does, for metrics and tests; every callback gets the tenant id. */
export interface RunObserver {
  apiCall?: (tenantId: string, info: CallInfo) => void;
  windowEvent?: (tenantId: string, entity: string, window: string, event: WindowEvent) => void;
  windowEnd?: (tenantId: string, report: WindowReport, gateWaitMs: number) => void;
}

export interface RunLimits {
  /** HH:MM (SCHEDULE_TZ); overrides RUN_DEADLINE. */
  until?: string | undefined;
  maxApiCalls?: number | undefined;
}

export type RunCommandRequest =
  | ({ mode: 'run'; entities?: EntityName[] | undefined } & RunLimits)
  | ({ mode: 'backfill'; entities?: EntityName[] | undefined; from: string; to: string } & RunLimits);

/** 1 s: the first retry after a FAILED job; it grows by the retry helper's backoff. */
const JOB_RETRY_BASE_MS = 1000;

export async function runCommand(deps: RunCommandDeps, request: RunCommandRequest): Promise<number> {
  const result = await executeRun(deps, request);
  deps.out.write(`\n${formatSummary(result.summary, result.calls)}`);
  for (const note of result.qualityNotes) deps.out.write(`${note}\n`);
  if (result.summary.failed > 0 || result.summary.aborted) return 1;
  return result.summary.deferred > 0 ? deps.config.run.deferredExitCode : 0;
}

export interface RunResult {
  /** Data-quality flags and cast problems seen in this run, one line each. */
  qualityNotes: string[];
  runId: number;
  summary: RunSummary;
  calls: Map<string, CallCounts>;
  client: CxoneClient;
}

/** The run itself, shared by `run`, `backfill` and `demo`. */
export async function executeRun(deps: RunCommandDeps, request: RunCommandRequest): Promise<RunResult> {
  const { config, clock, log } = deps;
  const entities = selectEntities(config.extract.entities, request.entities);
  const calls = new Map<string, CallCounts>();
  let currentEntity = '(start)';
  let tenantForCalls = config.cxone.tenantId ?? 'unknown';
  const onCall: OnCall = (info) => {
    deps.observer?.apiCall?.(tenantForCalls, info);
    if (info.endpoint === 'token' || info.endpoint === 'discovery' || info.endpoint === 'download') return;
    const c = calls.get(currentEntity) ?? { calls: 0, gateWaitMs: 0 };
    c.calls++;
    calls.set(currentEntity, c);
  };
  const client = buildClient(deps.db.pool, config, clock, onCall);
  const tenantId = await client.tenantId(deps.signal);
  tenantForCalls = tenantId;
  const tlog = log.child({ tenant: tenantId });
  let waited = false;
  const lock = await acquireTenantLock(deps.db.pool, tenantId, {
    mode: config.extract.onLocked,
    clock,
    signal: deps.signal,
    onWait: () => {
      waited = true;
      tlog.warn('another cxone-etl process is running for this tenant: waiting for it to finish');
    },
  });
  // Shutdown or a lost tenant lock: either stops the run at its next step.
  const signal = AbortSignal.any([deps.signal, lock.lost]);
  lock.lost.addEventListener(
    'abort',
    () => tlog.error({ err: lock.lost.reason as Error }, 'tenant lock lost'),
    {
      once: true,
    },
  );
  // Fresh is relative to the run of the process we waited for, not to when we began waiting: a
  // replica started a few seconds late would otherwise repeat lookbacks loaded moments before (issue 13).
  const freshSince = waited ? await latestRunStart(deps.db.pool, tenantId) : undefined;
  const progress = createProgress({ log: tlog, out: deps.out, isTty: deps.isTty });
  let gateWaitBefore = 0;
  const runId = await insertRun(deps.db.pool, tenantId, deps.trigger ?? request.mode, clock.now());
  let recorded = false;
  try {
    const runRequest: RunRequest =
      request.mode === 'run'
        ? { mode: 'run', ...(freshSince !== undefined ? { freshSince } : {}) }
        : {
            mode: 'backfill',
            from: Date.parse(`${request.from}T00:00:00Z`),
            to: Date.parse(`${request.to}T00:00:00Z`),
          };
    const deadlineAt = request.until ?? config.run.deadline;
    const maxApiCalls = request.maxApiCalls ?? config.run.maxApiCalls;
    const runStarted = clock.now();
    const summary = await runTenant(
      {
        pool: deps.db.pool,
        ...(deadlineAt !== undefined || maxApiCalls !== undefined
          ? {
              budget: {
                ...(deadlineAt !== undefined
                  ? { deadline: nextClockTime(runStarted, deadlineAt, config.schedule.timeZone) }
                  : {}),
                ...(maxApiCalls !== undefined ? { maxApiCalls } : {}),
                apiCalls: () => [...calls.values()].reduce((n, c) => n + c.calls, 0),
                minCallsPerWindow: config.cxone.useSyncEndpoint ? 1 : 2,
                minCallIntervalMs: config.cxone.minCallIntervalMs,
              },
            }
          : {}),
        api: client,
        clock,
        signal,
        maxJobsInFlight: config.extract.maxJobsInFlight,
        onJobsLimit: (info) =>
          tlog.warn({ jobsInFlight: info.limit }, `jobs in flight lowered for this tenant: ${info.reason}`),
        settings: {
          stagingSchema: config.stagingSchema,
          reportingSchema: config.reportingSchema,
          wfmTimeZone: config.wfmTimeZone,
          maxAttempts: config.extract.maxAttempts,
          useSyncEndpoint: config.cxone.useSyncEndpoint,
          jobTimeoutMs: config.extract.jobTimeoutMs,
          minCallIntervalMs: config.cxone.minCallIntervalMs,
          jobRetryBaseMs: Math.max(JOB_RETRY_BASE_MS, config.cxone.minCallIntervalMs),
        },
        planning: planningFrom(config),
        onWindowStart: (info) => {
          currentEntity = info.entity;
          gateWaitBefore = client.stats().gate?.waitMs ?? 0;
          progress.windowStart(info);
        },
        onWindowEvent: (entity, window, event) => {
          progress.windowEvent(entity, window, event);
          deps.observer?.windowEvent?.(tenantId, entity, window, event);
        },
        onWindowEnd: (report) => {
          const c = calls.get(report.entity) ?? { calls: 0, gateWaitMs: 0 };
          const waited = (client.stats().gate?.waitMs ?? 0) - gateWaitBefore;
          c.gateWaitMs += waited;
          calls.set(report.entity, c);
          progress.windowEnd(report);
          deps.observer?.windowEnd?.(tenantId, report, waited);
        },
      },
      tenantId,
      entities,
      runRequest,
    );
    progress.stop();
    tlog.info(
      {
        windows: summary.windows.length,
        failed: summary.failed,
        rows: summary.entities.reduce((n, e) => n + e.rows, 0),
        aborted: summary.aborted,
      },
      summary.failed > 0 ? 'run finished with failed windows' : 'run finished',
    );
    await finishRun(deps.db.pool, runId, runRecord(summary, calls), clock.now());
    recorded = true;
    // Bounded by NOTIFY_TIMEOUT and never throws: a receiver that is down does not fail the run.
    await notifyRunEnd({ pool: deps.db.pool, config, clock, log: tlog }, summary);
    return { summary, calls, client, runId, qualityNotes: progress.qualityNotes() };
  } catch (err) {
    if (!recorded) {
      await finishRun(
        deps.db.pool,
        runId,
        {
          outcome: 'failed',
          windowsLoaded: 0,
          windowsFailed: 0,
          rows: 0,
          bytes: 0,
          apiCalls: 0,
          error: (err as Error).message,
        },
        clock.now(),
      ).catch(() => undefined);
    }
    throw err;
  } finally {
    progress.stop();
    await lock.release();
  }
}

export function runOutcome(summary: RunSummary): Exclude<RunOutcome, 'running'> {
  const loaded = summary.windows.filter((w) => w.outcome.status === 'loaded').length;
  if (summary.aborted) return 'aborted';
  if (summary.failed === 0) return 'succeeded';
  return loaded > 0 ? 'partial' : 'failed';
}

function runRecord(summary: RunSummary, calls: Map<string, CallCounts>): Parameters<typeof finishRun>[2] {
  const loaded = summary.entities.reduce(
    (t, e) => ({ windows: t.windows + e.loaded, rows: t.rows + e.rows, bytes: t.bytes + e.bytes }),
    { windows: 0, rows: 0, bytes: 0 },
  );
  return {
    outcome: runOutcome(summary),
    windowsLoaded: loaded.windows,
    windowsFailed: summary.failed,
    rows: loaded.rows,
    bytes: loaded.bytes,
    apiCalls: [...calls.values()].reduce((n, c) => n + c.calls, 0),
    error: summary.entities.flatMap((e) => e.errors)[0],
  };
}

function selectEntities(
  configured: readonly EntitySettings[],
  only: EntityName[] | undefined,
): EntitySettings[] {
  if (!only || only.length === 0) return [...configured];
  // An entity named on the command line but left out of EXTRACT_ENTITIES runs with its catalogue defaults.
  return only.map((name) => {
    const def = ENTITIES.find((e) => e.name === name);
    return (
      configured.find((e) => e.name === name) ?? {
        name,
        version: def?.defaultVersion ?? '1',
        dateFormat: def?.dateFormat ?? 'date',
        endDateInclusive: false,
      }
    );
  });
}

export function buildClient(
  pool: pg.Pool,
  config: Config,
  clock: Clock,
  onCall?: OnCall,
  opts: { retry?: Parameters<typeof createCxoneClient>[0]['retry'] } = {},
): CxoneClient {
  return createCxoneClient({
    config: config.cxone,
    credentials: requireCredentials(config),
    clock,
    gate: (tenantId) =>
      createRateGate({
        pool,
        tenantId,
        minIntervalMs: config.cxone.minCallIntervalMs,
        clock,
        scope: config.cxone.gateScope,
        busyRetryAfterMs,
      }),
    ...(onCall ? { onCall } : {}),
    ...(opts.retry ? { retry: opts.retry } : {}),
  });
}
