/**
 * `cxone-etl run` and `backfill`: one tenant from the env config (src/run/execute-run.ts), then the
 * summary. Exit 0 when every window loaded, 1 when any failed, RUN_DEFERRED_EXIT_CODE when windows
 * were left for the next run.
 *
 * `run --dry-run` / `backfill --dry-run`: the window plan per tenant and entity, with the dates exactly
 * as they would be sent, the fewest API calls it can cost and the least wall time under the rate gate.
 * Changes nothing: no API call (not even a token: the tenant id comes from CXONE_TENANT_ID or the
 * ledger), no migration, no row written.
 */
import type { Writable } from 'node:stream';
import type { Config } from '../config.js';
import type { Database } from '../db/open-database.js';
import { pgErrorCode } from '../db/sqlstate.js';
import { zoneFor, type EntityName } from '../entities/catalog.js';
import { apiDates, windowLabel } from '../extract/api-dates.js';
import { planningFrom, planTenant, withTimeBasis } from '../extract/run-extraction.js';
import type { PlannedEntity, RunRequest } from '../extract/types.js';
import { knownTenants, ledgerExists } from '../extract/windows.repository.js';
import type { Clock } from '../lib/clock.js';
import { EtlError, toError } from '../lib/errors.js';
import { executeRun, type ExecuteRunDeps } from '../run/execute-run.js';
import { retainFrom } from '../run/retention.js';
import { countExpiring } from '../run/retention.repository.js';
import type { RunCommandRequest } from '../run/run-request.js';
import { formatTable } from './format-table.js';
import { formatSummary } from './summary.js';

export async function runCommand(deps: ExecuteRunDeps, request: RunCommandRequest): Promise<number> {
  const result = await executeRun(deps, request);
  deps.out.write(`\n${formatSummary(result.summary, result.calls)}`);
  for (const note of result.qualityNotes) deps.out.write(`${note}\n`);
  if (result.summary.failed > 0 || result.summary.aborted) return 1;
  return result.summary.deferred > 0 ? deps.config.run.deferredExitCode : 0;
}

export interface DryRunPlan {
  tenant: string;
  entities: {
    entity: string;
    windows: { reason: string; window: string; startDate: string; endDate: string; resumesJob?: string }[];
    /** Lookbacks the lookback rule leaves out, and why (src/extract/lookback-rule.ts). */
    skippedLookbacks: { window: string; reason: string; detail: string }[];
    minApiCalls: number;
    /** RETENTION: what the run would remove of this entity (windows that ended by `endedBy`). */
    retention?: { endedBy: string; loads: number; rows: number; windows: number };
  }[];
  minApiCalls: number;
  minWallSeconds: number;
}

export async function dryRunCommand(
  deps: { config: Config; db: Database; clock: Clock; out: Writable },
  request: RunCommandRequest,
  opts: { json: boolean },
): Promise<number> {
  const { config } = deps;
  const migrated = await ledgerReadable(deps.db);
  const tenants = config.cxone.tenantId
    ? [config.cxone.tenantId]
    : migrated
      ? await knownTenants(deps.db.pool)
      : [];
  if (tenants.length === 0) tenants.push('(tenant from the token)');
  const entities = request.entities?.length
    ? config.extract.entities.filter((e) => request.entities?.includes(e.name))
    : config.extract.entities;
  const runRequest: RunRequest =
    request.mode === 'run'
      ? { mode: 'run' }
      : {
          mode: 'backfill',
          from: Date.parse(`${request.from}T00:00:00Z`),
          to: Date.parse(`${request.to}T00:00:00Z`),
        };
  const planning = planningFrom(config);
  const plans: DryRunPlan[] = [];
  for (const tenant of tenants) {
    // An unmigrated database has no ledger yet: plan as a first run, reading nothing.
    const planned: PlannedEntity[] = migrated
      ? await planTenant(deps.db.pool, deps.clock, planning, tenant, entities, runRequest)
      : await planTenant(emptyLedgerDb, deps.clock, planning, tenant, entities, runRequest);
    const plan = describe(tenant, planned, config);
    if (migrated) await addRetention(deps, tenant, plan);
    plans.push(plan);
  }
  if (opts.json) {
    deps.out.write(`${JSON.stringify({ dryRun: true, plans }, null, 2)}\n`);
    return 0;
  }
  for (const p of plans) {
    deps.out.write(
      `Tenant ${p.tenant}: ${p.minApiCalls} API calls at least, ${formatSeconds(p.minWallSeconds)} at least\n`,
    );
    const rows = p.entities.flatMap((e) =>
      e.windows.map((w) => [e.entity, w.reason, w.window, w.startDate, w.endDate, w.resumesJob ?? '']),
    );
    deps.out.write(
      rows.length === 0
        ? '  nothing due\n'
        : formatTable(
            ['entity', 'reason', 'window', 'startDate (sent)', 'endDate (sent)', 'resumes job'],
            rows,
          ),
    );
    for (const e of p.entities) {
      for (const k of e.skippedLookbacks) {
        deps.out.write(`  lookback skipped: ${e.entity} ${k.window}: ${k.reason}: ${k.detail}\n`);
      }
      const r = e.retention;
      if (r !== undefined) {
        deps.out.write(
          `  retention: ${e.entity}: would remove ${r.loads} loads (${r.rows} rows) and ${r.windows} ledger windows ` +
            `of windows that ended by ${r.endedBy}\n`,
        );
      }
    }
  }
  deps.out.write('Dry run: no API call was made and nothing was written.\n');
  return 0;
}

