/**
 * The four jobs endpoints as calls for `callJobsEndpoint`: kind (for the gate), method, path, timeout,
 * and how to read the answer.
 */
import { parseJson, type HttpTimeouts } from './http.js';
import type { JobsEndpointCall } from './jobs-call.js';
import { readJobId, readJobList, readJobState } from './job-responses.js';
import type { JobRequest, JobState, JobStatus } from './types.js';

const JOBS_PATH = '/data-extraction/v1/jobs';

type Timeouts = Pick<HttpTimeouts, 'requestMs' | 'syncMs'>;

function post(kind: 'create' | 'sync', request: JobRequest, timeouts: Timeouts) {
  const sync = kind === 'sync';
  return {
    kind,
    endpoint: sync ? ('POST /jobs/sync' as const) : ('POST /jobs' as const),
    method: 'POST' as const,
    path: sync ? `${JOBS_PATH}/sync` : JOBS_PATH,
    json: { ...request },
    // /jobs/sync blocks until the data is ready (contract): the long timeout.
    timeoutMs: sync ? timeouts.syncMs : timeouts.requestMs,
  };
}

/** POST /jobs: the new job's id. */
export function createJobCall(request: JobRequest, timeouts: Timeouts): JobsEndpointCall<string> {
  return {
    ...post('create', request, timeouts),
    parse: (answer, what, context) => readJobId(parseJson(answer, what, context), what, context),
  };
}

/** POST /jobs/sync: the finished job. */
export function syncJobCall(request: JobRequest, timeouts: Timeouts): JobsEndpointCall<JobState> {
  return {
    ...post('sync', request, timeouts),
    parse: (answer, what, context) =>
      readJobState(parseJson(answer, what, context), what, undefined, context),
  };
}

/** GET /jobs/:id. */
export function getJobCall(jobId: string, timeouts: Timeouts): JobsEndpointCall<JobState> {
  return {
    kind: 'status',
    endpoint: 'GET /jobs/:id',
    method: 'GET',
    path: `${JOBS_PATH}/${encodeURIComponent(jobId)}`,
    timeoutMs: timeouts.requestMs,
    parse: (answer, what, context) => readJobState(parseJson(answer, what, context), what, jobId, context),
  };
}

/** GET /jobs: the tenant's jobs. */
export function listJobsCall(timeouts: Timeouts): JobsEndpointCall<{ id: string; status: JobStatus }[]> {
  return {
    kind: 'list',
    endpoint: 'GET /jobs',
    method: 'GET',
    path: JOBS_PATH,
    timeoutMs: timeouts.requestMs,
    parse: (answer, what, context) => readJobList(parseJson(answer, what, context), what, context),
  };
}
