/**
 * When a loaded window needs its lookback pass: only when its last load could have missed late data.
 * One rule, used by planning (src/extract/plan-windows.ts) and shown by `gaps` and `status`.
 *
 * - Loaded at least EXTRACT_LOOKBACK after the window's end: that load already saw every row the
 *   lookback exists to catch; a new pass would fetch the same file (every restart repeated it).
 * - Loaded less than EXTRACT_SETTLE_DELAY ago: what could arrive since is later than the API's own
 *   30-minute promise (contract, PORTAL), and the next run past the settle delay still does the pass.
 *   This covers restarts, crash loops, and a run right after another process's.
 * - Loaded by the run this process waited for (a replica behind the tenant lock): measured from that
 *   run's start in cxone_etl.runs, not from when this process began waiting.
 */

export type LookbackSkipReason = 'loaded-late-enough' | 'just-loaded' | 'holder-run';

export interface LookbackRule {
  now: number;
  lookbackMs: number;
  settleDelayMs: number;
  /** Start of the run of another process this one waited for; its loads are fresh. */
  freshSince?: number | undefined;
}

export type LookbackDecision =
  { needed: true } | { needed: false; reason: LookbackSkipReason; detail: string };

const iso = (t: number): string => new Date(t).toISOString();

export function lookbackDecision(
  window: { end: number; loadedAt?: number | null | undefined },
  rule: LookbackRule,
): LookbackDecision {
  const loadedAt = window.loadedAt;
  // Unknown load time (a ledger row from before loaded_at was kept): do the pass, it is the safe side.
  if (loadedAt === null || loadedAt === undefined) return { needed: true };
  if (loadedAt >= window.end + rule.lookbackMs) {
    return {
      needed: false,
      reason: 'loaded-late-enough',
      detail: `last loaded ${iso(loadedAt)}, at least EXTRACT_LOOKBACK after the window's end`,
    };
  }
  if (rule.now - loadedAt < rule.settleDelayMs) {
    return {
      needed: false,
      reason: 'just-loaded',
      detail: `last loaded ${iso(loadedAt)}, less than EXTRACT_SETTLE_DELAY ago`,
    };
  }
  if (rule.freshSince !== undefined && loadedAt >= rule.freshSince) {
    return {
      needed: false,
      reason: 'holder-run',
      detail: `loaded ${iso(loadedAt)} by the run started ${iso(rule.freshSince)} that this one waited for`,
    };
  }
  return { needed: true };
}
