/**
 * Loads one window's CSV into its staging table inside the caller's open transaction: the caller also
 * advances the checkpoint and commits, so a window is either fully replaced and checkpointed or not at
 * all. We never BEGIN or COMMIT here.
 */
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { assertInTransaction } from '../db/savepoint.js';
import { isRetryablePgError, pgErrorCode } from '../db/sqlstate.js';
import { stagingTableName, type EntityName } from '../entities/catalog.js';
import { EtlError, isEtlError, toError, type EtlErrorContext } from '../lib/errors.js';
import { columnNamesFor } from '../entities/column-names.js';
import { entityPolicy, planColumns, type ColumnPolicy, type PolicyPlan } from './column-policy.js';
import { POSTGRES_MAX_COLUMNS, splitHeader } from './csv-inspect.js';
import {
  CsvScanner,
  keptColumns,
  type ColumnAction,
  type FieldCheck,
  type FieldProblem,
} from './csv-scanner.js';
import { finishLoad, insertLoad, removeReplacedLoads } from './loads.repository.js';
import {
  copyInto,
  countLoadRows,
  deleteLoadRows,
  ensureStagingTable,
  lockTableLoads,
  METADATA_COLUMNS,
  setLoadId,
} from './staging.repository.js';

export interface CopyWindowInput {
  /** Staging schema (STAGING_SCHEMA); the table is the entity name with `-` replaced by `_`. */
  schema: string;
  entity: EntityName;
  tenantId: string;
  windowStart: Date;
  windowEnd: Date;
  jobId: string;
  /** The downloaded bytes (a byte stream, no encoding set), read once. */
  source: AsyncIterable<Buffer> | Readable;
  /** Put on every error; defaults to tenant, entity, window and job from the fields above. */
  context?: EtlErrorContext;
  /**
   * Per staging column, a test run on each of its values while they stream past (the reporting
   * layer's cast-problem counts, reporting/cast-check.ts); the result's `fieldProblems` says which
   * columns had failing values. Without it nothing is checked and `fieldProblems` is undefined.
   */
  checks?: ReadonlyMap<string, FieldCheck>;
  /**
   * Per 0-based header index, how that column's values are rewritten on their way to COPY (a column
   * policy). A dropped column is left out of the staging table's column list and of `columns`.
   * `columnPolicy`, when given, decides them from the header instead.
   */
  columnActions?: ReadonlyMap<number, ColumnAction>;
  /**
   * COLUMN_POLICY: columns hashed or dropped in the scan, before COPY (./column-policy.ts). Absent or
   * without rules for the entity's columns, the bytes go to COPY untouched.
   */
  columnPolicy?: ColumnPolicy;
}

export interface CopyWindowResult {
  /** Rows COPY loaded, equal to `records` (checked). */
  rows: number;
  /** CSV records counted while streaming (header excluded). */
  records: number;
  /** Bytes read from the source, BOM and header included. */
  bytes: number;
  /** Staging column names for the header, in header order, without dropped columns. */
  columns: string[];
  /** Columns added to an existing table for this file (schema drift). */
  addedColumns: string[];
  createdTable: boolean;
  /** Rows of earlier loads of this window (or of smaller windows inside it) that were replaced. */
  deleted: number;
  /** Header names as written; null for a zero-byte file. */
  header: string[] | null;
  /** The load's id in cxone_etl.loads: the `_load_id` of its staging rows. */
  loadId: string;
  /** Columns of `checks` with failing values, in header order; undefined when no checks were given. */
  fieldProblems: FieldProblem[] | undefined;
  /**
   * Every staging column COLUMN_POLICY drops for this entity, in this file or not: the reporting step
   * removes them from the staging table (reporting/policy-columns.ts).
   */
  policyDropped: string[];
  /** Columns of this file that were hashed. */
  hashed: string[];
}

/** Data columns a staging table can take next to the metadata columns. */
const MAX_DATA_COLUMNS = POSTGRES_MAX_COLUMNS - METADATA_COLUMNS.length;

/**
 * Replaces the window's rows with the file's: header → columns (adding new ones), delete the window,
 * COPY the body bytes (untouched unless a column policy hashes or drops columns) while counting records,
 * then check COPY's count against ours.
 * An empty file empties the window. Throws EtlError: BAD_INPUT for a file we cannot load, DATABASE
 * for Postgres failures (retryable when a fresh connection could succeed).
 */
