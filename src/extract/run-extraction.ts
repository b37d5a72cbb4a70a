/**
 * One run for one tenant: for each configured entity, plan its windows from the ledger and checkpoint,
 * then extract them: one at a time when one job may be in flight (EXTRACT_MAX_JOBS_IN_FLIGHT=1, or
 * what `auto` learned of the tenant), else overlapped (run-overlapped.ts). A window that fails is
 * recorded and the run moves on; a permission error stops only that entity; an auth error or shutdown
 * stops the run.
 */
import type pg from 'pg';
import type { Config, EntitySettings } from '../config.js';
import { findEntity, type EntityName, type TimeBasis } from '../entities/catalog.js';
import { zoneFor } from '../entities/time-zone.js';
import type { Clock } from '../lib/clock.js';
import type { EtlError } from '../lib/errors.js';
import { windowLabel } from './api-dates.js';
import { getCheckpoint } from './checkpoints.repository.js';
import { extractWindow, type ExtractDeps, type WindowEvent, type WindowOutcome } from './extract-window.js';
import { getLearnedJobsLimit } from './jobs-limit.repository.js';
import {
  planBackfill,
  planRun,
  planSettings,
  skippedLookbacks,
  type PlannedWindow,
  type SkippedLookback,
} from './plan-windows.js';
import { runOverlapped } from './run-overlapped.js';
import { localMidnight, type TimeGrid } from './time-grid.js';
import { accountWindow } from './window-accounting.js';
import { listWindows, markDeferred, markLookbackSkipped } from './windows.repository.js';

export interface PlanningSettings {
  windowMs: number;
  backfillWindowMs: number;
  lookbackMs: number;
  settleDelayMs: number;
  wfmTimeZone: string;
  /** yyyy-mm-dd: where a first run starts; default one backfill window before the horizon. */
  startDate: string | undefined;
  /** RETENTION per entity: nothing it removes is planned (plan-windows.ts, `retainFrom`). */
  retentionMs?: ReadonlyMap<EntityName, number>;
}

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

export type RunRequest =
  | { mode: 'run'; freshSince?: number }
  | { mode: 'backfill'; from: number; to: number }
  | { mode: 'reload'; from: number; to: number };

export type EntityWithBasis = EntitySettings & { timeBasis: TimeBasis };

export interface PlannedEntity {
  entity: EntityWithBasis;
  windows: PlannedWindow[];
  /** Loaded windows the lookback rule leaves out of this run (src/extract/lookback-rule.ts). */
  skippedLookbacks: SkippedLookback[];
}

export interface WindowReport {
  entity: string;
  window: string;
  reason: PlannedWindow['reason'];
  outcome: WindowOutcome;
}

export interface EntitySummary {
  entity: string;
  windows: number;
  loaded: number;
  failed: number;
  rows: number;
  bytes: number;
  seconds: number;
  errors: string[];
}

export interface RunSummary {
  tenantId: string;
  entities: EntitySummary[];
  windows: WindowReport[];
  failed: number;
  /** Windows left for the next run because the deadline or the API-call budget would be passed. */
  deferred: number;
  deferReason?: string;
  aborted: boolean;
  /** Lookbacks left out by the rule, per entity (also recorded in the ledger for `status` and `gaps`). */
  skippedLookbacks: (SkippedLookback & { entity: string })[];
}

/**
 * Limits of one run (RUN_DEADLINE / --until, RUN_MAX_API_CALLS). A window starts only if it can finish
 * within them at the least cost the API allows; otherwise it and every later window are deferred.
 */
export interface RunBudget {
  deadline?: number;
  maxApiCalls?: number;
  /** Jobs calls made so far in this run. */
  apiCalls: () => number;
  /** The fewest calls one window costs: 2 (POST + a status that says SUCCEEDED), 1 with /jobs/sync. */
  minCallsPerWindow: number;
  minCallIntervalMs: number;
}

export function budgetStop(budget: RunBudget | undefined, now: number): string | undefined {
  if (!budget) return undefined;
  if (budget.maxApiCalls !== undefined && budget.apiCalls() + budget.minCallsPerWindow > budget.maxApiCalls) {
    return `the API-call budget (${budget.maxApiCalls}) would be passed`;
  }
  if (
    budget.deadline !== undefined &&
    now + budget.minCallsPerWindow * budget.minCallIntervalMs > budget.deadline
  ) {
    return `the deadline ${new Date(budget.deadline).toISOString()} would be passed`;
  }
  return undefined;
}

/** `auto` starts here when nothing is learned yet (contract "Limits": try two, fall back to one). */
export const AUTO_JOBS_IN_FLIGHT = 2;

