/**
 * The fake S3 behind `result.url`: `/__s3/<tenant>/<jobId>.csv?X-Amz-...`. It behaves like a
 * pre-signed GET: no bearer token needed, 403 XML once the URL's 30 s are over, the CSV streamed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { SimContext } from './context.js';
import { bodyFactory, measureBody } from './download-body.js';
import { byteCounter, serveFaultyDownload } from './download-faults.js';
import { statusAt } from './jobs.js';
import { sendS3Error } from './respond.js';

export const DOWNLOAD_PATH = /^\/__s3\/([^/]+)\/([^/]+)\.csv$/;

export async function serveDownload(
  ctx: SimContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', ctx.url);
  const match = DOWNLOAD_PATH.exec(url.pathname);
  const tenantId = decodeURIComponent(match?.[1] ?? '');
  const jobId = decodeURIComponent(match?.[2] ?? '');
  const withAuthHeader = req.headers.authorization !== undefined;
  ctx.stats.call('download', tenantId);
  const now = ctx.clock.now();

  // Real S3 refuses a pre-signed URL that also carries an Authorization header; a leak is counted either way.
  if (withAuthHeader && ctx.options.downloadAuthHeader === 'reject') {
    ctx.stats.download('refused', true);
    sendS3Error(
      res,
      400,
      'InvalidArgument',
      'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified',
    );
    return;
  }
  const check = ctx.urls.check(tenantId, jobId, url.searchParams, now);
  if (check !== 'ok') {
    ctx.stats.download(check === 'expired' ? 'expired' : 'refused', withAuthHeader);
    if (check === 'expired') sendS3Error(res, 403, 'AccessDenied', 'Request has expired');
    else if (check === 'unsigned')
      sendS3Error(
        res,
        403,
        'AccessDenied',
        'Query-string authentication requires the X-Amz-Signature parameter',
      );
    else
      sendS3Error(
        res,
        403,
        'SignatureDoesNotMatch',
        'The request signature we calculated does not match the signature you provided.',
      );
    return;
  }
  const job = ctx.jobs.get(tenantId, jobId);
  if (!job || statusAt(job, now) !== 'SUCCEEDED') {
    ctx.stats.download('refused', withAuthHeader);
    sendS3Error(res, 404, 'NoSuchKey', 'The specified key does not exist.');
    return;
  }

  const body = bodyFactory(ctx, job);
  const fault = ctx.faults.download(ctx.options.faults);
  if (fault) {
    ctx.stats.download('faulted', withAuthHeader);
    await serveFaultyDownload(ctx, fault, body, res);
    return;
  }
  ctx.stats.download('served', withAuthHeader);
  const headers: Record<string, string> = {
    'content-type': 'text/csv',
    'last-modified': new Date(job.readyAt).toUTCString(),
    etag: `"${job.id.replace(/-/g, '')}"`,
  };
  // Without contentLength the body goes out chunked, as a streamed object would.
  if (ctx.options.contentLength) headers['content-length'] = String(await measureBody(body));
  res.writeHead(200, headers);
  // A client that hangs up mid-body is its own business; the simulator just stops sending.
  await pipeline(body(), byteCounter(ctx), res).catch(() => undefined);
}
