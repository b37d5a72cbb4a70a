/**
 * CSV files as byte streams. Readable.from pulls the generator only when the consumer reads, so a
 * slow download holds one ~64 KiB chunk, not the file (streams end to end: never a whole file in memory).
 */
import { Readable } from 'node:stream';
import { csvHeader, csvRows } from './rows.js';
import type { CsvSpec } from './spec.js';

/** Chunk size: the ~64 KiB a consumer pulls at a time. */
export const CHUNK_BYTES = 64 * 1024;
/** A UTF-16 code unit never takes more than 3 bytes in UTF-8 (a surrogate pair: 4 bytes for 2 units). */
const MAX_BYTES_PER_UNIT = 3;

const BOM = '\uFEFF';

export function csvStream(spec: CsvSpec): Readable {
  return bytesOf(csvLines(spec));
}

function* csvLines(spec: CsvSpec): Generator<string> {
  const lineEnding = spec.lineEnding ?? '\r\n';
  yield (spec.bom ? BOM : '') + encodeCsvLine(csvHeader(spec), lineEnding);
  for (const row of csvRows(spec)) yield encodeCsvLine(row, lineEnding);
}

/** A byte stream of the lines, in chunks of at most CHUNK_BYTES (longer only for a longer line). */
export function bytesOf(lines: Iterable<string>): Readable {
  return Readable.from(chunks(lines), { objectMode: false, highWaterMark: CHUNK_BYTES });
}

/**
 * Each line is written straight into the chunk's buffer: concatenating lines into one string and
 * converting that cost most of large mode's time in profiles (V8 flattens the rope, then transcodes).
 */
function* chunks(lines: Iterable<string>): Generator<Buffer> {
  let buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  let used = 0;
  for (const line of lines) {
    const worst = line.length * MAX_BYTES_PER_UNIT;
    if (used + worst > CHUNK_BYTES) {
      if (used > 0) {
        yield buffer.subarray(0, used);
        buffer = Buffer.allocUnsafe(CHUNK_BYTES);
        used = 0;
      }
      if (worst > CHUNK_BYTES) {
        yield Buffer.from(line, 'utf8');
        continue;
      }
    }
    used += buffer.write(line, used, 'utf8');
  }
  if (used > 0) yield buffer.subarray(0, used);
}

/** RFC 4180 field quoting: only fields holding a comma, quote, CR or LF are quoted; quotes are doubled. */
const NEEDS_QUOTES = /[",\r\n]/;
const QUOTE = /"/g;

export function encodeCsvField(field: string): string {
  return NEEDS_QUOTES.test(field) ? `"${field.replace(QUOTE, '""')}"` : field;
}

/** One record followed by `lineEnding`. */
export function encodeCsvLine(fields: readonly string[], lineEnding: string): string {
  let line = '';
  for (let i = 0; i < fields.length; i++) {
    if (i > 0) line += ',';
    line += encodeCsvField(fields[i] as string);
  }
  return line + lineEnding;
}
