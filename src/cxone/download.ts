/**
 * The download of a finished job's file from its pre-signed S3 URL (contract "Jobs"): no bearer
 * token (every public client downloads without it, and S3 refuses a request carrying two kinds of
 * auth), no rate gate (S3 is not the API), streamed, never buffered. It resolves once the headers are
 * in, so the caller can tell "expired" or "not a CSV" from a body it should load.
 */
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import type { Response } from 'got';
import { crashPoint } from '../lib/crash-points.js';
import { EtlError, type EtlErrorContext } from '../lib/errors.js';
import { safeUrl } from '../logger.js';
import { describeFailure } from './http-errors.js';
import { scrub, type HttpDeps } from './http.js';

/** Error pages served with status 200 (a proxy's HTML, an S3 XML error document). */
const NOT_CSV = /^(text\/html|application\/xhtml\+xml|application\/xml|text\/xml)\b/i;

export interface DownloadOptions {
  signal?: AbortSignal;
  context?: EtlErrorContext;
}

export async function openDownload(
  deps: HttpDeps,
  url: string,
  options: DownloadOptions = {},
): Promise<Readable> {
  const where = safeUrl(url);
  const what = `download from ${where}`;
  const context = options.context;
  const { timeouts } = deps;
  const started = performance.now();
  const request = deps.http.stream(url, {
    // Headers replaced, not merged with anything that could hold a token.
    headers: { accept: 'text/csv, */*;q=0.5', 'user-agent': 'cxone-etl' },
    timeout: {
      connect: timeouts.connectMs,
      secureConnect: timeouts.connectMs,
      response: timeouts.downloadResponseMs,
      // Socket inactivity, not total time: a big file may take long, a silent socket is dead.
      socket: timeouts.downloadIdleMs,
    },
    // A body cut short of its Content-Length must fail, never look like a shorter file.
    strictContentLength: true,
    ...(options.signal ? { signal: options.signal } : {}),
  });

  let response: Response;
  try {
    response = await new Promise<Response>((resolve, reject) => {
      request.once('response', resolve);
      // Stays attached after the response: a later error then reaches the body iterator, never 'uncaught'.
      request.once('error', reject);
    });
  } catch (error) {
    request.destroy();
    deps.onCall?.({ endpoint: 'download', status: undefined, durationMs: elapsed(started), attempt: 1 });
    throw downloadError(error, what, options);
  }
  deps.onCall?.({
    endpoint: 'download',
    status: response.statusCode,
    durationMs: elapsed(started),
    attempt: 1,
  });

  const status = response.statusCode;
  const contentType = String(response.headers['content-type'] ?? '');
  if (status === 403) {
    request.destroy();
    // S3 answers 403 AccessDenied once the URL's 30 s are over (contract): one status call gets a new one.
    throw new EtlError(
      'URL_EXPIRED',
      `${what} answered 403: the pre-signed URL has expired; get a fresh one`,
      {
        context: { ...context, status },
        retryable: true,
      },
    );
  }
  if (status < 200 || status >= 300) {
    request.destroy();
    throw new EtlError('DOWNLOAD', `${what} answered ${status}`, {
      context: { ...context, status },
      retryable: status >= 500,
    });
  }
  if (NOT_CSV.test(contentType)) {
    request.destroy();
    const kind = /html/i.test(contentType) ? 'an HTML page' : 'an XML document';
    throw new EtlError('BAD_INPUT', `expected CSV, got ${kind} (content-type ${contentType}) from ${where}`, {
      context: { ...context, status },
    });
  }

  async function* body(): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of request) {
        crashPoint('download');
        yield chunk as Buffer;
      }
    } catch (error) {
      throw downloadError(error, what, options);
    } finally {
      // got removes its listener from the abort signal only when the request is destroyed, not when
      // the body ends: without this every download left one on the run's signal (a leak in a daemon).
      request.destroy();
    }
  }
  return Readable.from(body(), { objectMode: false });
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}

/** Transport failures of a download are DOWNLOAD (retryable: a new status call gives a new URL); aborts stay ABORTED. */
function downloadError(error: unknown, what: string, options: DownloadOptions): EtlError {
  const clean = scrub(error);
  const context = options.context ? { context: options.context } : {};
  if (options.signal?.aborted || (clean as { code?: string }).code === 'ERR_ABORTED') {
    return new EtlError('ABORTED', `${what} aborted`, { cause: clean, ...context });
  }
  return new EtlError('DOWNLOAD', `${what} ${describeFailure(clean)}`, {
    cause: clean,
    retryable: true,
    ...context,
  });
}
