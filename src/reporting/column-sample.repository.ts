/**
 * The sample behind `cxone-etl schema` (describe-schema.ts): per staging column, how many sampled values
 * each safe cast reads, in as few queries as Postgres' result-column limit allows.
 */
import pg from 'pg';
import type { EntityName } from '../entities/catalog.js';
import { hintsByColumn, type ColumnType } from '../entities/type-hints.js';
import { castFailsSql, castSql, type CastTarget } from './cast-sql.js';
import type { ValueCounts } from './inference.js';
import type { Queryable } from '../db/pool.js';
import { qualifiedName } from './relations.repository.js';

/** Postgres allows 1,664 result columns; each sampled column costs 8. */
const COLUMNS_PER_QUERY = 150;

export interface SampleInput {
  /** The staging schema and table. */
  schema: string;
  table: string;
  entity: EntityName;
  /** Columns to sample. */
  names: string[];
  /** Where timestamps without an offset are read (zoneOf). */
  zone: string;
  /** Rows to sample. */
  limit: number;
  /** What each column casts to in the view, to count the values it refuses; default: the hints. */
  targets?: ReadonlyMap<string, CastTarget>;
}

export interface Sample {
  rows: number;
  counts: Map<string, ValueCounts & { failed: number | null }>;
}

/**
 * Counts, over a block sample of the table, how many values of each column every safe cast reads.
 * TABLESAMPLE SYSTEM reads random pages rather than the table's start, so the sample spans old and new
 * windows (a column added by drift has values only in the newer ones).
 */
export async function sampleColumns(db: Queryable, input: SampleInput): Promise<Sample> {
  const { table, names, zone, limit } = input;
  const percent = await samplePercent(db, qualifiedName(input.schema, table), limit);
  const hints: ReadonlyMap<string, CastTarget> = input.targets ?? hintsByColumn(input.entity);
  const counts = new Map<string, ValueCounts & { failed: number | null }>();
  let rows = 0;
  const chunks: string[][] = [];
  for (let from = 0; from < names.length; from += COLUMNS_PER_QUERY) {
    chunks.push(names.slice(from, from + COLUMNS_PER_QUERY));
  }
  for (const chunk of chunks.length > 0 ? chunks : [[]]) {
    const select = chunk.flatMap((name, i) => countExpressions(name, i, hints.get(name), zone));
    const columns = chunk.length === 0 ? '1' : chunk.map((n) => pg.escapeIdentifier(n)).join(', ');
    const { rows: result } = await db.query<Record<string, string | null>>(
      `SELECT count(*) AS sampled${select.length > 0 ? `, ${select.join(', ')}` : ''}
         FROM (SELECT ${columns} FROM ${qualifiedName(input.schema, table)}
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

/** The sampled counts of column `name` (the `i`-th of its query): non-empty, each cast, failed casts. */
function countExpressions(name: string, i: number, hint: CastTarget | undefined, zone: string): string[] {
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
