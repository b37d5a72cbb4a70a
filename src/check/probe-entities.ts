/**
 * `check --entities` (--probe): one tiny job per entity proves its permission. The probe jobs go
 * through the window engine (src/extract/engine.ts) like a run's: the same POST and lost-POST rules,
 * poll model, busy reading and learning of the tenant's jobs limit. Under
 * EXTRACT_MAX_JOBS_IN_FLIGHT=auto the second probe job goes in while the first still runs, which is how
 * a tenant's jobs limit is learned before the first run, or raised again after a run learned 1.
 *
 * Probe jobs never enter the window ledger: the engine records their steps in the probe's own ledger
 * here, and a SUCCEEDED job is not downloaded. Their ids do go into jobs_seen, so that a later run's
 * lost-POST check (post-job.ts) never takes a probe job for its own.
 */
import type pg from 'pg';
import type { EntitySettings } from '../config.js';
import type { CxoneClient } from '../cxone/client.js';
import { apiDates } from '../extract/api-dates.js';
import { runWindows } from '../extract/engine.js';
import { knownJobIds, rememberJobs } from '../extract/jobs-seen.repository.js';
import {
  AUTO_JOBS_IN_FLIGHT,
  emptySummary,
  extractSettings,
  planningFrom,
  withTimeBasis,
} from '../extract/run-extraction.js';
import type { PlannedEntity, WindowReport } from '../extract/types.js';
import { recentJobDurations, type WindowKey, type WindowLedger } from '../extract/windows.repository.js';
import { EtlError } from '../lib/errors.js';
import type { CheckLine, TenantCheckDeps } from './check-line.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/**
 * A probe job covers an hour or a day; one that runs longer than this (or EXTRACT_JOB_TIMEOUT, if
 * shorter) is reported, not waited for.
 */
const PROBE_TIMEOUT_MS = 15 * 60_000;

type ProbeDeps = TenantCheckDeps & { tenantId: string };
type Line = Omit<CheckLine, 'tenant'>;

/** One hour (recordings) or one day per entity, two days back so the data has long settled. */
export function probeWindow(now: number, entity: EntitySettings): { start: number; end: number } {
  const start = Math.floor(now / DAY_MS) * DAY_MS - 2 * DAY_MS;
  return { start, end: start + (entity.dateFormat === 'datetime' ? HOUR_MS : DAY_MS) };
}

export async function probeEntities(
  client: CxoneClient,
  deps: ProbeDeps,
  emit: (line: Line) => CheckLine,
): Promise<void> {
  const { config, clock } = deps;
  const entities = config.extract.entities;
  const interval = config.cxone.minCallIntervalMs;
  // Each probe is a POST and at least one status call; the GET /jobs before them already took a slot.
  const calls = entities.length * 2;
  emit({
    check: 'probe',
    status: 'info',
    message:
      `${entities.length} tiny job(s) next, one per entity (an hour of recordings, a day of the others): ` +
      `at least ${calls} jobs API calls and ${formatMinutes(calls * interval)} at one call per ${interval / 1000} s`,
    details: { entities: entities.map((e) => e.name), minCalls: calls, minMs: calls * interval },
  });
  if (entities.length === 0) return;
  const timeoutMs = Math.min(PROBE_TIMEOUT_MS, config.extract.jobTimeoutMs);
  const now = clock.now();
  const plans: PlannedEntity[] = entities.map((e) => ({
    entity: withTimeBasis(e),
    windows: [{ ...probeWindow(now, e), reason: 'new' }],
    skippedLookbacks: [],
  }));
  // A job still running past the probe timeout makes every later POST busy, which three attempts would
  // misread as no permission: the probe stops there and says which entities it left.
  const stop = new AbortController();
  const reported = new Set<string>();
  let learned = false;
  const auto = config.extract.maxJobsInFlight === 'auto';
  await runWindows(
    {
      pool: deps.pool,
      api: client,
      clock,
      signal: AbortSignal.any([deps.signal, stop.signal]),
      settings: { ...extractSettings(config), maxAttempts: 1, jobTimeoutMs: timeoutMs },
      planning: planningFrom(config),
      onWindowEnd: (report) => {
        const plan = plans.find((p) => p.entity.name === report.entity) as PlannedEntity;
        reported.add(report.entity);
        emit(probeLine(plan, report, config.wfmTimeZone, timeoutMs));
        if (report.outcome.status === 'failed' && report.outcome.error.code === 'DEADLINE') stop.abort();
      },
      onJobsLimit: ({ limit, reason }) => {
        learned = true;
        emit({
          check: 'jobs-limit',
          status: 'ok',
          message:
            limit > 1
              ? `the tenant runs ${limit} jobs at once (${reason}): runs keep ${limit} in flight`
              : `the tenant runs one job at a time (${reason}): runs keep 1 in flight`,
          details: { learned: limit, note: reason },
        });
      },
    },
    {
      tenantId: deps.tenantId,
      plans,
      summary: emptySummary(deps.tenantId),
      total: plans.length,
      // `auto` tries two whatever a run learned: proving more is what the probe is for.
      limit: config.cxone.useSyncEndpoint
        ? 1
        : auto
          ? AUTO_JOBS_IN_FLIGHT
          : (config.extract.maxJobsInFlight as number),
      learned: undefined,
      ledger: probeLedger(deps.pool),
      load: async (_deps, _entity, _key, ctx) => ({
        rows: 0,
        bytes: 0,
        jobId: ctx.jobId,
        replaced: 0,
        loadMs: 0,
        reportingMs: 0,
      }),
      learnedBy: 'check --probe',
    },
  );
  const left = entities.filter((e) => !reported.has(e.name)).map((e) => e.name);
  if (left.length > 0 && !deps.signal.aborted) {
    emit({
      check: 'probe',
      status: 'warn',
      message: `not probed while that job runs: ${left.join(', ')}`,
      remedy: 'check --entities again once it has ended',
    });
  }
  if (auto && !learned && !config.cxone.useSyncEndpoint) {
    emit({
      check: 'jobs-limit',
      status: 'info',
      message:
        'jobs in flight not settled: no probe job was seen running while another was accepted or refused; ' +
        'runs keep what they learned',
      details: { learned: null },
    });
  }
}

