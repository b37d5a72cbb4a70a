/**
 * The fault matrix: every failure the API, S3 or Postgres can throw at a run, each
 * with its expected outcome asserted and the data checked row for row against what the simulator
 * served. pipeline-recovery.test.ts already covers a mid-poll restart, a forgotten job, two workers,
 * one expired URL, FAILED then EXPIRED, a permission 403, token expiry, drift, header-only and an HTML
 * body; this file covers the rest. Faults the simulator does not make itself (a late answer against the
 * client's timeout, a reset after the server acted, a 401, a body with fields missing) come from a proxy
 * in front of the API (test/helpers/fault-proxy.ts).
 */
import { getEventListeners } from 'node:events';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { getCheckpoint } from '../../src/extract/checkpoints.repository.js';
import { listWindows } from '../../src/extract/windows.repository.js';
import type { WindowReport } from '../../src/extract/types.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/embedded.js';
import { migrate } from '../../src/db/migrate.js';
import { createPool } from '../../src/db/pool.js';
import type { EntityName } from '../../src/entities/catalog.js';
import { csvHeader, csvRows, encodeCsvLine } from '../../src/simulator/csv/index.js';
import { DEFAULT_TENANT } from '../../src/simulator/index.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { recordFigures } from '../helpers/figures.js';
import { canonicalRows, startHarness, type Harness } from '../helpers/pipeline.js';
import { scanForSecrets } from '../helpers/secrets.js';
import { copyWindow } from '../../src/load/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { stagingRowsSql } from '../helpers/staging-rows.js';
import { untilState } from '../helpers/wait.js';

const TENANT = DEFAULT_TENANT.id;
const ONE_DAY = { EXTRACT_ENTITIES: 'qm-workflows', EXTRACT_START_DATE: '2026-03-14' };
const TWO_DAYS = { EXTRACT_ENTITIES: 'qm-workflows', EXTRACT_START_DATE: '2026-03-13' };

let h: Harness | undefined;
let proxy: FaultProxy | undefined;
let secretHits = 0;

afterEach(async () => {
  if (h) {
    // Every in-process run's log is searched for every secret the simulator holds or handed out.
    const hits = scanForSecrets([{ source: 'faults.test.ts', text: h.logs() }], h.sim.issuedSecrets());
    secretHits += hits.length;
    expect(hits).toEqual([]);
  }
  await proxy?.stop();
  await h?.close();
  h = undefined;
  proxy = undefined;
});

afterAll(() => {
  recordFigures('secrets', 'faults.test.ts in-process logs', { secretHits });
});

async function expectExactRows(harness: Harness, entity: EntityName = 'qm-workflows'): Promise<number> {
  const actual = await harness.stagingRows(entity);
  const columns = Object.keys(actual[0] ?? {}).filter((k) => !k.startsWith('_'));
  expect(canonicalRows(actual, columns)).toEqual(canonicalRows(await harness.expectedRows(entity), columns));
  return actual.length;
}

function postsFor(harness: Harness, entity: EntityName = 'qm-workflows'): number {
  return harness.sim.stats().jobs.created.filter((j) => j.entity === entity).length;
}

function failures(windows: WindowReport[]): { code: string; message: string }[] {
  return windows.flatMap((w) =>
    w.outcome.status === 'failed' ? [{ code: w.outcome.error.code, message: w.outcome.error.message }] : [],
  );
}

/** Starts a harness whose API calls go through a fault proxy (tokens and downloads do not). */
async function startProxied(env: Record<string, string>) {
  const harness = await startHarness({ env });
  const p = await startFaultProxy(harness.sim.url);
  return { harness, p, env: { ...env, CXONE_API_BASE_URL: p.url } };
}

/** "2 loaded, 1 failed (DOWNLOAD)": a run's windows as the figures show them. */
function outcome(windows: WindowReport[]): string {
  const loaded = windows.filter((w) => w.outcome.status === 'loaded').length;
  const codes = [...new Set(failures(windows).map((f) => f.code))];
  const failed = windows.length - loaded;
  return `${loaded} loaded${failed > 0 ? `, ${failed} failed (${codes.join(', ')})` : ''}`;
}

