import { missedFireTimes, nextFireTime, validateCron } from '../../src/lib/cron-schedule.js';

const iso = (ms: number): string => new Date(ms).toISOString();
const utc = (text: string): number => Date.parse(text);

/** The next `count` fire times after `from`, as ISO strings. */
function fires(expression: string, zone: string, from: string, count: number): string[] {
  const out: string[] = [];
  let at = utc(from);
  for (let i = 0; i < count; i++) {
    at = nextFireTime(expression, zone, at);
    out.push(iso(at));
  }
  return out;
}

describe('nextFireTime', () => {
  it('fires daily at 02:00 UTC, strictly after the given instant', () => {
    expect(fires('0 2 * * *', 'UTC', '2026-01-01T00:00:00Z', 3)).toEqual([
      '2026-01-01T02:00:00.000Z',
      '2026-01-02T02:00:00.000Z',
      '2026-01-03T02:00:00.000Z',
    ]);
    // Exactly at a fire time means the next one, so the loop never fires the same tick twice.
    expect(iso(nextFireTime('0 2 * * *', 'UTC', utc('2026-01-01T02:00:00Z')))).toBe(
      '2026-01-02T02:00:00.000Z',
    );
  });

  it('keeps 02:00 local across the spring-forward night, firing when the clock jumps past 02:00', () => {
    // America/New_York, 2026-03-08: 02:00 EST (07:00Z) becomes 03:00 EDT; 02:00 never shows that night.
    expect(fires('0 2 * * *', 'America/New_York', '2026-03-06T12:00:00Z', 4)).toEqual([
      '2026-03-07T07:00:00.000Z', // 02:00 EST
      '2026-03-08T07:00:00.000Z', // the jump: 03:00 EDT, so the nightly run is not lost
      '2026-03-09T06:00:00.000Z', // 02:00 EDT
      '2026-03-10T06:00:00.000Z',
    ]);
  });

  it('fires a fixed time once when the clock falls back over it', () => {
    // 2026-11-01: 02:00 EDT (06:00Z) becomes 01:00 EST, so 01:30 shows twice; run at the first.
    expect(fires('30 1 * * *', 'America/New_York', '2026-10-31T12:00:00Z', 3)).toEqual([
      '2026-11-01T05:30:00.000Z', // 01:30 EDT
      '2026-11-02T06:30:00.000Z', // 01:30 EST
      '2026-11-03T06:30:00.000Z',
    ]);
  });

  it('evaluates in the zone: 02:00 in Europe/Berlin across its spring change', () => {
    // 2026-03-29: 02:00 CET (01:00Z) becomes 03:00 CEST.
    expect(fires('0 2 * * *', 'Europe/Berlin', '2026-03-27T12:00:00Z', 3)).toEqual([
      '2026-03-28T01:00:00.000Z',
      '2026-03-29T01:00:00.000Z',
      '2026-03-30T00:00:00.000Z',
    ]);
  });

  it('fires every 5 minutes, in real time through both DST changes', () => {
    expect(fires('*/5 * * * *', 'UTC', '2026-01-01T10:03:20Z', 3)).toEqual([
      '2026-01-01T10:05:00.000Z',
      '2026-01-01T10:10:00.000Z',
      '2026-01-01T10:15:00.000Z',
    ]);
    const gaps = (from: string): number[] => {
      const times = fires('*/5 * * * *', 'America/New_York', from, 30).map(utc);
      return times.slice(1).map((t, i) => t - (times[i] as number));
    };
    // Interval schedules keep their spacing: no lost hour in spring, no doubled or skipped hour in autumn.
    expect(new Set(gaps('2026-03-08T06:00:00Z'))).toEqual(new Set([300_000]));
    expect(new Set(gaps('2026-11-01T05:00:00Z'))).toEqual(new Set([300_000]));
  });

  it('understands names, ranges, lists, steps, 6-field seconds and nicknames', () => {
    // 2026-01-05 is a Monday.
    expect(fires('0 8 * jan mon-fri', 'UTC', '2026-01-09T09:00:00Z', 2)).toEqual([
      '2026-01-12T08:00:00.000Z',
      '2026-01-13T08:00:00.000Z',
    ]);
    expect(fires('15,45 1-3/2 1 * *', 'UTC', '2026-02-01T00:00:00Z', 5)).toEqual([
      '2026-02-01T01:15:00.000Z',
      '2026-02-01T01:45:00.000Z',
      '2026-02-01T03:15:00.000Z',
      '2026-02-01T03:45:00.000Z',
      '2026-03-01T01:15:00.000Z',
    ]);
    expect(fires('*/20 * * * * *', 'UTC', '2026-01-01T00:00:00Z', 3)).toEqual([
      '2026-01-01T00:00:20.000Z',
      '2026-01-01T00:00:40.000Z',
      '2026-01-01T00:01:00.000Z',
    ]);
    expect(fires('@daily', 'Asia/Kolkata', '2026-01-01T00:00:00Z', 1)).toEqual(['2026-01-01T18:30:00.000Z']);
    expect(fires('0 0 * * 7', 'UTC', '2026-01-01T00:00:00Z', 1)).toEqual(['2026-01-04T00:00:00.000Z']);
  });

  it('reads the expression as node-cron does: wrapping ranges and full names', () => {
    expect(fires('0 22-1 * * *', 'UTC', '2026-01-01T12:00:00Z', 4)).toEqual([
      '2026-01-01T22:00:00.000Z',
      '2026-01-01T23:00:00.000Z',
      '2026-01-02T00:00:00.000Z',
      '2026-01-02T01:00:00.000Z',
    ]);
    // 2026-01-10 is a Saturday.
    expect(fires('0 6 * january saturday-sunday', 'UTC', '2026-01-09T00:00:00Z', 3)).toEqual([
      '2026-01-10T06:00:00.000Z',
      '2026-01-11T06:00:00.000Z',
      '2026-01-17T06:00:00.000Z',
    ]);
  });

  it('fires a list of hours once each when the clock falls back over one of them', () => {
    // 2026-11-01, America/New_York: 01:00 shows at 05:00Z (EDT) and again at 06:00Z (EST).
    expect(fires('0 1-3 * * *', 'America/New_York', '2026-11-01T04:00:00Z', 3)).toEqual([
      '2026-11-01T05:00:00.000Z', // 01:00 EDT, and not again at 01:00 EST
      '2026-11-01T07:00:00.000Z', // 02:00 EST
      '2026-11-01T08:00:00.000Z', // 03:00 EST
    ]);
  });

  it('keeps an hourly schedule hourly through the spring-forward gap', () => {
    // 2026-03-08, America/New_York: 02:30 never shows; 01:30 EST is 06:30Z, 03:30 EDT is 07:30Z.
    expect(fires('30 * * * *', 'America/New_York', '2026-03-08T06:00:00Z', 3)).toEqual([
      '2026-03-08T06:30:00.000Z',
      '2026-03-08T07:30:00.000Z',
      '2026-03-08T08:30:00.000Z',
    ]);
  });

  it('finds rare dates years ahead', () => {
    expect(fires('0 0 29 2 *', 'UTC', '2026-01-01T00:00:00Z', 1)).toEqual(['2028-02-29T00:00:00.000Z']);
  });

  it('throws on an invalid expression', () => {
    expect(() => nextFireTime('61 * * * *', 'UTC', 0)).toThrow(/invalid cron expression "61 \* \* \* \*"/);
  });
});

