/**
 * SQL for the staging tables `{schema}.{entity}`: all-text data columns named from the CSV header,
 * plus `_load_id`, the load (cxone_etl.loads: tenant, window, job) each row came from.
 * Every identifier goes through `escapeIdentifier`: header names come from the download and may be
 * anything, including SQL.
 */
import pg from 'pg';
import { from as copyFrom, type CopyStreamQuery } from 'pg-copy-streams';
import { resolveColumns } from '../entities/column-names.js';
import { STAGING_DDL_LOCK_CLASS, STAGING_LOAD_LOCK_CLASS } from '../db/lock-keys.js';
import type { Queryable } from '../db/pool.js';

/**
 * The one metadata column of every staging table: which load (cxone_etl.loads) wrote the row. The
 * tenant, window, job and load time are kept once per load there, not on every row: five per-row
 * defaults made COPY 1.39-1.44x slower than into a plain table, this one 1.07-1.10x
 * (bench/staging-cost.ts).
 */
export const METADATA_COLUMNS = ['_load_id'] as const;

/**
 * The transaction-local setting `_load_id`'s default reads. COPY with a column list of the data columns
 * only then fills it from the default, so the CSV bytes go to Postgres untouched. Outside a load the
 * setting is unset or '' and NULLIF turns it into NULL, which NOT NULL refuses: a stray INSERT cannot
 * write rows that belong to no load.
 */
export const LOAD_ID_SETTING = 'cxone_etl.load_id';

export interface StagingTableRef {
  schema: string;
  table: string;
}

export interface StagingTableState {
  created: boolean;
  /** Columns added to an existing table. */
  added: string[];
  /** The column each header field loads into, in header order (resolveColumns). */
  columns: string[];
  /**
   * Whether someone put triggers on the table (we create none; a foreign key's internal triggers do not
   * count): the one way rows can be changed, skipped or multiplied on their way in behind COPY's row
   * count.
   */
  hasTriggers: boolean;
}

/**
 * Creates the schema and table if missing and adds header columns the table lacks; columns absent
 * from this header stay and read NULL. A header name that matches an existing column tolerantly
 * (resolveColumns: case, spacing and punctuation ignored) loads into that column: `columns` says which
 * columns the header's fields go to. `added` lists columns added to an existing table.
 * DDL runs only when something is missing, under an advisory lock held to the end of the caller's
 * transaction: two tenants creating the same table at once would otherwise collide on pg_type
 * (23505 unique_violation) or add the same column twice (42701 duplicate_column).
 */
export async function ensureStagingTable(
  client: pg.ClientBase,
  ref: StagingTableRef & { columns: readonly string[] },
): Promise<StagingTableState> {
  const before = await existingTable(client, ref);
  if (before !== null) {
    const columns = resolveColumns(ref.columns, [...before.columns]);
    if (columns.every((c) => before.columns.has(c)))
      return { created: false, added: [], columns, hasTriggers: before.hasTriggers };
  }
  await lockDdl(client, `${ref.schema}.${ref.table}`);
  const current = await existingTable(client, ref);
  if (current === null) {
    await createTable(client, ref);
    return { created: true, added: [], columns: [...ref.columns], hasTriggers: false };
  }
  const columns = resolveColumns(ref.columns, [...current.columns]);
  const added = columns.filter((c) => !current.columns.has(c));
  if (added.length > 0) {
    const clauses = added.map((c) => `ADD COLUMN IF NOT EXISTS ${client.escapeIdentifier(c)} text`);
    await client.query(`ALTER TABLE ${qualified(client, ref)} ${clauses.join(', ')}`);
  }
  return { created: false, added, columns, hasTriggers: current.hasTriggers };
}

/**
 * Serializes loads of one tenant's table until the caller's transaction ends. Without it, two loads of
 * the same window at once (two workers after the tenant's session lock was lost to a Postgres restart,
 * or never held behind a transaction-mode pooler) each deleted nothing and both inserted: the window
 * was loaded twice (found by the reliability suite). Behind the lock, the second DELETE runs after the
 * first load committed and sees its rows.
 */
