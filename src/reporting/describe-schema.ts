/**
 * What `cxone-etl schema --entity E` shows: each staging column with its hint, the type the view
 * gives it, and what a sample of its values looks like (inference, and values the hint's cast refuses).
 */
import pg from 'pg';
import { stagingTableName, type EntityName } from '../entities/catalog.js';
import {
  hintsByColumn,
  stagingColumnName,
  TYPE_HINTS,
  type ColumnHint,
  type ColumnType,
} from '../entities/type-hints.js';
import { castFailsSql, castSql, zoneOf } from './cast-sql.js';
import { inferType, type ValueCounts } from './inference.js';
import { qualifiedName, relationInfo, type Queryable } from './relations.repository.js';
import { fingerprintOf, planView } from './view-plan.js';

export interface DescribeInput {
  stagingSchema: string;
  reportingSchema: string;
  entity: EntityName;
  timeZone: string;
  /** Rows to sample; default DEFAULT_SAMPLE_ROWS. */
  sampleRows?: number;
}

export interface ColumnDescription {
  /** Staging (and view) column name. */
  name: string;
  header: string | null;
  /** In the staging table (a hinted column may not have been seen in any file yet). */
  present: boolean;
  hint: ColumnType | null;
  meaning: string | null;
  source: ColumnHint['source'] | null;
  /** What the view gives the column: the hint's type, else text. */
  viewType: ColumnType;
  /** What the sampled values suggest; null with too few values. */
  inferred: ColumnType | null;
  /** Non-empty values in the sample. */
  nonEmpty: number;
  /** Sampled values the hint's cast reads as NULL; null without a typed hint. */
  failed: number | null;
}

export type ViewState = 'missing' | 'current' | 'stale' | 'not-a-view';

export interface SchemaDescription {
  entity: EntityName;
  stagingTable: string;
  view: string;
  tableExists: boolean;
  /** `stale`: the next load (or `schema --refresh`) rebuilds it. */
  viewState: ViewState;
  sampledRows: number;
  columns: ColumnDescription[];
}

/** Enough to see every form a column takes on a normal day, small enough to answer at once. */
export const DEFAULT_SAMPLE_ROWS = 5000;

/** Postgres allows 1,664 result columns; each sampled column costs 8. */
const COLUMNS_PER_QUERY = 150;

export async function describeSchema(db: Queryable, input: DescribeInput): Promise<SchemaDescription> {
  const table = stagingTableName(input.entity);
  const zone = zoneOf(input.entity, input.timeZone);
  const hints = hintsByColumn(input.entity);
  const staging = await relationInfo(db, input.stagingSchema, table);
  const view = await relationInfo(db, input.reportingSchema, table);
  const base = {
    entity: input.entity,
    stagingTable: `${input.stagingSchema}.${table}`,
    view: `${input.reportingSchema}.${table}`,
  };
  if (staging === null) {
    const columns = TYPE_HINTS[input.entity].map((h) =>
      describe(stagingColumnName(h.header), h, false, undefined),
    );
    return {
      ...base,
      tableExists: false,
      viewState: view === null ? 'missing' : 'stale',
      sampledRows: 0,
      columns,
    };
  }
  const plan = planView(input.entity, { schema: input.stagingSchema, table, columns: staging.columns }, zone);
  const viewState: ViewState =
    view === null
      ? 'missing'
      : view.kind !== 'v'
        ? 'not-a-view'
        : fingerprintOf(view.comment) === plan.fingerprint
          ? 'current'
          : 'stale';
  const names = staging.columns.map((c) => c.name).filter((n) => !n.startsWith('_'));
  const sample = await sampleColumns(db, input, table, names, zone);
  const present = names.map((n) => describe(n, hints.get(n), true, sample.counts.get(n)));
  const absent = TYPE_HINTS[input.entity]
    .map((h) => ({ h, name: stagingColumnName(h.header) }))
    .filter(({ name }) => !names.includes(name))
    .map(({ h, name }) => describe(name, h, false, undefined));
  return {
    ...base,
    tableExists: true,
    viewState,
    sampledRows: sample.rows,
    columns: [...present, ...absent],
  };
}

