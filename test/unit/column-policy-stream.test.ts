import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse/sync';
import { ColumnPolicyStream, unquote } from '../../src/load/column-policy-stream.js';
import type { ColumnAction } from '../../src/load/column-policy.js';

/** Runs the stream over `csv` cut into chunks of `size` bytes; returns the output as text. */
async function apply(actions: Map<number, ColumnAction>, csv: string, size: number): Promise<string> {
  const bytes = Buffer.from(csv, 'utf8');
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  const out: Buffer[] = [];
  await pipeline(
    Readable.from(chunks),
    new ColumnPolicyStream(actions),
    new Writable({
      write(chunk: Buffer, _e, cb) {
        out.push(chunk);
        cb();
      },
    }),
  );
  return Buffer.concat(out).toString('utf8');
}

const upper: ColumnAction = { kind: 'replace', replace: (v) => `<${v.toString('utf8').toUpperCase()}>` };
const drop: ColumnAction = { kind: 'drop' };

/** What the policy should give, record by record, from a CSV parser's reading of the input. */
function expected(csv: string, actions: Map<number, ColumnAction>): string[][] {
  const records = parse(csv, { relax_column_count: true }) as string[][];
  return records.map((fields) =>
    fields.flatMap((value, i) => {
      const action = actions.get(i);
      if (action === undefined) return [value];
      if (action.kind === 'drop') return [];
      return [action.replace(Buffer.from(value, 'utf8'))];
    }),
  );
}

const SAMPLE = [
  'a1,"b, with comma",c1,"d ""quoted""",e1',
  'a2,"b2\nspans lines",,"",e2',
  '"a3 ""x""",b3,c3 café,d3,"e3,\r\n"',
  'a4,b4,c4,d4,e4',
].join('\r\n');

describe('ColumnPolicyStream', () => {
  const policies: [string, Map<number, ColumnAction>][] = [
    ['replace one middle field', new Map<number, ColumnAction>([[2, upper]])],
    ['drop one middle field', new Map<number, ColumnAction>([[2, drop]])],
    ['drop the first field', new Map<number, ColumnAction>([[0, drop]])],
    ['drop the first two fields', new Map<number, ColumnAction>([[0, drop], [1, drop]])],
    ['drop the last field', new Map<number, ColumnAction>([[4, drop]])],
    ['replace the last field and a quoted one', new Map<number, ColumnAction>([[4, upper], [1, upper]])],
    ['drop and replace side by side', new Map<number, ColumnAction>([[1, drop], [2, upper], [3, drop]])],
    ['replace the first field', new Map<number, ColumnAction>([[0, upper]])],
  ];

  for (const [name, actions] of policies) {
    it(`${name}: the same records as a CSV parser, at every chunk size`, async () => {
      const want = expected(SAMPLE, actions);
      for (const size of [1, 2, 3, 5, 7, 16, 1000]) {
        const got = await apply(actions, SAMPLE, size);
        expect([size, parse(got, { relax_column_count: true })]).toEqual([size, want]);
      }
    });
  }

  it('passes untouched fields and line ends byte for byte', async () => {
    const csv = 'x,"y ""1""",z\r\nx2,y2,z2\n';
    expect(await apply(new Map([[2, drop]]), csv, 4)).toBe('x,"y ""1"""\r\nx2,y2\n');
    expect(await apply(new Map([[0, upper]]), csv, 3)).toBe('<X>,"y ""1""",z\r\n<X2>,y2,z2\n');
  });

  it('keeps a last record without a line end', async () => {
    expect(await apply(new Map([[1, upper]]), 'a,b\nc,d', 1)).toBe('a,<B>\nc,<D>');
    expect(await apply(new Map([[1, drop]]), 'a,b\nc,d', 2)).toBe('a\nc');
  });

  it('quotes a replacement that needs it', async () => {
    const comma: ColumnAction = { kind: 'replace', replace: () => 'p,"q"' };
    expect(await apply(new Map([[0, comma]]), 'a,b\n', 2)).toBe('"p,""q""",b\n');
  });

  it('hands the replace function the unescaped value', async () => {
    const seen: string[] = [];
    const record: ColumnAction = {
      kind: 'replace',
      replace: (v) => {
        seen.push(v.toString('utf8'));
        return 'h';
      },
    };
    await apply(new Map([[1, record]]), 'a,"say ""hi"", x"\nb,"line\r\nbreak"\r\n', 3);
    expect(seen).toEqual(['say "hi", x', 'line\r\nbreak']);
  });

  it('with no actions passes chunks through as they are', async () => {
    expect(await apply(new Map(), SAMPLE, 5)).toBe(SAMPLE);
  });
});

describe('unquote', () => {
  it('reads a field as COPY does', () => {
    expect(unquote(Buffer.from('"a""b"')).toString()).toBe('a"b');
    expect(unquote(Buffer.from('plain')).toString()).toBe('plain');
    expect(unquote(Buffer.from('x"y,z"w')).toString()).toBe('xy,zw');
  });
});
