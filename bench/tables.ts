/**
 * The tables the contenders load, all in schema `bench`: the worker's own staging table (created by
 * its first load), `psql_plain` (the data columns, all text: the anchor) and `psql_staging` (a copy of
 * the staging table's shape: metadata defaults and the window index). Plus the psql commands.
 */
import { createReadStream } from 'node:fs';
import pg from 'pg';
import { stagingTableName } from '../src/entities/catalog.js';
import { columnNamesFor } from '../src/entities/column-names.js';
import { splitHeader } from '../src/load/csv-inspect.js';
import { adminQuery, psqlCopy, type PsqlCopy } from './bench-env.js';
import { BENCH_ENTITY, BENCH_SCHEMA } from './load-target.js';

export const WORKER_TABLE = stagingTableName(BENCH_ENTITY);
export const PLAIN_TABLE = 'psql_plain';
export const STAGING_LIKE_TABLE = 'psql_staging';

export function qualified(table: string): string {
  return `${pg.escapeIdentifier(BENCH_SCHEMA)}.${pg.escapeIdentifier(table)}`;
}

/** The staging column names of a CSV file's header, as the worker names them. */
export async function dataColumns(file: string): Promise<string[]> {
  const split = await splitHeader(createReadStream(file));
  await split.body[Symbol.asyncIterator]().return?.();
  if (split.header === null) throw new Error(`${file} has no header`);
  return columnNamesFor(split.header);
}

export async function createPlainTable(url: string, columns: string[]): Promise<void> {
  const definitions = columns.map((c) => `${pg.escapeIdentifier(c)} text`).join(', ');
  await adminQuery(`CREATE SCHEMA IF NOT EXISTS ${pg.escapeIdentifier(BENCH_SCHEMA)}`, url);
  await adminQuery(`CREATE TABLE ${qualified(PLAIN_TABLE)} (${definitions})`, url);
}

/** Needs the worker's staging table to exist (after a first worker load). */
export async function createStagingLikeTable(url: string): Promise<void> {
  await adminQuery(
    `CREATE TABLE ${qualified(STAGING_LIKE_TABLE)} ` +
      `(LIKE ${qualified(WORKER_TABLE)} INCLUDING DEFAULTS INCLUDING INDEXES)`,
    url,
  );
}

/** Empties a target and flushes dirty pages, so no run pays for the previous one's writes. */
export async function resetTable(url: string, table: string): Promise<void> {
  await adminQuery(`TRUNCATE ${table.includes('.') ? table : qualified(table)}`, url);
  await adminQuery('CHECKPOINT', url);
}

/** The anchor: `\copy t from 'file' csv header` into the all-text table. */
export function psqlPlainCopy(url: string, file: string): Promise<PsqlCopy> {
  return psqlCopy(url, `\\copy ${qualified(PLAIN_TABLE)} from '${quoteLiteral(file)}' csv header`);
}

/** psql into the staging-shaped table with the worker's COPY options and metadata settings. */
export function psqlStagingCopy(url: string, file: string, columns: string[]): Promise<PsqlCopy> {
  const list = columns.map((c) => pg.escapeIdentifier(c)).join(', ');
  return psqlCopy(
    url,
    `\\copy ${qualified(STAGING_LIKE_TABLE)} (${list}) from '${quoteLiteral(file)}' ` +
      `with (format csv, header true, encoding 'UTF8', force_not_null (${list}))`,
    // Session-level here (psql autocommits each -c); transaction-local in the worker.
    [`SELECT set_config('cxone_etl.load_id', '1', false)`],
  );
}

function quoteLiteral(text: string): string {
  return text.replace(/'/g, "''");
}
