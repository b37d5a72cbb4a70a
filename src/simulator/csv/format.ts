/**
 * Text forms of dates and numbers as the CSV files carry them. Hot in large mode (millions of rows),
 * so the date part is cached per day and two-digit fields come from a table instead of padStart.
 */
export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

const PAD2: readonly string[] = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const PAD4: readonly string[] = Array.from({ length: 10_000 }, (_, i) => String(i).padStart(4, '0'));
const HEX2: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

let cachedDay = Number.NaN;
let cachedDate = '';

/** `yyyy-mm-dd` of a UTC instant. */
export function formatDate(ms: number): string {
  const day = Math.floor(ms / DAY_MS);
  if (day !== cachedDay) {
    cachedDay = day;
    cachedDate = new Date(day * DAY_MS).toISOString().slice(0, 10);
  }
  return cachedDate;
}

/** `yyyy-mm-dd hh:mm:ss` in UTC: the contract's datetime form (docs/API.md, "Entities"). */
export function formatDateTime(ms: number): string {
  const date = formatDate(ms);
  const seconds = Math.floor((ms - Math.floor(ms / DAY_MS) * DAY_MS) / 1000);
  return `${date} ${clock(seconds)}`;
}

/** `yyyy-mm-dd hh:mm`: payroll start/end times, local to the schedule unit (no zone in the text). */
export function formatDateMinutes(ms: number): string {
  return formatDateTime(ms).slice(0, 16);
}

/** Seconds as `hh:mm:ss` (durations; hours may exceed 23). */
export function clock(totalSeconds: number): string {
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor(totalSeconds / 60) % 60;
  const s = totalSeconds % 60;
  return `${h < 100 ? PAD2[h] : String(h)}:${PAD2[m]}:${PAD2[s]}`;
}

export function pad(value: number, width: number): string {
  if (width === 4 && value >= 0 && value < 10_000) return PAD4[value] as string;
  return String(value).padStart(width, '0');
}

/** The low 32 bits as 8 hex digits, from a table: toString(16) + padStart showed up in profiles. */
export function hex8(value: number): string {
  return (
    (HEX2[(value >>> 24) & 255] as string) +
    HEX2[(value >>> 16) & 255] +
    HEX2[(value >>> 8) & 255] +
    HEX2[value & 255]
  );
}

/** Parses `yyyy-mm-dd` as a UTC midnight; throws on anything else so a typo in a test spec is loud. */
export function parseUtcDate(text: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  const ms = match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) : Number.NaN;
  if (!match || Number.isNaN(ms) || formatDate(ms) !== text) {
    throw new RangeError(`driftFromDate must be a date written yyyy-mm-dd, got ${JSON.stringify(text)}`);
  }
  return ms;
}
