/**
 * Cron arithmetic as pure functions of (expression, time zone, instant), so the scheduler and its tests
 * need no wall clock. node-cron parses and validates the expression (its `validateDetailed`/`parse`
 * expand names, ranges, lists and steps into numbers); its own next-run search is internal and reads
 * the wall clock, so the search over days lives here.
 *
 * Semantics follow node-cron, so SCHEDULE_CRON means what node-cron's docs say: 5 fields, or 6 with
 * seconds first; day-of-month AND day-of-week must both match (node-cron's rule, not Vixie's OR).
 * Daylight-saving time, as Vixie cron handles it: a time the clock skips (02:30 on a spring-forward
 * night) fires at the instant the clock jumps, so a nightly run is not lost; a time the clock repeats
 * fires once (the first time), unless the hour field is `*`, where every real hour keeps its fires.
 */
import { offsetAt } from '../extract/time-grid.js';
import { validateDetailed } from 'node-cron';
import { EtlError } from '../lib/errors.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** UTC offsets in use run from -12:00 to +14:00, so these margins bracket every instant of a local day. */
const MAX_OFFSET = 14 * HOUR;
/** 30 years: the rarest valid schedule, Feb 29 on a given weekday, recurs within 28 years. */
const MAX_SEARCH_DAYS = 366 * 30;

interface CronFields {
  readonly seconds: readonly number[];
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly days: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  /** 0 = Sunday; node-cron already folds 7 into 0. */
  readonly weekdays: ReadonlySet<number>;
  /** Hour field `*`: the schedule is an interval, so a repeated hour (DST end) gets its own fires. */
  readonly everyHour: boolean;
}

/** An error message for an expression the scheduler cannot run, or undefined when it is fine. */
export function validateCron(expression: string): string | undefined {
  return compile(expression).error;
}

/** The first fire time strictly after `afterMs`, as epoch milliseconds. Throws on an invalid expression. */
export function nextFireTime(expression: string, timeZone: string, afterMs: number): number {
  const fields = compileOrThrow(expression);
  // Start a day early: where a zone falls back across midnight, a later instant can read as the day before.
  let day = wallDay(afterMs, timeZone) - DAY;
  for (let i = 0; i < MAX_SEARCH_DAYS; i++, day += DAY) {
    if (!matchesDay(fields, day)) continue;
    for (const at of dayFireTimes(fields, day, timeZone)) {
      if (at > afterMs) return at;
    }
  }
  throw noFireTime(expression);
}

/** The last fire time at or before `atOrBeforeMs`, or undefined when there was none in the search range. */
export function previousFireTime(
  expression: string,
  timeZone: string,
  atOrBeforeMs: number,
): number | undefined {
  const fields = compileOrThrow(expression);
  let day = wallDay(atOrBeforeMs, timeZone) + DAY;
  for (let i = 0; i < MAX_SEARCH_DAYS; i++, day -= DAY) {
    if (!matchesDay(fields, day)) continue;
    let last: number | undefined;
    for (const at of dayFireTimes(fields, day, timeZone)) {
      if (at > atOrBeforeMs) break;
      last = at;
    }
    if (last !== undefined) return last;
  }
  return undefined;
}

export interface MissedFires {
  /** Fire times in (fromMs, toMs]; stops counting at the cap. */
  readonly count: number;
  /** True when there were more than `count`. */
  readonly capped: boolean;
  /** The most recent of them, or undefined when none. */
  readonly last: number | undefined;
}

/**
 * The fire times a process that was down from `fromMs` to `toMs` did not see. The scheduler runs one
 * catch-up for all of them (windows are planned from checkpoints); the count is for the log.
 */
export function missedFireTimes(
  expression: string,
  timeZone: string,
  fromMs: number,
  toMs: number,
  cap = 1000,
): MissedFires {
  const last = previousFireTime(expression, timeZone, toMs);
  if (last === undefined || last <= fromMs) return { count: 0, capped: false, last: undefined };
  let count = 0;
  let at = fromMs;
  while (count < cap) {
    at = nextFireTime(expression, timeZone, at);
    if (at > toMs) break;
    count++;
  }
  return { count, capped: count === cap && last > at, last };
}

