import { once } from 'node:events';
import { setImmediate as tick } from 'node:timers/promises';
import { parse } from 'csv-parse/sync';
import { csvHeader, largeCsvStream } from '../../src/simulator/csv/index.js';

const QUOTE = 0x22;
const LF = 0x0a;
/**
 * The generator yields ~64 KiB buffers; a byte-mode Readable may hand a reader what it has buffered
 * (up to its 64 KiB high-water mark plus one chunk) in one piece, never more.
 */
const CHUNK_LIMIT = 3 * 64 * 1024;

/**
 * Counts records in a CSV byte stream without keeping it: a newline ends a record unless it sits inside
 * quotes (a doubled quote toggles twice, so it cancels out). Keeps only the first `keepRecords` records'
 * bytes for a strict parse.
 */
async function scan(
  stream: NodeJS.ReadableStream,
  keepRecords: number,
): Promise<{ bytes: number; records: number; maxChunk: number; head: Buffer }> {
  let bytes = 0;
  let records = 0;
  let maxChunk = 0;
  let inQuotes = false;
  const kept: Buffer[] = [];
  for await (const data of stream) {
    const chunk = data as Buffer;
    bytes += chunk.length;
    maxChunk = Math.max(maxChunk, chunk.length);
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (b === QUOTE) inQuotes = !inQuotes;
      else if (b === LF && !inQuotes) {
        records++;
        if (records === keepRecords) kept.push(chunk.subarray(0, i + 1));
      }
    }
    if (records < keepRecords) kept.push(chunk);
  }
  return { bytes, records, maxChunk, head: Buffer.concat(kept) };
}

const HEADER = csvHeader({
  tenantId: 'any',
  entity: 'recording-interaction-metadata',
  startMs: 0,
  endMs: 0,
  nowMs: 0,
});

describe('largeCsvStream', () => {
  it('streams exactly the requested rows in bounded chunks, and a slice parses strictly', async () => {
    const rows = 200_000;
    const result = await scan(largeCsvStream({ rows, seed: 'bench' }), 5001);
    expect(result.records).toBe(rows + 1);
    expect(result.bytes).toBeGreaterThan(rows * 200);
    expect(result.maxChunk).toBeLessThanOrEqual(CHUNK_LIMIT);

    const records = parse(result.head, { bom: true }) as string[][];
    expect(records).toHaveLength(5001);
    expect(records[0]).toEqual(HEADER);
    // Strict parsing already rejects a wrong field count; every segment id is distinct.
    const segment = HEADER.indexOf('Segment ID');
    expect(new Set(records.slice(1).map((r) => r[segment])).size).toBe(5000);
    const start = HEADER.indexOf('Start Date');
    const dates = records.slice(1).map((r) => r[start] as string);
    expect([...dates].sort()).toEqual(dates);
  });

  it('is deterministic by seed and honours BOM and line ending', async () => {
    const head = async (seed: string, extra = {}): Promise<Buffer> =>
      (await scan(largeCsvStream({ rows: 3000, seed, ...extra }), 3001)).head;
    const a = await head('s1');
    expect(a.equals(await head('s1'))).toBe(true);
    expect(a.equals(await head('s2'))).toBe(false);

    const lf = await head('s1', { bom: true, lineEnding: '\n' });
    expect([...lf.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lfRecords = parse(lf, { bom: true }) as string[][];
    expect(lfRecords).toEqual(parse(a) as string[][]);
    expect(lf.toString('utf8').split('\n', 1)[0]).toBe(`\uFEFF${HEADER.join(',')}`);
  });

  it('generates on demand: an unread 3-million-row stream holds about one chunk', async () => {
    const stream = largeCsvStream({ rows: 3_000_000 });
    await once(stream, 'readable');
    const first = stream.read() as Buffer;
    expect(first.length).toBeGreaterThan(0);
    for (let i = 0; i < 5; i++) await tick();
    expect(stream.readableLength).toBeLessThanOrEqual(CHUNK_LIMIT);
    stream.destroy();
    await once(stream, 'close');
  });

  it('yields just the header for zero rows and refuses a negative count', async () => {
    const empty = await scan(largeCsvStream({ rows: 0 }), 10);
    expect(empty.records).toBe(1);
    expect(empty.head.toString('utf8')).toBe(`${HEADER.join(',')}\r\n`);
    expect(() => largeCsvStream({ rows: -1 })).toThrow(RangeError);
  });
});
