/**
 * Broken downloads, each one a failure the worker must notice rather than load: a stalled body, a
 * body cut short of its Content-Length, an HTML or XML page with status 200, a gzip body, a reset
 * connection.
 */
import type { ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { createGzip } from 'node:zlib';
import type { SimContext } from './context.js';
import { measureBody, type BodyFactory } from './download-body.js';
import type { InjectedDownloadFault } from './faults.js';
import { sendText } from './respond.js';

/** A stall sends this much of the body before going silent, so the client has started reading. */
const STALL_BYTES = 1024;

const HTML_PAGE =
  '<!DOCTYPE html>\n<html><head><title>Service Unavailable</title></head>' +
  '<body><h1>Service Unavailable</h1><p>The server is temporarily unable to service your request.</p></body></html>\n';

const XML_PAGE =
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  '<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>\n';

export async function serveFaultyDownload(
  ctx: SimContext,
  fault: InjectedDownloadFault,
  body: BodyFactory,
  res: ServerResponse,
): Promise<void> {
  ctx.stats.fault(`download:${fault.mode}`);
  switch (fault.mode) {
    case 'reset':
      res.socket?.destroy();
      return;
    case 'html':
      ctx.stats.bytes(Buffer.byteLength(HTML_PAGE));
      sendText(res, 200, 'text/html; charset=utf-8', HTML_PAGE);
      return;
    case 'xml':
      ctx.stats.bytes(Buffer.byteLength(XML_PAGE));
      sendText(res, 200, 'application/xml', XML_PAGE);
      return;
    case 'gzip':
      await serveGzip(ctx, fault.contentEncoding, body, res);
      return;
    case 'stall':
      await serveStall(ctx, body, res);
      return;
    case 'truncate':
      await serveTruncated(ctx, body, res);
      return;
  }
}

/** Labelled text/csv like the real file; with contentEncoding a client decompresses it transparently. */
async function serveGzip(ctx: SimContext, contentEncoding: boolean, body: BodyFactory, res: ServerResponse) {
  res.writeHead(200, {
    'content-type': 'text/csv',
    ...(contentEncoding ? { 'content-encoding': 'gzip' } : {}),
  });
  // A client that hangs up mid-body is its own business; the simulator just stops sending.
  await pipeline(body(), createGzip(), byteCounter(ctx), res).catch(() => undefined);
}

/** Headers and a first slice of the body, then silence until the client gives up or the simulator stops. */
async function serveStall(ctx: SimContext, body: BodyFactory, res: ServerResponse): Promise<void> {
  const headers: Record<string, string> = { 'content-type': 'text/csv' };
  if (ctx.options.contentLength) headers['content-length'] = String(await measureBody(body));
  res.writeHead(200, headers);
  const first = await firstBytes(body, STALL_BYTES);
  ctx.stats.bytes(first.length);
  res.write(first);
}

/** Declares the full Content-Length, sends about half, then closes the connection. */
async function serveTruncated(ctx: SimContext, body: BodyFactory, res: ServerResponse): Promise<void> {
  const total = await measureBody(body);
  res.writeHead(200, { 'content-type': 'text/csv', 'content-length': String(total) });
  const part = await firstBytes(body, Math.floor(total / 2));
  ctx.stats.bytes(part.length);
  res.write(part, () => res.destroy());
}

async function firstBytes(body: BodyFactory, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  const stream = body();
  for await (const chunk of stream) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk), 'utf8');
    chunks.push(buffer);
    size += buffer.length;
    if (size >= limit) break;
  }
  stream.destroy();
  return Buffer.concat(chunks).subarray(0, limit);
}

export function byteCounter(ctx: SimContext): Transform {
  return new Transform({
    transform(chunk: Buffer | string, _encoding, done) {
      ctx.stats.bytes(Buffer.byteLength(chunk));
      done(null, chunk);
    },
  });
}