function compile(expression: string): { fields?: CronFields; error?: string } {
  const result = validateDetailed(expression);
  if (!result.valid || !result.fields) {
    const detail = result.errors.map((e) => e.message).join('; ') || 'not a cron expression';
    return { error: `invalid cron expression ${JSON.stringify(expression)}: ${detail}` };
  }
  const f = result.fields;
  const dayOfMonth = f.dayOfMonth.filter((v): v is number => typeof v === 'number');
  const dayOfWeek = f.dayOfWeek.filter((v): v is number => typeof v === 'number');
  // node-cron accepts L, W and # day tokens; this matcher does not evaluate them, so refuse rather than
  // silently never fire.
  if (dayOfMonth.length !== f.dayOfMonth.length || dayOfWeek.length !== f.dayOfWeek.length) {
    return {
      error: `cron expression ${JSON.stringify(expression)}: the L, W and # day tokens are not supported; use days, ranges, lists and steps`,
    };
  }
  const ascending = (values: readonly number[]): number[] => [...new Set(values)].sort((a, b) => a - b);
  return {
    fields: {
      seconds: ascending(f.second),
      minutes: ascending(f.minute),
      hours: ascending(f.hour),
      days: new Set(dayOfMonth),
      months: new Set(f.month),
      weekdays: new Set(dayOfWeek.map((d) => d % 7)),
      everyHour: new Set(f.hour).size === 24,
    },
  };
}

function compileOrThrow(expression: string): CronFields {
  const { fields, error } = compile(expression);
  if (!fields) throw new EtlError('CONFIG', error ?? `invalid cron expression ${JSON.stringify(expression)}`);
  return fields;
}

function noFireTime(expression: string): EtlError {
  return new EtlError(
    'CONFIG',
    `cron expression ${JSON.stringify(expression)} never fires within ${MAX_SEARCH_DAYS / 366} years`,
  );
}

/** A local calendar day is represented by its wall-clock midnight read as if it were UTC. */
function matchesDay(fields: CronFields, day: number): boolean {
  const date = new Date(day);
  return (
    fields.months.has(date.getUTCMonth() + 1) &&
    fields.days.has(date.getUTCDate()) &&
    fields.weekdays.has(date.getUTCDay())
  );
}

/** The day's fire times in ascending order, without repeats. */
function* dayFireTimes(fields: CronFields, day: number, timeZone: string): Generator<number> {
  const zone = zoneForDay(day, timeZone);
  const walls = wallTimes(fields, day);
  if (zone.transition === undefined) {
    // No offset change near this day: wall time maps to instants in order, so stay lazy.
    for (const wall of walls) yield wall - zone.before;
    return;
  }
  const instants = new Set<number>();
  for (const wall of walls) {
    const [first, second] = toInstants(wall, zone);
    instants.add(first);
    if (second !== undefined && fields.everyHour) instants.add(second);
  }
  yield* [...instants].sort((a, b) => a - b);
}

function* wallTimes(fields: CronFields, day: number): Generator<number> {
  for (const h of fields.hours) {
    for (const m of fields.minutes) {
      for (const s of fields.seconds) yield day + h * HOUR + m * MINUTE + s * SECOND;
    }
  }
}

/** The zone's UTC offset before and after the day, and the instant it changes, if it does. */
interface DayZone {
  readonly before: number;
  readonly after: number;
  readonly transition: number | undefined;
}

function zoneForDay(day: number, timeZone: string): DayZone {
  let lo = day - MAX_OFFSET;
  let hi = day + DAY + MAX_OFFSET;
  const before = offsetAt(lo, timeZone);
  const after = offsetAt(hi, timeZone);
  // Zones change offset at most once in any two days, so equal ends mean no change in between.
  if (before === after) return { before, after, transition: undefined };
  // Bisect to the second: the first instant on the new offset.
  while (hi - lo > SECOND) {
    const mid = lo + Math.floor((hi - lo) / 2 / SECOND) * SECOND;
    if (offsetAt(mid, timeZone) === before) lo = mid;
    else hi = mid;
  }
  return { before, after, transition: hi };
}

/** The instant(s) a wall time names: one normally, the jump instant in a gap, two in a repeated hour. */
function toInstants(wall: number, zone: DayZone): [number, number?] {
  const { before, after } = zone;
  const transition = zone.transition as number;
  if (wall < transition + Math.min(before, after)) return [wall - before];
  if (wall >= transition + Math.max(before, after)) return [wall - after];
  // Spring forward: this wall time never shows; fire when the clock jumps past it.
  if (after > before) return [transition];
  // Fall back: this wall time shows twice, first on the old offset, then on the new one.
  return [wall - before, wall - after];
}

/** Midnight of the local day that holds `instant`, as a wall-clock value read as UTC. */
function wallDay(instant: number, timeZone: string): number {
  const wall = instant + offsetAt(instant, timeZone);
  return Math.floor(wall / DAY) * DAY;
}
