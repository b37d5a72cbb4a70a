/**
 * What each entity's generator provides to the window logic in rows.ts. Time is cut into fixed slots
 * (a UTC minute, or a payroll date); a slot's rows depend only on (tenant, entity, slot), never on the
 * window that asks for them. That is the whole additivity argument.
 */
import { HOUR_MS } from './format.js';
import type { TenantPool } from './tenant-pool.js';

export interface GeneratedRow {
  /** The instant the API filters on (whole seconds, so the formatted column shows exactly this). */
  readonly ts: number;
  /** Per-row seed for the late-arrival delay. */
  readonly seed: number;
  /** Values for the entity's full column list, drift column included. */
  readonly values: string[];
}

export interface EntityGenerator {
  readonly columns: readonly string[];
  readonly driftColumn: string;
  readonly slotMs: number;
  /** How far after its slot's start a row's timestamp may fall (a call's later segments). */
  readonly spillMs: number;
  readonly defaultRowsPerDay: number;
  slotRows(pool: TenantPool, slot: number, rowsPerDay: number): GeneratedRow[];
}

/**
 * Relative load per UTC hour: a Seoul contact center (KST = UTC+9) is busiest 09–18 KST, quiet at night.
 * Normalised to mean 1 so `rowsPerDay` stays the daily average.
 */
const RAW_HOURLY = [
  10, 12, 12, 11, 10, 11, 11, 10, 8, 5, 4, 3, 2, 1, 0.5, 0.3, 0.3, 0.3, 0.3, 0.3, 0.5, 1, 3, 6,
];
const RAW_MEAN = RAW_HOURLY.reduce((a, b) => a + b, 0) / RAW_HOURLY.length;
const HOURLY_WEIGHT: readonly number[] = RAW_HOURLY.map((w) => w / RAW_MEAN);

/** Expected number of units (calls, evaluations) in one minute slot. */
export function minuteMean(minute: number, unitsPerDay: number): number {
  const hour = Math.floor((minute * 60_000) / HOUR_MS) % 24;
  return (unitsPerDay / 1440) * (HOURLY_WEIGHT[(hour + 24) % 24] as number);
}

/** Rows per minute slot are capped so ids built as `minute * 1000 + index` stay unique. */
export const MAX_UNITS_PER_MINUTE = 999;
