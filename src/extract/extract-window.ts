/**
 * One window, start to finish: request a job (or resume the one in the ledger), poll until it ends,
 * download the CSV as soon as a status says SUCCEEDED, and load it and advance the checkpoint in one
 * transaction. Every step is recorded in the ledger first, so a crash anywhere resumes here: before the
 * POST (request again), after it (poll the same job), mid-download or mid-COPY (the transaction rolls
 * back; fetch a fresh URL for the same job).
 */
import type { Readable } from 'node:stream';
import type pg from 'pg';
import type { EntitySettings } from '../config.js';
import type { CallContext, JobRequest, JobState, JobStatus } from '../cxone/types.js';
import type { TimeBasis } from '../entities/catalog.js';
import { zoneFor } from '../entities/time-zone.js';
import type { Clock } from '../lib/clock.js';
import { crashPoint } from '../lib/crash-points.js';
import { EtlError, isEtlError, toError } from '../lib/errors.js';
import { retry } from '../lib/retry.js';
import { withTransaction } from '../db/pool.js';
import type { Queryable } from '../db/queryable.js';
import { copyWindow, type ColumnPolicy } from '../load/index.js';
import { afterWindowLoaded, castChecksFor, type ReportingOutcome } from '../reporting/index.js';
import { apiDates, windowLabel } from './api-dates.js';
import { advanceCheckpoint } from './checkpoints.repository.js';
import type { PlannedWindow } from './plan-windows.js';
import { expectedJobMs, waitForJob } from './poll-job.js';
import { obtainJob } from './post-job.js';
import * as ledger from './windows.repository.js';

/** What the extraction needs from the API client (src/cxone/client.ts satisfies it). */
export interface JobsApi {
  requestJob(req: JobRequest, ctx: CallContext): Promise<string>;
  requestJobSync(req: JobRequest, ctx: CallContext): Promise<JobState>;
  getJob(jobId: string, ctx: CallContext): Promise<JobState>;
  listJobs(ctx: CallContext): Promise<{ id: string; status: JobStatus }[]>;
  openDownload(url: string, ctx: CallContext): Promise<Readable>;
}

export interface ExtractSettings {
  stagingSchema: string;
  /** Schema of the typed views (REPORTING_SCHEMA), refreshed in the load transaction. */
  reportingSchema: string;
  wfmTimeZone: string;
  maxAttempts: number;
  useSyncEndpoint: boolean;
  jobTimeoutMs: number;
  /** The gate's interval: no status call can come sooner, so polling plans around it. */
  minCallIntervalMs: number;
  /** Wait between a FAILED job and the next request for the same window. */
  jobRetryBaseMs: number;
  /** COLUMN_POLICY and its key, applied to every load (so `reload` and `backfill` re-apply it). */
  columnPolicy?: ColumnPolicy;
}

export interface ExtractDeps {
  pool: pg.Pool;
  api: JobsApi;
  clock: Clock;
  settings: ExtractSettings;
  signal?: AbortSignal;
  onEvent?: (event: WindowEvent) => void;
}

export type WindowEvent =
  | { type: 'requested'; jobId: string; attempt: number }
  | { type: 'resumed'; jobId: string }
  /** A POST's answer was lost and GET /jobs showed its job (post-job.ts). */
  | { type: 'adopted'; jobId: string; note: string }
  | { type: 'polled'; jobId: string; status: JobStatus }
  | { type: 'job-ended'; jobId: string; status: JobStatus; message: string }
  | { type: 'url-refreshed'; jobId: string; reason: string }
  | {
      type: 'loaded';
      jobId: string;
      rows: number;
      bytes: number;
      addedColumns: string[];
      reporting: ReportingOutcome;
    };

export interface WindowTask {
  tenantId: string;
  entity: EntitySettings & { timeBasis: TimeBasis };
  window: PlannedWindow;
}

export type WindowOutcome =
  | {
      status: 'loaded';
      rows: number;
      bytes: number;
      jobId: string;
      durationMs: number;
      replaced: number;
      /** Wall time of the load transaction (first byte read to COMMIT) and of its reporting step. */
      loadMs: number;
      reportingMs: number;
    }
  | { status: 'failed'; error: EtlError; durationMs: number };

/** Job durations older than this no longer shape the first poll: a bad sample ages out. */
export const SAMPLE_MAX_AGE_MS = 14 * 86_400_000;

/** Downloads that break (stall, cut short, reset) are retried with a fresh URL of the same job. */
const DOWNLOAD_ATTEMPTS = 3;