function describe(
  name: string,
  hint: ColumnHint | undefined,
  present: boolean,
  counts: (ValueCounts & { failed: number | null }) | undefined,
): ColumnDescription {
  return {
    name,
    header: hint?.header ?? null,
    present,
    hint: hint?.type ?? null,
    meaning: hint?.meaning ?? null,
    source: hint?.source ?? null,
    viewType: hint?.type ?? 'text',
    inferred: counts ? inferType(counts) : null,
    nonEmpty: counts?.nonEmpty ?? 0,
    failed: counts?.failed ?? null,
  };
}

interface Sample {
  rows: number;
  counts: Map<string, ValueCounts & { failed: number | null }>;
}

/**
 * Counts, over a block sample of the table, how many values of each column every safe cast reads.
 * TABLESAMPLE SYSTEM reads random pages rather than the table's start, so the sample spans old and new
 * windows (a column added by drift has values only in the newer ones).
 */
async function sampleColumns(
  db: Queryable,
  input: DescribeInput,
  table: string,
  names: string[],
  zone: string,
): Promise<Sample> {
  const limit = input.sampleRows ?? DEFAULT_SAMPLE_ROWS;
  const percent = await samplePercent(db, qualifiedName(input.stagingSchema, table), limit);
  const hints = hintsByColumn(input.entity);
  const counts = new Map<string, ValueCounts & { failed: number | null }>();
  let rows = 0;
  const chunks: string[][] = [];
  for (let from = 0; from < names.length; from += COLUMNS_PER_QUERY) {
    chunks.push(names.slice(from, from + COLUMNS_PER_QUERY));
  }
  for (const chunk of chunks.length > 0 ? chunks : [[]]) {
    const select = chunk.flatMap((name, i) => {
      const hint = hints.get(name);
      const failed =
        hint && hint.type !== 'text'
          ? `count(*) FILTER (WHERE ${castFailsSql(name, hint, zone)})`
          : 'NULL::bigint';
      const count = (type: ColumnType): string => `count(${castSql(name, { type }, zone)})`;
      return [
        `count(*) FILTER (WHERE btrim(${pg.escapeIdentifier(name)}) <> '') AS ne${i}`,
        `${count('date')} AS d${i}`,
        `${count('timestamptz')} AS t${i}`,
        `${count('interval')} AS iv${i}`,
        `${count('integer')} AS i${i}`,
        `${count('numeric')} AS n${i}`,
        `${count('boolean')} AS b${i}`,
        `${failed} AS f${i}`,
      ];
    });
    const columns = chunk.length === 0 ? '1' : chunk.map((n) => pg.escapeIdentifier(n)).join(', ');
    const { rows: result } = await db.query<Record<string, string | null>>(
      `SELECT count(*) AS sampled${select.length > 0 ? `, ${select.join(', ')}` : ''}
         FROM (SELECT ${columns} FROM ${qualifiedName(input.stagingSchema, table)}
               TABLESAMPLE SYSTEM ($1) ORDER BY random() LIMIT $2) s`,
      [percent, limit],
    );
    const row = result[0] ?? {};
    rows = Number(row.sampled ?? 0);
    chunk.forEach((name, i) => {
      const num = (key: string): number => Number(row[`${key}${i}`] ?? 0);
      counts.set(name, {
        nonEmpty: num('ne'),
        date: num('d'),
        timestamp: num('t'),
        interval: num('iv'),
        integer: num('i'),
        numeric: num('n'),
        boolean: num('b'),
        failed: row[`f${i}`] == null ? null : num('f'),
      });
    });
  }
  return { rows, counts };
}

/**
 * The page share that yields about twice `limit` rows, from the planner's row estimate (pages hold
 * uneven row counts), of which a random `limit` are kept, so the sample does not favour the table's
 * first pages; all pages for a small or never-analysed table (reltuples 0 or -1).
 */
async function samplePercent(db: Queryable, table: string, limit: number): Promise<number> {
  const { rows } = await db.query<{ estimate: number }>(
    'SELECT reltuples::float8 AS estimate FROM pg_class WHERE oid = to_regclass($1)',
    [table],
  );
  const estimate = rows[0]?.estimate ?? -1;
  if (estimate <= limit * 2) return 100;
  return Math.max(0.001, Math.min(100, (100 * limit * 2) / estimate));
}
