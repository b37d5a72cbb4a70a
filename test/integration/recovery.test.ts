/**
 * Recovery without waste, end to end on the simulator with the warp clock: a job resumed
 * after a long downtime neither fails its window nor teaches the poller the downtime; a stale huge
 * duration sample fails nothing before a poll; a POST whose answer is lost after the job was created
 * costs no second job; a restarted run and a late replica repeat no lookback the rule covers.
 */
import { gapsCommand } from '../../src/commands/gaps.js';
import { statusCommand } from '../../src/commands/status.js';
import { createPool } from '../../src/db/pool.js';
import { listWindows } from '../../src/extract/windows.repository.js';
import { buildClient } from '../../src/run/build-client.js';
import type { RunResult } from '../../src/run/execute-run.js';
import { EtlError } from '../../src/lib/errors.js';
import { DEFAULT_TENANT } from '../../src/simulator/index.js';
import { canonicalRows, startHarness, type Harness } from '../helpers/pipeline.js';
import { textSink } from '../helpers/text-sink.js';

const TENANT = DEFAULT_TENANT.id;
const MIN = 60_000;

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const posts = (entity?: string): number =>
  h.sim.stats().jobs.created.filter((j) => !j.sync && (entity === undefined || j.entity === entity)).length;

async function expectExactRows(entity: 'qm-workflows' | 'qm-questions' | 'wfm-payroll'): Promise<void> {
  const got = canonicalRows(await h.stagingRows(entity));
  expect(got).toEqual(canonicalRows(await h.expectedRows(entity)));
}

describe('a job resumed after downtime', () => {
  it('downtime longer than EXTRACT_JOB_TIMEOUT: every window loads, and the resumed job teaches nothing', async () => {
    // 3-minute jobs, a 10-minute job timeout; the worker dies at the first RUNNING answer and stays
    // down an hour. The resumed window once failed "still RUNNING after 0 s" without a poll.
    h = await startHarness({
      sim: { jobBaseMs: 3 * MIN, jobPerDayMs: 0 },
      // One job at a time: the report order and POST count below are the serial run's.
      env: {
        EXTRACT_ENTITIES: 'qm-workflows',
        EXTRACT_START_DATE: '2026-03-12',
        EXTRACT_JOB_TIMEOUT: '10m',
        EXTRACT_MAX_JOBS_IN_FLIGHT: '1',
      },
    });
    const stop = new AbortController();
    const first = await h.run(
      { mode: 'run' },
      {
        signal: stop.signal,
        observer: {
          windowEvent: (_t, _e, _w, event) => {
            if (event.type === 'polled' && event.status === 'RUNNING')
              stop.abort(new EtlError('ABORTED', 'kill'));
          },
        },
      },
    );
    expect(first.summary.aborted).toBe(true);
    const [inFlight] = await listWindows(h.db.pool, TENANT, 'qm-workflows');
    expect(inFlight?.state).toBe('requested');

    h.clock.advance(60 * MIN);
    const second = await h.run();
    expect(second.summary.failed).toBe(0);
    expect(second.summary.windows.map((w) => [w.reason, w.outcome.status])).toEqual([
      ['resume', 'loaded'],
      ['new', 'loaded'],
    ]);
    const windows = await listWindows(h.db.pool, TENANT, 'qm-workflows');
    expect(windows.map((w) => w.state)).toEqual(['loaded', 'loaded']);
    const { rows } = await h.db.pool.query<{ job_id: string; job_ms: string | null }>(
      'SELECT job_id, job_ms FROM cxone_etl.windows ORDER BY window_start',
    );
    // The resumed job's "duration" would have been the hour of downtime: nothing learned from it.
    expect(rows[0]?.job_id).toBe(inFlight?.jobId);
    expect(rows[0]?.job_ms).toBeNull();
    // The job posted in this run was watched from its POST: learned, and no longer than it ran.
    expect(Number(rows[1]?.job_ms)).toBeGreaterThan(0);
    expect(Number(rows[1]?.job_ms)).toBeLessThanOrEqual(3 * MIN + MIN);
    expect(posts()).toBe(2);
    await expectExactRows('qm-workflows');
  });

  it('a stale huge duration sample does not fail a window before it polls', async () => {
    h = await startHarness({
      env: { EXTRACT_ENTITIES: 'qm-workflows', EXTRACT_START_DATE: '2026-03-14', EXTRACT_JOB_TIMEOUT: '10m' },
    });
    await h.run();
    // A sample of 10 hours for a 1-day window, as a resumed job used to leave.
    await h.db.pool.query(
      "UPDATE cxone_etl.windows SET job_ms = 36000000, ready_at = $1 WHERE entity = 'qm-workflows'",
      [new Date(h.clock.now())],
    );
    h.clock.set(Date.UTC(2026, 2, 16, 2, 0, 0));
    const polls: number[] = [];
    const { summary } = await h.run(
      { mode: 'run' },
      {
        observer: {
          windowEvent: (_t, _e, _w, event) => {
            if (event.type === 'polled') polls.push(h.clock.now());
          },
        },
      },
    );
    expect(summary.failed).toBe(0);
    expect(summary.windows.map((w) => [w.reason, w.outcome.status])).toEqual([
      ['lookback', 'loaded'],
      ['new', 'loaded'],
    ]);
    expect(polls.length).toBeGreaterThanOrEqual(2);
    await expectExactRows('qm-workflows');
  });
});