/**
 * Not "fully migrated": a database one migration behind still has a ledger worth planning from. Only
 * a missing schema or table means "not migrated"; any other failure (no such database, refused
 * connection, wrong password, no privilege) is reported, not planned around as an empty ledger.
 */
async function ledgerReadable(db: Database): Promise<boolean> {
  try {
    return await ledgerExists(db.pool);
  } catch (err) {
    if (NOT_MIGRATED_SQLSTATES.has(pgErrorCode(err) ?? '')) return false;
    throw new EtlError(
      'DATABASE',
      `dry run: could not read the window ledger at ${db.displayUrl}: ${toError(err).message}`,
      {
        cause: err,
      },
    );
  }
}

/** SQLSTATEs that mean the control tables are not there yet, so the plan is a first run's. */
const NOT_MIGRATED_SQLSTATES = new Set([
  '3F000', // invalid_schema_name: the cxone_etl schema does not exist
  '42P01', // undefined_table: the schema exists, the ledger table does not
]);

/** What RETENTION would remove, per entity it applies to (read-only counts). */
async function addRetention(
  deps: { config: Config; db: Database; clock: Clock },
  tenant: string,
  plan: DryRunPlan,
): Promise<void> {
  const now = deps.clock.now();
  for (const e of plan.entities) {
    const endedBy = retainFrom(deps.config.privacy.retentionMs, e.entity as EntityName, now);
    if (endedBy === undefined) continue;
    const key = {
      stagingSchema: deps.config.stagingSchema,
      tenantId: tenant,
      entity: e.entity as EntityName,
      endedBy,
    };
    e.retention = { endedBy: new Date(endedBy).toISOString(), ...(await countExpiring(deps.db.pool, key)) };
  }
}

/** Stands in for the pool when the control tables do not exist yet: every ledger read is empty. */
const emptyLedgerDb = {
  query: async () => ({ rows: [], rowCount: 0 }),
} as unknown as Database['pool'];

function describe(tenant: string, planned: PlannedEntity[], config: Config): DryRunPlan {
  const perWindow = config.cxone.useSyncEndpoint ? 1 : 2;
  const entities = planned.map((p) => {
    const entity = withTimeBasis(p.entity);
    const zone = zoneFor(entity.timeBasis, config.wfmTimeZone);
    const windows = p.windows.map((w) => ({
      reason: w.reason,
      window: windowLabel(w, zone),
      ...apiDates(w, entity, entity.timeBasis, config.wfmTimeZone),
      ...(w.jobId ? { resumesJob: w.jobId } : {}),
    }));
    // A resumed job needs only the status call that finds it done.
    const minApiCalls = p.windows.reduce((n, w) => n + (w.reason === 'resume' ? 1 : perWindow), 0);
    const skippedLookbacks = p.skippedLookbacks.map((k) => ({
      window: windowLabel(k, zone),
      reason: k.reason,
      detail: k.detail,
    }));
    return { entity: p.entity.name, windows, skippedLookbacks, minApiCalls };
  });
  const resumes = planned.some((p) => p.windows.some((w) => w.reason === 'resume'));
  const minApiCalls = entities.reduce((n, e) => n + e.minApiCalls, 0) + (resumes ? 1 : 0);
  return {
    tenant,
    entities,
    minApiCalls,
    // n calls, each at least one interval after the previous one.
    minWallSeconds: (Math.max(0, minApiCalls - 1) * config.cxone.minCallIntervalMs) / 1000,
  };
}

function formatSeconds(s: number): string {
  if (s < 120) return `${s.toFixed(0)} s`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}
