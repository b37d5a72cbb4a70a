/**
 * HTTP answers and got errors -> EtlError codes, in one place, so every caller decides the same way
 * (STYLE 7). The API's busy answer is ambiguous (contract "Limits"): the one public client that
 * handles it sees 403, no source shows 429 or 409, and 403 is also "missing permission". So on the
 * jobs endpoints 403, 409 and 429 all read as busy (retryable, inside the gate); the client turns a
 * 403 that outlives the busy retries into PERMISSION.
 */
import { errorCode, EtlError, type EtlErrorContext } from '../lib/errors.js';
import { parseRetryAfter, type RetryDecision } from '../lib/retry.js';
import { safeUrl } from '../logger.js';

/** Which API a response came from: the busy reading applies to the jobs endpoints only. */
export type HttpScope = 'jobs' | 'auth' | 'discovery';

export interface HttpAnswer {
  statusCode: number;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: string;
}

/** Network failures worth another attempt: the server or the path in between hiccuped. */
const RETRYABLE_NETWORK_CODES = new Set([
  'ECONNRESET', // peer closed the socket mid-exchange (load balancer idle cut, deploy)
  'ECONNREFUSED', // nothing listening yet (restart)
  'ECONNABORTED',
  'ETIMEDOUT', // got TimeoutError carries this code
  'EPIPE',
  'EAI_AGAIN', // DNS temporarily unavailable
  'ENOTFOUND', // DNS answered "no such host": usually config, but resolvers flap; attempts are bounded
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ERR_READING_RESPONSE_STREAM', // got ReadError without a socket code
]);

/** The body's message, for error text: `{error}`, `{message}`, `{error_description}`, or short text. */
export function responseMessage(body: string, contentType?: string | string[]): string {
  const type = String(contentType ?? '').toLowerCase();
  const trimmed = body.trim();
  if (trimmed === '') return '(empty body)';
  if (type.includes('html') || /^<(!doctype|html)/i.test(trimmed)) return '(an HTML page)';
  try {
    const parsed: unknown = JSON.parse(trimmed);
    if (parsed && typeof parsed === 'object') {
      const fields = parsed as Record<string, unknown>;
      for (const key of ['error_description', 'message', 'error', 'errorMessage', 'messageError']) {
        const value = fields[key];
        if (typeof value === 'string' && value !== '') return clip(value);
      }
    }
    if (typeof parsed === 'string') return clip(parsed);
  } catch {
    // not JSON: fall through to the raw text
  }
  return clip(trimmed);
}

function clip(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ');
  return oneLine.length > 300 ? `${oneLine.slice(0, 297)}...` : oneLine;
}

