/**
 * Window planning: pure functions from (now, checkpoint, ledger, settings) to the windows a run must
 * extract. Windows are half-open [start, end) on the entity's grid, never past now − settle delay
 * (the portal says new data can take up to 30 min to appear).
 *
 * The ledger keeps loaded windows of one tenant and entity from overlapping: a planned window is either
 * an existing ledger window (resumed, retried or re-extracted with its exact bounds) or made of whole
 * grid units in time no ledger window covers, or (backfill) a run of whole ledger windows and units that
 * it replaces together. Re-loading a window therefore replaces exactly that window's rows.
 *
 * Catching up uses long windows (up to EXTRACT_BACKFILL_WINDOW, ≤ 14 days) to spend few API calls, but
 * the newest units, the ones the next run's lookback re-extracts, stay one unit each, so a lookback
 * never has to re-request two weeks of data.
 */
import type { DateFormat, TimeBasis } from '../entities/catalog.js';
import { lookbackDecision, type LookbackSkipReason } from './lookback-rule.js';
import { localDayGrid, utcGrid, type TimeGrid } from './time-grid.js';

const DAY_MS = 86_400_000;

export type LedgerState = 'planned' | 'requested' | 'ready' | 'loaded' | 'failed' | 'deferred';

export interface LedgerWindow {
  start: number;
  end: number;
  state: LedgerState;
  jobId?: string | null;
  loadedAt?: number | null;
}

/** Why a window is in the plan; also its order: in-flight jobs first, then retries and deferrals. */
export type PlanReason = 'resume' | 'retry' | 'deferred' | 'new' | 'lookback' | 'backfill';

export interface PlannedWindow {
  start: number;
  end: number;
  reason: PlanReason;
  /** Set when resuming: the job already requested for this window. */
  jobId?: string;
}

/** A loaded window the lookback would have re-extracted, left out by the lookback rule. */
export interface SkippedLookback {
  start: number;
  end: number;
  reason: LookbackSkipReason;
  detail: string;
}

export interface PlanSettings {
  grid: TimeGrid;
  /** The most grid units one request may cover (EXTRACT_BACKFILL_WINDOW / EXTRACT_WINDOW). */
  maxUnits: number;
  lookbackMs: number;
  settleDelayMs: number;
}

/** The grid for an entity: whole days for date-only formats, local days for wfm-payroll. */
export function gridFor(
  entity: { timeBasis: TimeBasis; dateFormat: DateFormat },
  windowMs: number,
  wfmTimeZone: string,
): TimeGrid {
  const days = Math.max(1, Math.round(windowMs / DAY_MS));
  if (entity.timeBasis === 'schedule-unit') return localDayGrid(wfmTimeZone, days);
  if (entity.dateFormat === 'date') return utcGrid(days * DAY_MS);
  return utcGrid(windowMs);
}

export function planSettings(
  entity: { timeBasis: TimeBasis; dateFormat: DateFormat },
  opts: {
    windowMs: number;
    backfillWindowMs: number;
    lookbackMs: number;
    settleDelayMs: number;
    wfmTimeZone: string;
  },
): PlanSettings {
  const grid = gridFor(entity, opts.windowMs, opts.wfmTimeZone);
  return {
    grid,
    maxUnits: Math.max(1, Math.floor(opts.backfillWindowMs / grid.unitMs)),
    lookbackMs: opts.lookbackMs,
    settleDelayMs: opts.settleDelayMs,
  };
}

/** The end of the newest window that may be requested now. */
export function horizonOf(now: number, settings: PlanSettings): number {
  return settings.grid.floor(now - settings.settleDelayMs);
}

const REASON_ORDER: Record<PlanReason, number> = {
  resume: 0,
  retry: 1,
  deferred: 2,
  lookback: 3,
  new: 4,
  backfill: 4,
};

function sortPlan(plan: PlannedWindow[]): PlannedWindow[] {
  return plan.sort((a, b) => REASON_ORDER[a.reason] - REASON_ORDER[b.reason] || a.start - b.start);
}

const inFlight = (w: LedgerWindow): boolean => w.state === 'requested' || w.state === 'ready';

/**
 * Ledger windows inside an in-flight window: an interrupted backfill requested one window over loaded
 * ones, and resuming it replaces them. Planned again on their own, they would load after it without
 * deleting its rows (a load deletes only windows it contains), and those days would be in staging twice
 * (found by the reliability suite: a backfill killed mid-poll, then run again).
 */
