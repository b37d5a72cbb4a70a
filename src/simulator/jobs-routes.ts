/**
 * The jobs endpoints under /data-extraction/v1/jobs (contract "Jobs"). They run behind the gateway,
 * so the tenant is known and the rate gate already passed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiCall } from './api-gateway.js';
import { refuseAsBusy } from './api-gateway.js';
import { scaledMs, type SimContext } from './context.js';
import type { CsvSpec } from './csv/index.js';
import { parseJobRequest, type JobRequest } from './job-request.js';
import { renderJobList, renderJobStatus } from './job-status.js';
import type { Job } from './jobs.js';
import { HttpError, readJson, sendJson, sendText } from './respond.js';

const DAY_MS = 86_400_000;

export async function createJob(ctx: SimContext, call: ApiCall, req: IncomingMessage, res: ServerResponse) {
  const refused = ctx.faults.postRefused(
    ctx.options.faults,
    ctx.jobs.runningCount(call.tenant.id, ctx.clock.now()) > 0,
  );
  if (refused) {
    // No job is created: the empty 5xx only looks like one that may have landed.
    ctx.stats.fault(`postRefused${refused.status}`);
    sendText(res, refused.status, 'text/plain; charset=utf-8', '', {
      'retry-after': String(refused.retryAfterSeconds),
    });
    return;
  }
  const job = await startJob(ctx, call, req, res, false);
  if (!job) return;
  const lost = ctx.faults.createdThenFail(ctx.options.faults);
  if (lost) {
    // The job exists and runs; only its answer is lost on the way back.
    ctx.stats.fault(lost.cutOff ? 'createdThenCutOff' : `createdThen${lost.status}`);
    if (lost.cutOff)
      sendText(res, 202, 'application/json; charset=utf-8', JSON.stringify(job.id).slice(0, 5));
    else
      sendJson(res, lost.status, { error: 'Gateway Timeout: the upstream service did not answer in time.' });
    return;
  }
  // CONFIRMED: 202 with the id as a bare JSON string; the object form is an ASSUMED variant.
  sendJson(res, 202, ctx.options.jobIdResponse === 'object' ? { jobId: job.id } : job.id);
}

/** Optional endpoint (absent from the published spec): blocks until the job ends, then 200 + jobStatus. */
export async function createJobSync(
  ctx: SimContext,
  call: ApiCall,
  req: IncomingMessage,
  res: ServerResponse,
) {
  const job = await startJob(ctx, call, req, res, true);
  if (!job) return;
  await ctx.clock.sleep(job.readyAt - ctx.clock.now(), call.signal);
  sendStatus(ctx, res, job);
}

export async function getJob(ctx: SimContext, call: ApiCall, req: IncomingMessage, res: ServerResponse) {
  const id = decodeURIComponent(new URL(req.url ?? '/', ctx.url).pathname.split('/').pop() ?? '');
  const job = ctx.jobs.get(call.tenant.id, id);
  if (!job) throw new HttpError(404, `Job "${id}" not found`);
  sendStatus(ctx, res, job);
}

export async function listJobs(ctx: SimContext, call: ApiCall, _req: IncomingMessage, res: ServerResponse) {
  sendJson(res, 200, renderJobList(ctx, ctx.jobs.list(call.tenant.id), ctx.clock.now()));
}

function sendStatus(ctx: SimContext, res: ServerResponse, job: Job): void {
  const body = JSON.stringify(renderJobStatus(ctx, job, ctx.clock.now()));
  if (ctx.faults.malformedStatus(ctx.options.faults)) {
    ctx.stats.fault('malformedStatusJson');
    // Cut mid-object, as a proxy that drops the connection's tail would leave it.
    sendText(res, 200, 'application/json; charset=utf-8', body.slice(0, Math.floor(body.length / 2)));
    return;
  }
  sendText(res, 200, 'application/json; charset=utf-8', body);
}

/** Validates, applies the tenant's running-jobs limit (maxRunningJobs), fixes the job's fate and records it. */
async function startJob(
  ctx: SimContext,
  call: ApiCall,
  req: IncomingMessage,
  res: ServerResponse,
  sync: boolean,
): Promise<Job | undefined> {
  const { options } = ctx;
  const request = parseJobRequest(await readJson(req), call.tenant, options);
  const now = ctx.clock.now();
  const maxRunning = options.allowConcurrentJobs ? Infinity : options.maxRunningJobs;
  if (ctx.jobs.runningCount(call.tenant.id, now) >= maxRunning) {
    // Busy until the first running job ends: that frees a place.
    const running = ctx.jobs.list(call.tenant.id).filter((j) => j.readyAt > now);
    const runningUntil = Math.min(...running.map((j) => j.readyAt));
    refuseAsBusy(ctx, res, call.tenant.id, call.endpoint, 'job-running', runningUntil - now);
    return undefined;
  }

  const days = (request.endMs - request.startMs) / DAY_MS;
  const factor = options.jobDurationFactor[request.entity] ?? 1;
  const fate = ctx.faults.jobOutcome(options.faults, request.entity);
  if (fate) ctx.stats.fault(`jobOutcome:${fate.outcome}`);
  const job = ctx.jobs.create({
    tenantId: call.tenant.id,
    ...request,
    createdAt: now,
    durationMs: scaledMs(ctx, (options.jobBaseMs + options.jobPerDayMs * days) * factor),
    fileTtlMs: scaledMs(ctx, options.fileTtlMs),
    outcome: fate?.outcome ?? 'SUCCEEDED',
    errorMessage: fate?.errorMessage,
    sync,
    csv: csvSpecFor(ctx, call.tenant.id, request, now),
  });
  ctx.stats.jobCreated({
    id: job.id,
    tenant: job.tenantId,
    entity: job.entity,
    version: job.version,
    startDate: job.startDate,
    endDate: job.endDate,
    startMs: job.startMs,
    endMs: job.endMs,
    createdAt: job.createdAt,
    sync,
  });
  return job;
}

function csvSpecFor(ctx: SimContext, tenantId: string, request: JobRequest, now: number): CsvSpec {
  const { options } = ctx;
  const rowsPerDay = options.rowsPerDay[request.entity];
  return {
    tenantId,
    entity: request.entity,
    version: request.version,
    startMs: request.startMs,
    endMs: request.endMs,
    // The file is a snapshot of what was visible at creation: late rows appear in a later job.
    nowMs: now,
    bom: options.bom,
    lineEnding: options.lineEnding,
    lateArrivalMaxMs: options.lateArrivalMaxMs,
    ...(options.driftFromDate === undefined ? {} : { driftFromDate: options.driftFromDate }),
    ...(rowsPerDay === undefined ? {} : { rowsPerDay }),
  };
}
