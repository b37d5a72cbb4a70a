/**
 * Cast problems: per window and typed column, how many values were there but did not
 * cast, so the NULLs a view shows for them are visible in `status` and metrics rather than silent.
 * SQL for cxone_etl.cast_problems (migrations/0004_reporting.sql).
 */
import pg from 'pg';
import { stagingTableName, type EntityName } from '../entities/catalog.js';
import { hintsByColumn, type ColumnType } from '../entities/type-hints.js';
import { castFailsSql, zoneOf } from './cast-sql.js';
import { castTargetOf } from './column-types.js';
import { readColumnTypes } from './column-types.repository.js';
import type { Queryable } from '../db/pool.js';
import { qualifiedName, relationInfo } from './relations.repository.js';

export interface WindowRef {
  stagingSchema: string;
  entity: EntityName;
  tenantId: string;
  windowStart: Date | number;
  windowEnd: Date | number;
  /** WFM_TIMEZONE (see ReportingViewInput). */
  timeZone: string;
  /** The worker's clock, for checked_at. */
  now: number;
}

export interface CastProblem {
  column: string;
  type: ColumnType;
  failed: number;
  /** The smallest failing value, at most SAMPLE_CHARS long: customer data, so never log it. */
  sample: string | null;
}

/** Enough of a value to recognise its form (a date written another way, a decimal comma). */
const SAMPLE_CHARS = 100;

/** What the loader counted while streaming (CopyWindowResult.fieldProblems and the columns it checked). */
export interface StreamedCastProblems {
  /** Columns with failing values. */
  problems: readonly { column: string; failed: number; sample: string }[];
  /** Every column the loader checked; hinted columns not in it are counted here in SQL. */
  checked: ReadonlySet<string>;
}

/**
 * Records the window's cast problems: the values of every typed column that are non-empty but cast
 * to NULL, and replaces the window's rows in cast_problems (rows only for columns with problems).
 * Windows inside [start, end) are replaced too, as the load replaced their staging rows. What the
 * loader counted while streaming is taken as it is; only columns it did not check (none, unless a hint
 * has a to_timestamp `format`) cost a scan of the window's rows.
 */
export async function recordCastProblems(
  client: Queryable,
  ref: WindowRef,
  streamed?: StreamedCastProblems,
): Promise<CastProblem[]> {
  const problems =
    streamed === undefined
      ? await countCastProblems(client, ref)
      : await mergeStreamed(client, ref, streamed);
  await client.query(
    `DELETE FROM cxone_etl.cast_problems
      WHERE tenant_id = $1 AND entity = $2 AND window_start >= $3 AND window_end <= $4`,
    [ref.tenantId, ref.entity, new Date(ref.windowStart), new Date(ref.windowEnd)],
  );
  if (problems.length > 0) {
    await client.query(
      `INSERT INTO cxone_etl.cast_problems
         (tenant_id, entity, window_start, window_end, column_name, column_type, failed, sample, checked_at)
       SELECT $1, $2, $3, $4, c, t, f, s, $9
         FROM unnest($5::text[], $6::text[], $7::bigint[], $8::text[]) AS p(c, t, f, s)`,
      [
        ref.tenantId,
        ref.entity,
        new Date(ref.windowStart),
        new Date(ref.windowEnd),
        problems.map((p) => p.column),
        problems.map((p) => p.type),
        problems.map((p) => p.failed),
        problems.map((p) => p.sample),
        new Date(ref.now),
      ],
    );
  }
  return problems;
}

async function mergeStreamed(
  client: Queryable,
  ref: WindowRef,
  streamed: StreamedCastProblems,
): Promise<CastProblem[]> {
  // The loader's checks are the hints' casts: trusted for a column only while its recorded type is
  // the hint's; any other typed column is counted in SQL.
  const types = await readColumnTypes(client, ref);
  const hints = hintsByColumn(ref.entity);
  const trusted = new Set(
    [...streamed.checked].filter((c) => {
      const record = types.get(c);
      return record !== undefined && record.type === hints.get(c)?.type;
    }),
  );
  const fromStream = streamed.problems.flatMap((p): CastProblem[] => {
    const type = types.get(p.column)?.type;
    return type === undefined || !trusted.has(p.column)
      ? []
      : [{ column: p.column, type, failed: p.failed, sample: p.sample }];
  });
  const rest = await countCastProblems(client, ref, { skip: trusted });
  // In the staging table's column order, as countCastProblems returns them.
  const staging = await relationInfo(client, ref.stagingSchema, stagingTableName(ref.entity));
  const order = staging?.columns.map((c) => c.name) ?? [];
  return [...fromStream, ...rest].sort((a, b) => order.indexOf(a.column) - order.indexOf(b.column));
}

