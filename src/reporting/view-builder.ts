/**
 * (Re)creates `{REPORTING_SCHEMA}.{table}`, the typed view over one staging table,
 * inside the caller's transaction: the load that added a column also publishes it, or neither happens.
 * Cheap when nothing changed (two catalog reads, one read of cxone_etl.column_types and a hash), so the
 * load can call it every time. Columns seen for the first time get their type decided here
 * (column-types.ts), in the same transaction.
 */
import type { Queryable } from '../db/pool.js';
import { pgErrorCode } from '../db/sqlstate.js';
import { stagingTableName, type EntityName } from '../entities/catalog.js';
import type { RowKeySpec } from '../entities/row-keys.js';
import { decideColumnTypes } from './column-types.js';
import { EtlError, toError } from '../lib/errors.js';
import { zoneOf } from './cast-sql.js';
import {
  ensureSchema,
  lockReportingDdl,
  qualifiedName,
  relationInfo,
  type RelationInfo,
} from './relations.repository.js';
import {
  canReplaceInPlace,
  fingerprintOf,
  planView,
  viewComment,
  type ViewAction,
  type ViewPlan,
} from './view-plan.js';
import {
  CURRENT_SUFFIX,
  dropCurrentView,
  planCurrentView,
  refreshCurrentView,
  type CurrentViewPlan,
} from './current-view.js';
import { commentOnView, createView, dropView, isKnownTimeZone, setLockTimeout } from './views.repository.js';

export interface ReportingViewInput {
  /** STAGING_SCHEMA. */
  stagingSchema: string;
  /** REPORTING_SCHEMA (default `cxone`). */
  reportingSchema: string;
  entity: EntityName;
  /** WFM_TIMEZONE: where wfm-payroll's times are read; entities with a UTC time basis ignore it. */
  timeZone: string;
  /** How long the DDL may wait for readers of the view; default VIEW_LOCK_TIMEOUT_MS. */
  lockTimeoutMs?: number;
  /** REPORTING_CURRENT_KEYS: per entity, the current-view key that replaces the catalog's candidates. */
  currentKeys?: ReadonlyMap<EntityName, RowKeySpec> | undefined;
  /** The worker's clock, for when a column type was decided; default Date.now(). */
  now?: number;
}

export interface RefreshResult {
  /**
   * `created`: there was no view; `replaced`: CREATE OR REPLACE appended columns (grants and dependent
   * views kept); `recreated`: dropped and created because a column changed type; `no-table`: nothing
   * loaded yet, no view.
   */
  action: ViewAction;
  view: string;
  columns: number;
  typedColumns: number;
  /** What happened to `{view}_current` (current-view.ts); null when there is none (no key matches). */
  current: ViewAction | null;
}

/**
 * 5 s: a dashboard query reading the view blocks the DROP/CREATE; the load should not wait behind a
 * long report. On timeout (55P03 lock_not_available) the refresh fails, the caller's savepoint undoes
 * it, and the next load retries (the fingerprint still differs).
 */
export const VIEW_LOCK_TIMEOUT_MS = 5000;

/** dependent_objects_still_exist: DROP VIEW refused because a user's view or rule uses ours. */
const DEPENDENT_OBJECTS_STILL_EXIST = '2BP01';

export async function refreshReportingView(
  client: Queryable,
  input: ReportingViewInput,
): Promise<RefreshResult> {
  const table = stagingTableName(input.entity);
  const viewName = `${input.reportingSchema}.${table}`;
  const noTable: RefreshResult = {
    action: 'no-table',
    view: viewName,
    columns: 0,
    typedColumns: 0,
    current: null,
  };
  let state = await readState(client, input, table);
  if (state === null) return noTable;
  if (isCurrent(state) && currentViewIsCurrent(state)) {
    return result('unchanged', viewName, state.plan, state.currentPlan === null ? null : 'unchanged');
  }

  await lockReportingDdl(client, viewName);
  // Read again under the lock: another tenant's load may have rebuilt the view meanwhile.
  state = await readState(client, input, table);
  if (state === null) return noTable;
  const action = isCurrent(state) ? 'unchanged' : await rebuild(client, input, table, state);
  const current = await refreshCurrentView(client, {
    ...input,
    table,
    key: input.currentKeys?.get(input.entity),
  });
  return result(action, viewName, state.plan, current);
}

