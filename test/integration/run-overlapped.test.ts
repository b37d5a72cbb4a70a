/**
 * Several jobs in flight (src/extract/engine.ts): the same rows as a serial run, the
 * `auto` fallback on a tenant that runs one job at a time, the contiguous checkpoint, and deferral that
 * never strands a job already requested. The worker runs in-process on the harness's WarpClock.
 */
import { statusCommand } from '../../src/commands/status.js';
import type { EntityName } from '../../src/entities/catalog.js';
import { withTransaction } from '../../src/db/pool.js';
import { advanceCheckpointContiguous, getCheckpoint } from '../../src/extract/checkpoints.repository.js';
import { getLearnedJobsLimit } from '../../src/extract/jobs-limit.repository.js';
import { budgetStop } from '../../src/extract/engine.js';
import {
  listWindows,
  markFailed,
  markLoaded,
  startPass,
  type WindowKey,
} from '../../src/extract/windows.repository.js';
import { DEFAULT_TENANT, STRICT_SIMULATOR_OPTIONS } from '../../src/simulator/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { canonicalRows, startHarness, type Harness } from '../helpers/pipeline.js';
import { textSink } from '../helpers/text-sink.js';

const TENANT = DEFAULT_TENANT.id;
const ONE_DAY_WINDOWS = { EXTRACT_BACKFILL_WINDOW: '1d' };

async function expectExactRows(h: Harness, entity: EntityName): Promise<number> {
  const actual = await h.stagingRows(entity);
  const columns = Object.keys(actual[0] ?? {}).filter((k) => !k.startsWith('_'));
  expect(canonicalRows(actual, columns)).toEqual(canonicalRows(await h.expectedRows(entity), columns));
  return actual.length;
}

async function statusText(h: Harness, json: boolean): Promise<string> {
  const { out, text } = textSink();
  const db = h.database;
  await statusCommand({ db, clock: h.clock, out, config: h.config }, { json });
  return text();
}

/** Most jobs this run had requested and not yet seen end, from the window events. */
function inFlightTracker(): {
  observer: { windowEvent: (t: string, e: string, w: string, ev: { type: string; jobId?: string }) => void };
  max: () => number;
} {
  const open = new Set<string>();
  let max = 0;
  return {
    observer: {
      windowEvent: (_t, _e, _w, ev) => {
        if ((ev.type === 'requested' || ev.type === 'resumed' || ev.type === 'adopted') && ev.jobId) {
          open.add(ev.jobId);
        }
        if ((ev.type === 'loaded' || ev.type === 'job-ended') && ev.jobId) open.delete(ev.jobId);
        max = Math.max(max, open.size);
      },
    },
    max: () => max,
  };
}