function insideInFlight(ledger: readonly LedgerWindow[]): (w: LedgerWindow) => boolean {
  const flying = ledger.filter(inFlight);
  return (w) => !inFlight(w) && flying.some((f) => f.start <= w.start && w.end <= f.end);
}

function ledgerReason(w: LedgerWindow): PlanReason | undefined {
  switch (w.state) {
    case 'requested':
    case 'ready':
      return 'resume';
    case 'failed':
      return 'retry';
    case 'deferred':
    case 'planned':
      return 'deferred';
    default:
      return undefined;
  }
}

export interface RunPlanInput {
  now: number;
  settings: PlanSettings;
  ledger: readonly LedgerWindow[];
  checkpoint?: number;
  /** First instant to extract when there is no checkpoint. Defaults to one backfill window before the horizon. */
  start?: number;
  /**
   * Start of the run of another process this one waited for (its row in cxone_etl.runs): windows it
   * loaded skip the lookback (src/extract/lookback-rule.ts).
   */
  freshSince?: number;
  /**
   * RETENTION: windows that end at or before this are removed by each run (src/run/retention.ts), so
   * none is planned; new windows start no earlier than the grid unit holding it.
   */
  retainFrom?: number;
}

/** Whether retention keeps a window: it ends after `retainFrom` (always, without retention). */
function retained(w: { end: number }, retainFrom: number | undefined): boolean {
  return retainFrom === undefined || w.end > retainFrom;
}

/** The later of `from` and the start of the grid unit that holds `retainFrom`. */
function retainedFrom(from: number, retainFrom: number | undefined, grid: TimeGrid): number {
  return retainFrom === undefined ? from : Math.max(from, grid.floor(retainFrom));
}

/**
 * The scheduled/nightly plan: unfinished ledger windows, the lookback re-extraction of loaded windows
 * just before the checkpoint that the lookback rule says need it, and new windows from the checkpoint
 * (or start) to the horizon.
 */
export function planRun(input: RunPlanInput): PlannedWindow[] {
  const { settings, ledger } = input;
  const horizon = horizonOf(input.now, settings);
  const plan: PlannedWindow[] = [];
  const replaced = insideInFlight(ledger);

  for (const w of ledger) {
    if (replaced(w) || !retained(w, input.retainFrom)) continue;
    const reason = ledgerReason(w);
    if (reason && w.end <= horizon) {
      plan.push({
        start: w.start,
        end: w.end,
        reason,
        ...(reason === 'resume' && w.jobId ? { jobId: w.jobId } : {}),
      });
    }
  }

  for (const { window, decision } of lookbackCandidates(input)) {
    if (decision.needed) plan.push({ start: window.start, end: window.end, reason: 'lookback' });
  }

  const from = retainedFrom(
    input.checkpoint ?? settings.grid.floor(input.start ?? settings.grid.add(horizon, -settings.maxUnits)),
    input.retainFrom,
    settings.grid,
  );
  for (const gap of uncovered(from, horizon, ledger)) {
    plan.push(...mergeUnits(unitsOf(gap.start, gap.end, settings.grid), settings, horizon, 'new'));
  }
  return sortPlan(plan);
}

/** The loaded windows of the lookback period that the rule leaves out this run, and why. */
export function skippedLookbacks(input: RunPlanInput): SkippedLookback[] {
  return lookbackCandidates(input).flatMap(({ window, decision }) =>
    decision.needed
      ? []
      : [{ start: window.start, end: window.end, reason: decision.reason, detail: decision.detail }],
  );
}

/** Loaded windows overlapping EXTRACT_LOOKBACK before the checkpoint, each with the rule's verdict. */
function lookbackCandidates(
  input: RunPlanInput,
): { window: LedgerWindow; decision: ReturnType<typeof lookbackDecision> }[] {
  const { settings, ledger, checkpoint } = input;
  if (checkpoint === undefined || settings.lookbackMs <= 0) return [];
  const replaced = insideInFlight(ledger);
  const lookbackFrom = checkpoint - settings.lookbackMs;
  const rule = {
    now: input.now,
    lookbackMs: settings.lookbackMs,
    settleDelayMs: settings.settleDelayMs,
    freshSince: input.freshSince,
  };
  return ledger
    .filter((w) => !replaced(w) && w.state === 'loaded' && w.end > lookbackFrom && w.start < checkpoint)
    .filter((w) => retained(w, input.retainFrom))
    .map((window) => ({ window, decision: lookbackDecision(window, rule) }));
}

