/**
 * What a typed view should look like for a staging table: the load's tenant, window, job and time
 * (from cxone_etl.loads, under the names the staging columns had before they moved there), the load
 * id, then every data column in table order, each cast to its recorded type (cxone_etl.column_types;
 * text while undecided). Pure, so it is unit-tested and the
 * fingerprint decides cheaply whether the live view is already this one.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import type { EntityName } from '../entities/catalog.js';
import type { ColumnType } from '../entities/type-hints.js';
import { castSql, PG_TYPE_NAMES } from './cast-sql.js';
import { castTargetOf } from './column-types.js';
import type { ColumnTypeRecord } from './column-types.repository.js';
import { qualifiedName, type RelationColumn } from './relations.repository.js';

export interface PlannedColumn {
  name: string;
  /** The view column's type as format_type() names it. */
  pgType: string;
  /** The recorded type; undefined for metadata columns and columns not decided yet. */
  hinted: ColumnType | undefined;
  sql: string;
}

export interface ViewPlan {
  columns: PlannedColumn[];
  /** SELECT ... FROM the staging table JOIN cxone_etl.loads. */
  select: string;
  /** Changes whenever the SELECT would: new columns, other hints, another zone. */
  fingerprint: string;
}

const FINGERPRINT = /fingerprint=([0-9a-f]+)/;

/** Alias of the staging table in the view's query. */
const STAGING = 's';
/** Alias of cxone_etl.loads. */
const LOADS = 'l';

/**
 * What the view shows of each row's load, first in every view: the five columns every staging row
 * carried before they moved to cxone_etl.loads (migrations/0006_loads.sql), so queries on the views
 * read the same, then the load id itself.
 */
const LOAD_COLUMNS: readonly { name: string; source: string; pgType: string }[] = [
  { name: '_tenant_id', source: `${LOADS}.tenant_id`, pgType: 'text' },
  { name: '_window_start', source: `${LOADS}.window_start`, pgType: 'timestamp with time zone' },
  { name: '_window_end', source: `${LOADS}.window_end`, pgType: 'timestamp with time zone' },
  { name: '_job_id', source: `${LOADS}.job_id`, pgType: 'text' },
  { name: '_loaded_at', source: `${LOADS}.loaded_at`, pgType: 'timestamp with time zone' },
  { name: '_load_id', source: `${STAGING}._load_id`, pgType: 'bigint' },
];

export function planView(
  entity: EntityName,
  staging: { schema: string; table: string; columns: readonly RelationColumn[] },
  zone: string,
  types: ReadonlyMap<string, ColumnTypeRecord>,
): ViewPlan {
  const meta = LOAD_COLUMNS.map((c): PlannedColumn => ({
    name: c.name,
    pgType: c.pgType,
    hinted: undefined,
    sql: `${c.source} AS ${pg.escapeIdentifier(c.name)}`,
  }));
  // Data column names never start with `_` (columnNamesFor); `_load_id` is in LOAD_COLUMNS.
  const data = staging.columns
    .filter((column) => !column.name.startsWith('_'))
    .map((column): PlannedColumn => {
      const record = types.get(column.name);
      const target = castTargetOf(entity, column.name, record);
      if (target.type === 'text') {
        return {
          name: column.name,
          pgType: column.type,
          hinted: record?.type,
          sql: castSql(column.name, { type: 'text' }, zone, STAGING),
        };
      }
      const cast = `${castSql(column.name, target, zone, STAGING)} AS ${pg.escapeIdentifier(column.name)}`;
      return { name: column.name, pgType: PG_TYPE_NAMES[target.type], hinted: target.type, sql: cast };
    });
  const columns = [...meta, ...data];
  const select =
    `SELECT ${columns.map((c) => c.sql).join(', ')} ` +
    `FROM ${qualifiedName(staging.schema, staging.table)} ${STAGING} ` +
    `JOIN cxone_etl.loads ${LOADS} ON ${LOADS}.load_id = ${STAGING}._load_id`;
  const fingerprint = createHash('sha256').update(select, 'utf8').digest('hex').slice(0, 16);
  return { columns, select, fingerprint };
}

/** The comment a maintained view carries; the fingerprint in it is what refreshes compare. */
export function viewComment(stagingRef: string, fingerprint: string): string {
  return (
    `Typed view over ${stagingRef}, maintained by cxone-etl: rebuilt when the staging table gains ` +
    `columns or the type hints change; do not edit (see docs/REPORTING.md). fingerprint=${fingerprint}`
  );
}

export function fingerprintOf(comment: string | null): string | undefined {
  return comment === null ? undefined : FINGERPRINT.exec(comment)?.[1];
}

/**
 * Whether CREATE OR REPLACE VIEW can turn the live view into the planned one: Postgres allows it only
 * when the existing columns keep their names, types and order and new ones come after them (42P16
 * invalid_table_definition otherwise). Schema drift appends staging columns, so drift takes this path,
 * which keeps grants and the views users built on ours.
 */
export function canReplaceInPlace(
  live: readonly RelationColumn[],
  planned: readonly PlannedColumn[],
): boolean {
  if (live.length > planned.length) return false;
  return live.every((c, i) => c.name === planned[i]?.name && c.type === planned[i]?.pgType);
}

/** What a refresh did to a view (view-builder.ts, current-view.ts). */
export type ViewAction = 'unchanged' | 'created' | 'replaced' | 'recreated' | 'no-table';
