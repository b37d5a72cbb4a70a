import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse/sync';
import { FieldChecker, unquote, type FieldCheck } from '../../src/load/field-checker.js';

/** Runs the checker over `csv` (body only, no header) cut into chunks of `size` bytes. */
async function check(
  columns: string[],
  checks: Map<string, FieldCheck>,
  csv: string,
  size: number,
): Promise<FieldChecker> {
  const bytes = Buffer.from(csv, 'utf8');
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  const checker = new FieldChecker(columns, checks);
  const out: Buffer[] = [];
  await pipeline(
    Readable.from(chunks),
    checker,
    new Writable({
      write(chunk: Buffer, _e, cb) {
        out.push(chunk);
        cb();
      },
    }),
  );
  // Pass-through: the bytes reach COPY untouched.
  expect(Buffer.concat(out).equals(bytes)).toBe(true);
  return checker;
}

/** Records every value it is shown (as UTF-8) and fails those starting with "bad". */
function recorder(seen: string[]): FieldCheck {
  return (latin1) => {
    const value = Buffer.from(latin1, 'latin1').toString('utf8');
    seen.push(value);
    return value.startsWith('bad');
  };
}

describe('FieldChecker', () => {
  const body =
    'a1,"b ""quoted"", with comma",c1\r\n' +
    'a2,"multi\nline",bad-c2\r\n' +
    '"a""3",김민수,"bad, quoted"\r\n' +
    'a4,,\r\n' +
    'bad-a5,b5,"c""5"';

  it.each([1, 2, 3, 7, 64 * 1024])(
    'sees each chosen field as COPY reads it, whatever the chunking (%i-byte chunks)',
    async (size) => {
      const seenA: string[] = [];
      const seenC: string[] = [];
      const checker = await check(
        ['a', 'b', 'c'],
        new Map([
          ['a', recorder(seenA)],
          ['c', recorder(seenC)],
        ]),
        body,
        size,
      );
      const expected = parse(body, { relax_quotes: false }) as string[][];
      expect(seenA).toEqual(expected.map((r) => r[0]));
      expect(seenC).toEqual(expected.map((r) => r[2]));
      expect(checker.problems).toEqual([
        { column: 'a', failed: 1, sample: 'bad-a5' },
        { column: 'c', failed: 2, sample: 'bad, quoted' },
      ]);
    },
  );

  it('keeps the smallest failing value by byte order, cut to the sample length', async () => {
    const checker = new FieldChecker(['x'], new Map([['x', () => true]]), 3);
    await pipeline(
      Readable.from([Buffer.from('zeta\n가나다라\nalpha\nbeta\n')]),
      checker,
      new Writable({ write: (_c, _e, cb) => cb() }),
    );
    expect(checker.problems).toEqual([{ column: 'x', failed: 4, sample: 'alp' }]);
  });

  it('reports nothing when no value fails, and checks nothing without checks', async () => {
    const none = await check(['a'], new Map([['a', () => false]]), 'x\ny\n', 1);
    expect(none.problems).toEqual([]);
    const unchecked = await check(['a'], new Map(), 'x\ny\n', 1);
    expect(unchecked.problems).toEqual([]);
  });

  it('unquotes as COPY does: quotes may open anywhere, "" inside quotes is one quote', () => {
    expect(unquote('"a""b"')).toBe('a"b');
    expect(unquote('ab"c,d"e')).toBe('abc,de');
    expect(unquote('""')).toBe('');
    expect(unquote('"x"""')).toBe('x"');
  });
});
