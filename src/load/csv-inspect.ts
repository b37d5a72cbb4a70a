/**
 * Byte-level checks on a downloaded CSV (docs/DESIGN.md "Load speed": the body goes to COPY untouched, and
 * anything that must look at every record is a `Buffer.indexOf` scan, never a CSV parser). Only the
 * header line is parsed. Quote handling follows Postgres's COPY CSV reader, which toggles "inside
 * quotes" on every `"` (a doubled `""` toggles twice), so our record count matches COPY's row count.
 */
import { EtlError, type EtlErrorContext } from '../lib/errors.js';
import { CR, NUL, QuoteScanner } from './csv-bytes.js';

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** Postgres's limit on columns per table (MaxHeapAttributeNumber), metadata columns included. */
export const POSTGRES_MAX_COLUMNS = 1600;

/** A header line longer than this is not a header: a binary or runaway-quote file would be read whole. */
export const MAX_HEADER_BYTES = 1024 * 1024;

/** Bytes looked at before deciding whether the body is CSV at all (gzip, UTF-16, HTML, XML). */
const SNIFF_BYTES = 512;

/** Characters of a non-CSV body quoted in the error, enough to show an error page's title or S3 code. */
const SNIPPET_CHARS = 100;

export interface SplitHeaderOptions {
  context?: EtlErrorContext;
  /** Data columns the target table can take; more is refused before any DDL runs. */
  maxColumns?: number;
}

export interface SplitHeader {
  /** Header names as written; null when the file has no bytes at all (besides a BOM or blank lines). */
  header: string[] | null;
  /** Bytes consumed from the source for the BOM, the header line and its line end. */
  headerBytes: number;
  /** The remaining bytes, unchanged: the rest of the header's chunk, then the rest of the source. */
  body: AsyncIterable<Buffer>;
}

/**
 * Reads the header line off a CSV byte stream and hands back the rest untouched, so the body can be
 * streamed into COPY without the HEADER option. Refuses, with BAD_INPUT saying what it saw, bodies
 * that are not CSV: error pages, compressed or UTF-16 files, binary or runaway headers.
 */
export async function splitHeader(
  source: AsyncIterable<Buffer>,
  options: SplitHeaderOptions = {},
): Promise<SplitHeader> {
  const iterator = source[Symbol.asyncIterator]();
  try {
    const found = await readHeaderLine(iterator, options.context);
    if (found.line === null)
      return { header: null, headerBytes: found.consumed, body: rest(Buffer.alloc(0), iterator) };
    const header = parseHeaderLine(found.line, options.context);
    checkColumnCount(header.length, options.maxColumns ?? POSTGRES_MAX_COLUMNS, options.context);
    return { header, headerBytes: found.consumed, body: rest(found.leftover, iterator) };
  } catch (err) {
    await iterator.return?.();
    throw err;
  }
}

interface HeaderLine {
  /** The header line without BOM and line end; null for a blank file. */
  line: Buffer | null;
  consumed: number;
  leftover: Buffer;
}

/** The raw header line (null for a blank file) and whatever was read past it. */
async function readHeaderLine(
  iterator: AsyncIterator<Buffer>,
  context: EtlErrorContext | undefined,
): Promise<HeaderLine> {
  const { prefix, done } = await readPrefix(iterator);
  if (done && isBlank(prefix)) return { line: null, consumed: prefix.length, leftover: Buffer.alloc(0) };
  sniff(prefix, context);
  const bom = prefix.subarray(0, UTF8_BOM.length).equals(UTF8_BOM) ? UTF8_BOM.length : 0;
  const chunks: Buffer[] = [prefix];
  const scanner = new QuoteScanner();
  let scanned = 0;
  let chunk = prefix;
  let end = scanner.findRecordEnd(chunk, bom);
  while (end < 0) {
    scanned += chunk.length;
    if (scanned > MAX_HEADER_BYTES)
      throw bad(`the first line is longer than 1 MiB: not a CSV header`, context);
    const next = await iterator.next();
    if (next.done) return lastLine(chunks, bom, scanner.inQuote, context);
    chunk = next.value;
    chunks.push(chunk);
    end = scanner.findRecordEnd(chunk, 0);
  }
  if (scanned + end > MAX_HEADER_BYTES)
    throw bad(`the first line is longer than 1 MiB: not a CSV header`, context);
  const line = Buffer.concat([...chunks.slice(0, -1), chunk.subarray(0, end)]).subarray(bom);
  return { line: withoutCr(line), consumed: scanned + end + 1, leftover: chunk.subarray(end + 1) };
}

/** A header-only file whose header has no line end. */
function lastLine(chunks: Buffer[], bom: number, inQuote: boolean, context?: EtlErrorContext): HeaderLine {
  if (inQuote) throw bad('unterminated quoted field in the header line', context);
  const all = Buffer.concat(chunks);
  return { line: withoutCr(all.subarray(bom)), consumed: all.length, leftover: Buffer.alloc(0) };
}

function withoutCr(line: Buffer): Buffer {
  return line.length > 0 && line[line.length - 1] === CR ? line.subarray(0, -1) : line;
}

/** At least SNIFF_BYTES, or everything when the source is shorter. */
async function readPrefix(iterator: AsyncIterator<Buffer>): Promise<{ prefix: Buffer; done: boolean }> {
  const chunks: Buffer[] = [];
  let length = 0;
  while (length < SNIFF_BYTES) {
    const next = await iterator.next();
    if (next.done) return { prefix: Buffer.concat(chunks), done: true };
    chunks.push(next.value);
    length += next.value.length;
  }
  return { prefix: Buffer.concat(chunks), done: false };
}

