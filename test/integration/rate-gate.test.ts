import type pg from 'pg';
import { createPool } from '../../src/db/pool.js';
import { busyRetryAfterMs, errorFromAnswer } from '../../src/cxone/http-errors.js';
import { createRateGate, type RateGate } from '../../src/db/rate-gate.js';
import { readGateRow } from '../../src/db/rate-gate.repository.js';
import { drive, flushMicrotasks, ManualClock } from '../helpers/manual-clock.js';
import { untilState, withDeadline } from '../helpers/wait.js';
import { EtlError } from '../../src/lib/errors.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

const INTERVAL = 30_000;
const T0 = Date.UTC(2026, 0, 1);

const OTHER_POOL = 'rate-gate-test-2';
/** The application_name of the test database's own pool (test/helpers/database.ts). */
const TEST_POOL = 'cxone-etl-test';

let db: TestDatabase;
let otherPool: pg.Pool;
let tenantSeq = 0;

beforeAll(async () => {
  db = await createTestDatabase();
  otherPool = createPool(db.url, { applicationName: OTHER_POOL });
});
afterAll(async () => {
  await otherPool.end();
  await db.drop();
});

function gate(
  clock: ManualClock,
  tenantId: string,
  pool: pg.Pool = db.pool,
  scope: 'all' | 'create-only' = 'all',
) {
  return createRateGate({ pool, tenantId, minIntervalMs: INTERVAL, clock, scope, busyRetryAfterMs });
}

function newTenant(): string {
  return `tenant-${++tenantSeq}`;
}

/** Resolves when the code under test has parked `n` sleepers on the clock; fails when it never does. */
function parked(clock: ManualClock, n = 1): Promise<void> {
  return clock.untilPending(n);
}

