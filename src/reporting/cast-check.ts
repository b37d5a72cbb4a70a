/**
 * The cast-problem test of cast-sql.ts (`castFailsSql`: a value that is there but the safe cast reads as
 * NULL) written again in JavaScript, so the loader can count problems while the bytes stream into COPY
 * (load/csv-scanner.ts) instead of scanning the window again in Postgres. Each test mirrors one
 * try_* function of migrations/0004_reporting.sql, pattern for pattern; test/integration/cast-check.test.ts
 * runs both on the same values and requires the same verdict.
 *
 * Values arrive as latin1 strings of their UTF-8 bytes (see csv-scanner.ts): the patterns admit
 * ASCII only, so any other byte fails them exactly as it fails the SQL patterns.
 */
import { hintsByColumn } from '../entities/type-hints.js';
import type { EntityName } from '../entities/catalog.js';
import type { FieldCheck } from '../load/csv-scanner.js';
import type { CastTarget } from './cast-sql.js';

const DATE = '[0-9][0-9][0-9][0-9]-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])';
const TIME = '([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\\.[0-9]+)?)?';
const OFFSET = '([Zz]|[+-](0[0-9]|1[0-4])(:?[0-5][0-9])?)';
/** cxone_etl.is_local_timestamp_form */
const LOCAL_FORM = new RegExp(`^ *${DATE}([ T]${TIME})? *$`);
/** cxone_etl.is_offset_timestamp_form */
const OFFSET_FORM = new RegExp(`^ *${DATE}[ T]${TIME}${OFFSET} *$`);
/** cxone_etl.try_date */
const DATE_FORM = new RegExp(`^ *${DATE} *$`);
/** cxone_etl.try_numeric */
const NUMERIC_FORM = /^ *[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9][0-9]?[0-9]?)? *$/;
/** cxone_etl.try_int */
const INT_FORM = /^ *[+-]?[0-9]+ *$/;
/** cxone_etl.try_interval */
const INTERVAL_FORM = /^ *[0-9]+:[0-5][0-9]:[0-5][0-9](\.[0-9]+)? *$/;
const BIGINT_MIN = -9223372036854775808n;
const BIGINT_MAX = 9223372036854775807n;

/** cxone_etl.try_bool's words, as latin1 strings of their UTF-8 bytes (예, 아니오, 아니요 are Korean). */
const BOOL_WORDS = new Set(
  ['yes', 'y', 'true', 't', '1', 'on', '예', 'no', 'n', 'false', 'f', '0', 'off', '아니오', '아니요'].map(
    (w) => Buffer.from(w, 'utf8').toString('latin1'),
  ),
);

/** btrim(value): spaces only, as Postgres's btrim with one argument. */
function btrim(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && value.charCodeAt(start) === 0x20) start++;
  while (end > start && value.charCodeAt(end - 1) === 0x20) end--;
  return value.slice(start, end);
}

/** cxone_etl.is_calendar_date: the date part names a day that exists. */
function isCalendarDate(value: string): boolean {
  const v = value.replace(/^ +/, ''); // ltrim(value)
  if (value.includes('0000-') && v.startsWith('0000')) return false;
  if (value.includes('-31') && ['02', '04', '06', '09', '11'].includes(v.slice(5, 7))) return false;
  if (value.includes('-02-30')) return false;
  if (value.includes('-02-29')) {
    const year = Number(v.slice(0, 4));
    return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  }
  return true;
}

function castsTimestamptz(value: string): boolean {
  return (LOCAL_FORM.test(value) || OFFSET_FORM.test(value)) && isCalendarDate(value);
}

function castsInt(value: string): boolean {
  if (!INT_FORM.test(value)) return false;
  if (value.length <= 18) return true;
  const n = BigInt(btrim(value));
  return n >= BIGINT_MIN && n <= BIGINT_MAX;
}

function castsInterval(value: string): boolean {
  return INTERVAL_FORM.test(value) && btrim(value).indexOf(':') + 1 <= 7;
}

/** ASCII lower case: what lower() does to the characters the words are made of. */
function castsBool(value: string): boolean {
  return BOOL_WORDS.has(btrim(value).replace(/[A-Z]+/g, (s) => s.toLowerCase()));
}

const CASTS: Record<Exclude<CastTarget['type'], 'text'>, (value: string) => boolean> = {
  timestamptz: castsTimestamptz,
  date: (v) => DATE_FORM.test(v) && isCalendarDate(v),
  numeric: (v) => NUMERIC_FORM.test(v),
  integer: castsInt,
  boolean: castsBool,
  interval: castsInterval,
};

/*
 * Shortcuts on raw bytes for the well-formed values that make up nearly every file, so the loader
 * makes no string for them (csv-scanner.ts, `passes`). Each admits only values its cast certainly
 * takes (a subset of the patterns above, with days 29-31 and year 0000 left to the full check);
 * anything else goes to the full check, so the verdicts stay those of the SQL casts.
 */