export async function extractWindow(deps: ExtractDeps, task: WindowTask): Promise<WindowOutcome> {
  const { clock } = deps;
  const started = clock.now();
  const zone = zoneFor(task.entity.timeBasis, deps.settings.wfmTimeZone);
  const label = windowLabel(task.window, zone);
  const key: ledger.WindowKey = {
    tenantId: task.tenantId,
    entity: task.entity.name,
    start: task.window.start,
    end: task.window.end,
  };
  const ctx: CallContext = {
    entity: task.entity.name,
    window: label,
    ...(deps.signal ? { signal: deps.signal } : {}),
  };
  const request: JobRequest = {
    entityName: task.entity.name,
    version: task.entity.version,
    ...apiDates(task.window, task.entity, task.entity.timeBasis, deps.settings.wfmTimeZone),
  };

  // A POST for this window that got no answer (the last process died before the ledger write, or its
  // failure may have come after the job was created): look for that job before posting (post-job.ts).
  const before = await ledger.getWindow(deps.pool, key);
  if (task.window.reason !== 'resume') await ledger.startPass(deps.pool, key, clock.now());
  let resumeJobId = task.window.reason === 'resume' ? task.window.jobId : undefined;
  let lostPost = !resumeJobId && (task.window.reason === 'resume' || before?.postUncertain === true);

  try {
    const result = await retry(
      async () => {
        const job = await obtainFinishedJob(deps, key, request, ctx, { resumeJobId, lostPost });
        resumeJobId = undefined;
        lostPost = false;
        return loadJob(deps, task, key, { ...ctx, jobId: job.id }, job);
      },
      {
        attempts: deps.settings.maxAttempts,
        baseMs: deps.settings.jobRetryBaseMs,
        maxMs: deps.settings.jobRetryBaseMs * 8,
        clock,
        ...(deps.signal ? { signal: deps.signal } : {}),
        // FAILED / CANCELLED / EXPIRED: a new job may well succeed (contract: retry policy).
        classify: (error) => ({ retry: isEtlError(error, 'JOB_FAILED') && error.retryable }),
      },
    );
    return { status: 'loaded', ...result, durationMs: clock.now() - started };
  } catch (thrown) {
    const error = asEtlError(thrown, { tenant: task.tenantId, entity: task.entity.name, window: label });
    // On shutdown the ledger keeps the job id, so the next start resumes instead of requesting again.
    if (error.code !== 'ABORTED') await ledger.markFailed(deps.pool, key, error.message, clock.now());
    if (error.code === 'ABORTED') throw error;
    return { status: 'failed', error, durationMs: clock.now() - started };
  }
}

/** Requests a job (or takes the one being resumed) and waits until it ends; throws JOB_FAILED if it failed. */
async function obtainFinishedJob(
  deps: ExtractDeps,
  key: ledger.WindowKey,
  request: JobRequest,
  ctx: CallContext,
  resume: { resumeJobId: string | undefined; lostPost: boolean },
): Promise<JobState> {
  const { clock } = deps;
  let jobId = resume.resumeJobId;
  let state: JobState | undefined;
  let postedAt: number;
  let postedHere = false;
  if (jobId) {
    deps.onEvent?.({ type: 'resumed', jobId });
    postedAt = (await ledger.postedAt(deps.pool, key)) ?? clock.now();
  } else {
    const job = await obtainJob(deps, key, request, ctx, resume.lostPost);
    ({ jobId, postedAt, postedHere } = job);
    state = job.state;
    deps.onEvent?.(
      job.origin === 'adopted'
        ? { type: 'adopted', jobId, note: job.note ?? '' }
        : { type: 'requested', jobId, attempt: job.attempt },
    );
  }
  const jobCtx = { ...ctx, jobId };
  let jobMs: number | undefined;
  if (!state || state.status === 'RUNNING') {
    const samples = await ledger.recentJobDurations(
      deps.pool,
      key.tenantId,
      key.entity,
      clock.now() - SAMPLE_MAX_AGE_MS,
    );
    const polled = await waitForJob({
      getJob: async () => {
        const s = await deps.api.getJob(jobId, jobCtx);
        crashPoint('poll');
        await ledger.recordPoll(deps.pool, key, s.status, clock.now());
        deps.onEvent?.({ type: 'polled', jobId, status: s.status });
        return s;
      },
      clock,
      postedAt,
      postedHere,
      expectedMs: expectedJobMs(samples, key.end - key.start),
      minIntervalMs: deps.settings.minCallIntervalMs,
      // A job resumed after a long downtime still gets its status asked once (poll-job.ts).
      deadline: postedAt + deps.settings.jobTimeoutMs,
      ...(deps.signal ? { signal: deps.signal } : {}),
      context: { tenant: key.tenantId, entity: key.entity, window: ctx.window, jobId },
    });
    state = polled.state;
    jobMs = polled.jobMs;
  }
  if (state.status === 'SUCCEEDED') {
    await ledger.markReady(deps.pool, key, clock.now(), jobMs);
    return state;
  }
  const message = state.errorMessage ?? `job ended ${state.status} without a message`;
  await ledger.markJobEnded(deps.pool, key, state.status, message, clock.now());
  deps.onEvent?.({ type: 'job-ended', jobId, status: state.status, message });
  throw new EtlError('JOB_FAILED', `job ended ${state.status}: ${message}`, {
    context: { tenant: key.tenantId, entity: key.entity, window: ctx.window, jobId },
    retryable: true,
  });
}

/** Moves the checkpoint inside the load transaction, after the window is marked loaded. */
export type CheckpointAdvance = (
  client: Queryable,
  key: ledger.WindowKey,
  columns: string[] | null,
  now: number,
) => Promise<void>;

