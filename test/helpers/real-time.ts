/**
 * Dates for tests that run the worker on the system clock (child processes of the CLI): a start date
 * `days` whole days before a horizon that cannot move while the suite runs. EXTRACT_SETTLE_DELAY is
 * chosen so that now − settle falls at noon of yesterday: the horizon (yesterday's midnight) stays put
 * for twelve hours, whenever the suite starts.
 */
const DAY_MS = 86_400_000;

export interface StableDates {
  /** EXTRACT_START_DATE. */
  startDate: string;
  /** EXTRACT_SETTLE_DELAY, in ms. */
  settleMs: number;
  from: number;
  horizon: number;
}

export function stableDates(now: number, days: number): StableDates {
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  const horizon = today - DAY_MS;
  const from = horizon - days * DAY_MS;
  return {
    startDate: new Date(from).toISOString().slice(0, 10),
    settleMs: now - today + 12 * 3_600_000,
    from,
    horizon,
  };
}
