/**
 * Applies COLUMN_POLICY (./column-policy.ts) to a CSV body on its way to COPY, in one pass over the
 * bytes, without a CSV parser (docs/DESIGN.md "Load speed"): dropped fields are cut out with their
 * separator, hashed ones replaced, every other byte passes as it came. Fields are found the way
 * Postgres's COPY CSV reader finds them (see field-checker.ts): a `,` outside quotes ends a field, an LF
 * outside quotes ends a record (a CR right before it is the line end's), every `"` toggles "inside
 * quotes". Up to the last field the policy touches, a byte loop finds the separators; past it the record
 * end is found by `Buffer.indexOf` (QuoteScanner), so the columns after it cost a memchr.
 *
 * A field under the policy may span chunks: its bytes are held until its end is seen, and only what
 * comes before it is passed on, so nothing of a dropped or hashed value ever leaves this stream.
 */
import { Transform, type TransformCallback } from 'node:stream';
import type { ColumnAction } from './column-policy.js';
import { QuoteScanner } from './record-counter.js';

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

/**
 * What the held bytes are: a field being replaced; a dropped field with the `,` before it (a kept
 * field came first in the record); or a dropped field to be cut with the `,` after it (none did).
 */
type Region = 'replace' | 'drop-before' | 'drop-after';

export class ColumnPolicyStream extends Transform {
  private readonly byIndex: (ColumnAction | undefined)[];
  private readonly lastAction: number;
  private readonly scanner = new QuoteScanner();
  private field = 0;
  private inQuote = false;
  /** Whether a kept field has been written in the current record (where a drop takes its `,` from). */
  private written = false;
  private region: Region | null = null;
  /** Bytes of the open region from earlier chunks. */
  private held: Buffer[] = [];

  constructor(actions: ReadonlyMap<number, ColumnAction>) {
    super();
    const last = Math.max(-1, ...actions.keys());
    this.byIndex = Array.from({ length: last + 1 }, (_, i) => actions.get(i));
    this.lastAction = last;
    this.openField();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.lastAction < 0) {
      callback(null, chunk);
      return;
    }
    const out = this.scan(chunk);
    if (out.length === 1) callback(null, out[0]);
    else if (out.length === 0) callback();
    else callback(null, Buffer.concat(out));
  }

  override _flush(callback: TransformCallback): void {
    // A last record without a line end.
    if (this.region !== null && this.held.length > 0) {
      const out: Buffer[] = [];
      this.closeRegion(out, Buffer.alloc(0), true);
      for (const b of out) this.push(b);
    }
    callback();
  }

  /** The chunk with the policy applied to the fields whose end it holds; an open field stays held. */
  private scan(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
    const n = bytes.length;
    let pos = 0;
    let emitFrom = 0;
    // An open region continues from the chunk's first byte.
    let regionStart = 0;
    while (pos < n) {
      if (this.field > this.lastAction) {
        // Nothing left to change in this record: find its end with memchr.
        this.scanner.inQuote = this.inQuote;
        const end = this.scanner.findRecordEnd(chunk, pos);
        this.inQuote = this.scanner.inQuote;
        if (end < 0) break;
        pos = end + 1;
        this.field = 0;
        this.written = false;
        this.openField();
        regionStart = pos;
        continue;
      }
      let inQuote = this.inQuote;
      let i = pos;
      for (; i < n; i++) {
        const b = bytes[i] as number;
        if (b > COMMA) continue;
        if (b === QUOTE) inQuote = !inQuote;
        else if (!inQuote && (b === COMMA || b === LF)) break;
      }
      this.inQuote = inQuote;
      if (i >= n) break;
      if (bytes[i] === COMMA) {
        if (this.region !== null) emitFrom = this.endRegion(out, chunk, regionStart, emitFrom, i, false);
        else this.written = true;
        this.field++;
        const next = this.byIndex[this.field];
        if (next?.kind === 'drop' && this.written) {
          // The field goes with the `,` before it.
          this.region = 'drop-before';
          regionStart = i;
        } else {
          this.openField();
          regionStart = i + 1;
        }
      } else {
        if (this.region !== null) emitFrom = this.endRegion(out, chunk, regionStart, emitFrom, i, true);
        this.field = 0;
        this.written = false;
        this.openField();
        regionStart = i + 1;
      }
      pos = i + 1;
    }
    if (this.region !== null) {
      if (regionStart > emitFrom) out.push(chunk.subarray(emitFrom, regionStart));
      if (regionStart < n) this.held.push(chunk.subarray(regionStart));
    } else if (emitFrom < n) {
      out.push(chunk.subarray(emitFrom));
    }
    return out;
  }

  /**
   * At the start of field `this.field`: opens a region when the policy changes it (a dropped field
   * here has no kept field before it in the record, or the `,` before it would have opened one).
   */
  private openField(): void {
    const action = this.byIndex[this.field];
    if (action !== undefined) this.region = action.kind === 'replace' ? 'replace' : 'drop-after';
  }

  /**
   * Ends the open region at `end` (a `,` or an LF) and writes what replaces it; returns where the
   * unwritten bytes of the chunk now start.
   */
  private endRegion(
    out: Buffer[],
    chunk: Buffer,
    regionStart: number,
    emitFrom: number,
    end: number,
    atLineEnd: boolean,
  ): number {
    if (regionStart > emitFrom) out.push(chunk.subarray(emitFrom, regionStart));
    const region = this.region;
    const lineEnd = this.closeRegion(out, chunk.subarray(regionStart, end), atLineEnd);
    // A dropped field that came first in its record takes the `,` after it.
    if (region === 'drop-after' && !atLineEnd) return end + 1;
    return lineEnd ? end - 1 : end;
  }

  /**
   * Writes the replacement of the region (held bytes + `tail`) and closes it. At a line end a CR
   * before the LF is the line end's, not the field's; returns whether it was left out of the value
   * and sits at the tail's end in the chunk (so the caller writes it).
   */
  private closeRegion(out: Buffer[], tail: Buffer, atLineEnd: boolean): boolean {
    const region = this.region;
    this.region = null;
    let raw = this.held.length === 0 ? tail : Buffer.concat([...this.held, tail]);
    this.held = [];
    let crInTail = false;
    let cr = false;
    if (atLineEnd && raw.length > 0 && raw[raw.length - 1] === CR) {
      cr = true;
      crInTail = tail.length > 0;
      raw = raw.subarray(0, raw.length - 1);
    }
    if (region === 'replace') {
      const action = this.byIndex[this.field] as Extract<ColumnAction, { kind: 'replace' }>;
      out.push(Buffer.from(csvField(action.replace(unquote(raw))), 'utf8'));
      this.written = true;
    }
    // The CR of a CRLF that was held from an earlier chunk is written here; one in the tail, by the caller.
    if (cr && !crInTail) out.push(Buffer.from([CR]));
    return crInTail;
  }
}

/** COPY's reading of a field's bytes: quotes toggle, `""` inside quotes is one `"`. */
export function unquote(raw: Buffer): Buffer {
  if (raw.indexOf(QUOTE) < 0) return raw;
  const out = Buffer.allocUnsafe(raw.length);
  let length = 0;
  let inQuote = false;
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i] as number;
    if (b !== QUOTE) out[length++] = b;
    else if (!inQuote) inQuote = true;
    else if (raw[i + 1] === QUOTE) {
      out[length++] = QUOTE;
      i++;
    } else inQuote = false;
  }
  return out.subarray(0, length);
}

/** A value as one CSV field: quoted when it holds a separator, a quote or a line end. */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
