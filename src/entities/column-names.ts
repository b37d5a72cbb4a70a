/**
 * Staging column names from CSV header names (docs/API.md, "CSV files"). The
 * header drives the table, so the mapping must be deterministic (the same header text always lands in
 * the same column, file after file) and must always give a valid, distinct Postgres identifier.
 */
import { createHash } from 'node:crypto';

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
 * becomes `_`. Collisions get `_2`, `_3` in header order, so a column appended to a later file never
 * renames the columns before it.
 */
export function columnNamesFor(header: readonly string[]): string[] {
  const used = new Set<string>();
  return header.map((name, index) => {
    const base = baseName(name, index + 1);
    let candidate = capBytes(base);
    for (let n = 2; used.has(candidate); n++) candidate = capBytes(`${base}_${n}`);
    used.add(candidate);
    return candidate;
  });
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
