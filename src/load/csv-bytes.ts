/**
 * Byte-level CSV pieces shared by the header reader (csv-inspect.ts) and the body scanner
 * (csv-scanner.ts), with COPY's CSV rules (see csv-scanner.ts): finding record ends across chunks,
 * reading a field's value as COPY does, and writing one COPY reads back unchanged.
 */
export const QUOTE = 0x22;
export const COMMA = 0x2c;
export const LF = 0x0a;
export const CR = 0x0d;
export const NUL = 0x00;

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

/** The index of `byte` at or after `from`, or the chunk's length. */
function indexOrEnd(chunk: Buffer, byte: number, from: number): number {
  const found = chunk.indexOf(byte, from);
  return found < 0 ? chunk.length : found;
}

/** COPY's reading of a field's bytes (see the file comment): quotes toggle, `""` inside quotes is `"`. */
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

/**
 * `text` as one CSV field COPY reads back as `text`: quoted when it holds a delimiter, a quote or a line
 * end, or starts with `\.` (alone on a line that would end the data).
 */
export function csvField(text: string): string {
  if (!/[",\r\n]/.test(text) && !text.startsWith('\\.')) return text;
  return `"${text.replace(/"/g, '""')}"`;
}
