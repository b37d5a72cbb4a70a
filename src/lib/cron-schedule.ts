/**
 * Cron arithmetic as pure functions of (expression, time zone, instant), so the scheduler and its tests
 * need no wall clock.
 *
 * node-cron parses and validates the expression, so SCHEDULE_CRON means what node-cron's docs say: 5
 * fields, or 6 with seconds first; names, ranges (wrapping ones too), lists, steps and nicknames;
 * day-of-month AND day-of-week must both match (node-cron's rule, not Vixie's OR).
 *
 * croner finds the fire times. Why not node-cron's own matcher: node-cron 4.6 exports no matcher that
 * takes a start instant. `TimeMatcher` sits in an internal chunk its package `exports` do not list
 * (importing it fails with ERR_PACKAGE_PATH_NOT_EXPORTED), and the public `createTask(...)` registers a
 * task globally and starts `getNextRun()`/`getNextRuns()` from `new Date()`, the wall clock. Reached
 * anyway, its `getNextMatch` is wrong across DST: `0 2 * * *` in America/New_York from
 * 2026-03-07T12:00Z gives 2026-03-09T06:00Z, losing the spring-forward night's run, and `*\/5 * * * *`
 * skips the repeated hour on 2026-11-01 (a 65-minute gap). croner's `nextRun(reference)` and
 * `previousRuns(1, reference)` take the instant, and its DST rules follow Vixie cron (croner's README):
 * - a fixed-time schedule (no `*` in the hour field here): a time the clock skips (02:30 on a
 *   spring-forward night) fires when the clock jumps past it, on the same day, so a nightly run is not
 *   lost; a time the clock repeats fires once, the first time;
 * - an interval schedule (hour field `*`): every real hour keeps its fires, the repeated one too, and a
 *   time the clock skips has no fire, so the spacing stays even.
 * croner is handed node-cron's expanded fields rather than the text, so both libraries read the same
 * schedule (croner refuses wrapping ranges such as `22-2`, which node-cron expands). Seconds and
 * minutes go as lists, so croner's `no-wildcard` rule sorts schedules by the hour field alone.
 */
import { Cron } from 'croner';
import { validateDetailed, type ParsedFields } from 'node-cron';
import { EtlError } from './errors.js';

/** An error message for an expression the scheduler cannot run, or undefined when it is fine. */
export function validateCron(expression: string): string | undefined {
  return compile(expression).error;
}

/** The first fire time strictly after `afterMs`, as epoch milliseconds. Throws on an invalid expression. */
export function nextFireTime(expression: string, timeZone: string, afterMs: number): number {
  return nextAfter(schedule(expression, timeZone), expression, afterMs);
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
  const cron = schedule(expression, timeZone);
  const last = previousAtOrBefore(cron, toMs);
  if (last === undefined || last <= fromMs) return { count: 0, capped: false, last: undefined };
  let count = 0;
  let at = fromMs;
  while (count < cap) {
    at = nextAfter(cron, expression, at);
    if (at > toMs) break;
    count++;
  }
  return { count, capped: count === cap && last > at, last };
}

function nextAfter(cron: Cron, expression: string, afterMs: number): number {
  const next = cron.nextRun(new Date(afterMs));
  if (!next) throw new EtlError('CONFIG', `cron expression ${JSON.stringify(expression)} never fires`);
  return next.getTime();
}

function previousAtOrBefore(cron: Cron, atOrBeforeMs: number): number | undefined {
  // previousRuns looks strictly before its reference; 1 ms later makes a fire at atOrBeforeMs count.
  return cron.previousRuns(1, new Date(atOrBeforeMs + 1))[0]?.getTime();
}

/** A croner evaluator for the expression in the zone; no function is given, so it starts no timer. */
function schedule(expression: string, timeZone: string): Cron {
  const { pattern, error } = compile(expression);
  if (pattern === undefined) {
    throw new EtlError('CONFIG', error ?? `invalid cron expression ${JSON.stringify(expression)}`);
  }
  return new Cron(pattern, {
    timezone: timeZone,
    mode: '6-part',
    domAndDow: true,
    fixedTimeRule: 'no-wildcard',
  });
}

/** node-cron's verdict, and on success the expression as croner's 6-field pattern. */
function compile(expression: string): { pattern?: string; error?: string } {
  const result = validateDetailed(expression);
  if (!result.valid || !result.fields) {
    const detail = result.errors.map((e) => e.message).join('; ') || 'not a cron expression';
    return { error: `invalid cron expression ${JSON.stringify(expression)}: ${detail}` };
  }
  const f: ParsedFields = result.fields;
  const dayOfMonth = f.dayOfMonth.filter((v): v is number => typeof v === 'number');
  const dayOfWeek = f.dayOfWeek.filter((v): v is number => typeof v === 'number');
  // node-cron accepts the L, W and # day tokens; the scheduler has never run them, so refuse rather
  // than read them differently from node-cron.
  if (dayOfMonth.length !== f.dayOfMonth.length || dayOfWeek.length !== f.dayOfWeek.length) {
    return {
      error: `cron expression ${JSON.stringify(expression)}: the L, W and # day tokens are not supported; use days, ranges, lists and steps`,
    };
  }
  const pattern = [
    list(f.second),
    list(f.minute),
    listOrStar(f.hour, 24),
    listOrStar(dayOfMonth, 31),
    listOrStar(f.month, 12),
    // node-cron already folds 7 (Sunday) into 0.
    listOrStar(dayOfWeek, 7),
  ].join(' ');
  return { pattern };
}

function list(values: readonly number[]): string {
  return [...new Set(values)].sort((a, b) => a - b).join(',');
}

/** `*` when the field holds every value, so croner counts an every-hour schedule as an interval. */
function listOrStar(values: readonly number[], size: number): string {
  return new Set(values).size === size ? '*' : list(values);
}
