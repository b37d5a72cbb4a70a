/**
 * The gap report, pure: given one entity's ledger, which parts of [from, horizon) no loaded window
 * covers, which windows failed or are stuck, and which windows the lookback found changed (late data).
 */
import type { LedgerRow } from './windows.repository.js';
import { uncovered } from './plan-windows.js';

export interface EntityGaps {
  missing: { start: number; end: number }[];
  failed: { start: number; end: number; error: string | null }[];
  /** Requested or ready for longer than the job timeout: a worker died and nobody resumed it. */
  stuck: { start: number; end: number; jobId: string | null; since: number }[];
  deferred: { start: number; end: number }[];
  /** Re-loaded windows whose row count changed: data arrived after the first load. */
  lateData: { start: number; end: number; before: number; after: number }[];
  /** Loaded windows whose lookback the last run left out (src/extract/lookback-rule.ts): not a gap. */
  lookbackSkipped: { start: number; end: number; at: number; reason: string }[];
}

export function findGaps(
  ledger: readonly LedgerRow[],
  opts: { from: number; horizon: number; now: number; stuckAfterMs: number },
): EntityGaps {
  const loaded = ledger.filter((w) => w.state === 'loaded');
  const inRange = (w: { start: number; end: number }): boolean => w.end > opts.from && w.start < opts.horizon;
  return {
    missing: uncovered(opts.from, opts.horizon, loaded),
    failed: ledger
      .filter((w) => w.state === 'failed' && inRange(w))
      .map((w) => ({ start: w.start, end: w.end, error: w.error })),
    stuck: ledger
      .filter(
        (w) =>
          (w.state === 'requested' || w.state === 'ready') &&
          opts.now - (w.requestedAt ?? opts.now) > opts.stuckAfterMs,
      )
      .map((w) => ({ start: w.start, end: w.end, jobId: w.jobId, since: w.requestedAt ?? opts.now })),
    deferred: ledger
      .filter((w) => w.state === 'deferred' && inRange(w))
      .map((w) => ({ start: w.start, end: w.end })),
    lateData: loaded
      .filter(
        (w) =>
          inRange(w) && w.previousRows !== null && w.rowsLoaded !== null && w.previousRows !== w.rowsLoaded,
      )
      .map((w) => ({
        start: w.start,
        end: w.end,
        before: w.previousRows as number,
        after: w.rowsLoaded as number,
      })),
    lookbackSkipped: loaded
      .filter(
        (w) => inRange(w) && w.lookbackSkippedAt !== null && w.lookbackSkippedAt >= (w.loadedAt ?? -Infinity),
      )
      .map((w) => ({
        start: w.start,
        end: w.end,
        at: w.lookbackSkippedAt as number,
        reason: w.lookbackSkipReason ?? '',
      })),
  };
}

export function hasGaps(g: EntityGaps): boolean {
  return g.missing.length + g.failed.length + g.stuck.length > 0;
}