describe('a POST answered with a failure after the job was created', () => {
  it.each([
    ['504', { status: 504 }],
    ['500', { status: 500 }],
    ['a cut-off 202', { cutOff: true }],
  ])('%s: the job is found with one GET /jobs and adopted: zero extra jobs', async (_name, fault) => {
    // One job at a time, so the only listing is the adoption's (with jobs in flight, see below).
    h = await startHarness({
      env: {
        EXTRACT_ENTITIES: 'qm-workflows',
        EXTRACT_START_DATE: '2026-03-13',
        EXTRACT_MAX_JOBS_IN_FLIGHT: '1',
      },
    });
    h.sim.setOptions({ faults: { createdThenFail: { ...fault, count: 1 } } });
    const { summary } = await h.run();
    expect(summary.failed).toBe(0);
    const windows = await listWindows(h.db.pool, TENANT, 'qm-workflows');
    expect(windows.map((w) => w.state)).toEqual(['loaded', 'loaded']);
    // One job per window: the lost answer's job was adopted, not posted again.
    expect(posts()).toBe(windows.length);
    const adopted = windows.find((w) => w.jobOrigin === 'adopted');
    expect(adopted?.postNote).toMatch(/POST attempt 1 failed .*adopted job \S+ \((RUNNING|SUCCEEDED)\)/);
    expect(h.sim.stats().calls.byEndpoint['GET /jobs']).toBe(1);
    expect(h.sim.stats().violations.total).toBe(0);
    await expectExactRows('qm-workflows');

    const status = textSink();
    await statusCommand(
      { db: h.database, clock: h.clock, out: status.out, config: h.config },
      { json: false },
    );
    expect(status.text()).toContain('POSTs whose answer was lost');
    expect(status.text()).toContain(`adopted job ${adopted?.jobId ?? '?'}`);
  });

  it('with jobs in flight (the default, auto): the job of the lost answer is adopted too, zero extra jobs', async () => {
    // Set rather than left to the default, so a TEST_JOBS_IN_FLIGHT sweep keeps this case as it is.
    h = await startHarness({
      env: {
        EXTRACT_ENTITIES: 'qm-workflows',
        EXTRACT_START_DATE: '2026-03-12',
        EXTRACT_MAX_JOBS_IN_FLIGHT: 'auto',
      },
    });
    expect(h.config.extract.maxJobsInFlight).toBe('auto');
    h.sim.setOptions({ maxRunningJobs: 2, faults: { createdThenFail: { status: 504, count: 1 } } });
    const { summary } = await h.run();
    expect(summary.failed).toBe(0);
    const windows = await listWindows(h.db.pool, TENANT, 'qm-workflows');
    expect(windows.map((w) => w.state)).toEqual(['loaded', 'loaded']);
    expect(posts()).toBe(windows.length);
    expect(windows.filter((w) => w.jobOrigin === 'adopted')).toHaveLength(1);
    expect(h.sim.stats().violations.byKind).toEqual({});
    await expectExactRows('qm-workflows');
  });

  it('a 5xx before anything was created: GET /jobs shows no new job, the POST is sent again and noted', async () => {
    h = await startHarness({ env: { EXTRACT_ENTITIES: 'qm-workflows', EXTRACT_START_DATE: '2026-03-14' } });
    h.sim.setOptions({ faults: { http5xx: { status: 502, count: 1 } } });
    const { summary } = await h.run();
    expect(summary.failed).toBe(0);
    const [w] = await listWindows(h.db.pool, TENANT, 'qm-workflows');
    expect(w?.jobOrigin).toBe('posted');
    expect(w?.postNote).toMatch(/answered 502.*GET \/jobs listed no new job: posted again/);
    expect(posts()).toBe(1);
  });
});