/** A probe's line from its window report. */
function probeLine(plan: PlannedEntity, report: WindowReport, wfmTimeZone: string, timeoutMs: number): Line {
  const { entity } = plan;
  const window = plan.windows[0] as { start: number; end: number };
  const dates = apiDates(window, entity, entity.timeBasis, wfmTimeZone);
  const span = `${dates.startDate}..${dates.endDate}`;
  const base = { check: 'probe' as const, entity: entity.name };
  const { outcome } = report;
  if (outcome.status === 'loaded') {
    return {
      ...base,
      status: 'ok',
      message: `permission confirmed: job ${outcome.jobId} (version ${entity.version}, ${span}) SUCCEEDED`,
      details: { jobId: outcome.jobId, version: entity.version, ...dates, status: 'SUCCEEDED' },
    };
  }
  const { error } = outcome;
  const jobId = typeof error.context.jobId === 'string' ? error.context.jobId : undefined;
  const details = { ...(jobId ? { jobId } : {}), version: entity.version, ...dates };
  if (error.code === 'DEADLINE' && jobId) {
    return {
      ...base,
      status: 'warn',
      message: `version ${entity.version} accepted (job ${jobId}), still RUNNING after ${formatMinutes(timeoutMs)}`,
      remedy: 'the permission is there; the job is slow: nothing to fix',
      details: { ...details, status: 'RUNNING' },
    };
  }
  if (error.code === 'JOB_FAILED') {
    return {
      ...base,
      status: 'warn',
      message: `version ${entity.version} accepted (job ${jobId ?? '?'}, ${span}), but ${error.message}`,
      remedy: 'the permission is there; a run retries failed jobs',
      details,
    };
  }
  return { ...base, status: 'fail', message: error.message, remedy: failureRemedy(entity, error) };
}

function failureRemedy(entity: EntitySettings, error: EtlError): string {
  if (error.code === 'PERMISSION') {
    return `give the API user's role the Data Extraction permission for ${entity.name} (permissions differ per entity), or leave it out of EXTRACT_ENTITIES`;
  }
  if (error.code === 'HTTP' && error.context.status === 400) {
    return `check the version in CXONE_ENTITY_VERSIONS (${entity.name}=${entity.version}) and the date settings (CXONE_DATE_FORMATS)`;
  }
  return 'the message says what failed; check again once it is fixed';
}

/**
 * The probe's ledger: its windows' steps live in memory for the check's length. It reads the runs'
 * job durations (they time the probes' polls) and the ids already known, and remembers its own jobs'
 * ids as seen.
 */
function probeLedger(pool: pg.Pool): WindowLedger {
  const posted = new Map<string, number>();
  const attempts = new Map<string, number>();
  const at = (key: WindowKey): string => `${key.entity} ${key.start}`;
  const nothing = async (): Promise<void> => undefined;
  return {
    recentJobDurations: (tenantId, entity, since) => recentJobDurations(pool, tenantId, entity, since),
    postUncertain: async () => false,
    postedAt: async (key) => posted.get(at(key)),
    beginRequest: async (key) => {
      const n = (attempts.get(at(key)) ?? 0) + 1;
      attempts.set(at(key), n);
      return n;
    },
    setJobId: async (key, jobId, now, origin) => {
      posted.set(at(key), now);
      await rememberJobs(pool, key.tenantId, [jobId], origin.source, now);
    },
    knownJobIds: (tenantId, ids) => knownJobIds(pool, tenantId, ids),
    rememberJobs: (tenantId, ids, source, now) => rememberJobs(pool, tenantId, ids, source, now),
    // The rest of a window's steps matter only to the window ledger (status, gaps, resumes).
    startPass: nothing,
    clearPostUncertain: nothing,
    recordPostNote: nothing,
    recordPoll: nothing,
    recordListed: nothing,
    markReady: nothing,
    markJobEnded: nothing,
    markFailed: nothing,
    markDeferred: nothing,
  };
}

function formatMinutes(ms: number): string {
  return ms < 60_000 ? `${Math.ceil(ms / 1000)} s` : `${(ms / 60_000).toFixed(1)} min`;
}