/**
 * An explicit backfill of [from, to): every ledger window touching the range is re-extracted whole
 * (or merged into a longer window that replaces it), uncovered time is cut into grid units, and runs
 * of adjacent pieces are merged up to the backfill window. In-flight jobs are resumed on their own.
 */
export function planBackfill(input: {
  now: number;
  settings: PlanSettings;
  ledger: readonly LedgerWindow[];
  from: number;
  to: number;
  /** As RunPlanInput's: nothing that retention removes is extracted again. */
  retainFrom?: number;
}): PlannedWindow[] {
  const { settings, ledger } = input;
  const horizon = horizonOf(input.now, settings);
  const to = Math.min(ceilToGrid(input.to, settings.grid), horizon);
  const from = retainedFrom(settings.grid.floor(input.from), input.retainFrom, settings.grid);
  if (to <= from) return [];

  const replaced = insideInFlight(ledger);
  const touching = ledger
    .filter((w) => w.end > from && w.start < to && !replaced(w) && retained(w, input.retainFrom))
    .sort((a, b) => a.start - b.start);
  const lo = Math.min(from, ...touching.map((w) => w.start));
  const hi = Math.max(to, ...touching.map((w) => w.end));

  const plan: PlannedWindow[] = [];
  let run: Piece[] = [];
  const flush = (): void => {
    plan.push(...mergeUnits(run, settings, horizon, 'backfill'));
    run = [];
  };
  let cursor = lo;
  for (const w of touching) {
    if (w.start > cursor) run.push(...unitsOf(cursor, w.start, settings.grid));
    if (inFlight(w)) {
      flush();
      plan.push({ start: w.start, end: w.end, reason: 'resume', ...(w.jobId ? { jobId: w.jobId } : {}) });
    } else {
      run.push({ start: w.start, end: w.end });
    }
    cursor = Math.max(cursor, w.end);
  }
  if (hi > cursor) run.push(...unitsOf(cursor, hi, settings.grid));
  flush();
  return sortPlan(plan);
}

interface Piece {
  start: number;
  end: number;
}

function ceilToGrid(t: number, grid: TimeGrid): number {
  const f = grid.floor(t);
  return f === t ? t : grid.add(f, 1);
}

/** Parts of [from, to) that no ledger window covers. */
export function uncovered(from: number, to: number, ledger: readonly LedgerWindow[]): Piece[] {
  const gaps: Piece[] = [];
  let cursor = from;
  for (const w of [...ledger].sort((a, b) => a.start - b.start)) {
    if (w.end <= cursor || w.start >= to) continue;
    if (w.start > cursor) gaps.push({ start: cursor, end: w.start });
    cursor = Math.max(cursor, w.end);
  }
  if (cursor < to) gaps.push({ start: cursor, end: to });
  return gaps;
}

/** [from, to) cut at grid boundaries (a gap edge off the grid, after a config change, gives a short unit). */
export function unitsOf(from: number, to: number, grid: TimeGrid): Piece[] {
  const units: Piece[] = [];
  let start = from;
  while (start < to) {
    const next = grid.add(grid.floor(start), 1);
    const end = Math.min(next > start ? next : grid.add(start, 1), to);
    units.push({ start, end });
    start = end;
  }
  return units;
}

/**
 * Merges adjacent pieces into windows of at most maxUnits grid units, leaving the pieces that the next
 * lookback will re-extract (the newest lookback period, at least one unit) unmerged.
 */
function mergeUnits(
  pieces: Piece[],
  settings: PlanSettings,
  horizon: number,
  reason: PlanReason,
): PlannedWindow[] {
  const { grid } = settings;
  const tailStart = grid.floor(horizon - Math.max(settings.lookbackMs, 1));
  const windows: PlannedWindow[] = [];
  let current: PlannedWindow | undefined;
  let units = 0;
  for (const p of pieces) {
    const pUnits = Math.max(1, Math.round((p.end - p.start) / grid.unitMs));
    const canMerge =
      current !== undefined &&
      current.end === p.start &&
      p.start < tailStart &&
      units + pUnits <= settings.maxUnits;
    if (canMerge && current) {
      current.end = p.end;
      units += pUnits;
    } else {
      current = { start: p.start, end: p.end, reason };
      units = pUnits;
      windows.push(current);
    }
  }
  return windows;
}
