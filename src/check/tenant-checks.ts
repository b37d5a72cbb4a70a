/**
 * The CXone half of `cxone-etl check`, for one tenant, in the order a run needs them: a token (which
 * flow, its lifetime, the tenant id; never the token), the API base, one rate-gated `GET /jobs` (the
 * tenant answers and nobody else's job is running), and with probing one tiny job per entity to prove
 * its permission. Probe jobs are the API's only: they never enter the window ledger, so a check leaves
 * no row to clean up, even when it is killed mid-way.
 */
import type pg from 'pg';
import type { Config, EntitySettings } from '../config.js';
import type { CxoneClient } from '../cxone/client.js';
import type { JobState } from '../cxone/types.js';
import { findEntity } from '../entities/catalog.js';
import { apiDates } from '../extract/api-dates.js';
import type { Clock } from '../lib/clock.js';
import { EtlError, toError } from '../lib/errors.js';
import type { CheckLine, OnCheckLine } from './check-line.js';
import { buildClient } from '../run/build-client.js';

export interface TenantCheckDeps {
  pool: pg.Pool;
  /** The tenant's effective config (configForTenant). */
  config: Config;
  clock: Clock;
  signal: AbortSignal;
  /** The tenant's label in the lines. */
  tenant: string;
  onLine: OnCheckLine;
}

/**
 * 3 attempts, not the run's 6: a check should answer within a couple of minutes; a 403 that lasts three
 * gated calls is reported as "busy or no permission" and the user can run the check again.
 */
export const CHECK_JOB_ATTEMPTS = 3;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** A probe job covers an hour or a day; one that runs longer than this is reported, not waited for. */
const PROBE_TIMEOUT_MS = 15 * 60_000;

/** Runs the tenant's checks; false when one failed hard (the caller stops there). */
export async function checkTenant(deps: TenantCheckDeps, opts: { probe: boolean }): Promise<boolean> {
  const { config, signal } = deps;
  const emit = (line: Omit<CheckLine, 'tenant'>): CheckLine => {
    const full = { tenant: deps.tenant, ...line };
    deps.onLine(full);
    return full;
  };
  const client = createClient(deps);

  try {
    await client.tenantId(signal);
  } catch (error) {
    emit(tokenFailure(error));
    return false;
  }
  const session = client.tokenSession();
  const flow =
    session?.flow === 'password'
      ? `OpenID password grant (client id and secret by ${session.clientAuth === 'basic' ? 'HTTP Basic' : 'form fields'})`
      : 'access-key login';
  emit({
    check: 'token',
    status: 'ok',
    message: `${flow}: a token for tenant ${session?.tenantId ?? '?'}, valid ${session?.expiresInS ?? '?'} s`,
    details: { ...session },
  });

  let apiBase: string;
  try {
    apiBase = await client.apiBase(signal);
  } catch (error) {
    emit({
      check: 'api',
      status: 'fail',
      hard: true,
      message: toError(error).message,
      remedy:
        'check CXONE_ISSUER_URL, or set CXONE_API_BASE_URL to the API host (e.g. https://api-na1.niceincontact.com)',
    });
    return false;
  }
  const source = config.cxone.apiBaseUrl ? 'CXONE_API_BASE_URL' : 'discovered from cxone-configuration';
  emit({ check: 'api', status: 'ok', message: `${apiBase} (${source})`, details: { apiBase } });

  if (!(await checkJobsList(client, deps, emit))) return false;
  if (opts.probe) await probeEntities(client, deps, emit);
  return true;
}

function createClient(deps: TenantCheckDeps): CxoneClient {
  const { config, clock } = deps;
  // The run's client, with backoff from one interval (at the real 30 s the run's 1 s floor never applies).
  return buildClient(deps.pool, config, clock, undefined, {
    retry: { jobs: { attempts: CHECK_JOB_ATTEMPTS, baseMs: Math.max(1, config.cxone.minCallIntervalMs) } },
  });
}

function tokenFailure(error: unknown): Omit<CheckLine, 'tenant'> {
  const err = toError(error);
  const code = err instanceof EtlError ? err.code : undefined;
  const remedy =
    code === 'AUTH'
      ? 'use the access key of an API user (CXone Admin > Employees > Access keys), or all four password-grant values; the message names the variables'
      : code === 'CONFIG'
        ? 'fix the setting the message names'
        : 'check CXONE_ISSUER_URL / CXONE_AUTH_BASE_URL and that this machine reaches them (proxy, firewall)';
  return { check: 'token', status: 'fail', hard: true, message: err.message, remedy };
}