describe('a window whose POST got no answer and then failed', () => {
  it('the next run looks for that job before posting, and adopts it', async () => {
    h = await startHarness({ env: { EXTRACT_ENTITIES: 'qm-workflows', EXTRACT_START_DATE: '2026-03-14' } });
    // The job exists at the API; the ledger only knows a POST went out without an answer and the
    // window then failed (e.g. GET /jobs failed too).
    const client = buildClient(h.db.pool, h.config, h.clock);
    const request = {
      entityName: 'qm-workflows',
      version: '4',
      startDate: '2026-03-14',
      endDate: '2026-03-15',
    };
    const orphan = await client.requestJob(request);
    await h.db.pool.query(
      `INSERT INTO cxone_etl.windows (tenant_id, entity, window_start, window_end, state, attempts, error,
                                      requested_at, post_uncertain)
       VALUES ($1, 'qm-workflows', $2, $3, 'failed', 1, 'POST answered 504', $4, true)`,
      [TENANT, new Date(Date.UTC(2026, 2, 14)), new Date(Date.UTC(2026, 2, 15)), new Date(h.clock.now())],
    );
    const { summary } = await h.run();
    expect(summary.windows.map((w) => [w.reason, w.outcome.status])).toEqual([['retry', 'loaded']]);
    const [w] = await listWindows(h.db.pool, TENANT, 'qm-workflows');
    expect(w?.jobId).toBe(orphan);
    expect(w?.jobOrigin).toBe('adopted');
    expect(w?.postUncertain).toBe(false);
    expect(posts()).toBe(1);
  });
});

