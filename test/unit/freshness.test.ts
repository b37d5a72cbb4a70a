import { parseConfig } from '../../src/config.js';
import { freshnessOf, freshnessSettings, schedulePeriodMs } from '../../src/observability/freshness.js';

const H = 3_600_000;
const NOW = Date.UTC(2026, 2, 15, 12, 0, 0);
const config = (env: Record<string, string> = {}) =>
  parseConfig({ CXONE_ACCESS_KEY_ID: 'k', CXONE_ACCESS_KEY_SECRET: 's', ...env });

describe('freshness', () => {
  it('defaults to one schedule period plus one window (daily at 02:00, 1-day windows: 48 h)', () => {
    const settings = freshnessSettings(config());
    expect(schedulePeriodMs(settings.schedule, NOW)).toBe(24 * H);
    expect(freshnessOf('qm-workflows', NOW - 47 * H, settings, NOW)).toEqual({
      lagMs: 47 * H,
      maxLagMs: 48 * H,
      stale: false,
    });
    expect(freshnessOf('qm-workflows', NOW - 49 * H, settings, NOW).stale).toBe(true);
    // Never loaded: stale.
    expect(freshnessOf('qm-workflows', null, settings, NOW)).toEqual({
      lagMs: null,
      maxLagMs: 48 * H,
      stale: true,
    });
  });

  it('follows the schedule: hourly runs with 1-hour windows allow 2 h', () => {
    const settings = freshnessSettings(config({ SCHEDULE_CRON: '5 * * * *', EXTRACT_WINDOW: '1h' }));
    expect(freshnessOf('wfm-payroll', NOW - 2.5 * H, settings, NOW)).toMatchObject({
      maxLagMs: 2 * H,
      stale: true,
    });
  });

  it('FRESHNESS_MAX_LAG sets every entity, or the ones named with * for the rest', () => {
    const all = freshnessSettings(config({ FRESHNESS_MAX_LAG: '26h' }));
    expect(freshnessOf('wfm-payroll', NOW - 27 * H, all, NOW)).toMatchObject({
      maxLagMs: 26 * H,
      stale: true,
    });
    const some = freshnessSettings(config({ FRESHNESS_MAX_LAG: 'qm-workflows=26h, *=3d' }));
    expect(freshnessOf('qm-workflows', NOW, some, NOW).maxLagMs).toBe(26 * H);
    expect(freshnessOf('wfm-payroll', NOW, some, NOW).maxLagMs).toBe(72 * H);
    const one = freshnessSettings(config({ FRESHNESS_MAX_LAG: 'qm-workflows=26h' }));
    expect(freshnessOf('wfm-payroll', NOW, one, NOW).maxLagMs).toBe(48 * H);
  });

  it.each(['soon', 'qm-workflows', 'qm-workflows=', 'nope=1h', 'qm-workflows=0s'])(
    'refuses FRESHNESS_MAX_LAG=%s naming the variable',
    (value) => {
      expect(() => config({ FRESHNESS_MAX_LAG: value })).toThrow(/FRESHNESS_MAX_LAG/);
    },
  );
});
