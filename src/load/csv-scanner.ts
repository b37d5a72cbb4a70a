/**
 * The one pass over a window's CSV bytes on their way to COPY (docs/DESIGN.md "Load speed": a CSV
 * parser costs 2.7x the whole load, `Buffer.indexOf` runs at memchr speed, and every extra pass over
 * the bytes in JS shows up end to end). It counts records for reconciliation, refuses what COPY would
 * reject obscurely or accept wrongly, hands chosen fields to their checks and rewrites chosen columns.
 *
 * The rules mirror Postgres's COPY CSV reader (CopyReadLineText, CopyReadAttributesCSV with quote and
 * escape both `"`) rather than RFC 4180, so our count matches COPY's row count:
 * - a record ends at an LF outside quotes; a CR right before it is the line end's;
 * - a `,` outside quotes ends a field;
 * - every `"` toggles "inside quotes", wherever it sits in a field, so `""` toggles twice and inside
 *   quotes reads as one literal quote;
 * - bytes after the last LF are one more record; a blank line between records is a record (COPY reads
 *   it as a row, or rejects it as too short).
 *
 * Only the fields up to the last one that is checked or rewritten are walked byte by byte; the rest of
 * each record is skipped with `indexOf` for the next quote and LF. With no checks and no actions that
 * is the whole file, and each chunk goes out as the same Buffer it came in as.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { crashPoint } from '../lib/crash-points.js';
import { EtlError, type EtlErrorContext } from '../lib/errors.js';
import { COMMA, CR, csvField, LF, NUL, QUOTE, QuoteScanner, unquote } from './csv-bytes.js';

const BACKSLASH = 0x5c;
const DOT = 0x2e;
const COMMA_BYTES = Buffer.from(',');
const CR_BYTES = Buffer.from('\r');

/** 1 for the bytes that end a field or toggle quoting, 0 for the rest. */
const DELIMITERS = new Uint8Array(256);
for (const byte of [QUOTE, COMMA, LF]) DELIMITERS[byte] = 1;

/** Not at the start of a record, so no end-of-data marker to look for. */
const NO_MARKER = -1;

/** True when the value fails: it is there but its column's typed view would read NULL. */
export type FieldCheck = ((latin1Value: string) => boolean) & {
  /**
   * Optional shortcut on the raw bytes of an unquoted field within one chunk: true only when the value
   * certainly passes (the common, well-formed case), so no string is made for it; false sends the value
   * to the check itself. It must never say true for a value the check would fail.
   */
  passes?: (chunk: Buffer, start: number, end: number) => boolean;
};

/**
 * What to do with one column's values on their way to COPY. `replace` gets the field's value as COPY
 * would read it (surrounding quotes removed, `""` read as `"`) and returns the text to load instead,
 * which is written quoted only when it needs to be. `drop` removes the field and its delimiter (the
 * COPY column list must then leave the column out too: see `keptColumns`).
 */
export type ColumnAction = { kind: 'drop' } | { kind: 'replace'; replace: (value: Buffer) => string };

export interface FieldProblem {
  column: string;
  failed: number;
  /**
   * The smallest failing value by byte order (the order of a C or C.UTF-8 collation), decoded as
   * UTF-8 and cut to `sampleChars` characters: customer data, so never log it.
   */
  sample: string;
}

export interface CsvScannerOptions {
  /** Names the tenant, entity, window and job in the errors this stream raises. */
  context?: EtlErrorContext;
  /** Column names in header order: what `checks` are keyed by and problems are reported under. */
  columns?: readonly string[];
  /**
   * Per column, a test run on each value as it streams past (the reporting layer's cast-problem counts,
   * reporting/cast-check.ts). A rewritten column's check sees the value that is loaded; a dropped
   * column is not checked.
   */
  checks?: ReadonlyMap<string, FieldCheck>;
  /** Per 0-based header index, how that column's values are rewritten. */
  columnActions?: ReadonlyMap<number, ColumnAction>;
  /** Characters of a failing value kept as its sample. */
  sampleChars?: number;
}

/** What the scanner knows about one field index of the header. */
interface Slot {
  column: string;
  check: FieldCheck | undefined;
  action: ColumnAction | undefined;
  failed: number;
  smallest: string | undefined;
}

