import { Writable } from 'node:stream';
import pg from 'pg';
import { parseConfig, type Env } from '../../src/config.js';
import { daemonCommand } from '../../src/commands/daemon.js';
import type { Database } from '../../src/db/open-database.js';
import { recentRuns } from '../../src/extract/runs.repository.js';
import { listWindows } from '../../src/extract/windows.repository.js';
import { EtlError } from '../../src/lib/errors.js';
import { createLogger } from '../../src/logger.js';
import { runAllTenants } from '../../src/schedule/run-tenants.js';
import { DEFAULT_TENANT, startSimulator, type Simulator } from '../../src/simulator/index.js';
import { loadTenantsFile } from '../../src/tenants/tenants-file.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { ScaledClock } from '../helpers/scaled-clock.js';
import { Changes, until as untilChanged } from '../helpers/wait.js';

const discard = (): Writable =>
  new Writable({
    write(_c, _e, cb) {
      cb();
    },
  });

/**
 * The daemon runs on a ScaledClock (real timers, sped up), so its states come in real time: a test
 * re-checks them on every change it can see, never on a timer. Changes: each log line, and a NOTIFY from
 * a trigger on the tables the probes read (cxone_etl.runs, cxone_etl.windows).
 */
const changes = new Changes();
const NOTIFY_CHANNEL = 'daemon_test_change';

async function notifyOnChange(db: TestDatabase): Promise<pg.Client> {
  await db.pool.query(`
    CREATE FUNCTION public.daemon_test_notify() RETURNS trigger LANGUAGE plpgsql AS
      $$ BEGIN PERFORM pg_notify('${NOTIFY_CHANNEL}', TG_TABLE_NAME); RETURN NULL; END $$;
    CREATE TRIGGER daemon_test_notify AFTER INSERT OR UPDATE ON cxone_etl.runs
      FOR EACH STATEMENT EXECUTE FUNCTION public.daemon_test_notify();
    CREATE TRIGGER daemon_test_notify AFTER INSERT OR UPDATE ON cxone_etl.windows
      FOR EACH STATEMENT EXECUTE FUNCTION public.daemon_test_notify();`);
  const listener = new pg.Client({ connectionString: db.url });
  await listener.connect();
  listener.on('notification', () => changes.changed());
  await listener.query(`LISTEN ${NOTIFY_CHANNEL}`);
  return listener;
}

/** 30 s: a run of the daemon on the scaled clock takes well under a real second, a cron minute one. */
const DAEMON_DEADLINE_MS = 30_000;

function until<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  return untilChanged(changes, probe, what, DAEMON_DEADLINE_MS);
}

