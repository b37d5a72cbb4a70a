/**
 * `check --entities` (--probe): one tiny job per entity proves its permission. Under
 * EXTRACT_MAX_JOBS_IN_FLIGHT=auto the second probe job goes in while the first still runs, which is how
 * a tenant's jobs limit is learned before the first run, or raised again after a run learned 1. Probe
 * jobs are the API's only: they never enter the window ledger.
 */
import type { EntitySettings } from '../config.js';
import type { CxoneClient } from '../cxone/client.js';
import { isBusy } from '../cxone/http-errors.js';
import type { JobState } from '../cxone/types.js';
import { findEntity } from '../entities/catalog.js';
import { apiDates } from '../extract/api-dates.js';
import { saveLearnedJobsLimit } from '../extract/jobs-limit.repository.js';
import { nextPollAfterRunning } from '../extract/poll-job.js';
import { AUTO_JOBS_IN_FLIGHT } from '../extract/run-extraction.js';
import { EtlError, toError } from '../lib/errors.js';
import type { CheckLine, TenantCheckDeps } from './check-line.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** A probe job covers an hour or a day; one that runs longer than this is reported, not waited for. */
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
  const [first] = entities;
  if (first === undefined) return;
  const posted = await postProbe(client, deps, first);
  // Under `auto`, the next probe goes in while the first job runs: the tenant's jobs limit, learned.
  const second =
    config.extract.maxJobsInFlight === 'auto' && posted.jobId ? (entities[1] ?? first) : undefined;
  const limit = second && posted.jobId ? await probeJobsLimit(client, deps, posted.jobId, second) : undefined;
  // The last probe line: a job still RUNNING there would make the next POST busy.
  let last = emit(await finishProbe(client, deps, posted));
  let rest = entities.slice(1);
  if (limit?.beside) {
    const besideLine = await finishProbe(client, deps, limit.beside);
    // The same entity twice (one entity configured): its permission line is already out.
    if (second !== first) {
      last = emit(besideLine);
      rest = rest.slice(1);
    }
  }
  if (limit) {
    if (limit.busy && second === first) {
      limit.verdict = 1;
    } else if (limit.busy && second && last.details?.status !== 'RUNNING') {
      // A busy answer is a limit of 1 only once that entity's own POST is accepted (403 may be
      // permission). Not while the first job still runs past the probe timeout: it would be busy again.
      last = emit(await finishProbe(client, deps, await postProbe(client, deps, second)));
      rest = rest.slice(1);
      if (last.status !== 'fail') limit.verdict = 1;
    }
    emit(await saveJobsLimit(deps, limit));
  }
  for (const [i, entity] of rest.entries()) {
    if (last.details?.status === 'RUNNING') {
      // A job still running makes the next POST busy, which three attempts would misread as no permission.
      emit({
        check: 'probe',
        status: 'warn',
        message: `not probed while that job runs: ${rest
          .slice(i)
          .map((e) => e.name)
          .join(', ')}`,
        remedy: 'check --entities again once it has ended',
      });
      return;
    }
    last = emit(await finishProbe(client, deps, await postProbe(client, deps, entity)));
  }
}

interface PostedProbe {
  entity: EntitySettings;
  dates: { startDate: string; endDate: string };
  jobId?: string;
  /** The POST failed: the probe's line. */
  failed?: Line;
}

async function postProbe(
  client: CxoneClient,
  deps: ProbeDeps,
  entity: EntitySettings,
  opts: { busyIsFinal?: boolean } = {},
): Promise<PostedProbe> {
  const { clock, signal, config } = deps;
  const window = probeWindow(clock.now(), entity);
  const timeBasis = findEntity(entity.name)?.timeBasis ?? 'utc';
  const dates = apiDates(window, entity, timeBasis, config.wfmTimeZone);
  try {
    const jobId = await client.requestJob(
      { entityName: entity.name, version: entity.version, ...dates },
      {
        signal,
        entity: entity.name,
        window: `${dates.startDate}..${dates.endDate}`,
        ...(opts.busyIsFinal ? { busyIsFinal: true } : {}),
      },
    );
    return { entity, dates, jobId };
  } catch (error) {
    if (opts.busyIsFinal && isBusy(error)) throw error;
    return { entity, dates, failed: probeFailure(entity, toError(error)) };
  }
}

async function finishProbe(client: CxoneClient, deps: ProbeDeps, posted: PostedProbe): Promise<Line> {
  const { entity, dates, jobId } = posted;
  if (posted.failed || jobId === undefined) return posted.failed ?? probeFailure(entity, new Error('no job'));
  const base = { check: 'probe' as const, entity: entity.name };
  try {
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
    return probeFailure(entity, toError(error));
  }
}

