import { apiDates, windowLabel } from '../../src/extract/api-dates.js';
import {
  planBackfill,
  planRun,
  planSettings,
  unitsOf,
  type LedgerWindow,
} from '../../src/extract/plan-windows.js';
import { localDayGrid } from '../../src/extract/time-grid.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const d = (s: string): number => Date.parse(s.length === 10 ? `${s}T00:00:00Z` : s);
const iso = (t: number): string => new Date(t).toISOString();
const show = (plan: { start: number; end: number; reason: string }[]): string[] =>
  plan.map((w) => `${w.reason} ${iso(w.start).slice(0, 16)}..${iso(w.end).slice(0, 16)}`);

const utcDaily = planSettings(
  { timeBasis: 'utc', dateFormat: 'date' },
  {
    windowMs: DAY,
    backfillWindowMs: 14 * DAY,
    lookbackMs: DAY,
    settleDelayMs: 30 * 60_000,
    wfmTimeZone: 'UTC',
  },
);

describe('planRun', () => {
  it('first run: one backfill window before the horizon, the newest day left on its own for lookbacks', () => {
    const plan = planRun({ now: d('2026-03-15T10:00:00Z'), settings: utcDaily, ledger: [] });
    expect(show(plan)).toEqual([
      'new 2026-03-01T00:00..2026-03-14T00:00',
      'new 2026-03-14T00:00..2026-03-15T00:00',
    ]);
  });

  it('never plans past now − settle delay', () => {
    const early = planRun({
      now: d('2026-03-15T00:20:00Z'),
      settings: utcDaily,
      ledger: [],
      checkpoint: d('2026-03-14'),
    });
    expect(early.filter((w) => w.reason === 'new')).toEqual([]);
    const later = planRun({
      now: d('2026-03-15T00:31:00Z'),
      settings: utcDaily,
      ledger: [],
      checkpoint: d('2026-03-14'),
    });
    expect(show(later.filter((w) => w.reason === 'new'))).toEqual(['new 2026-03-14T00:00..2026-03-15T00:00']);
  });

  it('nightly: the new day plus the lookback re-extraction of the loaded day before, with its exact bounds', () => {
    const ledger: LedgerWindow[] = [
      { start: d('2026-03-01'), end: d('2026-03-14'), state: 'loaded' },
      { start: d('2026-03-14'), end: d('2026-03-15'), state: 'loaded' },
    ];
    const plan = planRun({
      now: d('2026-03-16T02:00:00Z'),
      settings: utcDaily,
      ledger,
      checkpoint: d('2026-03-15'),
    });
    expect(show(plan)).toEqual([
      'lookback 2026-03-14T00:00..2026-03-15T00:00',
      'new 2026-03-15T00:00..2026-03-16T00:00',
    ]);
  });

  it('starts at EXTRACT_START_DATE, merging up to 14 days per request', () => {
    const plan = planRun({
      now: d('2026-02-10T12:00:00Z'),
      settings: utcDaily,
      ledger: [],
      start: d('2026-01-01'),
    });
    expect(show(plan)).toEqual([
      'new 2026-01-01T00:00..2026-01-15T00:00',
      'new 2026-01-15T00:00..2026-01-29T00:00',
      'new 2026-01-29T00:00..2026-02-09T00:00',
      'new 2026-02-09T00:00..2026-02-10T00:00',
    ]);
    // Contiguous: no gap, no overlap.
    for (let i = 1; i < plan.length; i++) expect(plan[i]?.start).toBe(plan[i - 1]?.end);
  });

  it('puts in-flight jobs first, then failed and deferred windows, and skips what is covered', () => {
    const ledger: LedgerWindow[] = [
      { start: d('2026-03-10'), end: d('2026-03-11'), state: 'loaded' },
      { start: d('2026-03-11'), end: d('2026-03-12'), state: 'failed' },
      { start: d('2026-03-12'), end: d('2026-03-13'), state: 'requested', jobId: 'job-7' },
      { start: d('2026-03-13'), end: d('2026-03-14'), state: 'deferred' },
    ];
    const plan = planRun({
      now: d('2026-03-14T12:00:00Z'),
      settings: utcDaily,
      ledger,
      checkpoint: d('2026-03-11'),
    });
    expect(show(plan)).toEqual([
      'resume 2026-03-12T00:00..2026-03-13T00:00',
      'retry 2026-03-11T00:00..2026-03-12T00:00',
      'deferred 2026-03-13T00:00..2026-03-14T00:00',
      'lookback 2026-03-10T00:00..2026-03-11T00:00',
    ]);
    expect(plan[0]?.jobId).toBe('job-7');
  });

  it('does not plan windows again that an in-flight window contains (an interrupted backfill)', () => {
    // Found by the reliability suite: re-extracted on their own after the resumed window, those days
    // were loaded twice.
    const ledger: LedgerWindow[] = [
      { start: d('2026-03-08'), end: d('2026-03-14'), state: 'requested', jobId: 'job-9' },
      { start: d('2026-03-10'), end: d('2026-03-13'), state: 'loaded' },
      { start: d('2026-03-13'), end: d('2026-03-14'), state: 'failed' },
      { start: d('2026-03-14'), end: d('2026-03-15'), state: 'loaded' },
    ];
    const plan = planRun({
      now: d('2026-03-16T02:00:00Z'),
      settings: { ...utcDaily, lookbackMs: 5 * DAY },
      ledger,
      checkpoint: d('2026-03-15'),
    });
    expect(show(plan)).toEqual([
      'resume 2026-03-08T00:00..2026-03-14T00:00',
      'lookback 2026-03-14T00:00..2026-03-15T00:00',
      'new 2026-03-15T00:00..2026-03-16T00:00',
    ]);
  });

  it('aligns sub-day windows for datetime entities to the window length', () => {
    const settings = planSettings(
      { timeBasis: 'utc', dateFormat: 'datetime' },
      {
        windowMs: 6 * HOUR,
        backfillWindowMs: DAY,
        lookbackMs: 6 * HOUR,
        settleDelayMs: 0,
        wfmTimeZone: 'UTC',
      },
    );
    const plan = planRun({
      now: d('2026-03-02T13:00:00Z'),
      settings,
      ledger: [],
      start: d('2026-03-01T07:00:00Z'),
    });
    expect(show(plan)).toEqual([
      'new 2026-03-01T06:00..2026-03-02T06:00',
      'new 2026-03-02T06:00..2026-03-02T12:00',
    ]);
  });
});

