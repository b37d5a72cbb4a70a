/**
 * The `jobStatus` answer and its variants. CONFIRMED shape:
 * `{"jobStatus": {"id", "status", "result": {"url", "errorMessage"}}}` with upper-case statuses; the
 * variants seen in hand-written clients (`messageError`, `url` present while RUNNING, `jobId`, other
 * letter case) are options, so the worker is tested against each. By default `result` always carries
 * `url` and `messageError`, null when absent, as a public TypeScript client's captured fixture shows.
 */
import { scaledMs, type SimContext } from './context.js';
import { statusAt, type Job, type JobStatus } from './jobs.js';

const FILE_EXPIRED_MESSAGE = 'The extracted file has expired; request a new job.';

export function renderJobStatus(
  ctx: SimContext,
  job: Job,
  now: number,
): { jobStatus: Record<string, unknown> } {
  const { options } = ctx;
  const status = statusAt(job, now);
  const result: Record<string, unknown> =
    options.resultKeys === 'always' ? { url: null, [options.errorKey]: null } : {};
  if (status === 'SUCCEEDED') {
    // A fresh URL on every status answer (ASSUMED), valid urlTtlMs from now (CONFIRMED: 30 s).
    result.url = ctx.urls.issue(ctx.url, job.tenantId, job.id, now, scaledMs(ctx, options.urlTtlMs));
  } else {
    if (options.urlWhileRunning === 'null') result.url = null;
    if (options.urlWhileRunning === 'empty') result.url = '';
    if (status !== 'RUNNING') result[options.errorKey] = job.errorMessage ?? FILE_EXPIRED_MESSAGE;
  }
  return { jobStatus: { [options.idKey]: job.id, status: displayStatus(ctx, status), result } };
}

export function renderJobList(
  ctx: SimContext,
  jobs: Job[],
  now: number,
): { jobs: Record<string, unknown>[] } {
  return {
    jobs: jobs.map((job) => ({
      [ctx.options.idKey]: job.id,
      status: displayStatus(ctx, statusAt(job, now)),
    })),
  };
}

function displayStatus(ctx: SimContext, status: JobStatus): string {
  const { unknownStatus } = ctx.options.faults;
  const shown = status === 'RUNNING' && unknownStatus ? unknownStatus : status;
  if (shown !== status) ctx.stats.fault('unknownStatus');
  return ctx.options.statusCase === 'lower' ? shown.toLowerCase() : shown;
}