/** One window at a time: the checkpoint is a high-water mark (checkpoints.repository.ts). */
const highWaterMark: CheckpointAdvance = async (client, key, columns, now) => {
  await advanceCheckpoint(client, key.tenantId, key.entity, key.end, columns, now);
};

/**
 * Downloads the file of a SUCCEEDED job into staging in one transaction. The URL lives 30 s from the
 * status answer, so the download starts at once; an expired URL (403) or a broken download gets one
 * fresh status call for a new URL of the same job (contract: each status call returns a fresh URL).
 */
export async function loadJob(
  deps: ExtractDeps,
  task: WindowTask,
  key: ledger.WindowKey,
  ctx: CallContext & { jobId: string },
  job: JobState,
  advance: CheckpointAdvance = highWaterMark,
): Promise<{
  rows: number;
  bytes: number;
  jobId: string;
  replaced: number;
  loadMs: number;
  reportingMs: number;
}> {
  let url = job.url;
  for (let attempt = 1; ; attempt++) {
    try {
      if (!url) {
        throw new EtlError('API_CONTRACT', 'job SUCCEEDED but its status carries no download URL', {
          context: { tenant: key.tenantId, entity: key.entity, window: ctx.window, jobId: ctx.jobId },
          retryable: true,
        });
      }
      const body = await deps.api.openDownload(url, ctx);
      // Wall time, not the injected clock: these are diagnostics of database work (logged, benchmarked).
      const loadStarted = performance.now();
      let reportingMs = 0;
      const result = await withTransaction(deps.pool, async (client) => {
        const loaded = await copyWindow(client, {
          schema: deps.settings.stagingSchema,
          entity: task.entity.name,
          tenantId: key.tenantId,
          windowStart: new Date(key.start),
          windowEnd: new Date(key.end),
          jobId: ctx.jobId,
          source: body,
          context: { tenant: key.tenantId, entity: key.entity, window: ctx.window, jobId: ctx.jobId },
          // Cast problems counted as the bytes pass, on the Node side while Postgres runs the COPY,
          // instead of a second scan of the window's rows inside the transaction.
          checks: castChecksFor(task.entity.name),
          ...(deps.settings.columnPolicy ? { columnPolicy: deps.settings.columnPolicy } : {}),
        });
        const now = deps.clock.now();
        // Typed view, cast problems and quality flags, each under a savepoint: they never fail the load.
        const reportingStarted = performance.now();
        const reporting = await afterWindowLoaded(client, {
          stagingSchema: deps.settings.stagingSchema,
          reportingSchema: deps.settings.reportingSchema,
          entity: task.entity.name,
          tenantId: key.tenantId,
          windowStart: key.start,
          windowEnd: key.end,
          timeZone: deps.settings.wfmTimeZone,
          now,
          load: loaded,
        });
        reportingMs = performance.now() - reportingStarted;
        await ledger.markLoaded(client, key, { rows: loaded.rows, bytes: loaded.bytes }, now);
        await advance(client, key, loaded.columns, now);
        crashPoint('commit');
        return { ...loaded, reporting };
      });
      crashPoint('committed');
      deps.onEvent?.({
        type: 'loaded',
        jobId: ctx.jobId,
        rows: result.rows,
        bytes: result.bytes,
        addedColumns: result.addedColumns,
        reporting: result.reporting,
      });
      return {
        rows: result.rows,
        bytes: result.bytes,
        jobId: ctx.jobId,
        replaced: result.deleted,
        loadMs: Math.round(performance.now() - loadStarted),
        reportingMs: Math.round(reportingMs),
      };
    } catch (thrown) {
      if (!isFreshUrlWorthIt(thrown) || attempt >= DOWNLOAD_ATTEMPTS || deps.signal?.aborted) throw thrown;
      deps.onEvent?.({ type: 'url-refreshed', jobId: ctx.jobId, reason: toError(thrown).message });
      const fresh = await deps.api.getJob(ctx.jobId, ctx);
      await ledger.recordPoll(deps.pool, key, fresh.status, deps.clock.now());
      if (fresh.status !== 'SUCCEEDED') {
        throw new EtlError('JOB_FAILED', `job turned ${fresh.status} while its file was being fetched`, {
          context: { tenant: key.tenantId, entity: key.entity, window: ctx.window, jobId: ctx.jobId },
          retryable: true,
        });
      }
      url = fresh.url;
    }
  }
}

function isFreshUrlWorthIt(thrown: unknown): boolean {
  return isEtlError(thrown) && ['URL_EXPIRED', 'DOWNLOAD', 'NETWORK', 'API_CONTRACT'].includes(thrown.code);
}

export function asEtlError(
  thrown: unknown,
  context: { tenant: string; entity: string; window: string },
): EtlError {
  if (thrown instanceof EtlError) return thrown;
  const error = toError(thrown);
  if (error.name === 'AbortError' || /abort/i.test(error.message)) {
    return new EtlError('ABORTED', 'stopped by shutdown', { context, cause: error });
  }
  return new EtlError('INTERNAL', error.message, { context, cause: error });
}
