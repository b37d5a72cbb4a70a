/**
 * One run for one tenant: for each configured entity, plan its windows from the ledger and checkpoint,
 * then extract them through the window engine (engine.ts) with as many jobs in flight as
 * EXTRACT_MAX_JOBS_IN_FLIGHT allows (or what `auto` learned of the tenant). A window that fails is
 * recorded and the run moves on; a permission error stops only that entity; an auth error or shutdown
 * stops the run.
 */
import type pg from 'pg';
import type { Config, EntitySettings } from '../config.js';
import { findEntity } from '../entities/catalog.js';
import type { Clock } from '../lib/clock.js';
import { getCheckpoint } from './checkpoints.repository.js';
import { runWindows } from './engine.js';
import { getLearnedJobsLimit } from './jobs-limit.repository.js';
import { loadJob } from './load-job.js';
import {
  planBackfill,
  planRun,
  planSettings,
  skippedLookbacks,
  type PlannedWindow,
  type SkippedLookback,
} from './plan-windows.js';
import { localMidnight, type TimeGrid } from './time-grid.js';
import type {
  EntityWithBasis,
  ExtractSettings,
  PlannedEntity,
  PlanningSettings,
  RunDeps,
  RunRequest,
  RunSummary,
} from './types.js';
import { listWindows, markLookbackSkipped, windowLedger } from './windows.repository.js';

/** The planning settings of a config (or a tenant's overlay of it). */
export function planningFrom(config: Config): PlanningSettings {
  return {
    windowMs: config.extract.windowMs,
    backfillWindowMs: config.extract.backfillWindowMs,
    lookbackMs: config.extract.lookbackMs,
    settleDelayMs: config.extract.settleDelayMs,
    wfmTimeZone: config.wfmTimeZone,
    startDate: config.extract.startDate,
    retentionMs: config.privacy.retentionMs,
  };
}

/** 1 s: the first retry after a FAILED job; it grows by the retry helper's backoff. */
const JOB_RETRY_BASE_MS = 1000;

/** The per-window settings of a run, from the config (or a tenant's overlay of it). */
export function extractSettings(config: Config): ExtractSettings {
  return {
    stagingSchema: config.stagingSchema,
    reportingSchema: config.reportingSchema,
    currentKeys: config.currentKeys,
    wfmTimeZone: config.wfmTimeZone,
    maxAttempts: config.extract.maxAttempts,
    useSyncEndpoint: config.cxone.useSyncEndpoint,
    jobTimeoutMs: config.extract.jobTimeoutMs,
    minCallIntervalMs: config.cxone.minCallIntervalMs,
    jobRetryBaseMs: Math.max(JOB_RETRY_BASE_MS, config.cxone.minCallIntervalMs),
    ...(config.privacy.columnPolicy.length > 0
      ? { columnPolicy: { rules: config.privacy.columnPolicy, hashKey: config.privacy.hashKey } }
      : {}),
  };
}

/** `auto` starts here when nothing is learned yet (contract "Limits": try two, fall back to one). */
export const AUTO_JOBS_IN_FLIGHT = 2;

export function withTimeBasis(entity: EntitySettings): EntityWithBasis {
  return { ...entity, timeBasis: findEntity(entity.name)?.timeBasis ?? 'utc' };
}

/** Plans every entity's windows without side effects (also the basis of a dry run). */
export async function planTenant(
  db: pg.Pool,
  clock: Clock,
  planning: PlanningSettings,
  tenantId: string,
  entities: readonly EntitySettings[],
  request: RunRequest,
): Promise<PlannedEntity[]> {
  const plans: PlannedEntity[] = [];
  for (const e of entities) {
    const entity = withTimeBasis(e);
    const settings = planSettings(entity, planning);
    const ledger = await listWindows(db, tenantId, entity.name);
    const now = clock.now();
    const retention = planning.retentionMs?.get(entity.name);
    const retainFrom = retention === undefined ? {} : { retainFrom: now - retention };
    let windows: PlannedWindow[];
    let skipped: SkippedLookback[] = [];
    if (request.mode === 'run') {
      const checkpoint = await getCheckpoint(db, tenantId, entity.name);
      const input = {
        now,
        settings,
        ledger,
        ...(checkpoint ? { checkpoint: checkpoint.loadedUntil } : {}),
        ...(planning.startDate ? { start: startInstant(planning.startDate, settings.grid) } : {}),
        ...(request.freshSince !== undefined ? { freshSince: request.freshSince } : {}),
        ...retainFrom,
      };
      windows = planRun(input);
      skipped = skippedLookbacks(input);
    } else {
      // The range's dates are calendar dates: local ones on a local-day grid (wfm-payroll).
      windows = planBackfill({
        now,
        settings,
        ledger,
        from: dateLabelInstant(request.from, settings.grid),
        to: dateLabelInstant(request.to, settings.grid),
        ...retainFrom,
      });
    }
    plans.push({ entity, windows, skippedLookbacks: skipped });
  }
  return plans;
}