describe('daemon', () => {
  let sim: Simulator;
  let db: TestDatabase;
  let clock: ScaledClock;
  const logs: string[] = [];
  const log = createLogger({
    level: 'debug',
    format: 'json',
    destination: new Writable({
      write(c: Buffer, _e, cb) {
        logs.push(c.toString());
        changes.changed();
        cb();
      },
    }),
  });

  // 60 clock seconds per real second; the API's interval is 1 s of clock time in these tests (simulator
  // and worker agree), so a run takes a fraction of a real second and a cron minute one real second.
  const FAST = { minCallIntervalMs: 1000, jobBaseMs: 2000, jobPerDayMs: 0 };
  let listener: pg.Client;
  beforeEach(async () => {
    clock = new ScaledClock(Date.UTC(2026, 2, 15, 2, 0, 30), 60);
    db = await createTestDatabase();
    listener = await notifyOnChange(db);
  });
  afterEach(async () => {
    await sim?.stop();
    await listener.end();
    await db.drop();
  });

  function env(extra: Env = {}): Env {
    return {
      CXONE_ISSUER_URL: sim.url,
      CXONE_ACCESS_KEY_ID: DEFAULT_TENANT.accessKeyId,
      CXONE_ACCESS_KEY_SECRET: DEFAULT_TENANT.accessKeySecret,
      EXTRACT_ENTITIES: 'qm-workflows',
      EXTRACT_START_DATE: '2026-03-12',
      HTTP_PORT: '0',
      CXONE_MIN_CALL_INTERVAL_MS: '1000',
      ...extra,
    };
  }

  function startDaemon(e: Env, opts: { runNow: boolean }) {
    const stop = new AbortController();
    const database: Database = {
      pool: db.pool,
      url: db.url,
      displayUrl: db.url,
      embedded: false,
      close: async () => undefined,
    };
    const done = daemonCommand(
      { config: parseConfig(e), env: e, log, clock, signal: stop.signal, out: discard(), db: database },
      opts,
    );
    return { stop, done };
  }

  it('fires on the cron schedule, one run per tick, never overlapping', async () => {
    sim = await startSimulator({ clock, ...FAST });
    const d = startDaemon(env({ SCHEDULE_CRON: '* * * * *' }), { runNow: false });
    await until(async () => {
      const r = await recentRuns(db.pool, 10);
      return r.filter((x) => x.outcome !== 'running').length >= 3 ? r : undefined;
    }, 'three scheduled runs');
    d.stop.abort(new EtlError('ABORTED', 'test stop'));
    expect(await d.done).toBe(0);
    const runs = (await recentRuns(db.pool, 20)).reverse();
    const done = runs.filter((r) => r.outcome !== 'running');
    expect(done.length).toBeGreaterThanOrEqual(3);
    for (const r of done) {
      expect(r.trigger).toBe('schedule');
      expect(r.outcome).toBe('succeeded');
      // Started at a minute tick (cron `* * * * *`), give or take the scheduler's reaction time.
      expect(r.startedAt % 60_000).toBeLessThan(15_000);
    }
    const minutes = done.map((r) => Math.floor(r.startedAt / 60_000));
    expect(new Set(minutes).size).toBe(minutes.length);
    expect(minutes[0]).toBeGreaterThanOrEqual(Math.floor(Date.UTC(2026, 2, 15, 2, 1) / 60_000));
    for (let i = 1; i < runs.length; i++)
      expect(runs[i]!.startedAt).toBeGreaterThanOrEqual(runs[i - 1]!.endedAt!);
    expect(sim.stats().violations.total).toBe(0);
  });

  it('logs the checks of cxone-etl check at start, a failure with its remedy, and starts anyway', async () => {
    sim = await startSimulator({ clock, ...FAST });
    logs.length = 0;
    const good = startDaemon(env({ SCHEDULE_CRON: '0 2 * * *' }), { runNow: false });
    await until(
      async () => (logs.join('').includes('daemon started') ? true : undefined),
      'the daemon start',
    );
    good.stop.abort(new EtlError('ABORTED', 'test stop'));
    expect(await good.done).toBe(0);
    const lines = logs.map(
      (l) => JSON.parse(l) as { msg: string; check?: string; status?: string; remedy?: string },
    );
    const checks = lines.filter((l) => l.check !== undefined);
    // The second config line is the warning about CXONE_MIN_CALL_INTERVAL_MS below 30 s.
    expect(checks.map((l) => l.check)).toEqual([
      'config',
      'config',
      'postgres',
      'privileges',
      'migrations',
      'token',
      'api',
      'jobs',
    ]);
    expect(checks.map((l) => l.status)).toEqual(['ok', 'warn', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok']);
    // Checks come before the scheduler starts.
    expect(lines.findIndex((l) => l.check === 'jobs')).toBeLessThan(
      lines.findIndex((l) => l.msg.includes('daemon started')),
    );

    logs.length = 0;
    const bad = startDaemon(env({ SCHEDULE_CRON: '0 2 * * *', CXONE_ACCESS_KEY_SECRET: 'not-the-secret' }), {
      runNow: false,
    });
    await until(
      async () => (logs.join('').includes('daemon started') ? true : undefined),
      'the daemon start',
    );
    bad.stop.abort(new EtlError('ABORTED', 'test stop'));
    expect(await bad.done).toBe(0);
    const token = logs
      .map((l) => JSON.parse(l) as { check?: string; status?: string; remedy?: string; level: number })
      .find((l) => l.check === 'token');
    expect(token).toMatchObject({ status: 'fail', level: 50, remedy: expect.stringMatching(/access key/) });
    expect(logs.join('')).not.toContain('not-the-secret');
  });

  it('catches up once on start after missing ticks while down', async () => {
    sim = await startSimulator({ clock, ...FAST });
    await db.pool.query(
      "INSERT INTO cxone_etl.runs (tenant_id, trigger, started_at, ended_at, outcome) VALUES ('tenant-demo', 'schedule', '2026-03-14T02:00:00Z', '2026-03-14T02:10:00Z', 'succeeded')",
    );
    const d = startDaemon(env({ SCHEDULE_CRON: '0 2 * * *' }), { runNow: false });
    const first = await until(
      async () =>
        (await recentRuns(db.pool, 10)).find(
          (r) => r.startedAt > Date.UTC(2026, 2, 15) && r.outcome !== 'running',
        ),
      'the catch-up run',
    );
    d.stop.abort(new EtlError('ABORTED', 'test stop'));
    expect(await d.done).toBe(0);
    expect(first.trigger).toBe('catch-up');
    expect(first.outcome).toBe('succeeded');
    // At once, not at the next 02:00.
    expect(first.startedAt).toBeLessThan(Date.UTC(2026, 2, 15, 2, 5));
    const catchUps = (await recentRuns(db.pool, 20)).filter((r) => r.trigger === 'catch-up');
    expect(catchUps).toHaveLength(1);
  });

  it('skips a tick while the previous run is still going', async () => {
    // Jobs take 3 minutes of clock time and the cron fires every minute: ticks during the run are skipped.
    sim = await startSimulator({ clock, ...FAST, jobBaseMs: 3 * 60_000 });
    const d = startDaemon(env({ SCHEDULE_CRON: '* * * * *', EXTRACT_START_DATE: '2026-03-14' }), {
      runNow: true,
    });
    await until(
      async () => (logs.join('').includes('scheduled run skipped') ? true : undefined),
      'a skipped tick',
    );
    await until(
      async () => ((await recentRuns(db.pool, 10)).some((r) => r.outcome === 'succeeded') ? true : undefined),
      'the first run',
    );
    d.stop.abort(new EtlError('ABORTED', 'test stop'));
    expect(await d.done).toBe(0);
    const runs = (await recentRuns(db.pool, 50)).reverse();
    for (let i = 1; i < runs.length; i++)
      expect(runs[i]!.startedAt).toBeGreaterThanOrEqual(runs[i - 1]!.endedAt ?? Infinity);
  });

  it('SIGTERM mid-poll stops cleanly and the restarted daemon resumes the same job without a new POST', async () => {
    sim = await startSimulator({ clock, ...FAST, jobBaseMs: 5 * 60_000 });
    const e = env({ EXTRACT_START_DATE: '2026-03-14' });
    const first = startDaemon(e, { runNow: true });
    await until(async () => {
      const [w] = await listWindows(db.pool, 'tenant-demo', 'qm-workflows');
      return w?.jobId && w.jobStatus === 'RUNNING' && w.polls > 0 ? w : undefined;
    }, 'a job polled while RUNNING');
    first.stop.abort(new EtlError('ABORTED', 'SIGTERM'));
    expect(await first.done).toBe(0);
    const [inFlight] = await listWindows(db.pool, 'tenant-demo', 'qm-workflows');
    expect(inFlight?.state).toBe('requested');

    const second = startDaemon(e, { runNow: true });
    await until(async () => {
      const [w] = await listWindows(db.pool, 'tenant-demo', 'qm-workflows');
      return w?.state === 'loaded' ? w : undefined;
    }, 'the resumed window to load');
    second.stop.abort(new EtlError('ABORTED', 'SIGTERM'));
    expect(await second.done).toBe(0);
    const [done] = await listWindows(db.pool, 'tenant-demo', 'qm-workflows');
    expect(done?.jobId).toBe(inFlight?.jobId);
    expect(sim.stats().jobs.created).toHaveLength(1);
  });

  it('runs three tenants in parallel, each within its own gate; bad credentials fail one tenant alone', async () => {
    const tenants = ['alpha', 'beta', 'gamma'].map((id) => ({
      id: `tenant-${id}`,
      accessKeyId: `key-${id}`,
      accessKeySecret: `secret-${id}`,
    }));
    sim = await startSimulator({ clock, ...FAST, tenants });
    const file = JSON.stringify({
      tenants: [
        ...tenants.map((t) => ({
          name: t.id,
          accessKeyId: t.accessKeyId,
          accessKeySecretEnv: `SECRET_${t.id.slice(7).toUpperCase()}`,
        })),
        { name: 'broken', accessKeyId: 'key-alpha', accessKeySecretEnv: 'SECRET_WRONG' },
      ],
    });
    const e = env({
      TENANTS_FILE: '/tenants.json',
      SECRET_ALPHA: 'secret-alpha',
      SECRET_BETA: 'secret-beta',
      SECRET_GAMMA: 'secret-gamma',
      SECRET_WRONG: 'not-the-secret',
      EXTRACT_ENTITIES: 'qm-workflows,qm-questions',
    });
    const config = parseConfig(e);
    const list = loadTenantsFile('/tenants.json', e, () => file);
    const database: Database = {
      pool: db.pool,
      url: db.url,
      displayUrl: db.url,
      embedded: false,
      close: async () => undefined,
    };
    const results = await runAllTenants(
      {
        config,
        log,
        clock,
        signal: new AbortController().signal,
        out: discard(),
        isTty: false,
        db: database,
      },
      list,
      'manual',
    );
    const byName = Object.fromEntries(results.map((r) => [r.tenant, r]));
    for (const t of tenants) {
      expect(byName[t.id]).toMatchObject({ outcome: 'succeeded', failed: 0, windows: 4 });
      const stats = sim.stats().callsByTenant[t.id];
      expect(stats?.total).toBeGreaterThan(0);
    }
    expect(byName.broken?.outcome).toBe('failed');
    expect(byName.broken?.error).toMatch(/CXONE_ACCESS_KEY/);
    expect(sim.stats().violations.total).toBe(0);
    expect(logs.join('')).not.toContain('not-the-secret');
    expect(logs.join('')).not.toContain('secret-alpha');
  });
});
