import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse/sync';
import {
  CsvScanner,
  keptColumns,
  type ColumnAction,
  type CsvScannerOptions,
  type FieldCheck,
} from '../../src/load/csv-scanner.js';
import { csvField, unquote } from '../../src/load/csv-bytes.js';
import { chunks, everySplit, rejection } from '../helpers/csv-chunks.js';

// ---------- helpers ----------

const b = (s: string): Buffer => Buffer.from(s, 'utf8');

/** The bytes in chunks of `size`. */
function cut(input: Buffer, size: number): Buffer[] {
  const parts: Buffer[] = [];
  for (let at = 0; at < input.length; at += size) parts.push(input.subarray(at, at + size));
  return parts;
}

interface Scanned {
  scanner: CsvScanner;
  /** The chunk objects passed on, to check they are not copies. */
  out: Buffer[];
  output: Buffer;
}

async function scan(parts: Buffer[], options: CsvScannerOptions = {}): Promise<Scanned> {
  const scanner = new CsvScanner(options);
  const out: Buffer[] = [];
  await pipeline(
    chunks(parts),
    scanner,
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        out.push(chunk);
        cb();
      },
    }),
  );
  return { scanner, out, output: Buffer.concat(out) };
}

/** A seeded generator, so a failing round can be replayed. */
function seeded(seed: number): (n: number) => number {
  return (n) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
}

const PIECES = [
  'plain',
  'a,b',
  'say "hi"',
  'line\nbreak',
  'crlf\r\nin',
  '상담 요약',
  '',
  '😊',
  '"',
  ',',
  '\\.',
];

