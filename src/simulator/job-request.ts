/**
 * Validation of a job request body `{entityName, version, startDate, endDate}` (all strings, contract
 * "Jobs"). Every refusal is a 400 with a message, except an entity the tenant may not extract: 403,
 * worded like the busy answer because the contract says a 403 is ambiguous (busy or missing permission).
 */
import { findEntity, type EntityName } from '../entities/catalog.js';
import type { SimulatorOptions, SimulatorTenant } from './options.js';
import { HttpError } from './respond.js';

export interface JobRequest {
  entity: EntityName;
  version: string;
  startDate: string;
  endDate: string;
  /** The half-open window [startMs, endMs) after the end-date rule is applied. */
  startMs: number;
  endMs: number;
}

const DAY_MS = 86_400_000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

export function parseJobRequest(
  body: unknown,
  tenant: SimulatorTenant,
  options: SimulatorOptions,
): JobRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new HttpError(400, 'Malformed request body: expected a JSON object');
  }
  const fields = body as Record<string, unknown>;
  const entityName = requiredString(fields, 'entityName');
  const version = requiredString(fields, 'version');
  const startDate = requiredString(fields, 'startDate');
  const endDate = requiredString(fields, 'endDate');

  const entity = findEntity(entityName);
  if (!entity) throw new HttpError(400, `Invalid request: unknown entityName "${entityName}"`);
  if (tenant.entities && !tenant.entities.includes(entity.name)) {
    throw new HttpError(403, `Access denied: the user has no permission to extract "${entity.name}"`);
  }
  const versions = options.supportedVersions[entity.name] ?? [entity.defaultVersion];
  if (!versions.includes(version)) {
    throw new HttpError(
      400,
      `Invalid request: version "${version}" is not supported for ${entity.name} (supported: ${versions.join(', ')})`,
    );
  }

  const acceptsDateTime = entity.dateFormat === 'datetime' || options.acceptDateTimeForAll;
  const forms = acceptsDateTime ? 'yyyy-mm-dd or yyyy-mm-dd hh:mm:ss' : 'yyyy-mm-dd';
  const start = parseDate(startDate, acceptsDateTime);
  const end = parseDate(endDate, acceptsDateTime);
  if (!start) throw new HttpError(400, `Invalid request: startDate "${startDate}" must be ${forms}`);
  if (!end) throw new HttpError(400, `Invalid request: endDate "${endDate}" must be ${forms}`);

  // Inclusive: a date-only end covers that whole day; a date-time end covers that second.
  const endMs = isInclusive(options, entity.name) ? end.ms + (end.dateOnly ? DAY_MS : 1000) : end.ms;
  const startMs = start.ms;
  if (startMs > endMs) throw new HttpError(400, 'Invalid request: startDate is after endDate');
  // Clients send equal dates for one-day ranges derived from data; with an exclusive end it is empty.
  if (startMs === endMs && options.equalDates === 'reject') {
    throw new HttpError(400, 'Invalid request: the date range is empty');
  }
  if (endMs - startMs > options.maxWindowMs) {
    const days = options.maxWindowMs / DAY_MS;
    throw new HttpError(400, `Invalid request: the date range exceeds the maximum of ${days} days`);
  }
  return { entity: entity.name, version, startDate, endDate, startMs, endMs };
}

function requiredString(fields: Record<string, unknown>, key: string): string {
  const value = fields[key];
  if (typeof value !== 'string' || value === '') {
    throw new HttpError(400, `Invalid request: "${key}" is required and must be a string`);
  }
  return value;
}

function isInclusive(options: SimulatorOptions, entity: EntityName): boolean {
  const rule = options.endDateInclusive;
  return typeof rule === 'boolean' ? rule : (rule[entity] ?? false);
}

/** Strict: the calendar date must exist (2026-02-30 is refused), times in UTC. */
function parseDate(text: string, allowTime: boolean): { ms: number; dateOnly: boolean } | undefined {
  const match = DATE.exec(text) ?? (allowTime ? DATE_TIME.exec(text) : null);
  if (!match) return undefined;
  const [year, month, day, hour = 0, minute = 0, second = 0] = match.slice(1).map(Number) as number[];
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const ms = Date.UTC(year as number, (month as number) - 1, day, hour, minute, second);
  const check = new Date(ms);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== (month as number) - 1) return undefined;
  if (check.getUTCDate() !== day) return undefined;
  return { ms, dateOnly: match.length === 4 };
}