/** The header's columns that stay once the actions' drops are applied, in header order. */
export function keptColumns<T>(columns: readonly T[], actions?: ReadonlyMap<number, ColumnAction>): T[] {
  return actions === undefined ? [...columns] : columns.filter((_, i) => actions.get(i)?.kind !== 'drop');
}

/**
 * A Transform over the body bytes (the header line already taken off by splitHeader). It fails the
 * stream (BAD_INPUT) on a NUL byte, an unterminated quoted field and a line holding only `\.`.
 * `records`, `bytes` and `problems` are final once the stream has finished.
 */
export class CsvScanner extends Transform {
  private readonly context: EtlErrorContext | undefined;
  private readonly sampleChars: number;
  private readonly slots: (Slot | undefined)[];
  /** Fields past this index are skipped to the record end with indexOf. */
  private readonly lastWalked: number;
  /** Whether any column is rewritten (otherwise chunks pass through as they are). */
  private readonly rewriting: boolean;
  private readonly quotes = new QuoteScanner();

  private recordCount = 0;
  private byteCount = 0;
  /** Bytes seen after the last record end: the start of one more record. */
  private partial = false;
  /** The last record end in the chunk being scanned, or -1. */
  private lastLf = -1;
  /** How much of `\.` + line end has been matched at the current record start. */
  private marker = 0;

  /** Index of the current field in its record. */
  private field = 0;
  /** Where the current field starts in the chunk being scanned (0 when it began in an earlier one). */
  private fieldStart = 0;
  /** Whether the current field has a quote, so its value must be unquoted. */
  private quoted = false;
  /** The current walked field's bytes from earlier chunks (views of those chunks, not copies). */
  private carry: Buffer[] = [];

  // Rewriting state.
  /** The chunk being scanned, and a Uint8Array view of it. */
  private current: Buffer = Buffer.alloc(0);
  private view: Uint8Array = new Uint8Array(0);
  /** Output pieces for the chunk being scanned. */
  private out: Buffer[] = [];
  /** Start of the chunk's bytes not yet copied to `out`. */
  private outStart = 0;
  /** Inside a rewritten field: its bytes (and the comma before it) are not copied. */
  private suppress = false;
  /** Whether a field of the current record has been written, so the next one needs its comma. */
  private anyOut = false;

  constructor(options: CsvScannerOptions = {}) {
    super();
    this.context = options.context;
    this.sampleChars = options.sampleChars ?? 100;
    const columns = options.columns ?? [];
    const actions = options.columnActions ?? new Map<number, ColumnAction>();
    const width = Math.max(columns.length, ...[...actions.keys()].map((i) => i + 1));
    if (columns.length > 0 && actions.size > 0 && keptColumns(columns, actions).length === 0) {
      throw new EtlError('INTERNAL', 'the column actions drop every column: nothing would be loaded', {
        context: this.context,
      });
    }
    this.slots = Array.from({ length: width }, (_, i) => {
      const column = columns[i] ?? `column ${i + 1}`;
      const action = actions.get(i);
      const check = action?.kind === 'drop' ? undefined : options.checks?.get(column);
      if (check === undefined && action === undefined) return undefined;
      return { column, check, action, failed: 0, smallest: undefined };
    });
    this.lastWalked = this.slots.reduce((last, s, i) => (s === undefined ? last : i), -1);
    this.rewriting = actions.size > 0;
    // The first record's first field starts here.
    this.suppress = this.slots[0]?.action !== undefined;
    this.anyOut = !this.suppress;
  }

  /** Records seen so far; final once the stream has finished. */
  get records(): number {
    return this.recordCount;
  }

  /** Bytes read (not written: rewriting changes the length). */
  get bytes(): number {
    return this.byteCount;
  }

