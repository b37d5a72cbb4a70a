/**
 * Large mode for benchmarks: exactly `rows` recording rows spread evenly over a window, streamed.
 * One running PRNG (not a seed per row) and one reused row array keep it fast; it is deterministic by
 * seed but makes no additivity promise, which benchmarks do not need.
 */
import type { Readable } from 'node:stream';
import { RECORDING_COLUMNS } from './columns.js';
import { encodeCsvField, encodeCsvLine } from './csv-stream.js';
import { bytesOf } from './csv-stream.js';
import { DAY_MS, MINUTE_MS } from './format.js';
import { hashString, Rng } from './prng.js';
import { drawCall, fillSegment } from './recording-rows.js';
import { tenantPool } from './tenant-pool.js';

export interface LargeCsvOptions {
  rows: number;
  seed?: string;
  bom?: boolean;
  lineEnding?: '\r\n' | '\n';
  /** Window the rows are spread over; default 2026-01-01 for 14 days (the longest backfill request). */
  startMs?: number;
  endMs?: number;
}

const DEFAULT_START_MS = Date.UTC(2026, 0, 1);
const DEFAULT_SPAN_MS = 14 * DAY_MS;
/** The header is the recording file's before any drift. */
const DRIFT_INDEX = RECORDING_COLUMNS.indexOf('Sentiment Score');

/**
 * Columns fillSegment builds from digits, dates and fixed words only, which never need quotes; skipping
 * the check on them is most of the encoder's cost at 3 million rows. A test parses large output strictly,
 * so a column that starts carrying a comma fails there.
 */
const QUOTE_FREE = new Set<string>([
  'ACD Call ID',
  'Segment ID',
  'Segment Number',
  'Start Date',
  'End Date',
  'Duration',
  'Direction',
  'Media Type',
  'Voice Recording Status',
  'Screen Recording Status',
  'Recording ID',
  'Agent 1 ACD ID',
  'Agent 1 Contact Number',
  'Agent 2 ACD ID',
  'Agent 2 Contact Number',
  'ANI',
  'DNIS',
  'Skill ID',
  'Hold Time',
  'Hold Count',
  'Language',
]);
const NEEDS_CHECK: readonly boolean[] = RECORDING_COLUMNS.map((name) => !QUOTE_FREE.has(name));

export function largeCsvStream(opts: LargeCsvOptions): Readable {
  if (!Number.isSafeInteger(opts.rows) || opts.rows < 0) {
    throw new RangeError(`large CSV needs a whole number of rows >= 0, got ${opts.rows}`);
  }
  return bytesOf(largeLines(opts));
}

function* largeLines(opts: LargeCsvOptions): Generator<string> {
  const seed = opts.seed ?? 'large';
  const lineEnding = opts.lineEnding ?? '\r\n';
  const startMs = opts.startMs ?? DEFAULT_START_MS;
  const spanSeconds = Math.max(1, Math.floor(((opts.endMs ?? startMs + DEFAULT_SPAN_MS) - startMs) / 1000));
  const header = RECORDING_COLUMNS.filter((_, i) => i !== DRIFT_INDEX);
  yield (opts.bom ? '\uFEFF' : '') + encodeCsvLine(header, lineEnding);

  const pool = tenantPool(`large:${seed}`);
  const rng = new Rng(hashString(seed), 0x1a26e);
  const out = new Array<string>(RECORDING_COLUMNS.length).fill('');
  let contactId = Math.floor(startMs / MINUTE_MS) * 1000;
  for (let i = 0; i < opts.rows;) {
    const call = drawCall(rng, pool, contactId++);
    for (let segment = 1; segment <= call.segments && i < opts.rows; segment++, i++) {
      fillSegment(out, rng, pool, call, segment, startMs + Math.floor((i * spanSeconds) / opts.rows) * 1000);
      yield lineOf(out, lineEnding);
    }
  }
}

function lineOf(fields: readonly string[], lineEnding: string): string {
  let line = '';
  let first = true;
  for (let i = 0; i < fields.length; i++) {
    if (i === DRIFT_INDEX) continue;
    if (!first) line += ',';
    first = false;
    line += NEEDS_CHECK[i] ? encodeCsvField(fields[i] as string) : fields[i];
  }
  return line + lineEnding;
}
