/**
 * Freshness: per entity, how far behind now its checkpoint may fall before it counts as
 * stale. "qm data must never be older than 26 hours" is FRESHNESS_MAX_LAG=qm-workflows=26h; without
 * a setting the limit follows the schedule: one schedule period (the gap between two fires) plus one
 * window, so a lag that normally saws between the settle delay and a period plus a window crosses it
 * only when a run was missed or failed to load.
 */
import type { EntityName } from '../entities/catalog.js';
import { nextFireTime } from '../lib/cron-schedule.js';

export interface FreshnessSettings {
  maxLagMs: ReadonlyMap<EntityName, number>;
  schedule: { cron: string; timeZone: string };
  windowMs: number;
}

export interface Freshness {
  /** now - checkpoint; null before the first load. */
  lagMs: number | null;
  maxLagMs: number;
  /** Lag over the limit, or never loaded. */
  stale: boolean;
}

/** The gap between the next two fires after `now` (DST and irregular schedules: the next one). */
export function schedulePeriodMs(schedule: { cron: string; timeZone: string }, now: number): number {
  const next = nextFireTime(schedule.cron, schedule.timeZone, now);
  return nextFireTime(schedule.cron, schedule.timeZone, next) - next;
}

export function maxLagFor(entity: EntityName, settings: FreshnessSettings, now: number): number {
  return settings.maxLagMs.get(entity) ?? schedulePeriodMs(settings.schedule, now) + settings.windowMs;
}

export function freshnessOf(
  entity: EntityName,
  loadedUntil: number | null,
  settings: FreshnessSettings,
  now: number,
): Freshness {
  const maxLagMs = maxLagFor(entity, settings, now);
  const lagMs = loadedUntil === null ? null : now - loadedUntil;
  return { lagMs, maxLagMs, stale: lagMs === null || lagMs > maxLagMs };
}

/** From the frozen config. */
export function freshnessSettings(config: {
  freshness: { maxLagMs: ReadonlyMap<EntityName, number> };
  schedule: { cron: string; timeZone: string };
  extract: { windowMs: number };
}): FreshnessSettings {
  return {
    maxLagMs: config.freshness.maxLagMs,
    schedule: config.schedule,
    windowMs: config.extract.windowMs,
  };
}