describe('missedFireTimes', () => {
  it('counts the ticks a stopped service did not see, and the latest of them', () => {
    const missed = missedFireTimes(
      '0 2 * * *',
      'UTC',
      utc('2026-01-01T02:00:00Z'),
      utc('2026-01-04T12:00:00Z'),
    );
    expect(missed).toEqual({ count: 3, capped: false, last: utc('2026-01-04T02:00:00Z') });
    expect(
      missedFireTimes('0 2 * * *', 'UTC', utc('2026-01-04T02:00:01Z'), utc('2026-01-04T12:00:00Z')),
    ).toEqual({ count: 0, capped: false, last: undefined });
  });

  it('caps the count but still reports the latest tick', () => {
    const missed = missedFireTimes(
      '* * * * *',
      'UTC',
      utc('2026-01-01T00:00:00Z'),
      utc('2026-01-02T00:00:00Z'),
      10,
    );
    expect(missed).toEqual({ count: 10, capped: true, last: utc('2026-01-02T00:00:00Z') });
  });
});

describe('validateCron', () => {
  it('accepts standard expressions', () => {
    expect(validateCron('0 2 * * *')).toBeUndefined();
    expect(validateCron('*/5 * * * *')).toBeUndefined();
    expect(validateCron('0 0 */2 * * *')).toBeUndefined();
  });

  it('explains what is wrong with an invalid one', () => {
    expect(validateCron('61 * * * *')).toMatch(/61 is a invalid expression for minute/);
    expect(validateCron('0 2 * *')).toMatch(/expected 5 or 6 fields but got 4/);
    expect(validateCron('every night')).toMatch(/invalid cron expression "every night"/);
    expect(validateCron('0 0 31 2 *')).toMatch(/impossible day of month/);
  });

  it('refuses the L, W and # tokens this matcher does not evaluate', () => {
    expect(validateCron('0 0 L * *')).toMatch(/L, W and # day tokens are not supported/);
    expect(validateCron('0 0 * * 1#2')).toMatch(/not supported/);
  });
});
