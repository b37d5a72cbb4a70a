import { lookbackDecision } from '../../src/extract/lookback-rule.js';
import { planRun, planSettings, skippedLookbacks } from '../../src/extract/plan-windows.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const d = (iso: string): number => Date.parse(iso);
const rule = { lookbackMs: DAY, settleDelayMs: 30 * 60_000 };
// The window 2026-03-14, whose end is 2026-03-15T00:00Z.
const end = d('2026-03-15T00:00:00Z');

describe('lookbackDecision', () => {
  it('needs the pass when the last load was early and is older than the settle delay', () => {
    const w = { end, loadedAt: d('2026-03-15T02:00:00Z') };
    expect(lookbackDecision(w, { ...rule, now: d('2026-03-16T02:00:00Z') })).toEqual({ needed: true });
  });

  it('skips when the last load ended at least EXTRACT_LOOKBACK after the window end', () => {
    const w = { end, loadedAt: end + DAY };
    expect(lookbackDecision(w, { ...rule, now: d('2026-03-17T02:00:00Z') })).toMatchObject({
      needed: false,
      reason: 'loaded-late-enough',
    });
    // One millisecond earlier: the late data could still have been missing.
    const early = { end, loadedAt: end + DAY - 1 };
    expect(lookbackDecision(early, { ...rule, now: d('2026-03-17T02:00:00Z') }).needed).toBe(true);
  });

  it('skips when the last load is younger than EXTRACT_SETTLE_DELAY (a restart, a crash loop)', () => {
    const w = { end, loadedAt: d('2026-03-15T02:00:00Z') };
    expect(lookbackDecision(w, { ...rule, now: d('2026-03-15T02:29:59Z') })).toMatchObject({
      needed: false,
      reason: 'just-loaded',
    });
    expect(lookbackDecision(w, { ...rule, now: d('2026-03-15T02:30:00Z') }).needed).toBe(true);
  });

  it("skips windows loaded since the start of the holder's run this process waited for", () => {
    const w = { end, loadedAt: d('2026-03-15T02:00:05Z') };
    const now = d('2026-03-15T03:00:00Z');
    expect(lookbackDecision(w, { ...rule, now, freshSince: d('2026-03-15T02:00:00Z') })).toMatchObject({
      needed: false,
      reason: 'holder-run',
    });
    expect(lookbackDecision(w, { ...rule, now, freshSince: d('2026-03-15T02:00:06Z') }).needed).toBe(true);
  });

  it('does the pass when the load time is unknown', () => {
    expect(lookbackDecision({ end, loadedAt: null }, { ...rule, now: end + 2 * DAY }).needed).toBe(true);
  });
});

describe('planRun with the lookback rule', () => {
  const settings = planSettings(
    { timeBasis: 'utc', dateFormat: 'date' },
    {
      windowMs: DAY,
      backfillWindowMs: 14 * DAY,
      lookbackMs: DAY,
      settleDelayMs: 30 * 60_000,
      wfmTimeZone: 'UTC',
    },
  );
  const ledger = [{ start: end - DAY, end, state: 'loaded' as const, loadedAt: d('2026-03-15T02:00:10Z') }];

  it('a restart a minute after the load plans no lookback and says why', () => {
    const input = { now: d('2026-03-15T02:01:00Z'), settings, ledger, checkpoint: end };
    expect(planRun(input)).toEqual([]);
    expect(skippedLookbacks(input)).toEqual([
      expect.objectContaining({ start: end - DAY, end, reason: 'just-loaded' }),
    ]);
  });

  it('the next night does the lookback', () => {
    const input = { now: d('2026-03-16T02:00:00Z'), settings, ledger, checkpoint: end };
    expect(planRun(input).map((w) => w.reason)).toEqual(['lookback', 'new']);
    expect(skippedLookbacks(input)).toEqual([]);
  });
});
