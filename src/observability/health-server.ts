import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { EtlError, toError } from '../lib/errors.js';
import type { CheckResult } from './health-checks.js';

/**
 * /healthz, /readyz and /metrics on one small node:http server (HTTP_PORT, default 9464). Every route
 * is a read: nothing here changes state, so a prober or scraper can call it as often as it likes.
 */

export interface HealthServerOptions {
  /** 0 picks a free port (tests). */
  port: number;
  host?: string;
  registry: Registry;
  checks: {
    live: () => CheckResult;
    ready: () => Promise<CheckResult>;
  };
  /** See READY_TIMEOUT_MS. */
  readyTimeoutMs?: number;
}

export interface HealthServer {
  /** Where a client on this host reaches the server, e.g. http://127.0.0.1:9464. */
  url: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * 2 s: a pool connect plus two small queries take milliseconds when Postgres is well, while a hung
 * database (a connect stuck on dropped SYNs waits 10 s for pg's connectionTimeoutMillis) must answer
 * 503 with a reason rather than leave the prober to time out without one. Give probes a timeout of 3 s
 * or more.
 */
export const READY_TIMEOUT_MS = 2_000;

export async function startHealthServer(opts: HealthServerOptions): Promise<HealthServer> {
  const host = opts.host ?? '0.0.0.0';
  const ready = singleFlight(opts.checks.ready);
  const readyTimeoutMs = opts.readyTimeoutMs ?? READY_TIMEOUT_MS;

  const server = http.createServer((req, res) => {
    route(req, res).catch((thrown: unknown) => {
      // Only reached if writing the answer itself failed; the socket may already be gone.
      if (!res.headersSent) sendJson(res, 500, { ok: false, detail: { error: toError(thrown).message } });
      else res.destroy();
    });
  });

  const routes: Record<string, (res: http.ServerResponse) => Promise<void>> = {
    '/healthz': async (res) => sendCheck(res, runLive(opts.checks.live)),
    '/readyz': async (res) => sendCheck(res, await withDeadline(ready(), readyTimeoutMs)),
    '/metrics': async (res) => {
      let body: string;
      try {
        body = await opts.registry.metrics();
      } catch (thrown) {
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end(`collecting metrics failed: ${toError(thrown).message}\n`);
        return;
      }
      res.writeHead(200, { 'Content-Type': opts.registry.contentType });
      res.end(body);
    },
  };

  async function route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const handler = routes[path];
    if (!handler) {
      sendJson(res, 404, {
        ok: false,
        detail: { error: `no route ${path}: try /healthz, /readyz or /metrics` },
      });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      sendJson(res, 405, { ok: false, detail: { error: `${path} answers GET only` } });
      return;
    }
    await handler(res);
  }

  await listen(server, opts.port, host);
  const port = (server.address() as AddressInfo).port;
  let stopped: Promise<void> | undefined;
  return {
    url: `http://${clientHost(host)}:${port}`,
    port,
    stop() {
      stopped ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // A scraper's keep-alive connection would otherwise hold close() open until it times out.
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}

function runLive(live: () => CheckResult): CheckResult {
  try {
    return live();
  } catch (thrown) {
    return { ok: false, detail: { error: toError(thrown).message } };
  }
}

function sendCheck(res: http.ServerResponse, result: CheckResult): void {
  sendJson(res, result.ok ? 200 : 503, result);
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  // no-store: a cached 200 from a proxy would hide an outage from the prober.
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body));
}

/** A failing or hung check answers 503 with the reason instead of a 500 or no answer at all. */
async function withDeadline(check: Promise<CheckResult>, ms: number): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(
      () => resolve({ ok: false, detail: { error: `readiness check did not answer within ${ms} ms` } }),
      ms,
    );
  });
  try {
    return await Promise.race([
      check.catch((thrown: unknown) => ({ ok: false, detail: { error: toError(thrown).message } })),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * While one readiness check is running, later probes share it: against a hung database each probe
 * would otherwise start another connect and pile up on the pool. Probes keep answering 503 at the
 * deadline until that check settles (pg's connect timeout, or TCP keepalive on a dead socket).
 */
function singleFlight<T>(fn: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | undefined;
  return () => {
    running ??= Promise.resolve()
      .then(fn)
      .finally(() => {
        running = undefined;
      });
    return running;
  };
}

function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      reject(
        new EtlError(
          'CONFIG',
          `the health server cannot listen on ${host}:${port} (${error.message}); ` +
            'set HTTP_PORT to a free port',
          { cause: error },
        ),
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** A wildcard bind address is not something a client can connect to; loopback is. */
function clientHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
