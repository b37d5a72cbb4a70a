/**
 * How a half-open window [start, end) is written in a job request. The contract (docs/API.md,
 * "Entities") says every public client sends yyyy-mm-dd and that recording metadata takes
 * `yyyy-mm-dd hh:mm:ss` in UTC; whether endDate is inclusive is ASSUMED, so it is per-entity config.
 * With an inclusive end, the last day (date format) or the last second (datetime) is sent instead,
 * so adjacent windows neither overlap nor leave a gap either way.
 */
import type { EntitySettings } from '../config.js';
import { zoneFor, type TimeBasis } from '../entities/catalog.js';
import { localDateString } from './time-grid.js';

export interface WindowBounds {
  start: number;
  end: number;
}

export interface ApiDates {
  startDate: string;
  endDate: string;
}

const DAY_MS = 86_400_000;

export function apiDates(
  window: WindowBounds,
  entity: Pick<EntitySettings, 'dateFormat' | 'endDateInclusive'>,
  timeBasis: TimeBasis,
  wfmTimeZone: string,
): ApiDates {
  const zone = zoneFor(timeBasis, wfmTimeZone);
  if (entity.dateFormat === 'date') {
    const lastInstant = entity.endDateInclusive ? window.end - 1 : window.end;
    return { startDate: dateString(window.start, zone), endDate: dateString(lastInstant, zone) };
  }
  const end = entity.endDateInclusive ? window.end - 1000 : window.end;
  return { startDate: dateTimeString(window.start), endDate: dateTimeString(end) };
}

function dateString(t: number, zone: string): string {
  return zone === 'UTC' ? new Date(t).toISOString().slice(0, 10) : localDateString(t, zone);
}

/** `yyyy-mm-dd hh:mm:ss` in UTC. */
export function dateTimeString(t: number): string {
  return new Date(t).toISOString().slice(0, 19).replace('T', ' ');
}

/** A short human label for logs and errors: `2026-01-01..2026-01-02` or with times when not whole days. */
export function windowLabel(window: WindowBounds, timeZone = 'UTC'): string {
  const wholeDays = window.start % DAY_MS === 0 && window.end % DAY_MS === 0;
  if (timeZone !== 'UTC')
    return `${localDateString(window.start, timeZone)}..${localDateString(window.end, timeZone)} ${timeZone}`;
  if (wholeDays) return `${dateString(window.start, 'UTC')}..${dateString(window.end, 'UTC')}`;
  return `${new Date(window.start).toISOString()}..${new Date(window.end).toISOString()}`;
}