/** One gated GET /jobs: the tenant answers, and no job (of another caller, or a run) is running. */
async function checkJobsList(
  client: CxoneClient,
  deps: TenantCheckDeps,
  emit: (line: Omit<CheckLine, 'tenant'>) => CheckLine,
): Promise<boolean> {
  let jobs: { id: string; status: string }[];
  try {
    jobs = await client.listJobs({ signal: deps.signal });
  } catch (error) {
    const err = toError(error);
    const busy = err instanceof EtlError && (err.code === 'PERMISSION' || err.code === 'RATE_LIMITED');
    emit({
      check: 'jobs',
      status: 'fail',
      hard: true,
      message: `GET /jobs: ${err.message}`,
      remedy: busy
        ? 'another program may be calling the API for this tenant (stop it, or wait and check again); if not, give the API user the Data Extraction permission'
        : 'check the API base and the network; the message says what failed',
    });
    return false;
  }
  const running = jobs.filter((j) => j.status === 'RUNNING');
  if (running.length > 0) {
    emit({
      check: 'jobs',
      status: 'fail',
      hard: true,
      message: `the tenant is busy: ${running.length} job(s) RUNNING (${running.map((j) => j.id).join(', ')})`,
      remedy:
        'another caller (or a cxone-etl run) is extracting for this tenant: let it finish, then check again',
      details: { jobs: jobs.length, running: running.length },
    });
    return false;
  }
  emit({
    check: 'jobs',
    status: 'ok',
    message: `GET /jobs answered through the rate gate: ${jobs.length} job(s), none running`,
    details: { jobs: jobs.length, running: 0 },
  });
  return true;
}

/** One hour (recordings) or one day per entity, two days back so the data has long settled. */
export function probeWindow(now: number, entity: EntitySettings): { start: number; end: number } {
  const start = Math.floor(now / DAY_MS) * DAY_MS - 2 * DAY_MS;
  return { start, end: start + (entity.dateFormat === 'datetime' ? HOUR_MS : DAY_MS) };
}

async function probeEntities(
  client: CxoneClient,
  deps: TenantCheckDeps,
  emit: (line: Omit<CheckLine, 'tenant'>) => CheckLine,
): Promise<void> {
  const { config } = deps;
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
  for (const [i, entity] of entities.entries()) {
    const line = emit(await probeOne(client, deps, entity));
    // A job still running makes the next POST busy, which three attempts would misread as no permission.
    if (line.details?.status === 'RUNNING' && i < entities.length - 1) {
      emit({
        check: 'probe',
        status: 'warn',
        message: `not probed while that job runs: ${entities
          .slice(i + 1)
          .map((e) => e.name)
          .join(', ')}`,
        remedy: 'check --entities again once it has ended',
      });
      return;
    }
  }
}

async function probeOne(
  client: CxoneClient,
  deps: TenantCheckDeps,
  entity: EntitySettings,
): Promise<Omit<CheckLine, 'tenant'>> {
  const { clock, signal, config } = deps;
  const window = probeWindow(clock.now(), entity);
  const timeBasis = findEntity(entity.name)?.timeBasis ?? 'utc';
  const dates = apiDates(window, entity, timeBasis, config.wfmTimeZone);
  const base = { check: 'probe' as const, entity: entity.name };
  try {
    const jobId = await client.requestJob(
      { entityName: entity.name, version: entity.version, ...dates },
      { signal, entity: entity.name, window: `${dates.startDate}..${dates.endDate}` },
    );
    const state = await untilDone(client, deps, jobId);
    const details = { jobId, version: entity.version, ...dates, status: state?.status ?? 'RUNNING' };
    if (!state) {
      return {
        ...base,
        status: 'warn',
        message: `version ${entity.version} accepted (job ${jobId}), still RUNNING after ${PROBE_TIMEOUT_MS / 60_000} min`,
        remedy: 'the permission is there; the job is slow: nothing to fix',
        details,
      };
    }
    if (state.status === 'SUCCEEDED') {
      return {
        ...base,
        status: 'ok',
        message: `permission confirmed: job ${jobId} (version ${entity.version}, ${dates.startDate}..${dates.endDate}) SUCCEEDED`,
        details,
      };
    }
    return {
      ...base,
      status: 'warn',
      message: `version ${entity.version} accepted, but job ${jobId} ended ${state.status}${state.errorMessage ? `: ${state.errorMessage}` : ''}`,
      remedy: 'the permission is there; a run retries failed jobs',
      details,
    };
  } catch (error) {
    const err = toError(error);
    const code = err instanceof EtlError ? err.code : undefined;
    const remedy =
      code === 'PERMISSION'
        ? `give the API user's role the Data Extraction permission for ${entity.name} (permissions differ per entity), or leave it out of EXTRACT_ENTITIES`
        : code === 'HTTP' && err instanceof EtlError && err.context.status === 400
          ? `check the version in CXONE_ENTITY_VERSIONS (${entity.name}=${entity.version}) and the date settings (CXONE_DATE_FORMATS)`
          : 'the message says what failed; check again once it is fixed';
    return { ...base, status: 'fail', message: err.message, remedy };
  }
}

/** Polls until the job ends, one call per interval; undefined when it outlives PROBE_TIMEOUT_MS. */
async function untilDone(
  client: CxoneClient,
  deps: TenantCheckDeps,
  jobId: string,
): Promise<JobState | undefined> {
  const { clock, signal, config } = deps;
  const deadline = clock.now() + PROBE_TIMEOUT_MS;
  while (clock.now() < deadline) {
    // The gate spaces gated polls; with create-only it does not, so wait the interval here.
    if (config.cxone.gateScope !== 'all') await clock.sleep(config.cxone.minCallIntervalMs, signal);
    const state = await client.getJob(jobId, { signal });
    if (state.status !== 'RUNNING') return state;
  }
  return undefined;
}

function formatMinutes(ms: number): string {
  return ms < 60_000 ? `${Math.ceil(ms / 1000)} s` : `${(ms / 60_000).toFixed(1)} min`;
}
