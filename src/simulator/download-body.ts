/**
 * The bytes of a job's file, as a factory of fresh streams: the generators are deterministic, so a
 * Content-Length pass and the real send (or a fault's partial send) see the same bytes without the
 * file ever being held in memory.
 */
import { Readable } from 'node:stream';
import { csvHeader, csvRows, csvStream, encodeCsvLine, largeCsvStream } from './csv/index.js';
import type { SimContext } from './context.js';
import type { Job } from './jobs.js';

export type BodyFactory = () => Readable;

/** Lines are batched into chunks about this size so a large file is not a million tiny writes. */
const CHUNK_CHARS = 64 * 1024;

export function bodyFactory(ctx: SimContext, job: Job): BodyFactory {
  const { options } = ctx;
  const override = options.faults.bodyOverride?.(job);
  if (override !== undefined) {
    ctx.stats.fault('bodyOverride');
    return () => (Buffer.isBuffer(override) ? Readable.from([override], { objectMode: false }) : override);
  }
  const { bom, lineEnding } = job.csv;
  if (options.largeRows !== undefined) {
    const rows = options.largeRows;
    const seed = `${options.seed}:${job.tenantId}:${job.entity}:${job.startMs}:${job.endMs}`;
    const { startMs, endMs } = job;
    return () =>
      largeCsvStream({ rows, seed, startMs, endMs, bom: bom ?? false, lineEnding: lineEnding ?? '\r\n' });
  }
  const dropRows = options.faults.dropRows ?? 0;
  const markerAfter = options.faults.endOfDataMarkerAfter;
  if (dropRows > 0 || markerAfter !== undefined) {
    return () => Readable.from(droppedRowsChunks(job, dropRows, markerAfter), { objectMode: false });
  }
  return () => csvStream({ ...job.csv });
}

/**
 * Leaves out the first n data rows (still a well-formed CSV, just short of rows), and optionally puts a
 * `\.` line after `markerAfter` rows (reconciliation tests).
 */
function* droppedRowsChunks(job: Job, dropRows: number, markerAfter?: number): Generator<Buffer> {
  const spec = { ...job.csv };
  const eol = spec.lineEnding ?? '\r\n';
  let pending = (spec.bom ? '\uFEFF' : '') + encodeCsvLine(csvHeader(spec), eol);
  let skipped = 0;
  let written = 0;
  for (const row of csvRows(spec)) {
    if (skipped < dropRows) {
      skipped += 1;
      continue;
    }
    if (written === markerAfter) pending += `\\.${eol}`;
    pending += encodeCsvLine(row, eol);
    written += 1;
    if (pending.length >= CHUNK_CHARS) {
      yield Buffer.from(pending, 'utf8');
      pending = '';
    }
  }
  if (pending.length > 0) yield Buffer.from(pending, 'utf8');
}

/** A first pass over the body, for Content-Length (cheap enough: generation is CPU only). */
export async function measureBody(factory: BodyFactory): Promise<number> {
  let length = 0;
  for await (const chunk of factory()) length += Buffer.byteLength(chunk as Buffer | string);
  return length;
}