function header(answer: HttpAnswer, name: string): string | undefined {
  const value = answer.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The EtlError for a non-2xx answer, or undefined for 2xx. `what` names the call for the message
 * ("POST /data-extraction/v1/jobs"); `now` is the clock's time, for an HTTP-date Retry-After.
 */
export function errorFromAnswer(
  answer: HttpAnswer,
  options: { scope: HttpScope; what: string; now: number; context?: EtlErrorContext },
): EtlError | undefined {
  const status = answer.statusCode;
  if (status >= 200 && status < 300) return undefined;
  const message = responseMessage(answer.body, header(answer, 'content-type'));
  const base = { ...options.context, status };
  const said = `${options.what} answered ${status}: ${message}`;

  if (options.scope === 'jobs' && (status === 403 || status === 409 || status === 429)) {
    const retryAfterMs = parseRetryAfter(header(answer, 'retry-after'), options.now);
    return new EtlError(
      'RATE_LIMITED',
      status === 403 ? `${said} (busy, or the API user lacks permission)` : `${said} (busy)`,
      { retryable: true, context: { ...base, busy: true, retryAfterMs } },
    );
  }
  if (status === 401) {
    return new EtlError('AUTH', `${said}; the token was refused`, { context: base });
  }
  if (status >= 500 || status === 408) {
    const retryAfterMs = parseRetryAfter(header(answer, 'retry-after'), options.now);
    return new EtlError('HTTP', `${said}; will retry`, {
      retryable: true,
      context: { ...base, retryAfterMs },
    });
  }
  if (options.scope === 'auth' && (status === 400 || status === 403)) {
    return new EtlError('AUTH', said, { context: base });
  }
  if (status === 404) {
    return new EtlError('HTTP', `${said} (not found)`, { context: base });
  }
  // 400 carries the API's reason (bad dates, unknown entity, unsupported version): say it verbatim.
  return new EtlError('HTTP', said, { context: base });
}

/** A thrown got/network error -> EtlError: NETWORK (retryable when transient) or ABORTED. */
export function errorFromRequest(
  error: unknown,
  options: { what: string; url?: string; signal?: AbortSignal; context?: EtlErrorContext },
): EtlError {
  if (error instanceof EtlError) return error;
  const where = options.url ? ` (${safeUrl(options.url)})` : '';
  if (options.signal?.aborted || errorCode(error) === 'ERR_ABORTED') {
    return new EtlError('ABORTED', `${options.what}${where} aborted`, {
      cause: error,
      context: options.context,
    });
  }
  const code = errorCode(error);
  const name = error instanceof Error ? error.name : 'Error';
  const retryable =
    (code !== undefined && RETRYABLE_NETWORK_CODES.has(code)) ||
    name === 'TimeoutError' ||
    name === 'ReadError';
  return new EtlError('NETWORK', `${options.what}${where} ${describeFailure(error)}`, {
    cause: error,
    retryable,
    context: { ...options.context, networkCode: code, timeoutEvent: timeoutEvent(error) },
  });
}

/** "timed out (socket)" or "failed: ECONNRESET (socket hang up)", for messages. */
export function describeFailure(error: unknown): string {
  const name = error instanceof Error ? error.name : 'Error';
  if (name === 'TimeoutError') return `timed out (${timeoutEvent(error) ?? 'request'})`;
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  return `failed: ${code ?? name}${message && message !== code ? ` (${message})` : ''}`;
}

/**
 * Whether a failed request may have reached the server and been acted on. A job POST that timed out
 * or lost its connection may have created a job, so it is not re-sent blindly (the caller reconciles
 * with GET /jobs); a refused connection or a DNS failure never left this machine.
 */
export function mayHaveReachedServer(error: unknown): boolean {
  if (!(error instanceof EtlError) || error.code !== 'NETWORK') return false;
  const code = error.context.networkCode;
  const event = error.context.timeoutEvent;
  if (event === 'lookup' || event === 'connect' || event === 'secureConnect') return false;
  return !['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH'].includes(String(code));
}

/**
 * Whether a failed job POST may have created the job anyway ("may have landed"): a 5xx or
 * 408 answer (a gateway timeout or an internal error can come after the backend created it), a
 * request that may have reached the server (above), or a 2xx answer whose body could not be read (the
 * job exists, its id was cut off). Such a POST is never re-sent blindly: the caller looks for the job
 * with one GET /jobs first (src/extract/post-job.ts). Busy answers, 401 and 400 created nothing.
 */
export function postMayHaveLanded(error: unknown): boolean {
  if (!(error instanceof EtlError)) return false;
  if (error.code === 'NETWORK') return mayHaveReachedServer(error);
  if (error.code === 'HTTP') {
    const status = error.context.status;
    return typeof status === 'number' && (status >= 500 || status === 408);
  }
  // Thrown only when reading a 2xx body (errorFromAnswer answers every other status first).
  return error.code === 'API_CONTRACT';
}

function timeoutEvent(error: unknown): string | undefined {
  if (error && typeof error === 'object' && 'event' in error && typeof error.event === 'string')
    return error.event;
  return undefined;
}

/** For `retry()`: retry what is marked retryable, waiting at least the server's Retry-After. */
export function classifyForRetry(error: unknown): RetryDecision {
  if (!(error instanceof EtlError) || !error.retryable) return { retry: false };
  const afterMs = error.context.retryAfterMs;
  return typeof afterMs === 'number' ? { retry: true, afterMs } : { retry: true };
}

/** A busy answer (403/409/429 on a jobs endpoint). */
export function isBusy(error: unknown): error is EtlError {
  return error instanceof EtlError && error.code === 'RATE_LIMITED' && error.context.busy === true;
}

/** For the rate gate: how long the server asked us to stay away (0 when busy without Retry-After). */
export function busyRetryAfterMs(error: unknown): number | undefined {
  if (!isBusy(error)) return undefined;
  const afterMs = error.context.retryAfterMs;
  return typeof afterMs === 'number' ? afterMs : 0;
}

/** A 401 on an API call: the client invalidates the token and tries once more. */
export function isUnauthorized(error: unknown): error is EtlError {
  return error instanceof EtlError && error.code === 'AUTH' && error.context.status === 401;
}