describe('jobs in flight end to end (simulator + real Postgres)', () => {
  const harnesses: Harness[] = [];
  const start = async (opts: Parameters<typeof startHarness>[0]): Promise<Harness> => {
    const h = await startHarness(opts);
    harnesses.push(h);
    return h;
  };
  afterEach(async () => {
    for (const h of harnesses.splice(0)) await h.close();
  });

  it('overlapping on a tenant that allows two jobs loads exactly the rows of a serial run, sooner', async () => {
    const entities: EntityName[] = ['qm-workflows', 'qm-questions'];
    const env = { EXTRACT_ENTITIES: entities.join(','), ...ONE_DAY_WINDOWS };
    // Jobs of 130 s, longer than the 30-s interval: a serial run waits on each, an overlapped one less.
    const sim = { maxRunningJobs: 2, lateArrivalMaxMs: 0, jobBaseMs: 120_000 };
    const serial = await start({ sim, env: { ...env, EXTRACT_MAX_JOBS_IN_FLIGHT: '1' } });
    const overlap = await start({ sim, env: { ...env, EXTRACT_MAX_JOBS_IN_FLIGHT: '2' } });
    const serialStarted = serial.clock.now();
    const serialRun = await serial.run();
    const serialMs = serial.clock.now() - serialStarted;
    const tracker = inFlightTracker();
    const overlapStarted = overlap.clock.now();
    const overlapRun = await overlap.run({ mode: 'run' }, { observer: tracker.observer });
    const overlapMs = overlap.clock.now() - overlapStarted;

    expect(serialRun.summary.failed).toBe(0);
    expect(overlapRun.summary.failed).toBe(0);
    expect(overlapRun.summary.windows).toHaveLength(serialRun.summary.windows.length);
    for (const entity of entities) {
      const a = canonicalRows(await serial.stagingRows(entity));
      const b = canonicalRows(await overlap.stagingRows(entity));
      expect(b.length).toBeGreaterThan(0);
      expect(b).toEqual(a);
      await expectExactRows(overlap, entity);
      expect((await getCheckpoint(overlap.db.pool, TENANT, entity))?.loadedUntil).toBe(
        (await getCheckpoint(serial.db.pool, TENANT, entity))?.loadedUntil,
      );
    }
    const stats = overlap.sim.stats();
    expect(tracker.max()).toBe(2);
    expect(stats.violations.total).toBe(0);
    // One job per window, no busy answer, and the listing did the polling of several jobs.
    expect(stats.jobs.total).toBe(overlapRun.summary.windows.length);
    expect(stats.calls.byEndpoint['GET /jobs'] ?? 0).toBeGreaterThan(0);
    expect(overlapMs).toBeLessThan(serialMs);
  });

  describe.each([
    ['default', {}],
    ['strict', STRICT_SIMULATOR_OPTIONS],
  ] as const)('a tenant that runs one job at a time (%s simulator)', (_name, mode) => {
    it('auto falls back to one job after one busy answer, not a failure, and remembers it across runs', async () => {
      // Jobs of 130 s: the second POST comes while the first job runs.
      const h = await start({
        sim: { ...mode, lateArrivalMaxMs: 0, jobBaseMs: 120_000 },
        env: { EXTRACT_ENTITIES: 'qm-workflows', ...ONE_DAY_WINDOWS, EXTRACT_MAX_JOBS_IN_FLIGHT: 'auto' },
      });
      const first = await h.run();
      expect(first.summary.failed).toBe(0);
      expect(first.summary.windows.every((w) => w.outcome.status === 'loaded')).toBe(true);
      expect(h.sim.stats().violations.byKind).toEqual({ 'job-running': 1 });
      const learned = await getLearnedJobsLimit(h.db.pool, TENANT);
      expect(learned?.maxJobsInFlight).toBe(1);
      expect(learned?.reason).toMatch(/busy/);
      expect(h.sim.stats().jobs.total).toBe(first.summary.windows.length);
      // `status` shows the learned limit and why, in text and JSON.
      const status = await statusText(h, false);
      expect(status).toMatch(/Jobs in flight \(EXTRACT_MAX_JOBS_IN_FLIGHT=auto/);
      expect(status).toMatch(new RegExp(`\\n${TENANT}\\s+1\\s+\\d{4}-\\d{2}-\\d{2} .*busy`));
      const json = JSON.parse(await statusText(h, true)) as {
        jobsInFlight: { setting: string; tenants: { tenant: string; limit: number }[] };
      };
      expect(json.jobsInFlight).toMatchObject({ setting: 'auto', tenants: [{ tenant: TENANT, limit: 1 }] });

      h.clock.set(Date.UTC(2026, 2, 16, 2, 0, 0));
      const second = await h.run();
      expect(second.summary.failed).toBe(0);
      expect(second.summary.windows.length).toBeGreaterThan(0);
      // No second lesson: the next run starts at one job in flight.
      expect(h.sim.stats().violations.byKind).toEqual({ 'job-running': 1 });
      await expectExactRows(h, 'qm-workflows');

      // The tenant now allows two: an explicit setting proves it, and auto uses it from then on.
      h.sim.setOptions({ maxRunningJobs: 2 });
      await h.run(
        { mode: 'backfill', from: '2026-03-01', to: '2026-03-04' },
        { env: { EXTRACT_MAX_JOBS_IN_FLIGHT: '2' } },
      );
      expect((await getLearnedJobsLimit(h.db.pool, TENANT))?.maxJobsInFlight).toBe(2);
      const tracker = inFlightTracker();
      h.clock.set(Date.UTC(2026, 2, 20, 2, 0, 0));
      const later = await h.run({ mode: 'run' }, { observer: tracker.observer });
      expect(later.summary.failed).toBe(0);
      expect(tracker.max()).toBe(2);
      expect(h.sim.stats().violations.byKind).toEqual({ 'job-running': 1 });
      await expectExactRows(h, 'qm-workflows');
    });
  });

  it('a later window loaded first does not move the checkpoint past the one still in flight', async () => {
    // [03-10, 03-14) takes 260 s, [03-14, 03-15) 80 s from 30 s later: the second loads first.
    const h = await start({
      sim: { maxRunningJobs: 2, lateArrivalMaxMs: 0, jobPerDayMs: 60_000 },
      env: { EXTRACT_ENTITIES: 'qm-workflows', EXTRACT_MAX_JOBS_IN_FLIGHT: '2' },
    });
    const stop = new AbortController();
    const first = await h.run(
      { mode: 'run' },
      {
        signal: stop.signal,
        observer: {
          windowEvent: (_t, _e, _w, ev) => {
            if (ev.type === 'loaded') stop.abort();
          },
        },
      },
    );
    expect(first.summary.aborted).toBe(true);
    const windows = await listWindows(h.db.pool, TENANT, 'qm-workflows');
    expect(windows.map((w) => [w.start, w.end, w.state])).toEqual([
      [Date.UTC(2026, 2, 10), Date.UTC(2026, 2, 14), 'requested'],
      [Date.UTC(2026, 2, 14), Date.UTC(2026, 2, 15), 'loaded'],
    ]);
    expect(await getCheckpoint(h.db.pool, TENANT, 'qm-workflows')).toBeUndefined();

    const second = await h.run();
    expect(second.summary.failed).toBe(0);
    expect(second.summary.windows.map((w) => w.reason)).toEqual(['resume']);
    expect(h.sim.stats().jobs.total).toBe(2);
    expect((await getCheckpoint(h.db.pool, TENANT, 'qm-workflows'))?.loadedUntil).toBe(Date.UTC(2026, 2, 15));
    await expectExactRows(h, 'qm-workflows');
  });

  it('a fresh 14-day backfill with two jobs in flight spends at most 3 status calls on RUNNING answers', async () => {
    // bench/api-efficiency.ts's `overlap` backfill: five entities, each a 13-day and a 1-day window, on
    // the simulator's realistic durations (20 s + 10 s a day; recordings x2, payroll x0.5), no history.
    // Before the run learned across entities and windows (poll-job.ts): 12 RUNNING answers, 30 calls.
    const h = await start({
      sim: { maxRunningJobs: 2 },
      env: { EXTRACT_MAX_JOBS_IN_FLIGHT: '2' },
    });
    let running = 0;
    const tracker = inFlightTracker();
    const { summary } = await h.run(
      { mode: 'backfill', from: '2026-03-01', to: '2026-03-15' },
      {
        observer: {
          windowEvent: (t, e, w, ev) => {
            tracker.observer.windowEvent(t, e, w, ev);
            if (ev.type === 'polled' && ev.status === 'RUNNING') running++;
          },
        },
      },
    );
    const stats = h.sim.stats();
    const calls = ['POST /jobs', 'GET /jobs/:id', 'GET /jobs'] as const;
    const jobsCalls = calls.reduce((n, k) => n + (stats.calls.byEndpoint[k] ?? 0), 0);
    expect(summary.failed).toBe(0);
    expect(summary.windows).toHaveLength(10);
    expect(tracker.max()).toBe(2);
    expect(running).toBeLessThanOrEqual(3);
    expect(jobsCalls).toBeLessThanOrEqual(23);
    expect(stats.violations.total).toBe(0);
    await expectExactRows(h, 'recording-interaction-metadata');
  });

  it('budget deferral never strands a requested job: every job the API ran is loaded', async () => {
    const h = await start({
      sim: { maxRunningJobs: 2, lateArrivalMaxMs: 0 },
      env: {
        EXTRACT_ENTITIES: 'qm-workflows',
        ...ONE_DAY_WINDOWS,
        EXTRACT_MAX_JOBS_IN_FLIGHT: '2',
      },
    });
    const { summary } = await h.run({ mode: 'run', maxApiCalls: 5 });
    expect(summary.failed).toBe(0);
    expect(summary.deferred).toBeGreaterThan(0);
    expect(summary.deferReason).toMatch(/API-call budget/);
    const windows = await listWindows(h.db.pool, TENANT, 'qm-workflows');
    const created = h.sim.stats().jobs.created.map((j) => j.id);
    const loadedJobs = windows.filter((w) => w.state === 'loaded').map((w) => w.jobId);
    expect(created.length).toBeGreaterThan(1);
    expect([...loadedJobs].sort()).toEqual([...created].sort());
    expect(windows.filter((w) => w.state === 'deferred')).toHaveLength(summary.deferred);
    expect(windows.filter((w) => w.state !== 'loaded').every((w) => w.jobId === null)).toBe(true);

    const next = await h.run();
    expect(next.summary.failed).toBe(0);
    expect(next.summary.deferred).toBe(0);
    await expectExactRows(h, 'qm-workflows');
  });
});

describe('advanceCheckpointContiguous (real Postgres)', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => {
    await db.drop();
  });

  const entity = 'qm-workflows';
  const w = (from: number, to: number): WindowKey => ({
    tenantId: TENANT,
    entity,
    start: Date.UTC(2026, 2, from),
    end: Date.UTC(2026, 2, to),
  });
  const load = (key: WindowKey, chainFrom: number): Promise<number | undefined> =>
    withTransaction(db.pool, async (client) => {
      await markLoaded(client, key, { rows: 1, bytes: 1 }, key.end);
      return advanceCheckpointContiguous(client, TENANT, entity, chainFrom, ['a'], key.end);
    });
  const checkpoint = async (): Promise<number | undefined> =>
    (await getCheckpoint(db.pool, TENANT, entity))?.loadedUntil;

  it('never skips a gap: a window loaded before an earlier one waits for it, a failed one holds it', async () => {
    const keys = [w(1, 2), w(2, 3), w(3, 4), w(4, 5), w(5, 6)] as const;
    for (const k of keys) await startPass(db.pool, k, 0);
    const from = keys[0].start;
    expect(await load(keys[1], from)).toBeUndefined();
    expect(await load(keys[2], from)).toBeUndefined();
    expect(await checkpoint()).toBeUndefined();
    expect(await load(keys[0], from)).toBe(keys[2].end);
    expect(await checkpoint()).toBe(keys[2].end);

    await markFailed(db.pool, keys[3], 'job ended FAILED', 0);
    expect(await load(keys[4], from)).toBe(keys[2].end);
    expect(await checkpoint()).toBe(keys[2].end);
    expect(await load(keys[3], from)).toBe(keys[4].end);
    expect(await checkpoint()).toBe(Date.UTC(2026, 2, 6));
    // Re-loading an older window never moves it back.
    expect(await load(keys[0], from)).toBe(keys[4].end);
    expect(await checkpoint()).toBe(keys[4].end);
  });
});

describe('budgetStop', () => {
  const budget = (calls: number, extra: object = {}) => ({
    apiCalls: () => calls,
    minCallsPerWindow: 2,
    minCallIntervalMs: 30_000,
    ...extra,
  });

  it('counts one status call for each job in flight before a new window may post', () => {
    expect(budgetStop(budget(1, { maxApiCalls: 4 }), 0, 1, 2)).toBeUndefined();
    expect(budgetStop(budget(2, { maxApiCalls: 4 }), 0, 1, 2)).toMatch(/API-call budget \(4\)/);
    expect(budgetStop(budget(0, { deadline: 90_000 }), 0, 1, 2)).toBeUndefined();
    expect(budgetStop(budget(0, { deadline: 89_999 }), 0, 1, 2)).toMatch(/deadline/);
    expect(budgetStop(undefined, 0, 5, 2)).toBeUndefined();
  });
});
