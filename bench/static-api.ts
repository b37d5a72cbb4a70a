/**
 * The least API the worker needs for one window, serving a file from disk: an access-key token, an
 * empty job list, one job that has SUCCEEDED at once, and the file behind a signed-looking URL. The
 * end-to-end leg points the built CLI at it, so the figures are the worker's, not a generator's: the
 * simulator makes its CSV as it sends it, which on a 2-core machine competes with the worker.
 */
import { createReadStream } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';

export interface StaticApi {
  url: string;
  /** The signed-looking download URL the job's result points at (for curl). */
  downloadUrl: string;
  /** Serve this file for the next job. */
  serve(file: string): void;
  /** When the last download's first byte went out (Date.now()), or undefined. */
  firstByteAt(): number | undefined;
  close(): Promise<void>;
}

const JOB_ID = 'bench-job';

const downloadUrl = (port: number): string =>
  `http://127.0.0.1:${port}/files/window.csv?X-Amz-Signature=bench`;

export async function startStaticApi(): Promise<StaticApi> {
  let file: string | undefined;
  let firstByte: number | undefined;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    req.resume();
    if (req.method === 'POST' && url.pathname === '/authentication/v1/token/access-key') {
      json(200, { access_token: 'bench-token', token_type: 'Bearer', expires_in: 3600 });
    } else if (req.method === 'GET' && url.pathname === '/data-extraction/v1/jobs') {
      json(200, { jobs: [] });
    } else if (req.method === 'POST' && url.pathname === '/data-extraction/v1/jobs') {
      json(202, JOB_ID);
    } else if (req.method === 'GET' && url.pathname === `/data-extraction/v1/jobs/${JOB_ID}`) {
      const address = server.address() as AddressInfo;
      json(200, {
        jobStatus: { id: JOB_ID, status: 'SUCCEEDED', result: { url: downloadUrl(address.port) } },
      });
    } else if (req.method === 'GET' && url.pathname === '/files/window.csv' && file !== undefined) {
      res.writeHead(200, { 'content-type': 'text/csv' });
      firstByte = Date.now();
      pipeline(createReadStream(file), res).catch(() => res.destroy());
    } else {
      json(404, { message: `not served: ${req.method} ${url.pathname}` });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    downloadUrl: downloadUrl(port),
    serve(next) {
      file = next;
      firstByte = undefined;
    },
    firstByteAt: () => firstByte,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
