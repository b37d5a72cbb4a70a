/**
 * Awkward content at realistic rates, plus a guarantee: every UTC day of every entity carries at least
 * one row of each quirk. Random rates alone would leave a small entity (payroll, ~50 rows a day) without
 * an embedded newline on many days, and a test of "one day's file" would then prove nothing.
 */
import { DAY_MS } from './format.js';
import { fmix32, mix, type Rng } from './prng.js';
import { PLAIN_TEXT, QUIRK_TEXT } from './text-pools.js';

export type Quirk = keyof typeof QUIRK_TEXT;
export const QUIRKS: readonly Quirk[] = Object.keys(QUIRK_TEXT) as Quirk[];

/** Share of free-text fields that carry some quirk when nothing forces one: "a few %" each. */
const QUIRK_RATE = 0.12;

/**
 * Free text for one field: empty with probability `emptyRate`, else mostly plain, sometimes awkward.
 * A forced quirk overrides the draw but still consumes the same random numbers, so forcing one field
 * does not shift the rest of the row.
 */
export function pickText(rng: Rng, emptyRate: number, forced?: Quirk): string {
  const r = rng.float();
  const q = rng.pick(QUIRKS);
  const index = rng.next();
  if (forced !== undefined) return pickFrom(QUIRK_TEXT[forced], index);
  if (r < emptyRate) return '';
  if (r < emptyRate + QUIRK_RATE * (1 - emptyRate)) return pickFrom(QUIRK_TEXT[q], index);
  return pickFrom(PLAIN_TEXT, index);
}

function pickFrom(items: readonly string[], index: number): string {
  return items[index % items.length] as string;
}

/**
 * Which quirks a minute slot must carry: each quirk gets one minute per UTC day, chosen by hash of
 * (tenant, entity key, day, quirk), so the choice depends on the day alone and not on the window.
 * Returned in QUIRKS order; empty for most minutes.
 */
export function forcedQuirksForMinute(tenantHash: number, key: number, minute: number): Quirk[] {
  const minutesPerDay = DAY_MS / 60_000;
  const day = Math.floor(minute / minutesPerDay);
  const minuteOfDay = minute - day * minutesPerDay;
  const forced: Quirk[] = [];
  for (let q = 0; q < QUIRKS.length; q++) {
    if (fmix32(mix(tenantHash, key, day, q, 0x71)) % minutesPerDay === minuteOfDay) {
      forced.push(QUIRKS[q] as Quirk);
    }
  }
  return forced;
}