/** How many sessions of `applicationName` wait on an advisory lock in Postgres right now. */
async function lockWaiters(applicationName: string): Promise<number> {
  const { rows } = await db.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND application_name = $1 AND wait_event_type = 'Lock'
        AND wait_event = 'advisory'`,
    [applicationName],
  );
  return rows[0]?.n ?? 0;
}

describe('rate gate', () => {
  it('lets the first call through at once and the next one exactly an interval after the last ended', async () => {
    const clock = new ManualClock(T0);
    const tenant = newTenant();
    const g = gate(clock, tenant);
    const starts: number[] = [];
    const fn = async (): Promise<string> => {
      starts.push(clock.now());
      return 'ok';
    };

    await expect(g.call('create', fn)).resolves.toBe('ok');
    expect(starts).toEqual([T0]);
    let row = await readGateRow(db.pool, tenant);
    expect(row).toMatchObject({ lastCallMs: T0, nextAllowedMs: T0 + INTERVAL, calls: 1, busyAnswers: 0 });

    const second = g.call('status', fn);
    await parked(clock);
    await clock.advance(INTERVAL - 1);
    expect(starts).toHaveLength(1);
    await clock.advance(1);
    await expect(second).resolves.toBe('ok');
    expect(starts).toEqual([T0, T0 + INTERVAL]);
    row = await readGateRow(db.pool, tenant);
    expect(row).toMatchObject({ lastCallMs: T0 + INTERVAL, nextAllowedMs: T0 + 2 * INTERVAL, calls: 2 });
    expect(g.stats()).toMatchObject({ calls: 2, gatedCalls: 2, waitMs: INTERVAL });
  });

  it('measures the interval from the end of a call that took clock time', async () => {
    const clock = new ManualClock(T0);
    const tenant = newTenant();
    const g = gate(clock, tenant);
    const slow = g.call('create', () => clock.sleep(5000));
    await parked(clock);
    await clock.advance(5000);
    await slow;
    expect(await readGateRow(db.pool, tenant)).toMatchObject({
      lastCallMs: T0,
      nextAllowedMs: T0 + 5000 + INTERVAL,
    });
  });

  it('records failed calls, and a busy answer pushes next_allowed_at by its Retry-After', async () => {
    const clock = new ManualClock(T0);
    const tenant = newTenant();
    const g = gate(clock, tenant);
    const failure = new Error('socket hang up');
    await expect(g.call('status', () => Promise.reject(failure))).rejects.toBe(failure);
    expect(await readGateRow(db.pool, tenant)).toMatchObject({ calls: 1, nextAllowedMs: T0 + INTERVAL });

    await clock.advance(INTERVAL);
    const busy = errorFromAnswer(
      { statusCode: 429, headers: { 'retry-after': '90' }, body: '{"error":"Too many requests"}' },
      { scope: 'jobs', what: 'POST /jobs', now: clock.now() },
    );
    await expect(g.call('create', () => Promise.reject(busy))).rejects.toBe(busy);
    expect(await readGateRow(db.pool, tenant)).toMatchObject({
      calls: 2,
      busyAnswers: 1,
      lastCallMs: T0 + INTERVAL,
      nextAllowedMs: T0 + INTERVAL + 90_000,
    });
    expect(g.stats().busyAnswers).toBe(1);

    // A busy answer without Retry-After still leaves the plain interval.
    await clock.advance(90_000);
    const plainBusy = errorFromAnswer(
      { statusCode: 403, headers: {}, body: '{}' },
      { scope: 'jobs', what: 'POST /jobs', now: clock.now() },
    );
    await expect(g.call('create', () => Promise.reject(plainBusy))).rejects.toBeInstanceOf(EtlError);
    expect(await readGateRow(db.pool, tenant)).toMatchObject({
      busyAnswers: 2,
      nextAllowedMs: T0 + INTERVAL + 90_000 + INTERVAL,
    });
  });

  it('keeps its state across a new gate instance and a new pool (a restart)', async () => {
    const clock = new ManualClock(T0);
    const tenant = newTenant();
    await gate(clock, tenant).call('create', async () => undefined);
    await clock.advance(10_000);

    let ran = false;
    const afterRestart = gate(clock, tenant, otherPool).call('status', async () => {
      ran = true;
    });
    await parked(clock);
    await clock.advance(19_999);
    expect(ran).toBe(false);
    await clock.advance(1);
    await afterRestart;
    expect(ran).toBe(true);
    expect(clock.now()).toBe(T0 + INTERVAL);
  });

  it('keeps the interval when the process dies during a call, before the call is recorded', async () => {
    // Found by the crash suite: the record was written only after the call, in the transaction that
    // held the lock, so a SIGKILL mid-call lost it and the restarted worker called again at once.
    const clock = new ManualClock(T0);
    const tenant = newTenant();
    const dying = gate(clock, tenant).call('create', async () => {
      // The process "dies": its connections (the gate's among them) go away while the API call is out.
      await otherPool.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = current_database() AND application_name = 'cxone-etl-test'`,
      );
      return 'job-1';
    });
    await expect(dying).resolves.toBe('job-1');
    expect(await readGateRow(otherPool, tenant)).toMatchObject({ nextAllowedMs: T0 + INTERVAL });

    await clock.advance(1000);
    let ran = false;
    const restarted = gate(clock, tenant, otherPool).call('status', async () => {
      ran = true;
    });
    await parked(clock);
    await clock.advance(INTERVAL - 1001);
    expect(ran).toBe(false);
    await clock.advance(1);
    await restarted;
    expect(clock.now()).toBe(T0 + INTERVAL);
  });

  it('never runs two gates of one tenant at once, on two pools, and keeps calls an interval apart', async () => {
    const clock = new ManualClock(T0);
    const tenant = newTenant();
    const gates: RateGate[] = [gate(clock, tenant, db.pool), gate(clock, tenant, otherPool)];
    const pools = [TEST_POOL, OTHER_POOL];
    const done = [0, 0];
    const spans: { start: number; end: number }[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const fnOf = (me: 0 | 1) => async (): Promise<void> => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const start = clock.now();
      // Holds the call until the other gate has tried to get in: queued on the lock in Postgres, or
      // (were the gate broken) in its own call at the same time, or finished with all its calls.
      const other = me === 0 ? 1 : 0;
      await untilState(
        `gate ${other} queued on the lock, overlapping, or done`,
        async () => done[other] === 3 || inFlight > 1 || (await lockWaiters(pools[other]!)) > 0,
      );
      spans.push({ start, end: clock.now() });
      inFlight--;
      done[me]!++;
    };
    const all = Promise.all(
      gates.flatMap((g, i) => {
        const fn = fnOf(i === 0 ? 0 : 1);
        return [g.call('create', fn), g.call('status', fn), g.call('list', fn)];
      }),
    );
    await drive(clock, all);

    expect(maxInFlight).toBe(1);
    expect(spans).toHaveLength(6);
    spans.sort((a, b) => a.start - b.start);
    for (let i = 1; i < spans.length; i++) {
      expect(spans[i]!.start - spans[i - 1]!.end).toBeGreaterThanOrEqual(INTERVAL);
    }
    expect(await readGateRow(db.pool, tenant)).toMatchObject({ calls: 6 });
    expect(gates[0]!.stats().calls + gates[1]!.stats().calls).toBe(6);
  });

  it('gives up a wait on abort without recording a call, also while blocked on the gate lock', async () => {
    const clock = new ManualClock(T0);
    const tenant = newTenant();
    const a = gate(clock, tenant, db.pool);
    const b = gate(clock, tenant, otherPool);
    await a.call('create', async () => undefined);

    // a waits for the interval holding the gate lock; b queues on the lock in Postgres.
    const controllerA = new AbortController();
    const waitingA = a.call('status', async () => 'a', controllerA.signal);
    await parked(clock);
    const controllerB = new AbortController();
    let bRan = false;
    const waitingB = b.call(
      'status',
      async () => {
        bRan = true;
      },
      controllerB.signal,
    );
    await untilState('b queued on the gate lock', async () => (await lockWaiters(OTHER_POOL)) > 0);
    controllerB.abort(new Error('shutdown'));
    await expect(waitingB).rejects.toMatchObject({ code: 'ABORTED' });

    controllerA.abort(new Error('shutdown'));
    await expect(waitingA).rejects.toMatchObject({ code: 'ABORTED' });
    expect(bRan).toBe(false);
    expect(await readGateRow(db.pool, tenant)).toMatchObject({ calls: 1, nextAllowedMs: T0 + INTERVAL });

    // Both gates still work afterwards: no lock or connection was left behind.
    await clock.advance(INTERVAL);
    await expect(
      drive(
        clock,
        b.call('status', async () => 'b'),
      ),
    ).resolves.toBe('b');
    await expect(
      drive(
        clock,
        a.call('status', async () => 'a'),
      ),
    ).resolves.toBe('a');
    expect(await readGateRow(db.pool, tenant)).toMatchObject({ calls: 3 });
  });

  it("with scope 'create-only' lets polls skip the interval but never overlap a call of this process", async () => {
    const clock = new ManualClock(T0);
    const tenant = newTenant();
    const g = gate(clock, tenant, db.pool, 'create-only');
    await g.call('create', async () => undefined);

    // A poll right after the create: no interval wait, no row update.
    await expect(g.call('status', async () => 'polled')).resolves.toBe('polled');
    expect(clock.now()).toBe(T0);
    expect(await readGateRow(db.pool, tenant)).toMatchObject({ calls: 1 });

    // A create in flight: a poll waits for it to finish.
    await clock.advance(INTERVAL);
    let releaseCreate!: () => void;
    let createStarted!: () => void;
    const started = new Promise<void>((r) => (createStarted = r));
    const order: string[] = [];
    const creating = g.call('create', async () => {
      order.push('create start');
      createStarted();
      await new Promise<void>((r) => (releaseCreate = r));
      order.push('create end');
    });
    await withDeadline(started, 'the create call to start');
    const polling = g.call('status', async () => {
      order.push('poll');
    });
    // A poll of this scope takes no I/O before the in-process mutex: every continuation it could run
    // without that mutex has run once the queued ones have.
    await flushMicrotasks();
    expect(order).toEqual(['create start']);
    releaseCreate();
    await Promise.all([creating, polling]);
    expect(order).toEqual(['create start', 'create end', 'poll']);
    expect(g.stats()).toMatchObject({ calls: 4, gatedCalls: 2 });
  });
});
