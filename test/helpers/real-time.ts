/**
 * Dates for tests that run the worker on the system clock (child processes of the CLI): a start date
 * `days` whole days before a horizon that cannot move while the suite runs. EXTRACT_SETTLE_DELAY is
 * chosen so that now − settle falls at noon of yesterday: the horizon (yesterday's midnight) stays put
 * for twelve hours, whenever the suite starts.
 */
import { DEFAULT_TENANT } from '../../src/simulator/index.js';

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

/**
 * The simulator for child-process tests on the system clock: the API's durations at 1/100 (30 s
 * between calls is 300 ms), no late rows, and pre-signed URLs that live 3 s rather than 0.3 s: process
 * scheduling on a loaded CI machine does not shrink with the time scale, and URL expiry has tests of
 * its own (faults.test.ts).
 */
export const REAL_TIME_SIMULATOR = { timeScale: 0.01, lateArrivalMaxMs: 0, urlTtlMs: 300_000 } as const;

/**
 * The CLI's environment for a child-process run of qm-workflows on the system clock against the
 * simulator at `simUrl` (started with REAL_TIME_SIMULATOR: 350 ms between calls clears its 300 ms),
 * from `dates`. Tests add what they vary.
 */
export function realTimeCliEnv(
  databaseUrl: string,
  simUrl: string,
  dates: StableDates,
): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    CXONE_ISSUER_URL: simUrl,
    CXONE_ACCESS_KEY_ID: DEFAULT_TENANT.accessKeyId,
    CXONE_ACCESS_KEY_SECRET: DEFAULT_TENANT.accessKeySecret,
    CXONE_MIN_CALL_INTERVAL_MS: '350',
    EXTRACT_ENTITIES: 'qm-workflows',
    EXTRACT_START_DATE: dates.startDate,
    EXTRACT_SETTLE_DELAY: String(dates.settleMs),
    LOG_FORMAT: 'json',
  };
}