const ZERO = 0x30;
const NINE = 0x39;
const digit = (b: number | undefined): boolean => b !== undefined && b >= ZERO && b <= NINE;
const between = (b: number | undefined, lo: string, hi: string): boolean =>
  b !== undefined && b >= lo.charCodeAt(0) && b <= hi.charCodeAt(0);

/** yyyy-mm-dd at `at` with a day that exists in every month (01-28) and a year other than 0000. */
function plainDateAt(c: Buffer, at: number): boolean {
  if (!(digit(c[at]) && digit(c[at + 1]) && digit(c[at + 2]) && digit(c[at + 3]))) return false;
  if (c[at] === ZERO && c[at + 1] === ZERO && c[at + 2] === ZERO && c[at + 3] === ZERO) return false;
  if (c[at + 4] !== 0x2d || c[at + 7] !== 0x2d) return false;
  const m1 = c[at + 5];
  const m2 = c[at + 6];
  const month = m1 === ZERO ? between(m2, '1', '9') : m1 === 0x31 && between(m2, '0', '2');
  const d1 = c[at + 8];
  const d2 = c[at + 9];
  const day =
    d1 === ZERO ? between(d2, '1', '9') : d1 === 0x31 ? digit(d2) : d1 === 0x32 && between(d2, '0', '8');
  return month && day;
}

/** hh:mm:ss at `at`, 00:00:00 to 23:59:59. */
function plainTimeAt(c: Buffer, at: number): boolean {
  const h1 = c[at];
  const hour = between(h1, '0', '1') ? digit(c[at + 1]) : h1 === 0x32 && between(c[at + 1], '0', '3');
  return (
    hour &&
    c[at + 2] === 0x3a &&
    between(c[at + 3], '0', '5') &&
    digit(c[at + 4]) &&
    c[at + 5] === 0x3a &&
    between(c[at + 6], '0', '5') &&
    digit(c[at + 7])
  );
}

function plainDigits(c: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (!digit(c[i])) return false;
  return end > start;
}

const PASSES: Partial<Record<CastTarget['type'], NonNullable<FieldCheck['passes']>>> = {
  timestamptz: (c, s, e) =>
    e === s ||
    (e - s === 10 && plainDateAt(c, s)) ||
    (e - s === 19 &&
      plainDateAt(c, s) &&
      (c[s + 10] === 0x20 || c[s + 10] === 0x54) &&
      plainTimeAt(c, s + 11)),
  date: (c, s, e) => e === s || (e - s === 10 && plainDateAt(c, s)),
  integer: (c, s, e) => {
    const from = c[s] === 0x2d ? s + 1 : s;
    return e === s || (e - s <= 18 && plainDigits(c, from, e));
  },
  numeric: (c, s, e) => {
    if (e === s) return true;
    let digits = 0;
    let dots = 0;
    for (let i = c[s] === 0x2d ? s + 1 : s; i < e; i++) {
      if (digit(c[i])) digits++;
      else if (c[i] === 0x2e && dots === 0) dots++;
      else return false;
    }
    return digits > 0;
  },
  interval: (c, s, e) => {
    const hours = e - s - 6;
    return (
      e === s ||
      (hours >= 1 &&
        hours <= 6 &&
        plainDigits(c, s, s + hours) &&
        c[s + hours] === 0x3a &&
        between(c[s + hours + 1], '0', '5') &&
        digit(c[s + hours + 2]) &&
        c[s + hours + 3] === 0x3a &&
        between(c[s + hours + 4], '0', '5') &&
        digit(c[s + hours + 5]))
    );
  },
};

/**
 * The JavaScript form of castFailsSql for `target`, or undefined where there is none: text never
 * fails, and a to_timestamp `format` is Postgres's own parser, which only Postgres can mirror (the
 * reporting layer counts those columns in SQL).
 */
export function castFailsCheck(target: CastTarget): FieldCheck | undefined {
  if (target.type === 'text' || target.format !== undefined) return undefined;
  const casts = CASTS[target.type];
  // `<> ''` first and btrim last, as castFailsSql orders them: blank values are absent data.
  const check: FieldCheck = (value) => value !== '' && !casts(value) && btrim(value) !== '';
  const passes = PASSES[target.type];
  if (passes !== undefined) check.passes = passes;
  return check;
}

/** Per staging column of the entity's hints: the streaming check of its cast. */
export function castChecksFor(entity: EntityName): ReadonlyMap<string, FieldCheck> {
  const checks = new Map<string, FieldCheck>();
  for (const [column, hint] of hintsByColumn(entity)) {
    const check = castFailsCheck(hint);
    if (check !== undefined) checks.set(column, check);
  }
  return checks;
}