export async function lockTableLoads(
  client: pg.ClientBase,
  ref: StagingTableRef & { tenantId: string },
): Promise<void> {
  await client.query(`SELECT pg_advisory_xact_lock(${STAGING_LOAD_LOCK_CLASS}, hashtext($1))`, [
    `${ref.schema}.${ref.table}/${ref.tenantId}`,
  ]);
}

/**
 * Deletes the rows of the given loads (see loads.repository.ts for which loads a window replaces).
 * Zero when the table does not exist yet (checked first: an error would abort the caller's transaction).
 */
export async function deleteLoadRows(
  client: pg.ClientBase,
  ref: StagingTableRef & { loadIds: readonly string[] },
): Promise<number> {
  if (ref.loadIds.length === 0 || !(await tableExists(client, ref))) return 0;
  const result = await client.query(
    `DELETE FROM ${qualified(client, ref)} WHERE _load_id = ANY($1::bigint[])`,
    [ref.loadIds],
  );
  return result.rowCount ?? 0;
}

/** Rows one load wrote (the reconciliation's "rows present afterwards", on a table with triggers). */
export async function countLoadRows(
  client: pg.ClientBase,
  ref: StagingTableRef & { loadId: string },
): Promise<number> {
  const { rows } = await client.query(
    `SELECT count(*)::bigint AS n FROM ${qualified(client, ref)} WHERE _load_id = $1`,
    [ref.loadId],
  );
  return Number(rows[0]?.n ?? 0);
}

/** Sets the value `_load_id`'s default reads, until the caller's transaction ends. */
export async function setLoadId(client: pg.ClientBase, loadId: string): Promise<void> {
  await client.query(`SELECT set_config($1, $2, true)`, [LOAD_ID_SETTING, loadId]);
}

/**
 * COPY of the data columns only (`_load_id` comes from its default). FORCE_NOT_NULL makes an empty
 * field '' as csv-parse reads it, so NULL keeps one meaning: the column was not in that file.
 */
function copyStatement(client: pg.ClientBase, ref: StagingTableRef & { columns: readonly string[] }): string {
  const columns = ref.columns.map((c) => client.escapeIdentifier(c)).join(', ');
  return (
    `COPY ${qualified(client, ref)} (${columns}) FROM STDIN ` +
    `WITH (FORMAT csv, ENCODING 'UTF8', FORCE_NOT_NULL (${columns}))`
  );
}

/**
 * Starts that COPY on `client` and returns its stream: pipe the file's bytes into it; its rowCount is
 * the loaded count once it finished.
 */
export function copyInto(
  client: pg.ClientBase,
  ref: StagingTableRef & { columns: readonly string[] },
): CopyStreamQuery {
  return client.query(copyFrom(copyStatement(client, ref)));
}

function qualified(client: pg.ClientBase, ref: StagingTableRef): string {
  return `${client.escapeIdentifier(ref.schema)}.${client.escapeIdentifier(ref.table)}`;
}

/** The table's live columns and whether it has triggers, or null when it does not exist. */
async function existingTable(
  client: pg.ClientBase,
  ref: StagingTableRef,
): Promise<{ columns: Set<string>; hasTriggers: boolean } | null> {
  const result = await client.query<{ found: boolean; columns: string[]; has_triggers: boolean }>(
    `SELECT r.oid IS NOT NULL AS found,
            ARRAY(SELECT attname::text FROM pg_attribute
                   WHERE attrelid = r.oid AND attnum > 0 AND NOT attisdropped) AS columns,
            EXISTS (SELECT FROM pg_trigger WHERE tgrelid = r.oid AND NOT tgisinternal) AS has_triggers
       FROM (SELECT to_regclass($1) AS oid) r`,
    [qualified(client, ref)],
  );
  const row = result.rows[0];
  return row?.found ? { columns: new Set(row.columns), hasTriggers: row.has_triggers } : null;
}

