/**
 * Staging column names from CSV header names (docs/API.md, "CSV files"). The
 * header drives the table, so the mapping must be deterministic (the same header text always lands in
 * the same column, file after file) and must always give a valid, distinct Postgres identifier.
 */
import { createHash } from 'node:crypto';
import { EtlError, type EtlErrorContext } from '../lib/errors.js';

/** NAMEDATALEN - 1: Postgres silently truncates longer identifiers, which could merge two columns. */
export const MAX_IDENTIFIER_BYTES = 63;

/** Hex characters of the hash that keeps capped names distinct. */
const HASH_HEX_CHARS = 8;

/**
 * System column names: a user column may not use them (42701 "column name conflicts with a system
 * column name"), so a header called "xmin" would make CREATE TABLE fail.
 */
const SYSTEM_COLUMNS = new Set(['tableoid', 'xmin', 'cmin', 'xmax', 'cmax', 'ctid']);

/**
 * One staging column name per header name, in header order. Letters and digits of any script are
 * kept (Postgres accepts them in quoted identifiers, and Korean headers stay readable); everything else
 * becomes `_`. Two headers that match tolerantly (matchKey: case, spacing and punctuation ignored) would
 * land in one column: that is a BAD_INPUT error naming both, never a silent merge or a renamed column.
 */
export function columnNamesFor(header: readonly string[], context?: EtlErrorContext): string[] {
  const seen = new Map<string, number>();
  const used = new Set<string>();
  return header.map((name, index) => {
    const base = baseName(name, index + 1);
    const key = matchKey(base);
    const first = seen.get(key);
    if (first !== undefined) {
      throw new EtlError(
        'BAD_INPUT',
        `the header has two columns that read as one staging column ${capBytes(base)}: ` +
          `${JSON.stringify(header[first])} (column ${first + 1}) and ${JSON.stringify(name)} (column ${index + 1}); ` +
          'headers match ignoring case, spacing and punctuation, so the export must name them differently',
        context === undefined ? {} : { context },
      );
    }
    seen.set(key, index);
    // A hash collision of two capped names is the only way left to meet a used name.
    let candidate = capBytes(base);
    for (let n = 2; used.has(candidate); n++) candidate = capBytes(`${base}_${n}`);
    used.add(candidate);
    return candidate;
  });
}

/**
 * What tolerant header matching compares: the staging name without its `_` separators, so
 * `Last Updated`, `last_updated`, `LAST-UPDATED` and `LastUpdated` are one column (docs/API.md, "CSV
 * files": column sets and spellings change between versions). Takes a staging name or a base name.
 */
export function matchKey(stagingName: string): string {
  return stagingName.replace(/_/g, '');
}

/**
 * The staging columns a header's names land in, given the table's existing columns: a name the table
 * lacks but an existing column matches tolerantly (matchKey) goes to that column, so a later file that
 * writes `LastUpdated` for `Last Updated` fills the same column instead of adding one.
 */
export function resolveColumns(names: readonly string[], existing: readonly string[]): string[] {
  const have = new Set(existing);
  const byKey = new Map<string, string>();
  for (const column of existing) if (!byKey.has(matchKey(column))) byKey.set(matchKey(column), column);
  return names.map((name) => (have.has(name) ? name : (byKey.get(matchKey(name)) ?? name)));
}

/** The uncapped name for one header: lower snake_case, never empty, never starting with `_` or a digit. */
function baseName(header: string, position: number): string {
  const snake = header
    .normalize('NFC')
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}]+/gu, '_')
    .replace(/^_+|_+$/g, '');
  if (snake === '') return `column_${position}`;
  // Leading `_` is reserved for metadata columns (_load_id, and _tenant_id ... in the views); a leading digit would need quoting
  // in every hand-written query downstream.
  if (/^[\p{N}_]/u.test(snake) || SYSTEM_COLUMNS.has(snake)) return `c_${snake}`;
  return snake;
}

/**
 * Caps a name at 63 UTF-8 bytes by keeping a prefix of whole characters and appending `_` and a hash
 * of the full name, so two long headers sharing a prefix still get different columns.
 */
function capBytes(name: string): string {
  if (Buffer.byteLength(name, 'utf8') <= MAX_IDENTIFIER_BYTES) return name;
  const hash = createHash('sha256').update(name, 'utf8').digest('hex').slice(0, HASH_HEX_CHARS);
  const room = MAX_IDENTIFIER_BYTES - 1 - HASH_HEX_CHARS;
  let prefix = '';
  let bytes = 0;
  for (const char of name) {
    const size = Buffer.byteLength(char, 'utf8');
    if (bytes + size > room) break;
    prefix += char;
    bytes += size;
  }
  return `${prefix.replace(/_+$/, '')}_${hash}`;
}
