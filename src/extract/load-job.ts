/**
 * Loading a SUCCEEDED job's file: download it into staging, refresh the typed view, mark the window
 * loaded and move the checkpoint, all in one transaction (STYLE 11). A crash anywhere rolls back and the
 * next start fetches a fresh URL for the same job.
 */
import type { CallContext, JobState } from '../cxone/types.js';
import { withTransaction } from '../db/pool.js';
import type { EntityName } from '../entities/catalog.js';
import { crashPoint } from '../lib/crash-points.js';
import { EtlError, isEtlError, toError } from '../lib/errors.js';
import { copyWindow } from '../load/index.js';
import { afterWindowLoaded, castChecksFor } from '../reporting/index.js';
import { advanceCheckpointContiguous } from './checkpoints.repository.js';
import type { ExtractDeps } from './types.js';
import * as ledger from './windows.repository.js';

/** Downloads that break (stall, cut short, reset) are retried with a fresh URL of the same job. */
const DOWNLOAD_ATTEMPTS = 3;

/**
 * Downloads the file of a SUCCEEDED job into staging in one transaction. The URL lives 30 s from the
 * status answer, so the download starts at once; an expired URL (403) or a broken download gets one
 * fresh status call for a new URL of the same job (contract: each status call returns a fresh URL).
 */
export async function loadJob(
  deps: ExtractDeps,
  entity: EntityName,
  key: ledger.WindowKey,
  ctx: CallContext & { jobId: string },
  job: JobState,
  /** Where the entity's contiguous loaded chain starts when it has no checkpoint yet (its first window). */
  chainFrom: number,
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
          entity,
          tenantId: key.tenantId,
          windowStart: new Date(key.start),
          windowEnd: new Date(key.end),
          jobId: ctx.jobId,
          source: body,
          context: { tenant: key.tenantId, entity: key.entity, window: ctx.window, jobId: ctx.jobId },
          // Cast problems counted as the bytes pass, on the Node side while Postgres runs the COPY,
          // instead of a second scan of the window's rows inside the transaction.
          checks: castChecksFor(entity),
          ...(deps.settings.columnPolicy ? { columnPolicy: deps.settings.columnPolicy } : {}),
        });
        const now = deps.clock.now();
        // Typed view, cast problems and quality flags, each under a savepoint: they never fail the load.
        const reportingStarted = performance.now();
        const reporting = await afterWindowLoaded(client, {
          stagingSchema: deps.settings.stagingSchema,
          reportingSchema: deps.settings.reportingSchema,
          entity,
          tenantId: key.tenantId,
          windowStart: key.start,
          windowEnd: key.end,
          timeZone: deps.settings.wfmTimeZone,
          currentKeys: deps.settings.currentKeys,
          now,
          load: loaded,
        });
        reportingMs = performance.now() - reportingStarted;
        await ledger.markLoaded(client, key, { rows: loaded.rows, bytes: loaded.bytes }, now);
        // One rule: the end of the contiguous loaded prefix, so a window failed or still in flight holds it.
        await advanceCheckpointContiguous(client, key.tenantId, key.entity, chainFrom, loaded.columns, now);
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