export interface RunDeps extends ExtractDeps {
  planning: PlanningSettings;
  budget?: RunBudget;
  /** EXTRACT_MAX_JOBS_IN_FLIGHT; absent: 1, one window at a time. */
  maxJobsInFlight?: 'auto' | number;
  /** A busy answer (or an accepted POST beside running jobs) showed the tenant's jobs limit (saved). */
  onJobsLimit?: (info: { limit: number; reason: string }) => void;
  onWindowStart?: (info: {
    entity: string;
    window: string;
    reason: string;
    index: number;
    total: number;
  }) => void;
  onWindowEnd?: (report: WindowReport) => void;
  onWindowEvent?: (entity: string, window: string, event: WindowEvent) => void;
}

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
  const summary: RunSummary = {
    tenantId,
    entities: [],
    windows: [],
    failed: 0,
    deferred: 0,
    aborted: false,
    skippedLookbacks: [],
  };
  await recordSkippedLookbacks(deps, tenantId, plans, summary);
  const { limit, learned } = await jobsInFlight(deps, tenantId);
  if (limit > 1) {
    const entitySummaries = new Map<string, EntitySummary>();
    for (const plan of plans) {
      const es = emptyEntitySummary(plan);
      summary.entities.push(es);
      entitySummaries.set(plan.entity.name, es);
    }
    await runOverlapped(deps, { tenantId, plans, summary, entitySummaries, total, limit, learned });
    return summary;
  }
  const serial: SerialRun = { tenantId, summary, total, index: 0 };
  for (const plan of plans) {
    const stopEntity = await runEntitySerially(deps, serial, plan);
    if (summary.aborted) break;
    if (stopEntity?.code === 'AUTH') break;
  }
  return summary;
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

/** A run with one job in flight: its summary, the number of windows and the next window's index. */
interface SerialRun {
  tenantId: string;
  summary: RunSummary;
  total: number;
  index: number;
}

/**
 * One entity's windows, one at a time. Returns the error that stopped the entity (a permission error
 * holds for every window of this entity; an auth error for every entity), if any.
 */
async function runEntitySerially(
  deps: RunDeps,
  run: SerialRun,
  plan: PlannedEntity,
): Promise<EtlError | undefined> {
  const { tenantId, summary } = run;
  const es = emptyEntitySummary(plan);
  summary.entities.push(es);
  let stopEntity: EtlError | undefined;
  for (const window of plan.windows) {
    if (deps.signal?.aborted) {
      summary.aborted = true;
      break;
    }
    summary.deferReason ??= budgetStop(deps.budget, deps.clock.now());
    if (summary.deferReason) {
      await deferWindow(deps, tenantId, plan, window);
      summary.deferred++;
      continue;
    }
    const zone = zoneFor(plan.entity.timeBasis, deps.planning.wfmTimeZone);
    const label = windowLabel(window, zone);
    deps.onWindowStart?.({
      entity: plan.entity.name,
      window: label,
      reason: window.reason,
      index: run.index++,
      total: run.total,
    });
    const outcome: WindowOutcome | undefined = stopEntity
      ? { status: 'failed', error: stopEntity, durationMs: 0 }
      : await extractOrAbort(deps, run, plan, window, label, es);
    if (!outcome) break;
    const report: WindowReport = { entity: plan.entity.name, window: label, reason: window.reason, outcome };
    deps.onWindowEnd?.(report);
    stopEntity = accountWindow(summary, es, report) ?? stopEntity;
  }
  return stopEntity;
}

/** A window the budget leaves for the next run; an in-flight job stays 'requested' so it is resumed. */
async function deferWindow(
  deps: RunDeps,
  tenantId: string,
  plan: PlannedEntity,
  window: PlannedWindow,
): Promise<void> {
  if (window.reason === 'resume') return;
  const key = { tenantId, entity: plan.entity.name, start: window.start, end: window.end };
  await markDeferred(deps.pool, key, deps.clock.now());
}

/** The window end to end; undefined when shutdown stopped it (the run is then marked aborted). */
async function extractOrAbort(
  deps: RunDeps,
  run: SerialRun,
  plan: PlannedEntity,
  window: PlannedWindow,
  label: string,
  es: EntitySummary,
): Promise<WindowOutcome | undefined> {
  try {
    return await extractWindow(
      {
        ...deps,
        onEvent: (event) => deps.onWindowEvent?.(plan.entity.name, label, event),
      },
      { tenantId: run.tenantId, entity: plan.entity, window },
    );
  } catch (err) {
    // Only ABORTED escapes extractWindow: stop the whole run, the ledger keeps in-flight jobs.
    run.summary.aborted = true;
    es.errors.push((err as Error).message);
    return undefined;
  }
}

function emptyEntitySummary(plan: PlannedEntity): EntitySummary {
  return {
    entity: plan.entity.name,
    windows: plan.windows.length,
    loaded: 0,
    failed: 0,
    rows: 0,
    bytes: 0,
    seconds: 0,
    errors: [],
  };
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
