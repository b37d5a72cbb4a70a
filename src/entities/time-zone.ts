import type { TimeBasis } from './catalog.js';

/**
 * The IANA zone an entity's dates are read in: WFM_TIMEZONE (the WFM schedule unit's zone) for entities
 * filtered by a schedule-unit date, UTC for the rest. Window grids, API dates, gap reports and the typed
 * views' timestamps all follow this one rule.
 */
export function zoneFor(timeBasis: TimeBasis, wfmTimeZone: string): string {
  return timeBasis === 'schedule-unit' ? wfmTimeZone : 'UTC';
}
