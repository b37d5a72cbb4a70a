import { castFailsCheck } from '../../src/reporting/cast-check.js';
import { castFailsSql, type CastTarget } from '../../src/reporting/cast-sql.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

/**
 * The loader counts cast problems in JavaScript while streaming (reporting/cast-check.ts); the views
 * read values through the SQL casts. Both must give the same verdict on every value, or status would
 * count problems the views do not have (or miss ones they do). Each value is checked both ways.
 */
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.drop());

const TYPES: CastTarget['type'][] = ['timestamptz', 'date', 'numeric', 'integer', 'boolean', 'interval'];

const EDGE_CASES = [
  '',
  ' ',
  '   ',
  'x',
  '2026-03-14',
  ' 2026-03-14 ',
  '2026-3-14',
  '2026-03-14 10:00',
  '2026-03-14 10:00:00',
  '2026-03-14T10:00:00',
  '2026-03-14 10:00:00.123456',
  '2026-03-14 10:00:00.1234567',
  '2026-03-14 24:00:00',
  '2026-03-14 23:60:00',
  '2026-03-14 10:00:00Z',
  '2026-03-14 10:00:00z',
  '2026-03-14 10:00:00+09',
  '2026-03-14 10:00:00+0930',
  '2026-03-14 10:00:00+09:30',
  '2026-03-14 10:00:00-14:59',
  '2026-03-14 10:00:00+15',
  '2026-03-14Z',
  '2026-02-29',
  '2024-02-29',
  '1900-02-29',
  '2000-02-29',
  '2026-02-30',
  '2026-04-31',
  '2026-05-31',
  '2026-11-31 10:00:00',
  '0000-01-01',
  ' 0000-01-01',
  '2026-13-01',
  '2026-00-10',
  '14/03/2026 10:00',
  '03/14/2026',
  '０',
  '2026-03-14 10:00:00 ',
  '2026-03-14  10:00:00',
  '0',
  '1',
  '-1',
  '+1',
  ' 42 ',
  '1.',
  '.5',
  '-.5',
  '1e3',
  '1E-3',
  '1e1000',
  '1e',
  '1,5',
  '1 000',
  '123456789012345678',
  '1234567890123456789',
  '9223372036854775807',
  '9223372036854775808',
  '-9223372036854775808',
  '-9223372036854775809',
  '00000000000000000000001',
  '+9223372036854775807',
  'yes',
  'Yes',
  'YES',
  ' no ',
  'Y',
  'n',
  'TRUE',
  'False',
  'on',
  'OFF',
  'maybe',
  '예',
  '아니오',
  '아니요',
  ' 예 ',
  'Ja',
  '00:00:00',
  '1:02:03',
  '01:02',
  '100:00:00',
  '999999:59:59',
  '1000000:00:00',
  '00:60:00',
  '00:00:60',
  '00:00:00.5',
  ' 10:00:00 ',
  '10:00:00.',
  '\t1',
  '1\t',
  'NaN',
  'Infinity',
  '김민수',
  '2026-01-28 23:59:59',
  '2026-12-01T00:00:00',
  '0001-01-01',
  '2026-02-28',
  '-12',
  '123456789012345678',
  '-12345678901234567',
  '-123456789012345678',
  '-0.35',
  '0.',
  '-',
  '-.',
  '.',
  '123456:59:59',
  '1234567:00:00',
  '12:5:00',
];

/** Random strings from the characters the patterns care about, to find cases nobody thought of. */
function randomValues(count: number, seed: number): string[] {
  const alphabet = '0123456789 -:.+eEZTt12-0:yesnoYN예,/\t';
  let state = seed;
  const next = (): number => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state;
  };
  const values: string[] = [];
  for (let i = 0; i < count; i++) {
    const template = EDGE_CASES[next() % EDGE_CASES.length] as string;
    // Half: an edge case with one character changed; half: random text.
    if (next() % 2 === 0 && template.length > 0) {
      const at = next() % template.length;
      const chars = Array.from(template);
      chars[at] = alphabet[next() % alphabet.length] as string;
      values.push(chars.join(''));
    } else {
      const length = next() % 26;
      values.push(Array.from({ length }, () => alphabet[next() % alphabet.length]).join(''));
    }
  }
  return values;
}

describe('castFailsCheck (JavaScript) agrees with castFailsSql (Postgres)', () => {
  const values = [...EDGE_CASES, ...randomValues(4000, 7)];

  it.each(TYPES)('%s', async (type) => {
    const check = castFailsCheck({ type });
    expect(check).toBeDefined();
    const { rows } = await db.pool.query<{ v: string; fails: boolean }>(
      `SELECT v, ${castFailsSql('v', { type }, 'Asia/Seoul')} AS fails FROM unnest($1::text[]) AS t(v)`,
      [values],
    );
    const disagreements = rows
      .map((r) => ({ value: r.v, sql: r.fails, js: check?.(Buffer.from(r.v, 'utf8').toString('latin1')) }))
      .filter((d) => d.sql !== d.js);
    expect(disagreements).toEqual([]);
    // The byte shortcut only ever vouches for values the cast takes, and does vouch for some.
    const passes = check?.passes;
    if (passes !== undefined) {
      const vouched = rows.filter((r) => {
        const bytes = Buffer.from(`,${r.v},`, 'utf8');
        return passes(bytes, 1, bytes.length - 1);
      });
      expect(vouched.filter((r) => r.fails)).toEqual([]);
      expect(vouched.some((r) => r.v !== '')).toBe(true);
    }
    // The sample is not trivial: both verdicts occur.
    expect(rows.some((r) => r.fails)).toBe(true);
    expect(rows.some((r) => !r.fails && r.v.trim() !== '')).toBe(true);
  });

  it('has no JavaScript form for text or a to_timestamp format (those are counted in SQL)', () => {
    expect(castFailsCheck({ type: 'text' })).toBeUndefined();
    expect(castFailsCheck({ type: 'timestamptz', format: 'MM/DD/YYYY' })).toBeUndefined();
  });
});
