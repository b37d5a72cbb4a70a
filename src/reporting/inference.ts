/**
 * Type inference from sampled values, for columns no type hint matches: on a column's first loads
 * its result is recorded once (column-types.ts) and kept, because a view whose column types kept
 * following the data would change type under a dashboard the day a malformed value arrives.
 * `cxone-etl schema` also shows what the sample suggests today, next to the recorded type.
 */
import type { ColumnType } from '../entities/type-hints.js';

/** Of the sampled non-empty values of one column, how many each safe cast reads. */
export interface ValueCounts {
  nonEmpty: number;
  date: number;
  timestamp: number;
  interval: number;
  integer: number;
  numeric: number;
  boolean: number;
}

/** Fewer values than this prove nothing about a column. */
export const MIN_VALUES_TO_INFER = 5;

/**
 * The narrowest type every sampled value reads as, or null with too few values. Order matters where
 * forms overlap: `2026-03-15` is also a timestamp (date wins), `1` is also a number and a boolean
 * (integer wins: 0/1 columns are more often counts than flags).
 */
export function inferType(counts: ValueCounts): ColumnType | null {
  const n = counts.nonEmpty;
  if (n < MIN_VALUES_TO_INFER) return null;
  if (counts.date === n) return 'date';
  if (counts.timestamp === n) return 'timestamptz';
  if (counts.interval === n) return 'interval';
  if (counts.integer === n) return 'integer';
  if (counts.numeric === n) return 'numeric';
  if (counts.boolean === n) return 'boolean';
  return 'text';
}