/**
 * The counting half of recordCastProblems, writing nothing: one scan of the window's rows (through
 * cxone_etl.loads, which says which `_load_id` the window has) for every typed column (its recorded
 * type in cxone_etl.column_types) not in `skip`.
 */
export async function countCastProblems(
  client: Queryable,
  ref: WindowRef,
  opts: { skip?: ReadonlySet<string> } = {},
): Promise<CastProblem[]> {
  const table = stagingTableName(ref.entity);
  const staging = await relationInfo(client, ref.stagingSchema, table);
  if (staging === null) return [];
  const types = await readColumnTypes(client, ref);
  const zone = zoneOf(ref.entity, ref.timeZone);
  const typed = staging.columns.flatMap((c) => {
    const target = castTargetOf(ref.entity, c.name, types.get(c.name));
    return target.type !== 'text' && !c.name.startsWith('_') && !opts.skip?.has(c.name)
      ? [{ column: c.name, hint: target }]
      : [];
  });
  if (typed.length === 0) return [];
  // OFFSET 0 keeps the subquery from being flattened, so each row's test runs once and both aggregates
  // read its result (flattened, Postgres would evaluate the cast once per aggregate).
  const inner = typed.map(
    (t, i) => `${castFailsSql(t.column, t.hint, zone)} AS f${i}, ${pg.escapeIdentifier(t.column)} AS v${i}`,
  );
  const outer = typed.map(
    (_, i) =>
      `count(*) FILTER (WHERE f${i}) AS n${i}, left(min(v${i}) FILTER (WHERE f${i}), ${SAMPLE_CHARS}) AS s${i}`,
  );
  const { rows } = await client.query<Record<string, string | null>>(
    `SELECT ${outer.join(', ')}
       FROM (SELECT ${inner.join(', ')}
               FROM ${qualifiedName(ref.stagingSchema, table)}
              WHERE _load_id IN (SELECT load_id FROM cxone_etl.loads
                                  WHERE staging_schema = $1 AND tenant_id = $2 AND entity = $3
                                    AND window_start = $4 AND window_end = $5)
             OFFSET 0) w`,
    [ref.stagingSchema, ref.tenantId, ref.entity, new Date(ref.windowStart), new Date(ref.windowEnd)],
  );
  const row = rows[0] ?? {};
  return typed.flatMap((t, i) => {
    const failed = Number(row[`n${i}`] ?? 0);
    return failed > 0 ? [{ column: t.column, type: t.hint.type, failed, sample: row[`s${i}`] ?? null }] : [];
  });
}

export interface CastProblemSummary {
  tenantId: string;
  entity: string;
  column: string;
  type: string;
  /** Values that did not cast, over all windows recorded (or those ending after `since`). */
  failed: number;
  windows: number;
  lastWindowStart: number;
  lastWindowEnd: number;
  /** From the latest window with problems. */
  sample: string | null;
}

/** Per tenant, entity and column, for `status` and metrics. */
export async function castProblemSummary(
  pool: Queryable,
  opts: { since?: number } = {},
): Promise<CastProblemSummary[]> {
  const { rows } = await pool.query<{
    tenant_id: string;
    entity: string;
    column_name: string;
    column_type: string;
    failed: string;
    windows: string;
    last_start: Date;
    last_end: Date;
    sample: string | null;
  }>(
    `SELECT tenant_id, entity, column_name, column_type, sum(failed)::text AS failed, count(*)::text AS windows,
            max(window_start) AS last_start, max(window_end) AS last_end,
            (array_agg(sample ORDER BY window_start DESC))[1] AS sample
       FROM cxone_etl.cast_problems
      WHERE $1::timestamptz IS NULL OR window_end > $1
      GROUP BY tenant_id, entity, column_name, column_type
      ORDER BY tenant_id, entity, column_name`,
    [opts.since === undefined ? null : new Date(opts.since)],
  );
  return rows.map((r) => ({
    tenantId: r.tenant_id,
    entity: r.entity,
    column: r.column_name,
    type: r.column_type,
    failed: Number(r.failed),
    windows: Number(r.windows),
    lastWindowStart: r.last_start.getTime(),
    lastWindowEnd: r.last_end.getTime(),
    sample: r.sample,
  }));
}

/**
 * `cxone-etl erase`: cast-problem samples equal to an erased value lose their sample (the counts
 * stay). Returns how many samples were cleared.
 */
export async function clearCastSamples(
  db: Queryable,
  match: { entity: string; column: string; values: readonly string[] },
): Promise<number> {
  const { rowCount } = await db.query(
    `UPDATE cxone_etl.cast_problems SET sample = NULL
      WHERE entity = $1 AND column_name = $2 AND sample = ANY($3::text[])`,
    [match.entity, match.column, match.values],
  );
  return rowCount ?? 0;
}
