import {
  judgeVolume,
  judgeWindow,
  QUALITY_THRESHOLDS,
  type WindowFacts,
} from '../../src/reporting/quality-rules.js';

const facts = (over: Partial<WindowFacts>): WindowFacts => ({
  rows: 100,
  baseline: [100, 100, 100, 100],
  previousRows: 100,
  columns: ['a', 'b'],
  previousColumns: ['a', 'b'],
  ...over,
});

describe('judgeVolume', () => {
  it('needs at least 3 earlier weeks', () => {
    expect(QUALITY_THRESHOLDS.minBaselineWindows).toBe(3);
    expect(judgeVolume(0, [500, 500])).toBeNull();
    expect(judgeVolume(0, [500, 500, 500])).toMatchObject({ kind: 'volume-low', average: 500, ratio: 0 });
  });

  it('averages the latest 4 weeks only', () => {
    // The 5th week (an old outage) is left out: 400 against 400 is normal.
    expect(judgeVolume(400, [400, 400, 400, 400, 0])).toBeNull();
  });

  it('flags below 50 % and above 200 % of the average', () => {
    expect(judgeVolume(499, [1000, 1000, 1000])?.kind).toBe('volume-low');
    expect(judgeVolume(500, [1000, 1000, 1000])).toBeNull();
    expect(judgeVolume(2001, [1000, 1000, 1000])?.kind).toBe('volume-high');
    expect(judgeVolume(2000, [1000, 1000, 1000])).toBeNull();
  });

  it('a gap within 10 rows or 3 standard deviations of a Poisson count is noise', () => {
    // A quiet entity: 4 a day on average; 0, 1 or 12 are within the noise.
    expect(judgeVolume(1, [4, 4, 4])).toBeNull();
    expect(judgeVolume(12, [4, 4, 4])).toBeNull();
    expect(judgeVolume(15, [4, 4, 4])?.kind).toBe('volume-high');
    // Around 60 a day: 29 is under half and 31 below, more than 3 × √60 ≈ 23: flagged; 37 is over half.
    expect(judgeVolume(29, [60, 60, 60])?.kind).toBe('volume-low');
    expect(judgeVolume(37, [60, 60, 60])).toBeNull();
    // A big entity: 10,000 a day; 3 × √10000 = 300 is far below the 50 % line, which decides.
    expect(judgeVolume(4999, [10_000, 10_000, 10_000])?.kind).toBe('volume-low');
  });

  it('rows after weeks of none are far above', () => {
    expect(judgeVolume(50, [0, 0, 0])).toMatchObject({ kind: 'volume-high', average: 0 });
    expect(judgeVolume(5, [0, 0, 0])).toBeNull();
  });
});

describe('judgeWindow', () => {
  it('a normal window raises nothing', () => {
    expect(judgeWindow(facts({}))).toEqual([]);
    expect(judgeWindow(facts({ baseline: [], previousRows: null, previousColumns: null }))).toEqual([]);
  });

  it('an empty window after rows is one flag, not also volume-low', () => {
    const verdicts = judgeWindow(facts({ rows: 0 }));
    expect(verdicts.map((v) => v.kind)).toEqual(['empty-window']);
    expect(verdicts[0]?.detail).toBe('no rows, after 100 in the previous window');
  });

  it('an empty window after an empty one is still far below its weekday', () => {
    expect(judgeWindow(facts({ rows: 0, previousRows: 0 })).map((v) => v.kind)).toEqual(['volume-low']);
  });

  it('an empty window is normal where the same window was empty in earlier weeks (closed on Sundays)', () => {
    expect(judgeWindow(facts({ rows: 0, baseline: [0, 0, 0] }))).toEqual([]);
    // Without that history it is flagged.
    expect(judgeWindow(facts({ rows: 0, baseline: [0, 0] })).map((v) => v.kind)).toEqual(['empty-window']);
  });

  it('says how far off a volume flag is', () => {
    const [low] = judgeWindow(facts({ rows: 20, baseline: [100, 90, 110, 100] }));
    expect(low).toMatchObject({ kind: 'volume-low', baseline: 100 });
    expect(low?.detail).toBe('20 rows, 20% of the average 100 of the same window in 4 earlier weeks');
    const [high] = judgeWindow(facts({ rows: 1250, baseline: [500, 500, 500] }));
    expect(high?.detail).toBe('1,250 rows, 2.5x the average 500 of the same window in 3 earlier weeks');
  });

  it('columns of the previous load missing from this file, in their order', () => {
    const verdicts = judgeWindow(facts({ columns: ['b', 'd'], previousColumns: ['a', 'b', 'c'] }));
    expect(verdicts).toEqual([
      {
        kind: 'columns-missing',
        baseline: null,
        missingColumns: ['a', 'c'],
        detail:
          '2 columns of the previous load missing from this file: a, c (they read NULL for this window)',
      },
    ]);
    // New columns (drift) are not a problem; a zero-byte file (no header) has nothing to compare.
    expect(judgeWindow(facts({ columns: ['a', 'b', 'new'] }))).toEqual([]);
    expect(judgeWindow(facts({ columns: null, rows: 0, previousRows: 0, baseline: [] }))).toEqual([]);
  });
});