async function tableExists(client: pg.ClientBase, ref: StagingTableRef): Promise<boolean> {
  const result = await client.query<{ found: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS found`, [
    qualified(client, ref),
  ]);
  return result.rows[0]?.found === true;
}

async function createTable(
  client: pg.ClientBase,
  ref: StagingTableRef & { columns: readonly string[] },
): Promise<void> {
  await ensureSchema(client, ref.schema);
  const id = (name: string): string => client.escapeIdentifier(name);
  const definitions = [
    `_load_id bigint NOT NULL DEFAULT NULLIF(current_setting('${LOAD_ID_SETTING}', true), '')::bigint`,
    ...ref.columns.map((c) => `${id(c)} text`),
  ];
  await client.query(`CREATE TABLE IF NOT EXISTS ${qualified(client, ref)} (${definitions.join(', ')})`);
  // Serves the replace-a-window DELETE and the reconciliation count of every load. BRIN, not btree: a
  // load's rows arrive together and load ids grow, so block ranges find them; new pages sit in ranges
  // not yet summarized, which costs COPY nothing, while a btree maintained row by row cost COPY about a
  // quarter of its speed (bench/RESULTS.md, "staging variants").
  await client.query(
    `CREATE INDEX IF NOT EXISTS ${id(`${ref.table}_load_brin`)}
         ON ${qualified(client, ref)} USING brin (_load_id)`,
  );
}

/** CREATE SCHEMA IF NOT EXISTS races like CREATE TABLE does (pg_namespace unique index), so lock too. */
async function ensureSchema(client: pg.ClientBase, schema: string): Promise<void> {
  const result = await client.query<{ found: boolean }>(`SELECT to_regnamespace($1) IS NOT NULL AS found`, [
    client.escapeIdentifier(schema),
  ]);
  if (result.rows[0]?.found) return;
  await lockDdl(client, schema);
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${client.escapeIdentifier(schema)}`);
}

async function lockDdl(client: Queryable, key: string): Promise<void> {
  await client.query(`SELECT pg_advisory_xact_lock(${STAGING_DDL_LOCK_CLASS}, hashtext($1))`, [key]);
}

/**
 * Removes columns COLUMN_POLICY drops from the staging table, with every value they held. The caller
 * first drops the views that read them (Postgres refuses otherwise: 2BP01 dependent_objects_still_exist).
 */
export async function dropStagingColumns(
  client: Queryable,
  ref: StagingTableRef & { columns: readonly string[] },
): Promise<void> {
  if (ref.columns.length === 0) return;
  await lockDdl(client, `${ref.schema}.${ref.table}`);
  const clauses = ref.columns.map((c) => `DROP COLUMN IF EXISTS ${pg.escapeIdentifier(c)}`);
  await client.query(
    `ALTER TABLE ${pg.escapeIdentifier(ref.schema)}.${pg.escapeIdentifier(ref.table)} ${clauses.join(', ')}`,
  );
}

/** Whether the staging table exists and has `column`. */
export async function hasStagingColumn(
  client: Queryable,
  ref: StagingTableRef & { column: string },
): Promise<boolean> {
  const { rows } = await client.query<{ found: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_attribute
                     WHERE attrelid = to_regclass($1) AND attname = $2 AND attnum > 0 AND NOT attisdropped) AS found`,
    [`${pg.escapeIdentifier(ref.schema)}.${pg.escapeIdentifier(ref.table)}`, ref.column],
  );
  return rows[0]?.found === true;
}

/**
 * `cxone-etl erase`: the rows whose `column` equals one of `values`, counted per load; deleted too
 * when `remove` is set. The caller checked that the column exists.
 */
export async function matchingRowsByLoad(
  client: Queryable,
  ref: StagingTableRef & { column: string; values: readonly string[]; remove: boolean },
): Promise<Map<string, number>> {
  const table = `${pg.escapeIdentifier(ref.schema)}.${pg.escapeIdentifier(ref.table)}`;
  const where = `${pg.escapeIdentifier(ref.column)} = ANY($1::text[])`;
  const sql = ref.remove
    ? `WITH gone AS (DELETE FROM ${table} WHERE ${where} RETURNING _load_id)
       SELECT _load_id::text AS load_id, count(*)::bigint AS n FROM gone GROUP BY 1`
    : `SELECT _load_id::text AS load_id, count(*)::bigint AS n FROM ${table} WHERE ${where} GROUP BY 1`;
  const { rows } = await client.query<{ load_id: string; n: string }>(sql, [ref.values]);
  return new Map(rows.map((r) => [r.load_id, Number(r.n)]));
}