/** Creates, replaces or drops and creates the view (under the caller's lock); says which it did. */
async function rebuild(
  client: Queryable,
  input: ReportingViewInput,
  table: string,
  { plan, view }: ViewState,
): Promise<ViewAction> {
  const viewName = `${input.reportingSchema}.${table}`;
  if (view !== null && view.kind !== 'v') {
    throw new EtlError(
      'CONFIG',
      `${viewName} exists and is not a view: rename or drop it, or set REPORTING_SCHEMA to another schema`,
    );
  }
  const zone = zoneOf(input.entity, input.timeZone);
  if (zone !== 'UTC') await assertKnownZone(client, zone);
  await ensureSchema(client, input.reportingSchema);
  const action: ViewAction =
    view === null ? 'created' : canReplaceInPlace(view.columns, plan.columns) ? 'replaced' : 'recreated';
  const target = qualifiedName(input.reportingSchema, table);
  const previous = await setLockTimeout(client, `${input.lockTimeoutMs ?? VIEW_LOCK_TIMEOUT_MS}ms`);
  if (action === 'recreated') {
    await dropCurrentView(client, { reportingSchema: input.reportingSchema, table });
    await dropForRebuild(client, target, viewName);
  }
  await createView(client, target, plan.select, { orReplace: action === 'replaced' });
  const comment = viewComment(`${input.stagingSchema}.${table}`, plan.fingerprint);
  await commentOnView(client, target, comment);
  // Restored only on success: on failure the caller's savepoint or rollback restores it.
  await setLockTimeout(client, previous);
  return action;
}

interface ViewState {
  plan: ViewPlan;
  view: RelationInfo | null;
  /** The current view the planned main view calls for (null: no key column), and the live one. */
  currentPlan: CurrentViewPlan | null;
  currentView: RelationInfo | null;
}

async function readState(
  client: Queryable,
  input: ReportingViewInput,
  table: string,
): Promise<ViewState | null> {
  const staging = await relationInfo(client, input.stagingSchema, table);
  if (staging === null) return null;
  // Columns seen for the first time get their type now, before the view is planned on them.
  const types = await decideColumnTypes(client, {
    stagingSchema: input.stagingSchema,
    entity: input.entity,
    timeZone: input.timeZone,
    columns: staging.columns.map((c) => c.name).filter((n) => !n.startsWith('_')),
    now: input.now ?? Date.now(),
  });
  const plan = planView(
    input.entity,
    { schema: input.stagingSchema, table, columns: staging.columns },
    zoneOf(input.entity, input.timeZone),
    types,
  );
  const currentPlan = planCurrentView(
    input.entity,
    { schema: input.reportingSchema, table, columns: plan.columns.map((c) => c.name) },
    input.currentKeys?.get(input.entity),
  );
  return {
    plan,
    view: await relationInfo(client, input.reportingSchema, table),
    currentPlan,
    currentView:
      currentPlan === null
        ? null
        : await relationInfo(client, input.reportingSchema, `${table}${CURRENT_SUFFIX}`),
  };
}

function currentViewIsCurrent(state: ViewState): boolean {
  if (state.currentPlan === null) return true;
  return (
    state.currentView?.kind === 'v' &&
    fingerprintOf(state.currentView.comment) === state.currentPlan.fingerprint
  );
}

function isCurrent(state: ViewState): boolean {
  return state.view?.kind === 'v' && fingerprintOf(state.view.comment) === state.plan.fingerprint;
}

function result(action: ViewAction, view: string, plan: ViewPlan, current: ViewAction | null): RefreshResult {
  return {
    action,
    view,
    columns: plan.columns.length,
    typedColumns: plan.columns.filter((c) => c.hinted !== undefined && c.hinted !== 'text').length,
    current,
  };
}

/**
 * A type change cannot be made in place, so the view is dropped: RESTRICT (the default), because
 * CASCADE would silently drop views that users built on ours.
 */
async function dropForRebuild(client: Queryable, target: string, viewName: string): Promise<void> {
  try {
    await dropView(client, target);
  } catch (err) {
    if (pgErrorCode(err) !== DEPENDENT_OBJECTS_STILL_EXIST) throw err;
    throw new EtlError(
      'DATABASE',
      `cannot rebuild ${viewName} with new column types: other views depend on it (${toError(err).message}); ` +
        'drop them, let the next load rebuild the view, then create them again',
      { cause: err },
    );
  }
}

/**
 * The zone goes into the view as a literal, and a zone Postgres does not know would fail every query
 * on the view, not this refresh. Node (Intl) and Postgres ship separate zone databases.
 */
async function assertKnownZone(client: Queryable, zone: string): Promise<void> {
  if (!(await isKnownTimeZone(client, zone))) {
    throw new EtlError(
      'CONFIG',
      `WFM_TIMEZONE: Postgres does not know the time zone ${JSON.stringify(zone)}; use a name from pg_timezone_names`,
    );
  }
}