function record(name: string, figures: Record<string, unknown>): void {
  recordFigures('faults', name, figures);
}

describe('busy answers', () => {
  it('429 with Retry-After: the worker waits as long as the API says, never asks twice in a row too early', async () => {
    // The simulator is stricter (45 s) than the worker (30 s): every other call is refused with 429 and
    // Retry-After, the provoked violation. The strict scope, so status polls count too.
    h = await startHarness({
      sim: { violationResponse: 429, minCallIntervalMs: 45_000, rateLimitScope: 'all' },
      env: { ...TWO_DAYS, CXONE_MIN_CALL_INTERVAL_MS: '30000' },
    });
    const calls: { status: number | undefined; at: number }[] = [];
    const { summary } = await h.run(
      { mode: 'run' },
      {
        observer: {
          apiCall: (_t, info) => {
            if (!['token', 'discovery', 'download'].includes(info.endpoint)) {
              calls.push({ status: info.status, at: h?.clock.now() ?? 0 });
            }
          },
        },
      },
    );
    expect(summary.failed).toBe(0);
    await expectExactRows(h);
    const refused = calls.filter((c) => c.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    calls.forEach((c, i) => {
      const next = calls[i + 1];
      if (c.status === 429 && next) {
        expect(next.status).not.toBe(429);
        expect(next.at - c.at).toBeGreaterThanOrEqual(45_000);
      }
    });
    record('429 with Retry-After', { refused: refused.length, calls: calls.length, failed: summary.failed });
  });

  it('429 without Retry-After is retried with backoff', async () => {
    h = await startHarness({ env: ONE_DAY });
    h.sim.setOptions({ faults: { http5xx: { status: 429, count: 2 } } });
    const { summary } = await h.run();
    expect(summary.failed).toBe(0);
    expect(h.sim.stats().faultsInjected.http429).toBe(2);
    await expectExactRows(h);
    expect(h.sim.stats().violations.total).toBe(0);
    record('429 without Retry-After', {
      injected: h.sim.stats().faultsInjected.http429,
      windows: outcome(summary.windows),
    });
  });
});

describe('server errors and slowness', () => {
  it('a burst of 5xx (JSON and HTML gateway pages) is retried inside the gate', async () => {
    h = await startHarness({ env: TWO_DAYS });
    h.sim.setOptions({ faults: { http5xx: { status: 503, count: 3 } } });
    const first = await h.run();
    expect(first.summary.failed).toBe(0);
    h.clock.set(Date.UTC(2026, 2, 16, 2, 0, 0));
    h.sim.setOptions({ faults: { http5xx: { status: 502, html: true, count: 3 } } });
    const second = await h.run();
    expect(second.summary.failed).toBe(0);
    expect(h.sim.stats().faultsInjected).toMatchObject({ http503: 3, http502: 3 });
    await expectExactRows(h);
    expect(h.sim.stats().violations.total).toBe(0);
    record('5xx bursts (3 in a row, JSON and HTML)', {
      injected: h.sim.stats().faultsInjected,
      windows: outcome([...first.summary.windows, ...second.summary.windows]),
    });
  });

  it('5xx longer than the retries fails the window with a clear error; earlier data stays; the next run loads', async () => {
    h = await startHarness({ env: ONE_DAY });
    await h.run();
    const before = canonicalRows(await h.stagingRows('qm-workflows'));
    h.clock.set(Date.UTC(2026, 2, 16, 2, 0, 0));
    h.sim.setOptions({ faults: { http5xx: { status: 500 } } });
    const broken = await h.run();
    expect(broken.summary.failed).toBe(2);
    const [lookback] = failures(broken.summary.windows);
    expect(lookback?.code).toBe('HTTP');
    expect(lookback?.message).toMatch(
      /\[tenant=tenant-demo entity=qm-workflows window=2026-03-14\.\.2026-03-15\]/,
    );
    expect(lookback?.message).toMatch(/answered 500/);
    expect(canonicalRows(await h.stagingRows('qm-workflows'))).toEqual(before);
    expect((await getCheckpoint(h.db.pool, TENANT, 'qm-workflows'))?.loadedUntil).toBe(Date.UTC(2026, 2, 15));

    h.sim.setOptions({ faults: { http5xx: undefined } });
    const healed = await h.run();
    expect(healed.summary.failed).toBe(0);
    await expectExactRows(h);
    record('5xx beyond the retries', {
      faultyRun: outcome(broken.summary.windows),
      nextRun: outcome(healed.summary.windows),
    });
  });

  it('a status answer slower than CXONE_REQUEST_TIMEOUT times out and is asked again', async () => {
    const s = await startProxied({ ...ONE_DAY, CXONE_REQUEST_TIMEOUT: '1s' });
    h = s.harness;
    proxy = s.p;
    let slowed = 0;
    proxy.setRule((req) =>
      req.method === 'GET' && /\/jobs\/[^/]+$/.test(req.path) && slowed++ === 0
        ? { kind: 'delay', ms: 1500 }
        : undefined,
    );
    let timeouts = 0;
    const { summary } = await h.run(
      { mode: 'run' },
      { env: s.env, observer: { apiCall: (_t, info) => void (info.status === undefined && timeouts++) } },
    );
    expect(summary.failed).toBe(0);
    expect(timeouts).toBe(1);
    expect(slowed).toBeGreaterThan(1);
    await expectExactRows(h);
    expect(postsFor(h)).toBe(1);
    record('slow status answer (> request timeout)', {
      statusCalls: slowed,
      timedOut: timeouts,
      windows: outcome(summary.windows),
    });
  });

  it('a job POST answered after the timeout is not sent again: its job is found with GET /jobs and adopted', async () => {
    const s = await startProxied({ ...ONE_DAY, CXONE_REQUEST_TIMEOUT: '1s' });
    h = s.harness;
    proxy = s.p;
    let posts = 0;
    proxy.setRule((req) =>
      req.method === 'POST' && posts++ === 0 ? { kind: 'delay', ms: 1500 } : undefined,
    );
    const first = await h.run({ mode: 'run' }, { env: s.env });
    expect(first.summary.failed).toBe(0);
    // The API did create that job: one POST, no second one; the ledger says how the job was found.
    expect(postsFor(h)).toBe(1);
    const [w] = await listWindows(h.db.pool, TENANT, 'qm-workflows');
    expect(w?.jobOrigin).toBe('adopted');
    expect(w?.postNote).toMatch(/POST attempt 1 failed .*timed out.*adopted job/);
    await expectExactRows(h);
    expect(h.sim.stats().violations.total).toBe(0);
    record('slow job POST (> request timeout)', {
      firstRun: outcome(first.summary.windows),
      posts: postsFor(h),
      violations: h.sim.stats().violations.total,
    });
  });

  it('connection resets: before the server saw a status call (retried) and on the download (fresh URL)', async () => {
    const s = await startProxied(ONE_DAY);
    h = s.harness;
    proxy = s.p;
    let resets = 0;
    proxy.setRule((req) =>
      req.method === 'GET' && /\/jobs\/[^/]+$/.test(req.path) && resets++ === 0
        ? { kind: 'reset' }
        : undefined,
    );
    h.sim.setOptions({ faults: { download: { mode: 'reset', count: 1 } } });
    const events: string[] = [];
    const { summary } = await h.run(
      { mode: 'run' },
      { env: s.env, observer: { windowEvent: (_t, _e, _w, ev) => events.push(ev.type) } },
    );
    expect(summary.failed).toBe(0);
    expect(events).toContain('url-refreshed');
    expect(h.sim.stats().faultsInjected['download:reset']).toBe(1);
    await expectExactRows(h);
    record('connection resets (API and download)', {
      apiResets: proxy.log.filter((r) => r.action === 'reset').length,
      downloadResets: h.sim.stats().faultsInjected['download:reset'],
      windows: outcome(summary.windows),
    });
  });

  it('a 401 on an API call re-authenticates once and goes on; a 401 every time stops the run with AUTH', async () => {
    const s = await startProxied(TWO_DAYS);
    h = s.harness;
    proxy = s.p;
    const p = proxy;
    let refused = 0;
    proxy.setRule((req) =>
      req.method === 'GET' && refused++ === 0
        ? { kind: 'answer', status: 401, body: '{"error":"Unauthorized: token revoked"}' }
        : undefined,
    );
    const { summary } = await h.run({ mode: 'run' }, { env: s.env });
    expect(summary.failed).toBe(0);
    expect(h.sim.stats().tokensIssued).toBe(2);
    await expectExactRows(h);
    const before = canonicalRows(await h.stagingRows('qm-workflows'));

    h.clock.set(Date.UTC(2026, 2, 16, 2, 0, 0));
    p.log.length = 0;
    p.setRule(() => ({ kind: 'answer', status: 401, body: '{"error":"Unauthorized"}' }));
    const denied = await h.run({ mode: 'run' }, { env: s.env });
    const codes = failures(denied.summary.windows).map((f) => f.code);
    expect(codes[0]).toBe('AUTH');
    // The run stops at the first AUTH failure: one call and its one re-authenticated retry reach the API.
    expect(p.log.filter((r) => r.action === 'answer')).toHaveLength(2);
    expect(canonicalRows(await h.stagingRows('qm-workflows'))).toEqual(before);
    record('401 once / 401 always', {
      tokensIssued: h.sim.stats().tokensIssued,
      onceRun: outcome(summary.windows),
      alwaysRun: outcome(denied.summary.windows),
      callsAnswered401: p.log.filter((r) => r.action === 'answer').length,
    });
  });
});

describe('downloads', () => {
  it('a download that stalls hits the idle timeout and is fetched again from a fresh URL', async () => {
    h = await startHarness({ env: { ...ONE_DAY, CXONE_DOWNLOAD_IDLE_TIMEOUT: '1s' } });
    h.sim.setOptions({ faults: { download: { mode: 'stall', count: 1 } } });
    const { summary } = await h.run();
    expect(summary.failed).toBe(0);
    expect(h.sim.stats().faultsInjected['download:stall']).toBe(1);
    expect(h.sim.stats().downloads.total).toBe(2);
    await expectExactRows(h);
    record('stalled download', {
      stalled: h.sim.stats().faultsInjected['download:stall'],
      downloads: h.sim.stats().downloads.total,
      windows: outcome(summary.windows),
    });
  });

  it('a download cut short of its Content-Length is fetched again; cut every time, the window fails and loads nothing', async () => {
    h = await startHarness({ env: ONE_DAY, sim: { contentLength: true } });
    h.sim.setOptions({ faults: { download: { mode: 'truncate', count: 1 } } });
    const once = await h.run();
    expect(once.summary.failed).toBe(0);
    await expectExactRows(h);
    const before = canonicalRows(await h.stagingRows('qm-workflows'));

    h.clock.set(Date.UTC(2026, 2, 16, 2, 0, 0));
    h.sim.setOptions({ faults: { download: 'truncate' } });
    const always = await h.run();
    const found = failures(always.summary.windows);
    expect(found.map((f) => f.code)).toEqual(['DOWNLOAD', 'DOWNLOAD']);
    expect(found[1]?.message).toMatch(/entity=qm-workflows window=2026-03-15\.\.2026-03-16 job=\S+\]/);
    // Not a row of the half files: the lookback window keeps its earlier load, the new one has none.
    expect(canonicalRows(await h.stagingRows('qm-workflows'))).toEqual(before);
    record('download cut short (Content-Length)', {
      cutOnce: outcome(once.summary.windows),
      cutAlways: outcome(always.summary.windows),
      rowsOfCutFiles: (await h.stagingRows('qm-workflows')).length - before.length,
    });
  });

  it('a chunked download whose connection drops at a record boundary is never loaded as a shorter file', async () => {
    h = await startHarness({ env: ONE_DAY });
    const harness = h;
    let cut = 0;
    h.sim.setOptions({
      faults: {
        bodyOverride: (job) => {
          if (cut++ > 0) return undefined;
          const spec = harness.sim.jobSpec(job.id);
          if (!spec) return undefined;
          const lines = [csvHeader(spec), ...csvRows(spec)].map((r) => encodeCsvLine(r, '\r\n'));
          async function* half(): AsyncGenerator<Buffer> {
            yield Buffer.from(lines.slice(0, Math.ceil(lines.length / 2)).join(''), 'utf8');
            throw new Error('connection dropped');
          }
          return Readable.from(half(), { objectMode: false });
        },
      },
    });
    const { summary } = await h.run();
    expect(summary.failed).toBe(0);
    expect(cut).toBe(2);
    await expectExactRows(h);
    record('chunked download dropped at a record boundary', {
      downloads: h.sim.stats().downloads.total,
      windows: outcome(summary.windows),
    });
  });

  it('a URL that is always expired fails the window with URL_EXPIRED after fresh URLs', async () => {
    h = await startHarness({ env: ONE_DAY, sim: { urlTtlMs: 0 } });
    const { summary } = await h.run();
    const [failure] = failures(summary.windows);
    expect(failure?.code).toBe('URL_EXPIRED');
    expect(failure?.message).toMatch(/job=\S+\].*expired/);
    expect(h.sim.stats().downloads.expired).toBe(3);
    expect(postsFor(h)).toBe(1);
    record('URL always expired', {
      expiredDownloads: h.sim.stats().downloads.expired,
      windows: outcome(summary.windows),
    });
  });

  it('downloads leave no listener behind on the run’s abort signal', async () => {
    // Found by the crash suite (MaxListenersExceededWarning): got removes its abort listener only when a
    // stream is destroyed, and a finished download was not, so a daemon leaked one per window.
    h = await startHarness({ env: { EXTRACT_ENTITIES: 'qm-workflows,qm-questions' } });
    const controller = new AbortController();
    const { summary } = await h.run({ mode: 'run' }, { signal: controller.signal });
    expect(summary.windows.length).toBeGreaterThan(2);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});

describe('job outcomes and odd answers', () => {
  it.each(['FAILED', 'CANCELLED', 'EXPIRED'] as const)(
    '%s once is retried with a new job; every time it fails the window with the API message',
    async (ending) => {
      h = await startHarness({ env: { ...ONE_DAY, EXTRACT_MAX_ATTEMPTS: '2' } });
      h.sim.setOptions({ faults: { jobOutcome: { outcome: ending, count: 1 } } });
      const once = await h.run();
      expect(once.summary.failed).toBe(0);
      expect(postsFor(h)).toBe(2);
      await expectExactRows(h);
      const before = canonicalRows(await h.stagingRows('qm-workflows'));

      h.clock.set(Date.UTC(2026, 2, 16, 2, 0, 0));
      h.sim.setOptions({
        faults: { jobOutcome: { outcome: ending, errorMessage: `the job was ${ending}` } },
      });
      const always = await h.run();
      const found = failures(always.summary.windows);
      expect(found).toHaveLength(2);
      expect(found[0]?.code).toBe('JOB_FAILED');
      expect(found[0]?.message).toMatch(
        new RegExp(
          `entity=qm-workflows window=2026-03-14\\.\\.2026-03-15 job=\\S+\\] job ended ${ending}: the job was ${ending}`,
        ),
      );
      // Two windows, two attempts each.
      expect(postsFor(h)).toBe(2 + 4);
      expect(canonicalRows(await h.stagingRows('qm-workflows'))).toEqual(before);
      record(`job ${ending}`, {
        onceRun: outcome(once.summary.windows),
        alwaysRun: outcome(always.summary.windows),
        posts: postsFor(h),
      });
    },
  );

  it('a status outside the documented enum fails the window naming the status and the job', async () => {
    h = await startHarness({ env: ONE_DAY, sim: { jobBaseMs: 120_000 } });
    h.sim.setOptions({ faults: { unknownStatus: 'PENDING' } });
    const odd = await h.run();
    const [failure] = failures(odd.summary.windows);
    expect(failure?.code).toBe('API_CONTRACT');
    expect(failure?.message).toMatch(
      /entity=qm-workflows window=2026-03-14\.\.2026-03-15 job=\S+\].*unknown job status "PENDING"/,
    );
    h.sim.setOptions({ faults: { unknownStatus: undefined } });
    const healed = await h.run();
    expect(healed.summary.failed).toBe(0);
    await expectExactRows(h);
    record('unknown job status', {
      faultyRun: outcome(odd.summary.windows),
      nextRun: outcome(healed.summary.windows),
    });
  });

  it('a status answer cut off mid-JSON fails the window naming the job; the next run loads it', async () => {
    h = await startHarness({ env: ONE_DAY });
    h.sim.setOptions({ faults: { malformedStatusJson: { count: 1 } } });
    const odd = await h.run();
    const [failure] = failures(odd.summary.windows);
    expect(failure?.code).toBe('API_CONTRACT');
    expect(failure?.message).toMatch(/job=\S+\].*malformed JSON/);
    const healed = await h.run();
    expect(healed.summary.failed).toBe(0);
    await expectExactRows(h);
    record('malformed status JSON', {
      faultyRun: outcome(odd.summary.windows),
      nextRun: outcome(healed.summary.windows),
    });
  });

  it('a SUCCEEDED status without a URL or without an id is a contract error, not a crash', async () => {
    const s = await startProxied(ONE_DAY);
    h = s.harness;
    proxy = s.p;
    const strip = (text: string): string => {
      const body = JSON.parse(text) as { jobStatus?: { result?: Record<string, unknown>; status?: string } };
      if (body.jobStatus?.status === 'SUCCEEDED') delete body.jobStatus.result;
      return JSON.stringify(body);
    };
    proxy.setRule((req) =>
      req.method === 'GET' && /\/jobs\/[^/]+$/.test(req.path) ? { kind: 'rewrite', body: strip } : undefined,
    );
    const odd = await h.run({ mode: 'run' }, { env: s.env });
    const [failure] = failures(odd.summary.windows);
    expect(failure?.code).toBe('API_CONTRACT');
    expect(failure?.message).toMatch(/job=\S+\].*result\.url/);
    proxy.setRule(undefined);
    const healed = await h.run({ mode: 'run' }, { env: s.env });
    expect(healed.summary.failed).toBe(0);
    await expectExactRows(h);
    record('SUCCEEDED without result.url', {
      faultyRun: outcome(odd.summary.windows),
      nextRun: outcome(healed.summary.windows),
    });
  });
});

