/**
 * The reporting layer: typed views over the staging tables, cast problems and data-quality
 * signals per window. `afterWindowLoaded` is the one call the load makes, inside its transaction,
 * right after copyWindow (which counted the cast problems while streaming, given `castChecksFor`); each step runs under its own savepoint, so a step that fails is undone and
 * reported while the load commits (reporting never blocks a load).
 */
import type pg from 'pg';
import { withTransaction, type Queryable } from '../db/pool.js';
import { inSavepoint } from '../db/savepoint.js';
import { ENTITY_NAMES, type EntityName } from '../entities/catalog.js';
import type { RowKeySpec } from '../entities/row-keys.js';
import { EtlError, toError } from '../lib/errors.js';
import { castChecksFor } from './cast-check.js';
import { recordCastProblems, type CastProblem, type WindowRef } from './cast-problems.repository.js';
import { assessWindowQuality, type QualityFlag } from './quality.repository.js';
import { dropPolicyColumns } from './policy-columns.js';
import { refreshReportingView, type RefreshResult } from './view-builder.js';

export { castProblemSummary, clearCastSamples } from './cast-problems.repository.js';
export { PG_TYPE_NAMES } from './cast-sql.js';
export { castChecksFor } from './cast-check.js';
export { describeSchema } from './describe-schema.js';
export type { ColumnDescription, SchemaDescription } from './describe-schema.js';
export { EXAMPLE_QUERIES, runExampleQuery } from './example-queries.js';
export { setColumnType } from './column-types.repository.js';
export { assessWindowQuality, qualityFlags } from './quality.repository.js';
export { refreshReportingView } from './view-builder.js';

export interface WindowLoadedContext extends WindowRef {
  /** REPORTING_SCHEMA. */
  reportingSchema: string;
  /** REPORTING_CURRENT_KEYS (ReportingViewInput.currentKeys). */
  currentKeys?: ReadonlyMap<EntityName, RowKeySpec> | undefined;
  /**
   * What copyWindow returned (CopyWindowResult has these fields). `fieldProblems` is set when the load
   * ran `castChecksFor(entity)` on the streaming values: the cast problems are then recorded as counted
   * there, with no scan of the window's rows.
   */
  load: {
    rows: number;
    columns: readonly string[];
    /** Staging columns COLUMN_POLICY drops for the entity: removed from the table before the view step. */
    policyDropped?: readonly string[];
    fieldProblems?: readonly { column: string; failed: number; sample: string }[] | undefined;
  };
}

export type ReportingStep = 'view' | 'cast-problems' | 'quality';

export interface ReportingOutcome {
  /** null when the view step failed. */
  view: RefreshResult | null;
  castProblems: CastProblem[];
  flags: QualityFlag[];
  /** Steps that failed and were rolled back to their savepoint; log them as warnings. */
  errors: { step: ReportingStep; error: Error }[];
}

/**
 * Refreshes the entity's view if the staging table changed (or it is missing), counts the window's
 * cast problems and assesses its quality. Call it with the load's client after copyWindow and before
 * COMMIT. Throws only when the transaction itself is broken.
 */
export async function afterWindowLoaded(
  client: Queryable,
  ctx: WindowLoadedContext,
): Promise<ReportingOutcome> {
  const outcome: ReportingOutcome = { view: null, castProblems: [], flags: [], errors: [] };
  const step = async <T>(name: ReportingStep, fn: () => Promise<T>): Promise<T | undefined> => {
    const result = await inSavepoint(client, 'cxone_etl_reporting', fn, outsideTransaction);
    if (result.ok) return result.value;
    outcome.errors.push({ step: name, error: toError(result.error) });
    return undefined;
  };
  outcome.view =
    (await step('view', async () => {
      await dropPolicyColumns(client, { ...ctx, dropped: ctx.load.policyDropped ?? [] });
      return refreshReportingView(client, ctx);
    })) ?? null;
  const problems = ctx.load.fieldProblems;
  const streamed =
    problems === undefined ? undefined : { problems, checked: new Set(castChecksFor(ctx.entity).keys()) };
  outcome.castProblems = (await step('cast-problems', () => recordCastProblems(client, ctx, streamed))) ?? [];
  outcome.flags =
    (await step('quality', () =>
      assessWindowQuality(client, {
        ...ctx,
        rows: ctx.load.rows,
        columns: ctx.load.columns,
        policyDropped: ctx.load.policyDropped ?? [],
      }),
    )) ?? [];
  return outcome;
}

function outsideTransaction(cause: unknown): EtlError {
  return new EtlError('INTERNAL', 'the reporting steps must run inside the load transaction', { cause });
}

/**
 * Brings every entity's view up to date, each in its own transaction: for after `migrate` or at start,
 * so views exist (and follow new hints) before the next load. Entities never loaded are skipped.
 */
export async function refreshReportingViews(
  pool: pg.Pool,
  settings: {
    stagingSchema: string;
    reportingSchema: string;
    timeZone: string;
    entities: readonly EntityName[];
    currentKeys?: ReadonlyMap<EntityName, RowKeySpec> | undefined;
  },
): Promise<RefreshResult[]> {
  const results: RefreshResult[] = [];
  for (const entity of settings.entities) {
    results.push(
      await withTransaction(pool, (client) => refreshReportingView(client, { ...settings, entity })),
    );
  }
  return results;
}

/**
 * For openDatabase's `afterMigrate`: rebuilds every entity's typed view, so views a migration dropped
 * (0006 drops them to convert the staging tables) are back before any load, for every entity.
 */
export function refreshViewsAfterMigrate(settings: {
  stagingSchema: string;
  reportingSchema: string;
  timeZone: string;
  currentKeys?: ReadonlyMap<EntityName, RowKeySpec> | undefined;
}): (pool: pg.Pool) => Promise<void> {
  return async (pool) => {
    await refreshReportingViews(pool, { ...settings, entities: ENTITY_NAMES });
  };
}