  /** Checked columns with at least one failing value, in header order. */
  get problems(): FieldProblem[] {
    return this.slots.flatMap((s) =>
      s === undefined || s.failed === 0 || s.smallest === undefined
        ? []
        : [{ column: s.column, failed: s.failed, sample: sampleOf(s.smallest, this.sampleChars) }],
    );
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    crashPoint('copy');
    try {
      // A NUL would reach COPY as "invalid byte sequence for encoding UTF8: 0x00"; one memchr per chunk
      // lets us say where it is instead.
      const nul = chunk.indexOf(NUL);
      if (nul >= 0) {
        this.scan(chunk.subarray(0, nul));
        throw this.fail(
          `NUL byte (0x00) in record ${this.recordCount + 1} (byte ${this.byteCount + nul + 1} after the header): ` +
            'Postgres text cannot hold NUL bytes; the file is binary or not UTF-8',
        );
      }
      this.scan(chunk);
      this.byteCount += chunk.length;
      callback(null, this.rewriting ? this.output(chunk) : chunk);
    } catch (err) {
      callback(err as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    if (this.quotes.inQuote) {
      callback(this.fail(`unterminated quoted field starting near record ${this.recordCount + 1}`));
      return;
    }
    if (!this.partial) {
      callback();
      return;
    }
    // A last record without a line end.
    this.recordCount++;
    try {
      this.out = [];
      this.current = Buffer.alloc(0);
      this.fieldStart = 0;
      if (this.slots[this.field] !== undefined) this.endField(this.current, 0, false);
      callback(null, this.out.length > 0 ? Buffer.concat(this.out) : undefined);
    } catch (err) {
      callback(err as Error);
    }
  }

  private scan(chunk: Buffer): void {
    const n = chunk.length;
    this.current = chunk;
    this.view = new Uint8Array(chunk.buffer, chunk.byteOffset, n);
    this.out = [];
    this.outStart = 0;
    this.fieldStart = 0;
    if (this.marker !== NO_MARKER) this.marker = this.matchMarker(chunk, 0, this.marker);
    this.lastLf = -1;
    let pos = 0;
    while (pos < n) {
      if (this.field > this.lastWalked) {
        const lf = this.quotes.findRecordEnd(chunk, pos);
        if (lf < 0) break;
        this.endRecord(chunk, lf);
        pos = lf + 1;
      } else {
        pos = this.walkFields(chunk, pos);
      }
    }
    if (this.lastLf >= 0) this.partial = this.lastLf < n - 1;
    else if (n > 0) this.partial = true;
    const slot = this.field <= this.lastWalked ? this.slots[this.field] : undefined;
    if (slot !== undefined && this.fieldStart < n) this.carry.push(chunk.subarray(this.fieldStart, n));
  }

  /**
   * Walks the fields byte by byte from `from` until the chunk ends or a record reaches a field past
   * `lastWalked`. Returns where to go on.
   */
  private walkFields(chunk: Buffer, from: number): number {
    // A plain Uint8Array view (made once per chunk) and local state: V8 keeps the loop tight over these
    // (measured about twice as fast as indexing the Buffer and reading the fields each byte). The state
    // goes back to `this` only at the delimiters of the fields that need work.
    const bytes = this.view;
    const n = bytes.length;
    const slots = this.slots;
    const lastWalked = this.lastWalked;
    let inQuote = this.quotes.inQuote;
    let quoted = this.quoted;
    let field = this.field;
    for (let i = from; i < n; i++) {
      const b = bytes[i] as number;
      // One table load per byte: a branch on `b > COMMA` alone mispredicts on every space.
      if (DELIMITERS[b] === 0) continue;
      if (b === QUOTE) {
        inQuote = !inQuote;
        quoted = true;
        continue;
      }
      if (inQuote) continue;
      if (slots[field] !== undefined) {
        this.quoted = quoted;
        this.endField(chunk, i, b === LF);
      }
      quoted = false;
      if (b === COMMA) {
        this.field = ++field;
        this.startField(i + 1);
        if (field > lastWalked) {
          this.quotes.inQuote = false;
          return i + 1;
        }
      } else {
        this.endRecord(chunk, i);
        field = 0;
      }
    }
    this.quotes.inQuote = inQuote;
    this.quoted = quoted;
    return n;
  }

  /** A record ended at the LF at `lf`: count it and start the next one. */
  private endRecord(chunk: Buffer, lf: number): void {
    this.recordCount++;
    this.lastLf = lf;
    this.field = 0;
    // Most records start with something else than `\`: no call for them.
    this.marker =
      lf + 1 < chunk.length && chunk[lf + 1] !== BACKSLASH ? NO_MARKER : this.matchMarker(chunk, lf + 1, 0);
    this.startField(lf + 1);
  }

  /** The current field (already `this.field`) starts at `start`, right after its delimiter. */
  private startField(start: number): void {
    this.fieldStart = start;
    this.quoted = false;
    if (this.carry.length > 0) this.carry = [];
    if (!this.rewriting) return;
    if (this.field === 0) this.anyOut = false;
    const rewritten = this.slots[this.field]?.action !== undefined;
    // The comma before a rewritten field goes with it: `replace` writes it back, `drop` leaves it out.
    const comma = this.field === 0 ? start : start - 1;
    if (rewritten) {
      if (!this.suppress) this.flushTo(comma);
      this.suppress = true;
    } else {
      if (this.suppress) {
        // After rewritten fields: copy from the comma, unless nothing of the record was written yet.
        this.outStart = this.anyOut ? comma : start;
        this.suppress = false;
      }
      this.anyOut = true;
    }
  }

  /** The current field, which is checked or rewritten, ends at `end` (its delimiter) in `chunk`. */
  private endField(chunk: Buffer, end: number, atLineEnd: boolean): void {
    const slot = this.slots[this.field] as Slot;
    const start = this.fieldStart;
    const crInChunk = atLineEnd && end > start && chunk[end - 1] === CR;
    const action = slot.action;
    if (action === undefined) {
      const check = slot.check as FieldCheck;
      const valueEnd = crInChunk ? end - 1 : end;
      if (this.carry.length === 0 && !this.quoted && check.passes?.(chunk, start, valueEnd)) return;
      this.runCheck(slot, this.fieldValue(chunk, start, end, atLineEnd).value.toString('latin1'));
      return;
    }
    const { value, crInCarry } = this.fieldValue(chunk, start, end, atLineEnd);
    if (action.kind === 'replace') {
      const text = action.replace(value);
      if (this.anyOut) this.out.push(COMMA_BYTES);
      this.out.push(Buffer.from(csvField(text), 'utf8'));
      this.anyOut = true;
      if (slot.check !== undefined) this.runCheck(slot, Buffer.from(text, 'utf8').toString('latin1'));
    }
    if (atLineEnd) {
      // The line end is copied as it came: CRLF stays CRLF.
      if (crInCarry) this.out.push(CR_BYTES);
      this.outStart = crInChunk ? end - 1 : end;
      this.suppress = false;
    }
  }

  /** The field's value as COPY reads it, from the carried bytes and `chunk[start, end)`. */
  private fieldValue(
    chunk: Buffer,
    start: number,
    end: number,
    atLineEnd: boolean,
  ): { value: Buffer; crInCarry: boolean } {
    let raw =
      this.carry.length === 0
        ? chunk.subarray(start, end)
        : Buffer.concat([...this.carry, chunk.subarray(start, end)]);
    let crInCarry = false;
    if (atLineEnd && raw.length > 0 && raw[raw.length - 1] === CR) {
      crInCarry = end === start;
      raw = raw.subarray(0, -1);
    }
    return { value: this.quoted ? unquote(raw) : raw, crInCarry };
  }

  private runCheck(slot: Slot, latin1: string): void {
    if (!(slot.check as FieldCheck)(latin1)) return;
    slot.failed++;
    if (slot.smallest === undefined || latin1 < slot.smallest) slot.smallest = latin1;
  }

  /** Copies the chunk's bytes up to `end` as they are. */
  private flushTo(end: number): void {
    if (end > this.outStart) this.out.push(this.current.subarray(this.outStart, end));
    this.outStart = end;
  }

  /** What goes to COPY for `chunk`, once scanned. */
  private output(chunk: Buffer): Buffer {
    if (!this.suppress && this.outStart < chunk.length)
      this.out.push(chunk.subarray(this.outStart, chunk.length));
    const out = this.out;
    this.out = [];
    if (out.length === 1 && out[0] === chunk) return chunk;
    return out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out);
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

function sampleOf(latin1: string, chars: number): string {
  const text = Buffer.from(latin1, 'latin1').toString('utf8');
  return Array.from(text).slice(0, chars).join('');
}