function probeFailure(entity: EntitySettings, err: Error): Line {
  const code = err instanceof EtlError ? err.code : undefined;
  const remedy =
    code === 'PERMISSION'
      ? `give the API user's role the Data Extraction permission for ${entity.name} (permissions differ per entity), or leave it out of EXTRACT_ENTITIES`
      : code === 'HTTP' && err instanceof EtlError && err.context.status === 400
        ? `check the version in CXONE_ENTITY_VERSIONS (${entity.name}=${entity.version}) and the date settings (CXONE_DATE_FORMATS)`
        : 'the message says what failed; check again once it is fixed';
  return { check: 'probe', entity: entity.name, status: 'fail', message: err.message, remedy };
}

interface JobsLimitProbe {
  /** 2: a second job was accepted while the first ran; 1: refused as busy (settled by the caller). */
  verdict?: number;
  busy: boolean;
  /** The second job, when accepted: it is polled to its end like any probe. */
  beside?: PostedProbe;
  note: string;
}

/**
 * EXTRACT_MAX_JOBS_IN_FLIGHT=auto learns a tenant's jobs limit from a busy answer in a run and then
 * keeps it; this is how it is raised again (or learned before the first run): the next probe job is
 * posted while the first still runs, and its answer is read as a run reads it.
 */
async function probeJobsLimit(
  client: CxoneClient,
  deps: ProbeDeps,
  firstJobId: string,
  second: EntitySettings,
): Promise<JobsLimitProbe> {
  let beside: PostedProbe;
  try {
    beside = await postProbe(client, deps, second, { busyIsFinal: true });
  } catch (error) {
    return {
      busy: true,
      note: `a second job was refused while job ${firstJobId} ran (${toError(error).message})`,
    };
  }
  if (beside.jobId === undefined) return { busy: false, beside, note: 'the second probe job failed' };
  // Accepted: two at once only if the first job was still running after it (it may have just ended).
  const first = await client.getJob(firstJobId, { signal: deps.signal });
  if (first.status === 'RUNNING') {
    return {
      verdict: AUTO_JOBS_IN_FLIGHT,
      busy: false,
      beside,
      note: `job ${beside.jobId} was accepted while job ${firstJobId} ran`,
    };
  }
  return { busy: false, beside, note: `job ${firstJobId} had ended before the second was accepted` };
}

async function saveJobsLimit(deps: ProbeDeps, probe: JobsLimitProbe): Promise<Line> {
  const base = {
    check: 'jobs-limit' as const,
    details: { learned: probe.verdict ?? null, note: probe.note },
  };
  if (probe.verdict === undefined) {
    return {
      ...base,
      status: 'info',
      message: `jobs in flight not settled: ${probe.note}; runs keep what they learned`,
    };
  }
  await saveLearnedJobsLimit(
    deps.pool,
    deps.tenantId,
    probe.verdict,
    `check --probe: ${probe.note}`,
    deps.clock.now(),
  );
  return {
    ...base,
    status: 'ok',
    message:
      probe.verdict > 1
        ? `the tenant runs ${probe.verdict} jobs at once (${probe.note}): runs keep ${probe.verdict} in flight`
        : `the tenant runs one job at a time (${probe.note}): runs keep 1 in flight`,
  };
}

/**
 * Polls until the job ends on the runs' poll model (src/extract/poll-job.ts: no history, so the first
 * call at once, then 1.25 × the time since the POST, at least an interval apart); undefined when it
 * outlives PROBE_TIMEOUT_MS.
 */
async function untilDone(client: CxoneClient, deps: ProbeDeps, jobId: string): Promise<JobState | undefined> {
  const { clock, signal, config } = deps;
  const postedAt = clock.now();
  const deadline = postedAt + PROBE_TIMEOUT_MS;
  let askAt = clock.now() + config.cxone.minCallIntervalMs;
  while (askAt < deadline) {
    if (askAt > clock.now()) await clock.sleep(askAt - clock.now(), signal);
    const state = await client.getJob(jobId, { signal });
    if (state.status !== 'RUNNING') return state;
    askAt = nextPollAfterRunning(postedAt, clock.now(), undefined, config.cxone.minCallIntervalMs);
  }
  return undefined;
}

function formatMinutes(ms: number): string {
  return ms < 60_000 ? `${Math.ceil(ms / 1000)} s` : `${(ms / 60_000).toFixed(1)} min`;
}