export async function copyWindow(client: pg.ClientBase, input: CopyWindowInput): Promise<CopyWindowResult> {
  const context = input.context ?? defaultContext(input);
  const ref = { schema: input.schema, table: stagingTableName(input.entity) };
  const window = { tenantId: input.tenantId, start: input.windowStart, end: input.windowEnd };
  const source = readSource(input.source, context);
  const split = await splitHeader(source, { context, maxColumns: MAX_DATA_COLUMNS });
  try {
    await assertInLoadTransaction(client, context);
    await lockTableLoads(client, { ...ref, tenantId: input.tenantId });
    const key = { stagingSchema: input.schema, entity: input.entity, ...window };
    const replaced = await removeReplacedLoads(client, key);
    if (split.header === null) {
      const deleted = await deleteLoadRows(client, { ...ref, loadIds: replaced });
      const loadId = await insertLoad(client, { ...key, jobId: input.jobId });
      await finishLoad(client, loadId, { rows: 0, bytes: split.headerBytes });
      return {
        ...emptyResult(split.headerBytes, deleted, loadId, input.checks),
        policyDropped: dropped(input),
      };
    }
    // The header's fields go to these columns (tolerant matching may pick an existing spelling); a field
    // the column policy drops never reaches the table.
    const headerColumns = columnNamesFor(split.header, context);
    const plan = policyPlan(input, headerColumns);
    const actions = plan?.actions ?? input.columnActions;
    const table = await ensureStagingTable(client, {
      ...ref,
      columns: keptColumns(headerColumns, actions),
    });
    const { columns } = table;
    let kept = 0;
    const fieldColumns = headerColumns.map((c, i) =>
      actions?.get(i)?.kind === 'drop' ? c : (columns[kept++] as string),
    );
    const deleted = await deleteLoadRows(client, { ...ref, loadIds: replaced });
    const loadId = await insertLoad(client, { ...key, jobId: input.jobId });
    await setLoadId(client, loadId);
    const scanner = new CsvScanner({
      context,
      columns: fieldColumns,
      checks: withoutRewritten(input.checks, fieldColumns, actions),
      columnActions: actions,
    });
    const copy = copyInto(client, { ...ref, columns });
    await pipeline(split.body, scanner, copy);
    reconcile(copy.rowCount, scanner.records, context);
    // What the table now holds for this load is COPY's row count unless a trigger is in the way: the
    // command tag counts the rows COPY inserted (a row a BEFORE trigger skipped is not counted, so
    // reconcile() above already fails on it), COPY FROM does not fire rules (Postgres docs, COPY:
    // "it will not invoke rules"), and refuses tables with row-level security for other roles. Only a
    // trigger can still rewrite `_load_id` or add rows of this load, and our staging tables have none,
    // so the count query (3% of a 1 GB window, bench/RESULTS.md) runs only when someone added one.
    if (table.hasTriggers) await checkRowsPresent(client, { ...ref, loadId }, copy.rowCount, context);
    const bytes = split.headerBytes + scanner.bytes;
    await finishLoad(client, loadId, { rows: copy.rowCount, bytes });
    return {
      rows: copy.rowCount,
      records: scanner.records,
      bytes,
      columns,
      addedColumns: table.added,
      createdTable: table.created,
      deleted,
      header: split.header,
      loadId,
      fieldProblems: input.checks === undefined ? undefined : scanner.problems,
      policyDropped: dropped(input),
      hashed: plan?.hashed ?? [],
    };
  } catch (err) {
    // Aborts the download when we failed before COPY read it (a no-op once the pipeline ran). A failure
    // to abort is not reported: the error thrown below is the one that says what went wrong.
    await split.body[Symbol.asyncIterator]()
      .return?.()
      .catch(() => undefined);
    throw classify(err, context);
  }
}

/** The policy's plan for this header; undefined when it changes none of its columns. */
function policyPlan(input: CopyWindowInput, header: readonly string[]): PolicyPlan | undefined {
  if (input.columnPolicy === undefined) return undefined;
  const plan = planColumns(input.columnPolicy, input.entity, header);
  return plan.actions.size === 0 ? undefined : plan;
}

/** Every column the policy drops for the entity, in the file or not. */
function dropped(input: CopyWindowInput): string[] {
  if (input.columnPolicy === undefined) return [];
  const byColumn = entityPolicy(input.columnPolicy.rules, input.entity);
  return [...byColumn].flatMap(([column, action]) => (action === 'drop' ? [column] : []));
}

/**
 * Checks only for columns loaded as sent: a check keeps a failing value as its sample, and a dropped
 * or hashed column's raw value must not reach cast_problems; a hash checked against the column's type
 * hint would fail anyway.
 */
function withoutRewritten(
  checks: ReadonlyMap<string, FieldCheck> | undefined,
  header: readonly string[],
  actions: ReadonlyMap<number, ColumnAction> | undefined,
): ReadonlyMap<string, FieldCheck> | undefined {
  if (checks === undefined || actions === undefined || actions.size === 0) return checks;
  const rewritten = new Set([...actions.keys()].map((i) => header[i]));
  return new Map([...checks].filter(([column]) => !rewritten.has(column)));
}

/**
 * The source as an async iterable whose failures say they are download failures, so they are not
 * mistaken for database errors further down.
 */