describe('planBackfill', () => {
  it('re-extracts touching ledger windows whole and merges them with new units', () => {
    const ledger: LedgerWindow[] = [{ start: d('2026-01-05'), end: d('2026-01-07'), state: 'loaded' }];
    const plan = planBackfill({
      now: d('2026-03-01'),
      settings: utcDaily,
      ledger,
      from: d('2026-01-06T05:00:00Z'),
      to: d('2026-01-09'),
    });
    expect(show(plan)).toEqual(['backfill 2026-01-05T00:00..2026-01-09T00:00']);
  });

  it('resumes an interrupted backfill window without re-extracting the loaded windows inside it', () => {
    const ledger: LedgerWindow[] = [
      { start: d('2026-03-08'), end: d('2026-03-14'), state: 'requested', jobId: 'job-9' },
      { start: d('2026-03-10'), end: d('2026-03-14'), state: 'loaded' },
      { start: d('2026-03-14'), end: d('2026-03-15'), state: 'loaded' },
    ];
    const plan = planBackfill({
      now: d('2026-03-15T02:00:00Z'),
      settings: utcDaily,
      ledger,
      from: d('2026-03-08'),
      to: d('2026-03-15'),
    });
    expect(show(plan)).toEqual([
      'resume 2026-03-08T00:00..2026-03-14T00:00',
      'backfill 2026-03-14T00:00..2026-03-15T00:00',
    ]);
  });

  it('resumes an in-flight window alone and never goes past the horizon', () => {
    const ledger: LedgerWindow[] = [
      { start: d('2026-02-26'), end: d('2026-02-27'), state: 'requested', jobId: 'j1' },
    ];
    const plan = planBackfill({
      now: d('2026-02-28T12:00:00Z'),
      settings: utcDaily,
      ledger,
      from: d('2026-02-20'),
      to: d('2026-03-05'),
    });
    expect(show(plan)).toEqual([
      'resume 2026-02-26T00:00..2026-02-27T00:00',
      'backfill 2026-02-20T00:00..2026-02-26T00:00',
      'backfill 2026-02-27T00:00..2026-02-28T00:00',
    ]);
  });
});

