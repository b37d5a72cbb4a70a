/**
 * When a loaded window looks wrong. Pure: the repository gathers the facts, this
 * decides. Flags inform (status, summary, metrics); they never block or fail a load.
 */

export type QualityFlagKind = 'volume-low' | 'volume-high' | 'empty-window' | 'columns-missing';

/**
 * Thresholds, chosen for the failure they should catch: an outage or a half-exported day shows as a
 * fraction of the usual rows, a duplicated or widened export as a multiple. A contact center's volume
 * follows the weekday (Mondays busy, Sundays quiet), so a window is compared with the same window in
 * earlier weeks, not with yesterday.
 */
export const QUALITY_THRESHOLDS = Object.freeze({
  /** Far below: fewer than half the baseline average. */
  lowRatio: 0.5,
  /** Far above: more than twice the baseline average. */
  highRatio: 2,
  /**
   * And the gap must exceed both this many rows and `noiseSigmas` standard deviations of a Poisson
   * count with the baseline's mean (√mean): a quiet entity (a few evaluations a day) swings by half
   * from one week to the next without anything being wrong.
   */
  minGapRows: 10,
  noiseSigmas: 3,
  /** The baseline averages the same window in up to this many of the latest earlier weeks... */
  baselineWindows: 4,
  /** ...and needs at least this many, or the volume is not judged (the issue asks for ≥ 3). */
  minBaselineWindows: 3,
  /** How many weeks back to look for them, so a few missing weeks (failed windows) do not matter. */
  baselineWeeksBack: 8,
});

export interface WindowFacts {
  rows: number;
  /** Rows of the same window 1, 2, ... weeks earlier (latest first), at most baselineWindows. */
  baseline: readonly number[];
  /** Rows of the nearest earlier window, or null when there is none. */
  previousRows: number | null;
  /** Staging columns of this file; null for a zero-byte file (no header to compare). */
  columns: readonly string[] | null;
  /** Columns of the previous load of this or an earlier window; null when there is none. */
  previousColumns: readonly string[] | null;
}

export interface FlagVerdict {
  kind: QualityFlagKind;
  baseline: number | null;
  missingColumns: string[] | null;
  /** One line for status and logs; names no data values. */
  detail: string;
}

export interface VolumeVerdict {
  kind: 'volume-low' | 'volume-high';
  average: number;
  ratio: number;
}

export function judgeWindow(facts: WindowFacts): FlagVerdict[] {
  const verdicts: FlagVerdict[] = [];
  const empty = judgeEmpty(facts);
  if (empty) verdicts.push(empty);
  const volume = judgeVolume(facts.rows, facts.baseline);
  // An empty window after data already says it; a second flag for the same rows adds nothing.
  if (volume && !(empty && volume.kind === 'volume-low')) {
    verdicts.push({
      kind: volume.kind,
      baseline: volume.average,
      missingColumns: null,
      detail: volumeDetail(facts, volume),
    });
  }
  const missing = missingColumns(facts.previousColumns, facts.columns);
  if (missing.length > 0) {
    verdicts.push({
      kind: 'columns-missing',
      baseline: null,
      missingColumns: missing,
      detail: `${missing.length} column${missing.length === 1 ? '' : 's'} of the previous load missing from this file: ${missing.join(', ')} (they read NULL for this window)`,
    });
  }
  return verdicts;
}

/** Far below or far above the baseline average, or null (also when the baseline is too short). */
export function judgeVolume(rows: number, baseline: readonly number[]): VolumeVerdict | null {
  const t = QUALITY_THRESHOLDS;
  const recent = baseline.slice(0, t.baselineWindows);
  if (recent.length < t.minBaselineWindows) return null;
  const average = recent.reduce((sum, n) => sum + n, 0) / recent.length;
  const gap = Math.abs(rows - average);
  if (gap <= Math.max(t.minGapRows, t.noiseSigmas * Math.sqrt(average))) return null;
  const ratio = average === 0 ? Infinity : rows / average;
  if (rows < t.lowRatio * average) return { kind: 'volume-low', average, ratio };
  if (rows > t.highRatio * average) return { kind: 'volume-high', average, ratio };
  return null;
}

/**
 * No rows after a window that had some: the export or the tenant stopped. Not when the same window
 * was empty in the baseline weeks too (a contact center closed on Sundays).
 */
function judgeEmpty(facts: WindowFacts): FlagVerdict | null {
  if (facts.rows !== 0 || facts.previousRows === null || facts.previousRows === 0) return null;
  const recent = facts.baseline.slice(0, QUALITY_THRESHOLDS.baselineWindows);
  if (recent.length >= QUALITY_THRESHOLDS.minBaselineWindows && recent.every((n) => n === 0)) return null;
  return {
    kind: 'empty-window',
    baseline: null,
    missingColumns: null,
    detail: `no rows, after ${facts.previousRows.toLocaleString('en-US')} in the previous window`,
  };
}

function missingColumns(previous: readonly string[] | null, current: readonly string[] | null): string[] {
  if (previous === null || current === null) return [];
  const now = new Set(current);
  return previous.filter((c) => !now.has(c));
}

function volumeDetail(facts: WindowFacts, v: VolumeVerdict): string {
  const weeks = Math.min(facts.baseline.length, QUALITY_THRESHOLDS.baselineWindows);
  const rows = `${facts.rows.toLocaleString('en-US')} rows`;
  if (v.average === 0) return `${rows}; the same window had none in ${weeks} earlier weeks`;
  const relation = v.kind === 'volume-low' ? `${Math.round(v.ratio * 100)}% of` : `${v.ratio.toFixed(1)}x`;
  const average = Math.round(v.average).toLocaleString('en-US');
  return `${rows}, ${relation} the average ${average} of the same window in ${weeks} earlier weeks`;
}