/** The first instant of a configured start date: UTC midnight, or local midnight on a local-day grid. */
function startInstant(date: string, grid: TimeGrid): number {
  return grid.floor(dateLabelInstant(Date.parse(`${date}T00:00:00Z`), grid));
}

/** A date given as its UTC-midnight label, as the instant it begins on this grid. */
function dateLabelInstant(label: number, grid: TimeGrid): number {
  return grid.timeZone ? localMidnight(label, grid.timeZone) : label;
}

/**
 * Before resuming jobs from the ledger, one `GET /jobs` checks they still exist (contract: the list of a
 * tenant's jobs). A job the API no longer knows (purged, another environment) would only fail its
 * status calls; its window is requested anew instead. One call covers every resumed window. Its ids
 * are not recorded as seen: a lost POST's job in this listing must stay findable (post-job.ts).
 */
async function reconcileResumedJobs(deps: RunDeps, plans: PlannedEntity[]): Promise<void> {
  const resumed = plans.flatMap((p) => p.windows.filter((w) => w.reason === 'resume' && w.jobId));
  if (resumed.length === 0) return;
  const known = new Set(
    (await deps.api.listJobs(deps.signal ? { signal: deps.signal } : {})).map((j) => j.id),
  );
  for (const w of resumed) {
    if (w.jobId && !known.has(w.jobId)) {
      w.reason = 'retry';
      delete w.jobId;
    }
  }
}

export async function runTenant(
  deps: RunDeps,
  tenantId: string,
  entities: readonly EntitySettings[],
  request: RunRequest,
): Promise<RunSummary> {
  const plans = await planTenant(deps.pool, deps.clock, deps.planning, tenantId, entities, request);
  await reconcileResumedJobs(deps, plans);
  const total = plans.reduce((n, p) => n + p.windows.length, 0);
  const summary = emptySummary(tenantId);
  await recordSkippedLookbacks(deps, tenantId, plans, summary);
  const { limit, learned } = await jobsInFlight(deps, tenantId);
  await runWindows(deps, {
    ...{ tenantId, plans, summary, total, limit, learned },
    ledger: windowLedger(deps.pool),
    load: loadJob,
  });
  return summary;
}

/** A run's summary before its first window (the engine fills it in). */
export function emptySummary(tenantId: string): RunSummary {
  return {
    tenantId,
    entities: [],
    windows: [],
    failed: 0,
    deferred: 0,
    aborted: false,
    skippedLookbacks: [],
  };
}

/** Loaded windows the lookback rule leaves out: marked in the ledger (for `status` and `gaps`) and summed. */
async function recordSkippedLookbacks(
  deps: RunDeps,
  tenantId: string,
  plans: PlannedEntity[],
  summary: RunSummary,
): Promise<void> {
  for (const plan of plans) {
    for (const skip of plan.skippedLookbacks) {
      const key = { tenantId, entity: plan.entity.name, start: skip.start, end: skip.end };
      await markLookbackSkipped(deps.pool, key, `${skip.reason}: ${skip.detail}`, deps.clock.now());
      summary.skippedLookbacks.push({ ...skip, entity: plan.entity.name });
    }
  }
}

/**
 * How many jobs this run may have in flight: the setting, or with `auto` what was learned of the
 * tenant (AUTO_JOBS_IN_FLIGHT when nothing yet). /jobs/sync blocks until its job ends: nothing to overlap.
 */
async function jobsInFlight(
  deps: RunDeps,
  tenantId: string,
): Promise<{ limit: number; learned: number | undefined }> {
  const setting = deps.maxJobsInFlight ?? 1;
  if (deps.settings.useSyncEndpoint || setting === 1) return { limit: 1, learned: undefined };
  const learned = (await getLearnedJobsLimit(deps.pool, tenantId))?.maxJobsInFlight;
  return { limit: setting === 'auto' ? (learned ?? AUTO_JOBS_IN_FLIGHT) : setting, learned };
}