async function* readSource(
  source: AsyncIterable<Buffer> | Readable,
  context: EtlErrorContext,
): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) yield chunk;
  } catch (err) {
    if (isEtlError(err)) throw err;
    throw new EtlError('DOWNLOAD', `reading the download failed: ${toError(err).message}`, {
      context,
      cause: err,
      retryable: true,
    });
  }
}

/** An empty file: nothing loaded, the window's earlier rows deleted. */
function emptyResult(
  bytes: number,
  deleted: number,
  loadId: string,
  checks: CopyWindowInput['checks'],
): CopyWindowResult {
  return {
    loadId,
    fieldProblems: checks === undefined ? undefined : [],
    rows: 0,
    records: 0,
    bytes,
    columns: [],
    addedColumns: [],
    createdTable: false,
    deleted,
    header: null,
    policyDropped: [],
    hashed: [],
  };
}

function defaultContext(input: CopyWindowInput): EtlErrorContext {
  return {
    tenant: input.tenantId,
    entity: input.entity,
    window: `${input.windowStart.toISOString()}/${input.windowEnd.toISOString()}`,
    jobId: input.jobId,
  };
}

/**
 * Outside a transaction the DELETE would commit on its own and the load id setting would vanish
 * before COPY.
 */
function assertInLoadTransaction(client: pg.ClientBase, context: EtlErrorContext): Promise<void> {
  return assertInTransaction(
    client,
    (cause) =>
      new EtlError('INTERNAL', 'copyWindow must run inside an open transaction (use withTransaction)', {
        context,
        cause,
      }),
  );
}

/**
 * A file COPY read differently from our count (e.g. bare-CR line ends, which COPY
 * accepts and we do not count) fails the window rather than loading something else than was sent.
 */
function reconcile(rows: number, records: number, context: EtlErrorContext): void {
  if (rows === records) return;
  throw new EtlError(
    'BAD_INPUT',
    `reconciliation failed: COPY loaded ${rows} rows but the file has ${records} records; ` +
      'check the file for bare carriage-return line ends',
    { context },
  );
}

/** The rows the table holds for this load, counted, against COPY's count. */
async function checkRowsPresent(
  client: pg.ClientBase,
  ref: { schema: string; table: string; loadId: string },
  rows: number,
  context: EtlErrorContext,
): Promise<void> {
  const present = await countLoadRows(client, ref);
  if (present === rows) return;
  throw new EtlError(
    'BAD_INPUT',
    `reconciliation failed: COPY loaded ${rows} rows but the table holds ${present} for this window and job ` +
      '(a trigger on the staging table changed them)',
    { context },
  );
}

/** SQLSTATEs that mean the file, not the database, is at fault, with what to tell the operator. */
const BAD_INPUT_SQLSTATES: ReadonlyMap<string, string> = new Map([
  // bad_copy_file_format: ragged rows ("extra data after last expected column", "missing data for
  // column"), an unterminated quote, stray carriage returns.
  ['22P04', 'the CSV is malformed or does not match its header'],
  // character_not_in_repertoire: "invalid byte sequence for encoding UTF8".
  ['22021', 'the file is not valid UTF-8'],
  // untranslatable_character: valid UTF-8 the database encoding cannot store.
  ['22P05', 'the file has characters the database encoding cannot store'],
  // program_limit_exceeded: "row is too big", a field over 1 GB.
  ['54000', 'a row is too large for Postgres'],
  // too_many_columns: this header plus the columns earlier files added exceed 1,600.
  ['54011', 'the staging table would have more than 1,600 columns'],
]);

function classify(thrown: unknown, context: EtlErrorContext): EtlError {
  if (isEtlError(thrown)) return thrown;
  const err = toError(thrown);
  const code = pgErrorCode(err);
  const meaning = code === undefined ? undefined : BAD_INPUT_SQLSTATES.get(code);
  if (meaning !== undefined) {
    return new EtlError('BAD_INPUT', `${meaning}${wherePart(err)}: ${err.message} (SQLSTATE ${code})`, {
      context,
      cause: err,
    });
  }
  return new EtlError('DATABASE', `loading the window failed: ${err.message}`, {
    context,
    cause: err,
    retryable: isRetryablePgError(err),
  });
}

/**
 * Line and column from a COPY error's CONTEXT ("COPY t, line 3, column x: "value""). The value is left
 * out: it is customer data (names, phone numbers) and would end up in logs.
 */
function wherePart(err: Error): string {
  const where = (err as { where?: unknown }).where;
  if (typeof where !== 'string') return '';
  const line = /\bline (\d+)/.exec(where)?.[1];
  if (line === undefined) return '';
  const column = /\bline \d+, column ([^:]+)/.exec(where)?.[1];
  // An empty quoted line in the CONTEXT is a blank line, a common cause of "missing data for column".
  const blank = /line \d+: ""$/.test(where) ? ', a blank line' : '';
  return ` at line ${Number(line) + 1} of the file (data line ${line}${blank})${column ? `, column ${column}` : ''}`;
}