describe('lookbacks the rule covers are not repeated', () => {
  // One job at a time: the assertions below name windows in the serial run's order.
  const ENTITIES = {
    EXTRACT_ENTITIES: 'qm-questions,wfm-payroll',
    EXTRACT_START_DATE: '2026-03-13',
    EXTRACT_MAX_JOBS_IN_FLIGHT: '1',
  };
  const NIGHT = Date.UTC(2026, 2, 16, 2, 0, 0);

  it('a run restarted a minute after the night run makes zero POSTs, and status and gaps say why', async () => {
    h = await startHarness({ env: ENTITIES });
    await h.run();
    h.clock.set(NIGHT);
    const night = await h.run();
    expect(night.summary.windows.map((w) => w.reason)).toEqual(['lookback', 'new', 'lookback', 'new']);
    const before = posts();
    h.clock.advance(MIN);
    const again = await h.run();
    expect(again.summary.windows).toEqual([]);
    expect(posts()).toBe(before);
    expect(again.summary.skippedLookbacks.map((s) => [s.entity, s.reason])).toEqual([
      ['qm-questions', 'just-loaded'],
      ['wfm-payroll', 'just-loaded'],
    ]);
    const gaps = textSink();
    expect(
      await gapsCommand({ config: h.config, db: h.database, clock: h.clock, out: gaps.out }, { json: false }),
    ).toBe(0);
    expect(gaps.text()).toMatch(
      /lookback skipped .*just-loaded: last loaded .* less than EXTRACT_SETTLE_DELAY ago/,
    );
    const status = textSink();
    await statusCommand(
      { db: h.database, clock: h.clock, out: status.out, config: h.config },
      { json: true },
    );
    const json = JSON.parse(status.text()) as { recovery: { lookbacksSkipped: { entity: string }[] } };
    expect(json.recovery.lookbacksSkipped.map((s) => s.entity).sort()).toEqual([
      'qm-questions',
      'wfm-payroll',
    ]);
  });

  it('a run killed mid-night and restarted repeats no lookback it already loaded', async () => {
    h = await startHarness({ env: ENTITIES });
    await h.run();
    h.clock.set(NIGHT);
    const stop = new AbortController();
    await h.run(
      { mode: 'run' },
      {
        signal: stop.signal,
        observer: {
          windowEnd: (_t, report) => {
            if (report.reason === 'lookback' && report.outcome.status === 'loaded') {
              stop.abort(new EtlError('ABORTED', 'kill'));
            }
          },
        },
      },
    );
    const lookbackPosts = (): number =>
      h.sim.stats().jobs.created.filter((j) => j.createdAt >= NIGHT && j.endMs <= Date.UTC(2026, 2, 15))
        .length;
    expect(lookbackPosts()).toBe(1);
    h.clock.advance(2 * MIN);
    const { summary } = await h.run();
    expect(summary.failed).toBe(0);
    // The qm-questions lookback is not repeated; wfm-payroll's, never done, is.
    expect(summary.windows.map((w) => [w.entity, w.reason])).toEqual([
      ['qm-questions', 'new'],
      ['wfm-payroll', 'lookback'],
      ['wfm-payroll', 'new'],
    ]);
    expect(lookbackPosts()).toBe(2);
    await expectExactRows('qm-questions');
    await expectExactRows('wfm-payroll');
  });

  it("a replica that starts late behind the lock repeats none of the holder's lookbacks", async () => {
    // 40-minute jobs: the holder loads qm-questions' newest day, then spends over 30 minutes on
    // wfm-payroll, so when the replica gets the lock that day is older than the settle delay and only
    // "loaded since the holder's run began" keeps the replica from extracting it again.
    h = await startHarness({ env: ENTITIES, sim: { jobBaseMs: 40 * MIN, jobPerDayMs: 0 } });
    await h.run();
    h.clock.set(NIGHT);
    const otherPool = createPool(h.db.url);
    let replica: Promise<RunResult> | undefined;
    try {
      const holder = await h.run(
        { mode: 'run' },
        {
          observer: {
            windowEnd: (_t, report) => {
              // Just after the holder loaded qm-questions' newest day: the replica's wait begins later.
              if (!replica && report.reason === 'new') {
                // Five seconds late, in clock time.
                replica = h.clock.sleep(5000).then(() => h.run({ mode: 'run' }, { pool: otherPool }));
              }
            },
          },
        },
      );
      expect(holder.summary.windows.map((w) => w.reason)).toEqual(['lookback', 'new', 'lookback', 'new']);
      const late = await (replica as Promise<RunResult>);
      expect(late.summary.windows).toEqual([]);
      expect(late.summary.skippedLookbacks.map((s) => [s.entity, s.reason])).toEqual([
        ['qm-questions', 'holder-run'],
        ['wfm-payroll', expect.stringMatching(/holder-run|just-loaded/)],
      ]);
    } finally {
      await otherPool.end();
    }
    // Four POSTs this night, all the holder's.
    expect(h.sim.stats().jobs.created.filter((j) => j.createdAt >= NIGHT)).toHaveLength(4);
    expect(h.sim.stats().violations.total).toBe(0);
  });
});
