/**
 * The grid that windows are aligned to. UTC entities use multiples of the window length counted from
 * the Unix epoch (for 1d: UTC midnights). wfm-payroll is filtered by the payroll-code date in the
 * schedule unit's time zone (contract, "Entities"), so its grid is that zone's local midnights, and a
 * "day" there is 23 or 25 hours across a DST change.
 */
const DAY_MS = 86_400_000;

export interface TimeGrid {
  /** Length of one grid unit in ms for UTC grids; whole days for local-date grids. */
  readonly unitMs: number;
  readonly timeZone: string | undefined;
  /** The latest boundary at or before t. */
  floor(t: number): number;
  /** The boundary `units` grid units after boundary t (t must be a boundary). */
  add(t: number, units: number): number;
}

/** A UTC grid of `unitMs`-long cells, aligned to the epoch. */
export function utcGrid(unitMs: number): TimeGrid {
  if (unitMs <= 0) throw new Error('grid unit must be positive');
  return {
    unitMs,
    timeZone: undefined,
    floor: (t) => Math.floor(t / unitMs) * unitMs,
    add: (t, units) => t + units * unitMs,
  };
}

/** A grid of local calendar days (`days` per unit) in an IANA time zone. */
export function localDayGrid(timeZone: string, days = 1): TimeGrid {
  return {
    unitMs: days * DAY_MS,
    timeZone,
    floor: (t) => {
      const { y, m, d } = localDate(t, timeZone);
      // Align multi-day units to whole days since the epoch of local dates.
      const dayNumber = Math.floor(Date.UTC(y, m - 1, d) / DAY_MS);
      const aligned = dayNumber - (((dayNumber % days) + days) % days);
      return localMidnight(aligned * DAY_MS, timeZone);
    },
    add: (t, units) => {
      const { y, m, d } = localDate(t, timeZone);
      return localMidnight(Date.UTC(y, m - 1, d) + units * days * DAY_MS, timeZone);
    },
  };
}

const partsFormatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = partsFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    partsFormatters.set(timeZone, f);
  }
  return f;
}

/** Wall-clock fields of instant t in the zone. */
export function localParts(
  t: number,
  timeZone: string,
): { y: number; m: number; d: number; h: number; mi: number; s: number } {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(t))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return {
    y: parts.year as number,
    m: parts.month as number,
    d: parts.day as number,
    h: (parts.hour as number) % 24,
    mi: parts.minute as number,
    s: parts.second as number,
  };
}

export function localDate(t: number, timeZone: string): { y: number; m: number; d: number } {
  const { y, m, d } = localParts(t, timeZone);
  return { y, m, d };
}

/** Offset of the zone from UTC at instant t, in ms (positive east of Greenwich). */
export function offsetAt(t: number, timeZone: string): number {
  const p = localParts(t, timeZone);
  return Date.UTC(p.y, p.m - 1, p.d, p.h, p.mi, p.s) - Math.floor(t / 1000) * 1000;
}

/**
 * The instant of local midnight for the local date whose UTC-midnight label is `dateLabelMs`.
 * Two passes settle the offset on DST days; where midnight does not exist (a zone that springs
 * forward at 00:00), the first instant of that day is used.
 */
export function localMidnight(dateLabelMs: number, timeZone: string): number {
  let guess = dateLabelMs - offsetAt(dateLabelMs, timeZone);
  guess = dateLabelMs - offsetAt(guess, timeZone);
  const p = localDate(guess, timeZone);
  const label = Date.UTC(p.y, p.m - 1, p.d);
  if (label < dateLabelMs) {
    // Midnight skipped by a DST jump: step forward to the first hour that exists.
    for (let h = 1; h <= 3; h++) {
      const t = guess + h * 3_600_000;
      const q = localDate(t, timeZone);
      if (Date.UTC(q.y, q.m - 1, q.d) === dateLabelMs) return t - localParts(t, timeZone).mi * 60_000;
    }
  }
  return guess;
}

/** yyyy-mm-dd of the local date at instant t. */
export function localDateString(t: number, timeZone: string): string {
  const { y, m, d } = localDate(t, timeZone);
  return `${String(y).padStart(4, '0')}-${pad(m)}-${pad(d)}`;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** The next instant at or after `now` whose wall-clock time in the zone is HH:MM (a run deadline). */
export function nextClockTime(now: number, hhmm: string, timeZone: string): number {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  const { y, m: mo, d } = localDate(now, timeZone);
  for (let day = 0; day <= 2; day++) {
    const midnight = localMidnight(Date.UTC(y, mo - 1, d + day), timeZone);
    const at = midnight + h * 3_600_000 + m * 60_000;
    if (at > now) return at;
  }
  return now;
}