/** Zero bytes, a lone BOM or only line ends: the API's way of saying "no rows", not a broken file. */
function isBlank(prefix: Buffer): boolean {
  const start = prefix.subarray(0, UTF8_BOM.length).equals(UTF8_BOM) ? UTF8_BOM.length : 0;
  return /^[\r\n]*$/.test(prefix.toString('latin1', start));
}

/** Refuses what is recognisably not a UTF-8 CSV, from its first bytes. */
function sniff(prefix: Buffer, context: EtlErrorContext | undefined): void {
  if (prefix[0] === 0x1f && prefix[1] === 0x8b) {
    throw bad('the download is gzip-compressed (starts with 1f 8b), not a plain CSV', context);
  }
  if (prefix.subarray(0, 4).equals(Buffer.from('PK\x03\x04', 'latin1'))) {
    throw bad('the download is a zip archive (starts with "PK"), not a plain CSV', context);
  }
  if ((prefix[0] === 0xff && prefix[1] === 0xfe) || (prefix[0] === 0xfe && prefix[1] === 0xff)) {
    throw bad('the download is UTF-16 (it starts with a UTF-16 byte order mark); expected UTF-8', context);
  }
  const text = prefix
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trimStart();
  if (text.startsWith('<')) throw bad(describeMarkup(text), context);
  if (text.startsWith('{')) throw bad(`the download is JSON, not CSV: "${snippet(text)}"`, context);
}

/** Says whether a body starting with `<` is an HTML page or an XML document (S3 errors are XML). */
function describeMarkup(text: string): string {
  const lower = text.slice(0, SNIFF_BYTES).toLowerCase();
  const html = /^<!doctype html|<html[\s>]|<head[\s>]|<body[\s>]/.test(lower);
  return html
    ? `the download is an HTML page, not CSV (an error page from a proxy or gateway?): "${snippet(text)}"`
    : `the download is an XML document, not CSV (an S3 error such as an expired URL?): "${snippet(text)}"`;
}

/**
 * The start of a non-CSV body, safe to log: one line, no control characters, the XML declaration
 * dropped so an S3 <Code> and <Message> fit, and URL query values (signatures) blanked.
 */
function snippet(text: string): string {
  const flat = text
    .replace(/^<\?xml[^>]*\?>/i, '')
    .replace(/[\u0000-\u001f\u007f]+/g, ' ') // eslint-disable-line no-control-regex
    .replace(/([?&][^=&\s"'<>]*=)[^&\s"'<>]*/g, '$1…')
    .replace(/\s+/g, ' ')
    .trim();
  return flat.length > SNIPPET_CHARS ? `${flat.slice(0, SNIPPET_CHARS)}…` : flat;
}

/** Parses one CSV record (the header) the way COPY would, after the byte-level checks. */
function parseHeaderLine(line: Buffer, context: EtlErrorContext | undefined): string[] {
  const nul = line.indexOf(NUL);
  if (nul >= 0) {
    throw bad(
      `the header line has a NUL byte at byte ${nul + 1}: binary data or UTF-16 without a BOM`,
      context,
    );
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(line);
  } catch (err) {
    throw bad('the header line is not valid UTF-8 (a Windows-1252 or EUC-KR file?)', context, err);
  }
  if (text.trim() === '') throw bad('the first line is empty; expected a header row', context);
  return splitFields(text, context);
}

function splitFields(text: string, context: EtlErrorContext | undefined): string[] {
  const fields: string[] = [];
  let field = '';
  let inQuote = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === '"') {
      if (inQuote && text[i + 1] === '"') {
        field += '"';
        i++;
      } else inQuote = !inQuote;
    } else if (ch === ',' && !inQuote) {
      fields.push(field);
      field = '';
    } else if (ch === '\r' && !inQuote) {
      throw bad(
        'the header line ends in a bare carriage return (old Mac line ends); expected LF or CRLF',
        context,
      );
    } else field += ch;
  }
  fields.push(field);
  return fields;
}

function checkColumnCount(count: number, max: number, context: EtlErrorContext | undefined): void {
  if (count <= max) return;
  throw bad(
    `the header has ${count} columns; a staging table holds at most ${max} ` +
      `(Postgres allows ${POSTGRES_MAX_COLUMNS} columns per table, metadata columns included)`,
    context,
  );
}

/**
 * The rest of the source, starting with the leftover of the header's chunk. A plain iterator rather
 * than a generator: `return()` must reach the source even when the body was never read (DDL failed
 * before COPY), so the download is aborted instead of left hanging.
 */
function rest(leftover: Buffer, iterator: AsyncIterator<Buffer>): AsyncIterableIterator<Buffer> {
  let pending: Buffer | null = leftover.length > 0 ? leftover : null;
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      if (pending === null) return iterator.next();
      const value = pending;
      pending = null;
      return { done: false, value };
    },
    async return() {
      pending = null;
      await iterator.return?.();
      return { done: true, value: undefined };
    },
  };
}

function bad(message: string, context: EtlErrorContext | undefined, cause?: unknown): EtlError {
  return new EtlError('BAD_INPUT', message, { context, cause });
}