describe('Postgres restart mid-run', () => {
  let dir: string | undefined;
  let server: EmbeddedPostgres | undefined;
  let pool: ReturnType<typeof createPool> | undefined;

  afterAll(async () => {
    await pool?.end().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a restart in the middle of a COPY loses nothing and doubles nothing; the next run completes', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'cxone-etl-pg-restart-'));
    await chmod(dir, 0o755); // as root, Postgres runs as the postgres user and must pass through
    const dataDir = path.join(dir, 'data');
    const log = { debug: () => undefined };
    try {
      server = await startEmbeddedPostgres({ dataDir, log, durable: false, exitOnSignal: false });
    } catch (err) {
      const reason = `embedded Postgres did not start: ${String(err)}`;
      process.stdout.write(`[faults] Postgres restart skipped: ${reason}\n`);
      record('Postgres restart mid-run', { skipped: reason });
      return;
    }
    const { port } = server;
    pool = createPool(server.url, { connectionTimeoutMillis: 2000 });
    await migrate(pool);
    const db: TestDatabase = { name: 'embedded', url: server.url, pool, drop: async () => undefined };
    h = await startHarness({ db, env: { EXTRACT_ENTITIES: 'qm-workflows,qm-questions' } });
    const harness = h;
    let restarted: Promise<void> | undefined;
    h.sim.setOptions({
      faults: {
        bodyOverride: (job) => {
          const spec = harness.sim.jobSpec(job.id);
          if (restarted || !spec || job.entity !== 'qm-questions') return undefined;
          const lines = [csvHeader(spec), ...csvRows(spec)].map((r) => encodeCsvLine(r, '\r\n'));
          let resolveStopped!: () => void;
          restarted = new Promise<void>((r) => (resolveStopped = r)).then(async () => {
            server = await startEmbeddedPostgres({ dataDir, log, durable: false, exitOnSignal: false, port });
          });
          async function* stopMidway(): AsyncGenerator<Buffer> {
            yield Buffer.from(lines.slice(0, Math.ceil(lines.length / 2)).join(''), 'utf8');
            // The server goes down while COPY holds half the file, then comes back on the same port.
            await server?.stop();
            resolveStopped();
            yield Buffer.from(lines.slice(Math.ceil(lines.length / 2)).join(''), 'utf8');
          }
          return Readable.from(stopMidway(), { objectMode: false });
        },
      },
    });
    const first = await h.run().then(
      (r) => `${r.summary.failed} windows failed${r.summary.aborted ? ', run stopped' : ''}`,
      (err: Error) => `the run failed: ${err.message}`,
    );
    await restarted;
    expect(restarted).toBeDefined();
    // Whatever the first run managed, every window is either loaded in full or not at all.
    for (const entity of ['qm-workflows', 'qm-questions'] as const) {
      const rows = await h.stagingRows(entity).catch(() => []);
      const loaded = (await listWindows(pool, TENANT, entity)).filter((w) => w.state === 'loaded');
      expect(rows.length).toBe(loaded.reduce((n, w) => n + (w.rowsLoaded ?? 0), 0));
    }

    const second = await h.run();
    expect(second.summary.failed).toBe(0);
    await expectExactRows(h, 'qm-workflows');
    await expectExactRows(h, 'qm-questions');
    record('Postgres restart mid-COPY', { firstRun: first, nextRun: outcome(second.summary.windows) });
  }, 120_000);
});