/** Random well-formed CSV of `width` columns, quoted where needed (and sometimes where not). */
function randomCsv(random: (n: number) => number, width: number): { text: string; rows: string[][] } {
  const rows = Array.from({ length: 1 + random(30) }, () =>
    Array.from({ length: width }, () => PIECES[random(PIECES.length)] as string),
  );
  const eol = random(2) === 0 ? '\n' : '\r\n';
  const quote = (f: string): string =>
    /[",\r\n]/.test(f) || f.startsWith('\\.') || random(4) === 0 ? `"${f.replace(/"/g, '""')}"` : f;
  const text = rows.map((r) => r.map(quote).join(',')).join(eol) + (random(2) === 0 ? eol : '');
  return { text, rows };
}

// ---------- counting and refusing ----------

describe('CsvScanner: records', () => {
  const cases: Array<[string, number]> = [
    ['', 0],
    ['1,2', 1],
    ['1,2\n', 1],
    ['1,2\r\n3,4\r\n', 2],
    ['1,2\r\n3,4', 2],
    ['1,"x\r\ny",2\n3,4\n', 2],
    ['"a""b",c\n"""",""\n', 2],
    ['"a\n\n\nb"\n', 1],
    ['1,"a,b\nc"\n"d\r\n",2', 2],
    ['상담원,"고객 불만 접수\n재통화 예정"\r\n김,"요약: ""환불"""\r\n', 2],
    // A quote inside an unquoted field opens a quoted section, as in COPY: one record.
    ['1,ab"c\nd"\n', 1],
    // Blank lines are records (COPY reads a NULL row or rejects a short one); trailing LF is not.
    ['x\n\ny\n', 3],
    ['x\n\n', 2],
    ['\n', 1],
    // `\.` is only an end marker alone on a line outside quotes.
    ['1,"a\n\\.\nb"\n', 1],
    ['\\.x,1\n', 1],
    ['x\n\\.', 2],
  ];

  // Counted the same whether the fields are walked (a check on the second column) or skipped.
  const walked: CsvScannerOptions = { columns: ['a', 'b'], checks: new Map([['b', () => false]]) };

  it.each(cases)('counts %j as %i records at every chunk boundary', async (text, expected) => {
    for (const options of [{}, walked]) {
      for (const parts of everySplit(b(text))) {
        const { scanner } = await scan(parts, options);
        expect(scanner.records).toBe(expected);
        expect(scanner.bytes).toBe(b(text).length);
      }
    }
  });

  it('passes the same Buffer objects through (no copy) when nothing is rewritten', async () => {
    const parts = [b('1,"a\n'), b('b"\n2,3\n'), b('4,5')];
    for (const options of [{}, walked]) {
      const { out, scanner } = await scan(parts, options);
      expect(scanner.records).toBe(3);
      expect(out).toHaveLength(3);
      out.forEach((chunk, i) => expect(chunk).toBe(parts[i]));
    }
  });

  it('counts correctly when the same Buffer is written twice', async () => {
    const same = b('a,"b\nc"\nd,e\n');
    expect((await scan([same, same])).scanner.records).toBe(4);
  });

  it('fails on an unterminated quoted field, naming the record', async () => {
    for (const parts of everySplit(b('1,2\n3,"4\n5,6\n7,8\n'))) {
      const err = await rejection(scan(parts));
      expect(err.message).toBe('unterminated quoted field starting near record 2');
    }
  });

  it('fails on a NUL byte, naming the record and byte', async () => {
    for (const options of [{}, walked]) {
      for (const parts of everySplit(b('1,2\n3,"a\nb"\n5,\u0000\n'))) {
        const err = await rejection(scan(parts, options));
        expect(err.message).toMatch(/^NUL byte \(0x00\) in record 3 \(byte 15 after the header\)/);
      }
    }
  });

  it('fails on a line holding only \\. (COPY would drop the rest of the file)', async () => {
    for (const text of ['x\n\\.\ny\n', 'x\r\n\\.\r\ny\r\n', '\\.\n']) {
      for (const parts of everySplit(b(text))) {
        const err = await rejection(scan(parts, walked));
        expect(err.message).toMatch(/^record \d is a line holding only "\\\."/);
      }
    }
  });

  it('puts the caller context on its errors', async () => {
    const context = { tenant: 't1', entity: 'wfm-payroll' as const, jobId: 'j9' };
    const err = await rejection(scan([b('"open')], { context }));
    expect(err.context).toMatchObject(context);
    expect(err.message).toMatch(/^\[tenant=t1 entity=wfm-payroll job=j9\] unterminated/);
  });

  it('agrees with csv-parse on random well-formed CSV in random chunks', async () => {
    const random = seeded(42);
    for (let round = 0; round < 30; round++) {
      const { text, rows } = randomCsv(random, 4);
      const input = b(text);
      const expected = (parse(input) as string[][]).length;
      expect(expected).toBe(rows.length);
      for (const options of [{}, walked]) {
        const { scanner } = await scan(cut(input, 1 + random(64)), options);
        expect(scanner.records).toBe(expected);
      }
    }
  });
});

// ---------- checks ----------

/** Records every value it is shown (as UTF-8) and fails those starting with "bad". */
function recorder(seen: string[]): FieldCheck {
  return (latin1) => {
    const value = Buffer.from(latin1, 'latin1').toString('utf8');
    seen.push(value);
    return value.startsWith('bad');
  };
}

describe('CsvScanner: checks', () => {
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
      const checks = new Map([
        ['a', recorder(seenA)],
        ['c', recorder(seenC)],
      ]);
      const { scanner, output } = await scan(cut(b(body), size), { columns: ['a', 'b', 'c'], checks });
      expect(output.equals(b(body))).toBe(true);
      const expected = parse(body) as string[][];
      expect(seenA).toEqual(expected.map((r) => r[0]));
      expect(seenC).toEqual(expected.map((r) => r[2]));
      expect(scanner.problems).toEqual([
        { column: 'a', failed: 1, sample: 'bad-a5' },
        { column: 'c', failed: 2, sample: 'bad, quoted' },
      ]);
    },
  );

  it('uses the byte shortcut only for unquoted values whole in one chunk', async () => {
    const seen: string[] = [];
    const check: FieldCheck = Object.assign(recorder(seen), {
      passes: (c: Buffer, s: number, e: number) => c.toString('utf8', s, e).startsWith('ok'),
    });
    await scan(cut(b('ok1\r\n"ok2"\r\nbad3\r\nok4\n'), 64), {
      columns: ['x'],
      checks: new Map([['x', check]]),
    });
    expect(seen).toEqual(['ok2', 'bad3']);
  });

  it('keeps the smallest failing value by byte order, cut to the sample length', async () => {
    const { scanner } = await scan([b('zeta\n가나다라\nalpha\nbeta\n')], {
      columns: ['x'],
      checks: new Map([['x', () => true]]),
      sampleChars: 3,
    });
    expect(scanner.problems).toEqual([{ column: 'x', failed: 4, sample: 'alp' }]);
  });

  it('reports nothing when no value fails, and checks nothing without checks', async () => {
    const none = await scan([b('x\ny\n')], { columns: ['a'], checks: new Map([['a', () => false]]) });
    expect(none.scanner.problems).toEqual([]);
    const unchecked = await scan([b('x\ny\n')], { columns: ['a'], checks: new Map() });
    expect(unchecked.scanner.problems).toEqual([]);
  });

  it('checks the value a rewritten column loads, and does not check a dropped one', async () => {
    const seenA: string[] = [];
    const seenB: string[] = [];
    const { scanner } = await scan([b('x,y\nbad,z\n')], {
      columns: ['a', 'b'],
      checks: new Map([
        ['a', recorder(seenA)],
        ['b', recorder(seenB)],
      ]),
      columnActions: new Map<number, ColumnAction>([
        [0, { kind: 'replace', replace: (v) => `bad-${v.toString()}` }],
        [1, { kind: 'drop' }],
      ]),
    });
    expect(seenA).toEqual(['bad-x', 'bad-bad']);
    expect(seenB).toEqual([]);
    expect(scanner.problems).toEqual([{ column: 'a', failed: 2, sample: 'bad-bad' }]);
  });
});

// ---------- rewriting columns ----------

const drop: ColumnAction = { kind: 'drop' };
/** Replaces a value by its bytes' length and a marker that needs quoting. */
const mask: ColumnAction = { kind: 'replace', replace: (v) => `<${v.length}, "m">` };
const upper: ColumnAction = { kind: 'replace', replace: (v) => v.toString('utf8').toUpperCase() };

/** Rewrites `text` at every chunk boundary and expects the same output each time. */
async function rewrite(text: string, actions: Array<[number, ColumnAction]>): Promise<string> {
  const outputs = new Set<string>();
  for (const parts of everySplit(b(text))) {
    const { output } = await scan(parts, { columnActions: new Map(actions) });
    outputs.add(output.toString('utf8'));
  }
  expect(outputs.size).toBe(1);
  return [...outputs][0] as string;
}

describe('CsvScanner: column actions', () => {
  it('drops the first, a middle or the last column with its delimiter, keeping line ends', async () => {
    const text = 'a,b,c\r\n"x,1","y\r\n2","z""3"\r\n';
    expect(await rewrite(text, [[0, drop]])).toBe('b,c\r\n"y\r\n2","z""3"\r\n');
    expect(await rewrite(text, [[1, drop]])).toBe('a,c\r\n"x,1","z""3"\r\n');
    expect(await rewrite(text, [[2, drop]])).toBe('a,b\r\n"x,1","y\r\n2"\r\n');
    expect(
      await rewrite(text, [
        [0, drop],
        [1, drop],
      ]),
    ).toBe('c\r\n"z""3"\r\n');
    expect(
      await rewrite(text, [
        [0, drop],
        [2, drop],
      ]),
    ).toBe('b\r\n"y\r\n2"\r\n');
    expect(
      await rewrite(text, [
        [1, drop],
        [2, drop],
      ]),
    ).toBe('a\r\n"x,1"\r\n');
  });

  it('replaces with the unquoted value and writes the result quoted only when needed', async () => {
    const text = 'a,b\n"q""t",plain\n"x\ny",""\n';
    expect(await rewrite(text, [[0, upper]])).toBe('A,b\n"Q""T",plain\n"X\nY",""\n');
    expect(await rewrite(text, [[1, mask]])).toBe(
      'a,"<1, ""m"">"\n"q""t","<5, ""m"">"\n"x\ny","<0, ""m"">"\n',
    );
    expect(
      await rewrite(text, [
        [0, drop],
        [1, upper],
      ]),
    ).toBe('B\nPLAIN\n\n');
  });

  it('handles a last record without a line end, an empty file and a lone blank line', async () => {
    expect(await rewrite('a,b,c\nd,e,f', [[2, upper]])).toBe('a,b,C\nd,e,F');
    expect(await rewrite('a,b,c\r\nd,e,f', [[1, drop]])).toBe('a,c\r\nd,f');
    expect(await rewrite('', [[0, drop]])).toBe('');
    expect(await rewrite('\n', [[0, upper]])).toBe('\n');
  });

  it('leaves fields past the header alone (COPY then refuses the record as it would have)', async () => {
    expect(await rewrite('a,b,c,d\n', [[1, drop]])).toBe('a,c,d\n');
  });

  it('refuses actions that drop every column', () => {
    expect(
      () =>
        new CsvScanner({
          columns: ['a', 'b'],
          columnActions: new Map([
            [0, drop],
            [1, drop],
          ]),
        }),
    ).toThrow(/drop every column/);
  });

  it('matches csv-parse on random CSV: dropped columns gone, replaced ones as the hook said', async () => {
    const random = seeded(7);
    for (let round = 0; round < 40; round++) {
      const width = 1 + random(5);
      const { text, rows } = randomCsv(random, width);
      const actions = new Map<number, ColumnAction>();
      for (let i = 0; i < width; i++) {
        const pick = random(3);
        if (pick === 1) actions.set(i, drop);
        if (pick === 2) actions.set(i, mask);
      }
      if (keptColumns(rows[0] ?? [], actions).length === 0) actions.delete(0);
      const { output, scanner } = await scan(cut(b(text), 1 + random(40)), { columnActions: actions });
      const expected = rows.map((r) =>
        keptColumns(
          r.map((f, i) => (actions.get(i) === mask ? `<${b(f).length}, "m">` : f)),
          actions,
        ),
      );
      expect(parse(output, { relax_column_count: true })).toEqual(expected);
      expect(scanner.records).toBe(rows.length);
    }
  });
});

describe('helpers', () => {
  it('unquotes as COPY does: quotes may open anywhere, "" inside quotes is one quote', () => {
    expect(unquote(b('"a""b"')).toString()).toBe('a"b');
    expect(unquote(b('ab"c,d"e')).toString()).toBe('abc,de');
    expect(unquote(b('""')).toString()).toBe('');
    expect(unquote(b('"x"""')).toString()).toBe('x"');
  });

  it('quotes a written value only when COPY would misread it', () => {
    expect(csvField('plain 김')).toBe('plain 김');
    expect(csvField('')).toBe('');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "x"')).toBe('"say ""x"""');
    expect(csvField('l1\r\nl2')).toBe('"l1\r\nl2"');
    expect(csvField('\\.')).toBe('"\\."');
  });

  it('keptColumns leaves out dropped columns only', () => {
    expect(
      keptColumns(
        ['a', 'b', 'c'],
        new Map<number, ColumnAction>([
          [1, drop],
          [2, mask],
        ]),
      ),
    ).toEqual(['a', 'c']);
    expect(keptColumns(['a'])).toEqual(['a']);
  });
});
