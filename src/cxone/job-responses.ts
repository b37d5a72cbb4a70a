/**
 * Reading the jobs endpoints' bodies, tolerant of every variant the contract lists ("Jobs"): the job
 * id as a bare JSON string (CONFIRMED) or `{jobId}` (ASSUMED); `jobStatus.id` or `jobId`; the status in
 * any letter case; `result.errorMessage` or `messageError`; `result.url` empty or null while RUNNING.
 * Anything else is API_CONTRACT with a message saying what was wrong, since guessing would risk
 * loading the wrong file or none.
 */
import { EtlError, type EtlErrorContext } from '../lib/errors.js';
import { JOB_STATUSES, type JobState, type JobStatus } from './types.js';

type Fields = Record<string, unknown>;

function contractError(what: string, problem: string, context?: EtlErrorContext): EtlError {
  return new EtlError('API_CONTRACT', `${what}: ${problem}`, context ? { context } : {});
}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function isObject(value: unknown): value is Fields {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function idOf(fields: Fields): string | undefined {
  for (const key of ['id', 'jobId']) {
    const value = fields[key];
    if (typeof value === 'string' && value !== '') return value;
    if (typeof value === 'number') return String(value);
  }
  return undefined;
}

/** `"5f0c..."` or `{"jobId": "5f0c..."}` (or `{"id": ...}`). */
export function readJobId(body: unknown, what: string, context?: EtlErrorContext): string {
  if (typeof body === 'string' && body.trim() !== '') return body.trim();
  const id = isObject(body) ? idOf(body) : undefined;
  if (id !== undefined) return id;
  throw contractError(
    what,
    `expected the job id as a JSON string or {"jobId": ...}, got ${describe(body)}`,
    context,
  );
}

export function readJobStatus(value: unknown, what: string, context?: EtlErrorContext): JobStatus {
  const upper = typeof value === 'string' ? value.trim().toUpperCase() : undefined;
  const status = JOB_STATUSES.find((s) => s === upper);
  if (status) return status;
  throw contractError(
    what,
    `unknown job status ${describe(value)} (expected one of ${JOB_STATUSES.join(', ')}, any letter case)`,
    context,
  );
}

/** `{"jobStatus": {...}}`; `knownId` fills a missing id when the caller asked about that job. */
export function readJobState(
  body: unknown,
  what: string,
  knownId?: string,
  context?: EtlErrorContext,
): JobState {
  if (!isObject(body)) throw contractError(what, `expected a JSON object, got ${describe(body)}`, context);
  // Tolerate the object without its `jobStatus` wrapper; nothing else in the contract looks like it.
  const job = isObject(body.jobStatus) ? body.jobStatus : 'status' in body ? body : undefined;
  if (!job) throw contractError(what, `no "jobStatus" object in ${describe(body)}`, context);
  const id = idOf(job) ?? knownId;
  if (id === undefined) throw contractError(what, `jobStatus has neither "id" nor "jobId"`, context);
  const status = readJobStatus(job.status, what, context);
  const result = isObject(job.result) ? job.result : {};
  const state: JobState = { id, status };
  // Decide by status only: url may be present (empty or null) while RUNNING.
  if (status === 'SUCCEEDED') {
    if (typeof result.url !== 'string' || result.url === '') {
      throw contractError(what, `job ${id} is SUCCEEDED but result.url is ${describe(result.url)}`, context);
    }
    state.url = result.url;
  }
  const message = result.errorMessage ?? result.messageError;
  if (status !== 'RUNNING' && status !== 'SUCCEEDED' && typeof message === 'string' && message !== '') {
    state.errorMessage = message;
  }
  return state;
}

/** `{"jobs": [{"id", "status"}]}` (a bare array is accepted too). */
export function readJobList(
  body: unknown,
  what: string,
  context?: EtlErrorContext,
): { id: string; status: JobStatus }[] {
  const jobs = Array.isArray(body) ? body : isObject(body) ? body.jobs : undefined;
  if (!Array.isArray(jobs)) throw contractError(what, `no "jobs" array in ${describe(body)}`, context);
  return jobs.map((entry, index) => {
    const id = isObject(entry) ? idOf(entry) : undefined;
    if (!isObject(entry) || id === undefined) {
      throw contractError(what, `jobs[${index}] has no id: ${describe(entry)}`, context);
    }
    return { id, status: readJobStatus(entry.status, `${what} jobs[${index}]`, context) };
  });
}