describe('wfm-payroll local days', () => {
  const settings = planSettings(
    { timeBasis: 'schedule-unit', dateFormat: 'date' },
    {
      windowMs: DAY,
      backfillWindowMs: 14 * DAY,
      lookbackMs: DAY,
      settleDelayMs: 0,
      wfmTimeZone: 'America/New_York',
    },
  );

  it('cuts at local midnights across the spring-forward change (a 23-hour day)', () => {
    const units = unitsOf(d('2026-03-07T05:00:00Z'), d('2026-03-10T04:00:00Z'), settings.grid);
    expect(units.map((u) => iso(u.start))).toEqual([
      '2026-03-07T05:00:00.000Z',
      '2026-03-08T05:00:00.000Z',
      '2026-03-09T04:00:00.000Z',
    ]);
    expect(units.map((u) => (u.end - u.start) / HOUR)).toEqual([24, 23, 24]);
  });

  it('sends local dates, exclusive end by default and the last day when inclusive', () => {
    const window = { start: d('2026-03-08T05:00:00Z'), end: d('2026-03-09T04:00:00Z') };
    expect(
      apiDates(window, { dateFormat: 'date', endDateInclusive: false }, 'schedule-unit', 'America/New_York'),
    ).toEqual({
      startDate: '2026-03-08',
      endDate: '2026-03-09',
    });
    expect(
      apiDates(window, { dateFormat: 'date', endDateInclusive: true }, 'schedule-unit', 'America/New_York'),
    ).toEqual({
      startDate: '2026-03-08',
      endDate: '2026-03-08',
    });
    expect(windowLabel(window, 'America/New_York')).toBe('2026-03-08..2026-03-09 America/New_York');
  });

  it('plans whole local days up to local midnight before now', () => {
    const plan = planRun({
      now: d('2026-11-02T12:00:00Z'),
      settings,
      ledger: [],
      start: d('2026-10-31T04:00:00Z'),
    });
    // Fall back on 2026-11-01: a 25-hour day, kept on its own as the newest (lookback) unit.
    expect(plan.map((w) => (w.end - w.start) / HOUR)).toEqual([24, 25]);
    expect(iso(plan[1]?.end ?? 0)).toBe('2026-11-02T05:00:00.000Z');
  });

  it('works in a zone east of UTC', () => {
    const grid = localDayGrid('Asia/Seoul');
    expect(iso(grid.floor(d('2026-05-01T14:59:00Z')))).toBe('2026-04-30T15:00:00.000Z');
    expect(iso(grid.floor(d('2026-05-01T15:00:00Z')))).toBe('2026-05-01T15:00:00.000Z');
  });
});

describe('apiDates for UTC entities', () => {
  const window = { start: d('2026-01-01'), end: d('2026-01-02') };
  it('date format: exclusive and inclusive ends', () => {
    expect(apiDates(window, { dateFormat: 'date', endDateInclusive: false }, 'utc', 'UTC')).toEqual({
      startDate: '2026-01-01',
      endDate: '2026-01-02',
    });
    expect(apiDates(window, { dateFormat: 'date', endDateInclusive: true }, 'utc', 'UTC').endDate).toBe(
      '2026-01-01',
    );
  });
  it('datetime format: yyyy-mm-dd hh:mm:ss in UTC, inclusive end is the last second', () => {
    expect(apiDates(window, { dateFormat: 'datetime', endDateInclusive: false }, 'utc', 'UTC')).toEqual({
      startDate: '2026-01-01 00:00:00',
      endDate: '2026-01-02 00:00:00',
    });
    expect(apiDates(window, { dateFormat: 'datetime', endDateInclusive: true }, 'utc', 'UTC').endDate).toBe(
      '2026-01-01 23:59:59',
    );
  });
});

describe('retention (retainFrom)', () => {
  const now = d('2026-03-15T10:00:00Z');
  const retainFrom = now - 3 * DAY; // 2026-03-12T10:00

  it('a first run starts at the unit that holds the retention horizon, not at the start date', () => {
    const plan = planRun({ now, settings: utcDaily, ledger: [], start: d('2026-03-01'), retainFrom });
    expect(show(plan)).toEqual([
      'new 2026-03-12T00:00..2026-03-14T00:00',
      'new 2026-03-14T00:00..2026-03-15T00:00',
    ]);
  });

  it('never plans a ledger window that ended by the horizon: failed, deferred or in flight', () => {
    const ledger: LedgerWindow[] = [
      { start: d('2026-03-10'), end: d('2026-03-11'), state: 'failed' },
      { start: d('2026-03-11'), end: d('2026-03-12'), state: 'requested', jobId: 'j1' },
      { start: d('2026-03-12'), end: d('2026-03-13'), state: 'failed' },
      { start: d('2026-03-13'), end: d('2026-03-15'), state: 'loaded' },
    ];
    const plan = planRun({ now, settings: utcDaily, ledger, checkpoint: d('2026-03-15'), retainFrom });
    expect(show(plan)).toEqual([
      'retry 2026-03-12T00:00..2026-03-13T00:00',
      'lookback 2026-03-13T00:00..2026-03-15T00:00',
    ]);
  });

  it('a backfill over older days extracts only what retention keeps', () => {
    const plan = planBackfill({
      now,
      settings: utcDaily,
      ledger: [],
      from: d('2026-03-01'),
      to: d('2026-03-14'),
      retainFrom,
    });
    expect(show(plan)).toEqual(['backfill 2026-03-12T00:00..2026-03-14T00:00']);
    expect(
      planBackfill({
        now,
        settings: utcDaily,
        ledger: [],
        from: d('2026-03-01'),
        to: d('2026-03-10'),
        retainFrom,
      }),
    ).toEqual([]);
  });
});
