/**
 * Counts CSV records as the bytes stream past on their way to COPY, without parsing them
 * (docs/DESIGN.md "Load speed": a CSV parser costs 2.7x the whole load; `Buffer.indexOf` runs at memchr speed).
 * The count is what reconciliation compares with COPY's row count, so the rules
 * mirror Postgres's COPY CSV reader rather than RFC 4180:
 * - a record ends at an LF outside quotes (a CRLF's CR is part of the line end);
 * - every `"` toggles "inside quotes", wherever it sits in a field, and `""` toggles twice;
 * - bytes after the last LF are one more record; nothing after the last LF is no record;
 * - a blank line between records is a record (COPY reads it as a row, or rejects it as too short).
 */
import { Transform, type TransformCallback } from 'node:stream';
import { crashPoint } from '../lib/crash-points.js';
import { EtlError, type EtlErrorContext } from '../lib/errors.js';

const QUOTE = 0x22;
const LF = 0x0a;
export const CR = 0x0d;
export const NUL = 0x00;
const BACKSLASH = 0x5c;
const DOT = 0x2e;

/** Not at the start of a record, so no end-of-data marker to look for. */
const NO_MARKER = -1;

export interface RecordCounterOptions {
  /** Names the tenant, entity, window and job in the errors this stream raises. */
  context?: EtlErrorContext;
}

/**
 * A pass-through Transform: each chunk goes out as the same Buffer it came in as. It fails the stream
 * (BAD_INPUT) on what COPY would reject obscurely or, worse, accept wrongly: a NUL byte, an
 * unterminated quoted field, a line holding only `\.`.
 */
export class RecordCounter extends Transform {
  private recordCount = 0;
  private byteCount = 0;
  private readonly scanner = new QuoteScanner();
  /** Bytes seen after the last record end: the start of one more record. */
  private partial = false;
  /** How much of `\.` + line end has been matched at the current record start. */
  private marker = 0;
  private readonly context: EtlErrorContext | undefined;

  constructor(options: RecordCounterOptions = {}) {
    super();
    this.context = options.context;
  }

  /** Records seen so far; final once the stream has finished. */
  get records(): number {
    return this.recordCount;
  }

  get bytes(): number {
    return this.byteCount;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    crashPoint('copy');
    try {
      this.scan(chunk);
      callback(null, chunk);
    } catch (err) {
      callback(err as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    if (this.scanner.inQuote) {
      callback(this.fail(`unterminated quoted field starting near record ${this.recordCount + 1}`));
      return;
    }
    if (this.partial) this.recordCount++;
    callback();
  }

  private scan(chunk: Buffer): void {
    // A NUL would reach COPY as "invalid byte sequence for encoding UTF8: 0x00"; one memchr per chunk
    // lets us say where it is instead.
    const nul = chunk.indexOf(NUL);
    this.countRecords(nul < 0 ? chunk : chunk.subarray(0, nul));
    if (nul >= 0) {
      throw this.fail(
        `NUL byte (0x00) in record ${this.recordCount + 1} (byte ${this.byteCount + nul + 1} after the header): ` +
          'Postgres text cannot hold NUL bytes; the file is binary or not UTF-8',
      );
    }
    this.byteCount += chunk.length;
  }

  private countRecords(chunk: Buffer): void {
    if (this.marker !== NO_MARKER) this.marker = this.matchMarker(chunk, 0, this.marker);
    let pos = 0;
    let ended = false;
    for (;;) {
      const end = this.scanner.findRecordEnd(chunk, pos);
      if (end < 0) break;
      this.recordCount++;
      pos = end + 1;
      ended = true;
      this.marker = this.matchMarker(chunk, pos, 0);
    }
    this.partial = ended ? pos < chunk.length : this.partial || chunk.length > 0;
  }

  /**
   * COPY takes a line holding only `\.` as the end of the data and silently ignores everything after
   * it (seen on Postgres 15), which reconciliation would only report as a mismatch. Checking the first
   * bytes of each record costs one comparison per record. Returns the progress to carry over.
   */
  private matchMarker(chunk: Buffer, from: number, progress: number): number {
    for (let i = from; i < chunk.length; i++) {
      const byte = chunk[i];
      if (progress === 2) {
        if (byte === LF || byte === CR) {
          throw this.fail(
            `record ${this.recordCount + 1} is a line holding only "\\.", which COPY takes as the end of ` +
              'the data: the rest of the file would be dropped',
          );
        }
        return NO_MARKER;
      }
      if (byte !== (progress === 0 ? BACKSLASH : DOT)) return NO_MARKER;
      progress++;
    }
    return progress;
  }

  private fail(message: string): EtlError {
    return new EtlError('BAD_INPUT', message, { context: this.context });
  }
}

/**
 * Finds record ends (LF outside quotes) one chunk at a time, carrying the quote state across chunks.
 * The next quote and next LF positions are cached, so each byte is looked at about once by each
 * `indexOf`, however many quoted fields a record has.
 */
export class QuoteScanner {
  inQuote = false;
  private chunk: Buffer = Buffer.alloc(0);
  private from = 0;
  private nextQuote = -1;
  private nextLf = -1;

  /** Index of the first LF outside quotes at or after `from` in `chunk`, or -1. */
  findRecordEnd(chunk: Buffer, from: number): number {
    // Calls on one chunk move forward; a call that does not (the same Buffer written twice) starts over.
    if (chunk !== this.chunk || from <= this.from) {
      this.chunk = chunk;
      this.nextQuote = -1;
      this.nextLf = -1;
    }
    this.from = from;
    const length = chunk.length;
    let pos = from;
    while (pos < length) {
      if (this.inQuote) {
        const close = chunk.indexOf(QUOTE, pos);
        if (close < 0) return -1;
        this.inQuote = false;
        pos = close + 1;
        continue;
      }
      if (this.nextQuote < pos) this.nextQuote = indexOrEnd(chunk, QUOTE, pos);
      if (this.nextLf < pos) this.nextLf = indexOrEnd(chunk, LF, pos);
      if (this.nextLf < this.nextQuote) return this.nextLf;
      if (this.nextQuote === length) return -1;
      this.inQuote = true;
      pos = this.nextQuote + 1;
    }
    return -1;
  }
}

function indexOrEnd(chunk: Buffer, byte: number, from: number): number {
  const found = chunk.indexOf(byte, from);
  return found < 0 ? chunk.length : found;
}
