import net from 'node:net';
import { Registry } from 'prom-client';
import { isMigrated } from '../../src/db/migrate.js';
import { createPool } from '../../src/db/pool.js';
import {
  createHeartbeat,
  databaseReadiness,
  schedulerLiveness,
  type CheckResult,
} from '../../src/observability/health-checks.js';
import { startHealthServer, type HealthServer } from '../../src/observability/health-server.js';
import { createMetrics, recordApiCall } from '../../src/observability/metrics.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

const START = Date.UTC(2026, 2, 1, 2, 0, 0);
const MAX_SILENCE_MS = 180_000;

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

/** A server whose liveness runs on a clock the test moves, and whose readiness the test chooses. */
async function serve(ready: () => Promise<CheckResult>, extra: { readyTimeoutMs?: number } = {}) {
  let now = START;
  const clock = () => now;
  const heartbeat = createHeartbeat(clock);
  const metrics = createMetrics(new Registry(), { now: clock });
  const live = schedulerLiveness({
    lastTickAt: heartbeat.lastTickAt,
    startedAt: START,
    maxSilenceMs: MAX_SILENCE_MS,
    now: clock,
  });
  const server = await startHealthServer({
    port: 0,
    host: '127.0.0.1',
    registry: metrics.registry,
    checks: { live, ready },
    ...extra,
  });
  servers.push(server);
  return {
    server,
    metrics,
    heartbeat,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const servers: HealthServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

async function getJson(url: string): Promise<{ status: number; body: CheckResult }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as CheckResult };
}

/** A port on which nothing listens: bound by us a moment ago, then released. */
async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('/healthz', () => {
  it('answers 200 while the scheduler beats and 503 once it has been silent too long', async () => {
    const { server, heartbeat, advance } = await serve(async () => ({ ok: true, detail: {} }));

    // Before the first beat, the start time is the grace period.
    expect((await getJson(`${server.url}/healthz`)).status).toBe(200);

    advance(60_000);
    heartbeat.tick();
    advance(MAX_SILENCE_MS);
    const alive = await getJson(`${server.url}/healthz`);
    expect(alive.status).toBe(200);
    expect(alive.body).toMatchObject({
      ok: true,
      detail: { scheduler: 'ticking', silentForMs: MAX_SILENCE_MS },
    });

    advance(1);
    const silent = await getJson(`${server.url}/healthz`);
    expect(silent.status).toBe(503);
    expect(silent.body).toMatchObject({
      ok: false,
      detail: { scheduler: 'silent', lastTickAt: new Date(START + 60_000).toISOString() },
    });

    heartbeat.tick();
    expect((await getJson(`${server.url}/healthz`)).status).toBe(200);
  });
});

describe('/readyz', () => {
  it('answers 200 with a reachable, migrated database', async () => {
    const { server } = await serve(databaseReadiness(db.pool, isMigrated));
    const res = await getJson(`${server.url}/readyz`);
    expect(res).toEqual({
      status: 200,
      body: { ok: true, detail: { database: 'up', migrations: 'current' } },
    });
  });

  it('answers 503 when migrations are not current', async () => {
    const { server } = await serve(databaseReadiness(db.pool, async () => false));
    const res = await getJson(`${server.url}/readyz`);
    expect(res.status).toBe(503);
    expect(res.body.detail).toMatchObject({ database: 'up', migrations: expect.stringMatching(/migrate/) });
  });

  it('answers 503 when nothing listens where the pool points', async () => {
    const pool = createPool(`postgres://nobody:secret@127.0.0.1:${await closedPort()}/none`, {
      connectionTimeoutMillis: 1_000,
    });
    try {
      const { server } = await serve(databaseReadiness(pool, isMigrated));
      const res = await getJson(`${server.url}/readyz`);
      expect(res.status).toBe(503);
      expect(res.body.detail).toMatchObject({
        database: 'unreachable',
        error: expect.stringMatching(/ECONNREFUSED/),
      });
      expect(JSON.stringify(res.body)).not.toContain('secret');
    } finally {
      await pool.end();
    }
  });

  it('answers 503 by the deadline when the check hangs, and shares one check between probes', async () => {
    let started = 0;
    const { server } = await serve(
      () => {
        started++;
        return new Promise<never>(() => undefined);
      },
      { readyTimeoutMs: 50 },
    );
    const [a, b] = await Promise.all([getJson(`${server.url}/readyz`), getJson(`${server.url}/readyz`)]);
    expect(a.status).toBe(503);
    expect(b.status).toBe(503);
    expect(a.body.detail).toEqual({ error: 'readiness check did not answer within 50 ms' });
    expect(started).toBe(1);
  });

  it('answers 503 with the reason when the check throws', async () => {
    const { server } = await serve(async () => {
      throw new Error('boom');
    });
    const res = await getJson(`${server.url}/readyz`);
    expect(res).toEqual({ status: 503, body: { ok: false, detail: { error: 'boom' } } });
  });
});

describe('/metrics', () => {
  it('serves the registry in the Prometheus text format', async () => {
    const { server, metrics } = await serve(async () => ({ ok: true, detail: {} }));
    recordApiCall(metrics, { tenant: 'acme', endpoint: 'POST /jobs', status: 202 });
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    expect(text).toContain('# TYPE cxone_etl_api_calls_total counter');
    expect(text).toContain('cxone_etl_api_calls_total{tenant="acme",endpoint="POST /jobs",status="202"} 1');
  });
});

describe('other requests', () => {
  it('answer 404 for unknown paths and 405 for other methods', async () => {
    const { server } = await serve(async () => ({ ok: true, detail: {} }));
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
    const post = await fetch(`${server.url}/healthz`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('ignore a query string', async () => {
    const { server } = await serve(async () => ({ ok: true, detail: {} }));
    expect((await fetch(`${server.url}/healthz?verbose=1`)).status).toBe(200);
  });
});

describe('startHealthServer', () => {
  it('names the port when it is taken, and stop() is idempotent', async () => {
    const { server } = await serve(async () => ({ ok: true, detail: {} }));
    await expect(
      startHealthServer({
        port: server.port,
        host: '127.0.0.1',
        registry: new Registry(),
        checks: { live: () => ({ ok: true, detail: {} }), ready: async () => ({ ok: true, detail: {} }) },
      }),
    ).rejects.toThrow(/HTTP_PORT/);
    await server.stop();
    await server.stop();
  });
});
