/**
 * `cxone-etl status`: per tenant and entity, the checkpoint, the lag behind now against its limit
 * (FRESHNESS_MAX_LAG), the last job, failed windows.
 */
import type { Writable } from 'node:stream';
import type pg from 'pg';
import type { Config } from '../config.js';
import type { Database } from '../db/open-database.js';
import { isEntityName, stagingTableName } from '../entities/catalog.js';
import { freshnessOf, freshnessSettings } from '../observability/freshness.js';
import type { Clock } from '../lib/clock.js';
import { recentRuns } from '../extract/runs.repository.js';
import { castProblemSummary, qualityFlags } from '../reporting/index.js';
import { checkCurrentKeys } from '../check/database-checks.js';
import { entityStatus, recoveryNotes, type WindowNote } from '../extract/windows.repository.js';
import { listLearnedJobsLimits } from '../extract/jobs-limit.repository.js';
import { AUTO_JOBS_IN_FLIGHT } from '../extract/run-extraction.js';
import { formatDuration } from '../config/forms.js';
import { entityPolicy, hasStagingColumn } from '../load/index.js';
import { formatTable } from './format-table.js';

/** Quality flags and cast problems shown by `status`: the last two weeks. */
const QUALITY_LOOKBACK_MS = 14 * 86_400_000;

type StatusConfig = Pick<Config, 'freshness' | 'schedule' | 'extract' | 'stagingSchema' | 'currentKeys'> & {
  /** COLUMN_POLICY and RETENTION, shown per entity; absent: nothing shown. */
  privacy?: Pick<Config['privacy'], 'columnPolicy' | 'retentionMs'>;
};

export async function statusCommand(
  deps: {
    db: Database;
    clock: Clock;
    out: Writable;
    config: StatusConfig;
  },
  opts: { json: boolean },
): Promise<number> {
  const pool = deps.db.pool;
  const rows = await entityStatus(pool);
  const runs = await runsView(pool);
  const now = deps.clock.now();
  const quality = await qualityView(pool, now - QUALITY_LOOKBACK_MS);
  const recovery = await recoveryView(pool);
  const jobsInFlight = await jobsInFlightView(deps);
  const view = entitiesView(rows, deps.config, now);
  const noCurrentKey = await noCurrentKeyView(pool, deps.config);
  const privacy = await privacyView(pool, deps.config);
  if (opts.json) {
    deps.out.write(
      `${JSON.stringify({ generatedAt: new Date(now).toISOString(), entities: view, runs, quality, recovery, jobsInFlight, noCurrentKey, privacy }, null, 2)}\n`,
    );
    return 0;
  }
  if (view.length === 0) {
    deps.out.write('Nothing extracted yet. Run `cxone-etl run` (or `npm run demo`).\n');
    return 0;
  }
  writeEntities(deps.out, view);
  writePrivacy(deps.out, privacy);
  writeJobsInFlight(deps.out, jobsInFlight);
  writeRecovery(deps.out, recovery);
  writeQuality(deps.out, quality);
  for (const line of noCurrentKey) deps.out.write(`\n${line.entity}: ${line.message}; ${line.remedy}\n`);
  writeRuns(deps.out, runs);
  return 0;
}

/** Loaded entities whose columns carry no current-state key (the `check` warning, shown again here). */
async function noCurrentKeyView(pool: pg.Pool, config: StatusConfig) {
  const lines = await checkCurrentKeys(pool, {
    stagingSchema: config.stagingSchema,
    entities: config.extract.entities.map((e) => e.name),
    currentKeys: config.currentKeys,
  });
  return lines
    .filter((l) => l.status === 'warn')
    .map((l) => ({ entity: l.entity ?? '', message: l.message, remedy: l.remedy ?? '' }));
}

/**
 * Per configured entity: each column COLUMN_POLICY names (hash or drop), its RETENTION, and the hashed
 * columns its staging table does not have (a misspelt name would leave the real column as sent).
 */
async function privacyView(pool: pg.Pool, config: StatusConfig) {
  const rules = config.privacy?.columnPolicy ?? [];
  const view = [];
  for (const e of config.extract.entities) {
    const retention = config.privacy?.retentionMs.get(e.name);
    const columns = entityPolicy(rules, e.name);
    const notLoaded: string[] = [];
    const table = { schema: config.stagingSchema, table: stagingTableName(e.name) };
    for (const [column, action] of columns) {
      if (action === 'hash' && !(await hasStagingColumn(pool, { ...table, column }))) notLoaded.push(column);
    }
    view.push({
      entity: e.name,
      columns: Object.fromEntries(columns),
      retention: retention === undefined ? null : formatDuration(retention),
      hashedNotInStaging: notLoaded,
    });
  }
  return view;
}