describe('two loads of one window at once', () => {
  it('leave the window loaded once, even without the tenant lock (lost to a restart, or a pooler)', async () => {
    // The tenant lock is a session lock: a Postgres restart drops it under a running worker, and a
    // transaction-mode pooler never keeps it. Two workers may then load the same window together.
    const db = await createTestDatabase();
    const [c1, c2] = [await db.pool.connect(), await db.pool.connect()];
    try {
      const input = (jobId: string, rows: string[], day = 14) => ({
        schema: 'cxone_staging',
        entity: 'qm-workflows' as const,
        tenantId: TENANT,
        windowStart: new Date(Date.UTC(2026, 2, day)),
        windowEnd: new Date(Date.UTC(2026, 2, day + 1)),
        jobId,
        source: Readable.from([Buffer.from(`Workflow ID,Name\r\n${rows.join('\r\n')}\r\n`)]),
      });
      // The table exists already (an earlier day), so neither load needs DDL and its lock.
      await c1.query('BEGIN');
      await copyWindow(c1, input('job-0', ['0,z'], 13));
      await c1.query('COMMIT');
      await c1.query('BEGIN');
      await c2.query('BEGIN');
      await copyWindow(c1, input('job-a', ['1,a', '2,b']));
      const second = copyWindow(c2, input('job-b', ['1,a', '2,b', '3,c']));
      let settled = false;
      void second.then(
        () => (settled = true),
        () => (settled = true),
      );
      // Either the second load waits for the first (it must), or it finished on its own (the bug).
      await untilState('the second load to wait on a lock or to finish', async () => {
        if (settled) return true;
        const { rows } = await db.pool.query<{ waiting: boolean }>(
          `SELECT count(*) > 0 AS waiting FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        );
        return rows[0]?.waiting === true;
      });
      await c1.query('COMMIT');
      await second;
      await c2.query('COMMIT');
      const { rows } = await db.pool.query<{ _job_id: string; n: string }>(
        `SELECT _job_id, count(*) AS n FROM (${stagingRowsSql('cxone_staging.qm_workflows')}) r
          WHERE _window_start = '2026-03-14T00:00:00Z' GROUP BY 1`,
      );
      expect(rows).toEqual([{ _job_id: 'job-b', n: '3' }]);
    } finally {
      c1.release();
      c2.release();
      await db.drop();
    }
  });
});
