/**
 * The CXone half of `cxone-etl check`, for one tenant, in the order a run needs them: a token (which
 * flow, its lifetime, the tenant id; never the token), the API base, one rate-gated `GET /jobs` (the
 * tenant answers; a job already RUNNING is a warning naming it, as a run would just wait), and with probing one tiny job per entity to prove
 * its permission. Probe jobs are the API's only: they never enter the window ledger, so a check leaves
 * no row to clean up, even when it is killed mid-way.
 */
import type { CxoneClient } from '../cxone/client.js';
import { EtlError, toError } from '../lib/errors.js';
import { hardFailure, type CheckLine, type TenantCheckDeps } from './check-line.js';
import { probeEntities } from './probe-entities.js';
import { buildClient } from '../run/build-client.js';

/**
 * 3 attempts, not the run's 6: a check should answer within a couple of minutes; a 403 that lasts three
 * gated calls is reported as "busy or no permission" and the user can run the check again.
 */
export const CHECK_JOB_ATTEMPTS = 3;

/** Runs the tenant's checks; false when one failed hard (the caller stops there). */
export async function checkTenant(deps: TenantCheckDeps, opts: { probe: boolean }): Promise<boolean> {
  const { config, signal } = deps;
  const emit = (line: Omit<CheckLine, 'tenant'>): CheckLine => {
    const full = { tenant: deps.tenant, ...line };
    deps.onLine(full);
    return full;
  };
  const client = createClient(deps);

  let tenantId: string;
  try {
    tenantId = await client.tenantId(signal);
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
    emit(
      hardFailure(
        'api',
        toError(error).message,
        'check CXONE_ISSUER_URL, or set CXONE_API_BASE_URL to the API host (e.g. https://api-na1.niceincontact.com)',
      ),
    );
    return false;
  }
  const source = config.cxone.apiBaseUrl ? 'CXONE_API_BASE_URL' : 'discovered from cxone-configuration';
  emit({ check: 'api', status: 'ok', message: `${apiBase} (${source})`, details: { apiBase } });

  const jobs = await checkJobsList(client, deps, emit);
  if (jobs === 'failed') return false;
  if (opts.probe && jobs === 'busy') {
    // A probe job would only queue behind the running one (the API runs one at a time for most
    // tenants): the permissions stay unproven rather than the check waiting for someone else's job.
    emit({
      check: 'probe',
      status: 'warn',
      message: 'not run: the tenant is busy with the job named above',
      remedy: 'run cxone-etl check --entities again once that job has ended',
    });
    return true;
  }
  if (opts.probe) await probeEntities(client, { ...deps, tenantId }, emit);
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
  return hardFailure('token', err.message, remedy);
}

/**
 * One gated GET /jobs: the tenant answers ('ok'), or answers with a job RUNNING ('busy': a warning,
 * since a run would simply wait for the tenant), or does not ('failed').
 */
async function checkJobsList(
  client: CxoneClient,
  deps: TenantCheckDeps,
  emit: (line: Omit<CheckLine, 'tenant'>) => CheckLine,
): Promise<'ok' | 'busy' | 'failed'> {
  let jobs: { id: string; status: string }[];
  try {
    jobs = await client.listJobs({ signal: deps.signal });
  } catch (error) {
    const err = toError(error);
    const busy = err instanceof EtlError && (err.code === 'PERMISSION' || err.code === 'RATE_LIMITED');
    emit(
      hardFailure(
        'jobs',
        `GET /jobs: ${err.message}`,
        busy
          ? 'another program may be calling the API for this tenant (stop it, or wait and check again); if not, give the API user the Data Extraction permission'
          : 'check the API base and the network; the message says what failed',
      ),
    );
    return 'failed';
  }
  const running = jobs.filter((j) => j.status === 'RUNNING');
  if (running.length > 0) {
    const ids = running.map((j) => j.id);
    emit({
      check: 'jobs',
      status: 'warn',
      message:
        `GET /jobs answered through the rate gate: the tenant is busy, ${running.length} job(s) RUNNING ` +
        `(${ids.join(', ')}); a run waits for the tenant`,
      remedy:
        'nothing, unless it stays busy: another caller (or a cxone-etl run) is extracting for this tenant',
      details: { jobs: jobs.length, running: running.length, runningJobs: ids },
    });
    return 'busy';
  }
  emit({
    check: 'jobs',
    status: 'ok',
    message: `GET /jobs answered through the rate gate: ${jobs.length} job(s), none running`,
    details: { jobs: jobs.length, running: 0 },
  });
  return 'ok';
}
