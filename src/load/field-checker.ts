/**
 * Checks chosen CSV fields as the bytes stream past on their way to COPY, so the reporting layer's
 * cast-problem counts cost no second pass over the window's rows in Postgres (which took about as long
 * as the COPY itself for a 200 MB recordings window). One byte loop per chunk, no CSV parser
 * (docs/DESIGN.md "Load speed": a parser costs 2.7x the whole load): it finds field and record ends the way COPY's
 * CSV reader does and hands only the chosen fields to their checks.
 *
 * Field rules, as Postgres's COPY CSV reader (CopyReadAttributesCSV) applies them with quote and
 * escape both `"`: a `,` outside quotes ends a field and an LF outside quotes ends a record (a CR right
 * before it is the line end's); a `"` outside quotes opens a quoted stretch, inside one `""` is a
 * literal quote and a lone `"` closes it; everything else is taken as it is.
 *
 * Values reach the checks as latin1 strings of their UTF-8 bytes: one byte per character, the cheapest
 * string V8 makes, and exact for checks that admit only ASCII (any other byte fails them, as it fails
 * the SQL patterns). Checks that admit non-ASCII text compare with the latin1 form of its UTF-8 bytes.
 */
import { Transform, type TransformCallback } from 'node:stream';

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

/** True when the value fails: it is there but its column's typed view would read NULL. */
export type FieldCheck = ((latin1Value: string) => boolean) & {
  /**
   * Optional shortcut on the raw bytes of an unquoted field within one chunk: true only when the value
   * certainly passes (the common, well-formed case), so no string is made for it; false sends the value
   * to the check itself. It must never say true for a value the check would fail.
   */
  passes?: (chunk: Buffer, start: number, end: number) => boolean;
};

export interface FieldProblem {
  column: string;
  failed: number;
  /**
   * The smallest failing value by byte order (the order of a C or C.UTF-8 collation), decoded as
   * UTF-8 and cut to `sampleChars` characters: customer data, so never log it.
   */
  sample: string;
}

interface Checked {
  column: string;
  check: FieldCheck;
  failed: number;
  smallest: string | undefined;
}

export class FieldChecker extends Transform {
  /** Per field index of the record: the check, or undefined for fields nobody asked about. */
  private readonly byIndex: (Checked | undefined)[];
  private readonly lastChecked: number;
  private field = 0;
  private inQuote = false;
  /** Whether the current field has a quote (its value must be unquoted). */
  private quoted = false;
  /** The current checked field's bytes from earlier chunks (latin1). */
  private carry = '';

  constructor(
    columns: readonly string[],
    checks: ReadonlyMap<string, FieldCheck>,
    private readonly sampleChars = 100,
  ) {
    super();
    this.byIndex = columns.map((column) => {
      const check = checks.get(column);
      return check === undefined ? undefined : { column, check, failed: 0, smallest: undefined };
    });
    this.lastChecked = this.byIndex.reduce((last, c, i) => (c === undefined ? last : i), -1);
  }

  /** Columns with at least one failing value, in header order; final once the stream has finished. */
  get problems(): FieldProblem[] {
    return this.byIndex.flatMap((c) =>
      c === undefined || c.failed === 0 || c.smallest === undefined
        ? []
        : [{ column: c.column, failed: c.failed, sample: sampleOf(c.smallest, this.sampleChars) }],
    );
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.lastChecked >= 0) this.scan(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    // A last record without a line end.
    if (this.carry !== '' || this.field > 0) this.endField('', false);
    callback();
  }

  private scan(chunk: Buffer): void {
    // A plain Uint8Array view and local state: V8 keeps the loop tight over these (measured about
    // twice as fast as indexing the Buffer and reading the fields each byte).
    const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
    const n = bytes.length;
    let inQuote = this.inQuote;
    let start = 0;
    for (let i = 0; i < n; i++) {
      const b = bytes[i] as number;
      // `,` `"` LF and CR are all below 0x2d; letters, digits, `-`, `:` and `.` are above.
      if (b > COMMA) continue;
      if (b === QUOTE) {
        inQuote = !inQuote;
        this.quoted = true;
      } else if (inQuote) {
        continue;
      } else if (b === COMMA) {
        const checked = this.byIndex[this.field];
        if (checked !== undefined && !this.passesAsIs(checked, chunk, start, i)) {
          this.endField(chunk.toString('latin1', start, i), false);
        }
        this.carry = '';
        this.field++;
        this.quoted = false;
        start = i + 1;
      } else if (b === LF) {
        const checked = this.byIndex[this.field];
        // The shortcut does not know about a CR before the LF: its `end` leaves it out.
        const end = i > start && bytes[i - 1] === CR ? i - 1 : i;
        if (checked !== undefined && !this.passesAsIs(checked, chunk, start, end)) {
          this.endField(chunk.toString('latin1', start, i), true);
        }
        this.carry = '';
        this.field = 0;
        this.quoted = false;
        start = i + 1;
      }
    }
    this.inQuote = inQuote;
    if (this.byIndex[this.field] !== undefined && start < n) this.carry += chunk.toString('latin1', start, n);
  }

  /** Whether the field's bytes, whole in this chunk and unquoted, pass by the check's shortcut. */
  private passesAsIs(checked: Checked, chunk: Buffer, start: number, end: number): boolean {
    const passes = checked.check.passes;
    return passes !== undefined && this.carry === '' && !this.quoted && passes(chunk, start, end);
  }

  /** `atLineEnd`: the field ended at an LF, so a CR before it belongs to the line end. */
  private endField(tail: string, atLineEnd: boolean): void {
    let raw = this.carry === '' ? tail : this.carry + tail;
    this.carry = '';
    const checked = this.byIndex[this.field];
    if (checked === undefined) return;
    if (atLineEnd && raw.charCodeAt(raw.length - 1) === CR) raw = raw.slice(0, -1);
    const value = this.quoted ? unquote(raw) : raw;
    if (!checked.check(value)) return;
    checked.failed++;
    if (checked.smallest === undefined || value < checked.smallest) checked.smallest = value;
  }
}

/** COPY's reading of a field with quotes in it (see the file comment). */
export function unquote(raw: string): string {
  let out = '';
  let inQuote = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] as string;
    if (c !== '"') {
      out += c;
    } else if (!inQuote) {
      inQuote = true;
    } else if (raw[i + 1] === '"') {
      out += '"';
      i++;
    } else {
      inQuote = false;
    }
  }
  return out;
}

function sampleOf(latin1: string, chars: number): string {
  const text = Buffer.from(latin1, 'latin1').toString('utf8');
  return Array.from(text).slice(0, chars).join('');
}
