/**
 * SQL for one typed column: the safe cast of migrations/0004_reporting.sql that reads a staging text
 * column as its hinted type. Shared by the view builder, the cast-problem count and `cxone-etl schema`,
 * so all three read a value the same way.
 */
import pg from 'pg';
import { findEntity, zoneFor, type EntityName } from '../entities/catalog.js';
import type { ColumnType } from '../entities/type-hints.js';

export interface CastTarget {
  readonly type: ColumnType;
  /** timestamptz only: a to_timestamp template (the slower, exception-catching cast). */
  readonly format?: string | undefined;
}

/** What format_type() calls each view column type, to compare a view's columns with the wanted ones. */
export const PG_TYPE_NAMES: Readonly<Record<ColumnType, string>> = Object.freeze({
  text: 'text',
  timestamptz: 'timestamp with time zone',
  date: 'date',
  numeric: 'numeric',
  // try_int returns bigint: ids and counts from a big tenant can pass 2^31.
  integer: 'bigint',
  boolean: 'boolean',
  interval: 'interval',
});

/**
 * The safe cast of `column` (a staging column name, escaped here) to `target`; the column itself for
 * text. `zone` is where a timestamp without an offset is read: see `zoneOf`. `from` qualifies the
 * column with a table alias (the views join cxone_etl.loads, whose column names a header may share).
 */
export function castSql(column: string, target: CastTarget, zone: string, from?: string): string {
  const col = from === undefined ? pg.escapeIdentifier(column) : `${from}.${pg.escapeIdentifier(column)}`;
  switch (target.type) {
    case 'text':
      return col;
    case 'timestamptz':
      return target.format === undefined
        ? `cxone_etl.try_timestamptz(${col}, ${pg.escapeLiteral(zone)})`
        : `cxone_etl.try_timestamptz(${col}, ${pg.escapeLiteral(zone)}, ${pg.escapeLiteral(target.format)})`;
    case 'date':
      return `cxone_etl.try_date(${col})`;
    case 'numeric':
      return `cxone_etl.try_numeric(${col})`;
    case 'integer':
      return `cxone_etl.try_int(${col})`;
    case 'boolean':
      return `cxone_etl.try_bool(${col})`;
    case 'interval':
      return `cxone_etl.try_interval(${col})`;
  }
}

/**
 * SQL true for a value that is there (not NULL, not blank) but does not cast: a cast problem. Blank
 * values are absent data, which the casts also read as NULL, so they are not counted. btrim comes last
 * so that it runs only for the values that failed.
 */
export function castFailsSql(column: string, target: CastTarget, zone: string): string {
  const col = pg.escapeIdentifier(column);
  return `(${col} <> '' AND ${castSql(column, target, zone)} IS NULL AND btrim(${col}) <> '')`;
}

/**
 * The zone an entity's timestamps are written in: UTC, or WFM_TIMEZONE for entities filtered in the
 * schedule unit's zone (docs/API.md, "Entities": wfm-payroll).
 */
export function zoneOf(entity: EntityName, scheduleUnitZone: string): string {
  return zoneFor(findEntity(entity)?.timeBasis ?? 'utc', scheduleUnitZone);
}