function writePrivacy(out: Writable, privacy: Awaited<ReturnType<typeof privacyView>>): void {
  const rows = privacy
    .filter((p) => Object.keys(p.columns).length > 0 || p.retention !== null)
    .map((p) => [
      p.entity,
      Object.entries(p.columns)
        .map(([column, action]) => `${column}=${action}`)
        .join(', ') || 'every column kept',
      p.retention ?? 'kept',
    ]);
  if (rows.length === 0) return;
  out.write('\nPersonal data (COLUMN_POLICY, RETENTION; other columns are loaded as sent):\n');
  out.write(formatTable(['entity', 'column policy', 'retention'], rows));
  for (const p of privacy.filter((x) => x.hashedNotInStaging.length > 0)) {
    out.write(
      `  ${p.entity}: no staging column ${p.hashedNotInStaging.join(', ')} (not loaded yet, or misspelt? \`schema --entity ${p.entity}\` lists the names)\n`,
    );
  }
}

type EntityView = ReturnType<typeof entitiesView>[number];
type RunView = Awaited<ReturnType<typeof runsView>>[number];
type QualityView = Awaited<ReturnType<typeof qualityView>>;
type RecoveryView = Awaited<ReturnType<typeof recoveryView>>;
type NoteView = ReturnType<typeof noteView>;

async function runsView(pool: pg.Pool) {
  return (await recentRuns(pool, 10)).map((r) => ({
    id: r.id,
    tenant: r.tenantId,
    trigger: r.trigger,
    startedAt: new Date(r.startedAt).toISOString(),
    endedAt: r.endedAt === null ? null : new Date(r.endedAt).toISOString(),
    outcome: r.outcome,
    windowsLoaded: r.windowsLoaded,
    windowsFailed: r.windowsFailed,
    rows: r.rows,
    bytes: r.bytes,
    apiCalls: r.apiCalls,
    error: r.error,
  }));
}

async function qualityView(pool: pg.Pool, since: number) {
  const castProblems = await castProblemSummary(pool, { since });
  const flags = await qualityFlags(pool, { since });
  return {
    castProblems: castProblems.map((c) => ({
      tenant: c.tenantId,
      entity: c.entity,
      column: c.column,
      type: c.type,
      failed: c.failed,
      windows: c.windows,
    })),
    flags: flags.map((f) => ({
      tenant: f.tenantId,
      entity: f.entity,
      start: new Date(f.windowStart).toISOString(),
      end: new Date(f.windowEnd).toISOString(),
      kind: f.kind,
      detail: f.detail,
    })),
  };
}

function noteView(n: WindowNote) {
  return {
    tenant: n.tenantId,
    entity: n.entity,
    start: new Date(n.start).toISOString(),
    end: new Date(n.end).toISOString(),
    at: new Date(n.at).toISOString(),
    note: n.note,
  };
}

async function recoveryView(pool: pg.Pool) {
  const notes = await recoveryNotes(pool);
  return {
    lookbacksSkipped: notes.lookbackSkips.map(noteView),
    lostPosts: notes.postNotes.map(noteView),
  };
}

function entitiesView(rows: Awaited<ReturnType<typeof entityStatus>>, config: StatusConfig, now: number) {
  const freshness = freshnessSettings(config);
  return rows.map((r) => ({
    tenant: r.tenantId,
    entity: r.entity,
    checkpoint: r.loadedUntil === null ? null : new Date(r.loadedUntil).toISOString(),
    lagSeconds: r.loadedUntil === null ? null : Math.round((now - r.loadedUntil) / 1000),
    ...(isEntityName(r.entity)
      ? (({ maxLagMs, stale }) => ({ maxLagSeconds: Math.round(maxLagMs / 1000), stale }))(
          freshnessOf(r.entity, r.loadedUntil, freshness, now),
        )
      : { maxLagSeconds: null, stale: false }),
    lastJob: r.lastJobId,
    lastJobStatus: r.lastJobStatus,
    lastWindowState: r.lastState,
    inFlight: r.inFlight,
    failedWindows: r.failedWindows.map((f) => ({
      start: new Date(f.start).toISOString(),
      end: new Date(f.end).toISOString(),
      error: f.error,
    })),
  }));
}

function writeEntities(out: Writable, view: EntityView[]): void {
  out.write(
    formatTable(
      ['tenant', 'entity', 'checkpoint', 'lag', 'max lag', 'fresh', 'last job', 'status', 'failed'],
      view.map((v) => [
        v.tenant,
        v.entity,
        v.checkpoint ?? '-',
        v.lagSeconds === null ? '-' : formatLag(v.lagSeconds),
        v.maxLagSeconds === null ? '-' : formatLag(v.maxLagSeconds),
        v.stale ? 'STALE' : 'yes',
        v.lastJob ?? '-',
        v.lastJobStatus ?? '-',
        String(v.failedWindows.length),
      ]),
    ),
  );
  for (const v of view) {
    for (const f of v.failedWindows) {
      out.write(`failed: ${v.tenant} ${v.entity} ${f.start}..${f.end}: ${f.error ?? 'no message'}\n`);
    }
  }
}

