/**
 * The one got instance and the one way to send a request to CXone: timeouts on every request, no
 * retries inside got (our `retry()` decides, inside the rate gate), statuses classified by us rather
 * than thrown by got, TLS verification left on. Errors never carry got's request options (they hold
 * the bearer token and pre-signed URLs), only a scrubbed copy of the message.
 */
import { performance } from 'node:perf_hooks';
import got, { type Got, type Method } from 'got';
import type { Config } from '../config.js';
import { EtlError, type EtlErrorContext } from '../lib/errors.js';
import type { Clock } from '../lib/clock.js';
import { errorFromRequest, type HttpAnswer } from './http-errors.js';
import type { Endpoint, OnCall } from './types.js';

export interface HttpTimeouts {
  /** TCP and TLS connect. */
  connectMs: number;
  /** A whole API request (CXONE_REQUEST_TIMEOUT). */
  requestMs: number;
  /** `POST /jobs/sync` blocks until the data is ready (CXONE_SYNC_TIMEOUT). */
  syncMs: number;
  /** Download: until the response headers arrive. */
  downloadResponseMs: number;
  /** Download: a socket silent this long fails the download, so a stalled transfer cannot hang a run. */
  downloadIdleMs: number;
}

/** 10 s connect: a reachable API answers SYN in milliseconds; longer means a firewall drops packets. */
const CONNECT_TIMEOUT_MS = 10_000;
export function defaultTimeouts(
  config: Pick<Config['cxone'], 'requestTimeoutMs' | 'syncTimeoutMs' | 'downloadIdleTimeoutMs'>,
): HttpTimeouts {
  return {
    connectMs: CONNECT_TIMEOUT_MS,
    requestMs: config.requestTimeoutMs,
    syncMs: config.syncTimeoutMs,
    downloadResponseMs: config.requestTimeoutMs,
    // CXONE_DOWNLOAD_IDLE_TIMEOUT, 60 s by default: S3 streams continuously, so a minute of silence is
    // a dead transfer.
    downloadIdleMs: config.downloadIdleTimeoutMs,
  };
}

export function createHttp(): Got {
  return got.extend({
    retry: { limit: 0 },
    throwHttpErrors: false,
    headers: { 'user-agent': 'cxone-etl' },
    // Stated, not defaulted, so nobody "fixes" a certificate problem by turning it off.
    https: { rejectUnauthorized: true },
  });
}

export interface SendOptions {
  endpoint: Endpoint;
  /** For messages: "POST /data-extraction/v1/jobs". */
  what: string;
  method: Method;
  url: string;
  json?: unknown;
  form?: Record<string, string>;
  headers?: Record<string, string>;
  timeoutMs: number;
  connectMs: number;
  signal?: AbortSignal;
  attempt?: number;
  context?: EtlErrorContext;
  onCall?: OnCall;
}

/** Sends one request and returns the answer whatever its status; throws only when no answer came. */
export async function send(http: Got, options: SendOptions): Promise<HttpAnswer> {
  const started = performance.now();
  const report = (status: number | undefined): void =>
    options.onCall?.({
      endpoint: options.endpoint,
      status,
      durationMs: Math.round(performance.now() - started),
      attempt: options.attempt ?? 1,
    });
  try {
    const response = await http(options.url, {
      method: options.method,
      ...(options.json === undefined ? {} : { json: options.json }),
      ...(options.form === undefined ? {} : { form: options.form }),
      headers: { accept: 'application/json', ...options.headers },
      timeout: {
        connect: options.connectMs,
        secureConnect: options.connectMs,
        request: options.timeoutMs,
      },
      responseType: 'text',
      ...(options.signal ? { signal: options.signal } : {}),
    });
    report(response.statusCode);
    return { statusCode: response.statusCode, headers: response.headers, body: response.body };
  } catch (error) {
    report(undefined);
    throw errorFromRequest(scrub(error), {
      what: options.what,
      url: options.url,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.context ? { context: options.context } : {}),
    });
  }
}

/**
 * A plain copy of a got error: name, code, event and a message without query strings. got's own
 * error keeps `options` (Authorization header, pre-signed URL) where a logger could serialise it.
 */
export function scrub(error: unknown): Error {
  if (!(error instanceof Error)) return new Error(String(error));
  const copy = new Error(error.message.replace(/\?[^\s'"]*/g, '?[redacted]'));
  copy.name = error.name;
  for (const key of ['code', 'event'] as const) {
    const value = (error as unknown as Record<string, unknown>)[key];
    if (typeof value === 'string') (copy as unknown as Record<string, unknown>)[key] = value;
  }
  return copy;
}

/** JSON from a 2xx body; anything else is the API breaking the contract, said with what it was. */
export function parseJson(
  answer: HttpAnswer,
  what: string,
  context?: EtlErrorContext,
  /** false for token answers, whose body may hold a token even when cut short. */
  quoteBody = true,
): unknown {
  try {
    return JSON.parse(answer.body) as unknown;
  } catch (error) {
    const sample = answer.body.length > 120 ? `${answer.body.slice(0, 117)}...` : answer.body;
    throw new EtlError(
      'API_CONTRACT',
      `${what} answered ${answer.statusCode} with malformed JSON` +
        (quoteBody ? `: ${JSON.stringify(sample)}` : ''),
      // V8's SyntaxError quotes the body, so it is the cause only where the body may be quoted.
      { ...(quoteBody ? { cause: error } : {}), ...(context ? { context } : {}) },
    );
  }
}

/** What token, discovery and jobs calls share: the got instance, time, timeouts and the call hook. */
export interface HttpDeps {
  http: Got;
  clock: Clock;
  timeouts: HttpTimeouts;
  onCall?: OnCall;
}