function writeRecovery(out: Writable, recovery: RecoveryView): void {
  const noteRows = (list: NoteView[]): string[][] =>
    list.map((n) => [n.tenant, n.entity, `${n.start.slice(0, 10)}..${n.end.slice(0, 10)}`, n.note]);
  if (recovery.lookbacksSkipped.length > 0) {
    out.write('\nLookbacks left out by the lookback rule (since each window was last loaded):\n');
    out.write(formatTable(['tenant', 'entity', 'window', 'why'], noteRows(recovery.lookbacksSkipped)));
  }
  if (recovery.lostPosts.length > 0) {
    out.write('\nPOSTs whose answer was lost, and what the worker did:\n');
    out.write(formatTable(['tenant', 'entity', 'window', 'what happened'], noteRows(recovery.lostPosts)));
  }
}

function writeQuality(out: Writable, quality: QualityView): void {
  if (quality.flags.length > 0) {
    out.write('\nData-quality flags (last 14 days):\n');
    out.write(
      formatTable(
        ['tenant', 'entity', 'window', 'kind', 'detail'],
        quality.flags.map((f) => [
          f.tenant,
          f.entity,
          `${f.start.slice(0, 10)}..${f.end.slice(0, 10)}`,
          f.kind,
          f.detail,
        ]),
      ),
    );
  }
  if (quality.castProblems.length > 0) {
    out.write('\nValues that read NULL in the typed views (did not cast), last 14 days:\n');
    out.write(
      formatTable(
        ['tenant', 'entity', 'column', 'type', 'values', 'windows'],
        quality.castProblems.map((c) => [
          c.tenant,
          c.entity,
          c.column,
          c.type,
          String(c.failed),
          String(c.windows),
        ]),
      ),
    );
  }
}

function writeRuns(out: Writable, runs: RunView[]): void {
  if (runs.length === 0) return;
  out.write('\nLast runs:\n');
  out.write(
    formatTable(
      ['started', 'tenant', 'trigger', 'outcome', 'windows', 'failed', 'rows', 'API calls', 'seconds'],
      runs.map((r) => [
        r.startedAt.slice(0, 19).replace('T', ' '),
        r.tenant,
        r.trigger,
        r.outcome,
        String(r.windowsLoaded),
        String(r.windowsFailed),
        r.rows.toLocaleString('en-US'),
        String(r.apiCalls),
        r.endedAt === null ? '-' : ((Date.parse(r.endedAt) - Date.parse(r.startedAt)) / 1000).toFixed(1),
      ]),
    ),
  );
}

type JobsInFlightView = Awaited<ReturnType<typeof jobsInFlightView>>;

/** EXTRACT_MAX_JOBS_IN_FLIGHT and, per tenant, what `auto` learned (and from what). */
async function jobsInFlightView(deps: { db: Database; config: Pick<Config, 'extract'> }): Promise<{
  setting: 'auto' | number;
  tenants: { tenant: string; limit: number; learnedAt: string; reason: string }[];
}> {
  const learned = await listLearnedJobsLimits(deps.db.pool);
  return {
    setting: deps.config.extract.maxJobsInFlight,
    tenants: learned.map((l) => ({
      tenant: l.tenantId,
      limit: l.maxJobsInFlight,
      learnedAt: new Date(l.learnedAt).toISOString(),
      reason: l.reason,
    })),
  };
}

function writeJobsInFlight(out: Writable, view: JobsInFlightView): void {
  const { setting, tenants } = view;
  if (setting !== 'auto') {
    out.write(`\nJobs in flight: ${setting} per tenant (EXTRACT_MAX_JOBS_IN_FLIGHT=${setting}).\n`);
    return;
  }
  out.write(
    `\nJobs in flight (EXTRACT_MAX_JOBS_IN_FLIGHT=auto: ${AUTO_JOBS_IN_FLIGHT} until a tenant shows its limit; ` +
      '`check --entities` learns it again):\n',
  );
  if (tenants.length === 0) {
    out.write(`  no tenant's limit learned yet: runs try ${AUTO_JOBS_IN_FLIGHT}\n`);
    return;
  }
  out.write(
    formatTable(
      ['tenant', 'jobs in flight', 'learned', 'from'],
      tenants.map((t) => [t.tenant, String(t.limit), t.learnedAt.slice(0, 19).replace('T', ' '), t.reason]),
    ),
  );
}

function formatLag(seconds: number): string {
  if (seconds < 3600) return `${Math.round(seconds / 60)}m`;
  if (seconds < 172_800) return `${(seconds / 3600).toFixed(1)}h`;
  return `${(seconds / 86_400).toFixed(1)}d`;
}
