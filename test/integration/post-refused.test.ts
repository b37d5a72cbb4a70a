/**
 * A job POST answered 503 with an empty body and `Retry-After: 1`, no job created, while another job
 * of ours runs (the simulator's `postRefused` fault), on a tenant that allows two jobs and calls spaced
 * from the end of each answer (the rate gate). The worker cannot tell it from a POST that landed, so it
 * looks for the job with GET /jobs and, finding none, posts again: every row loads, at one job in flight
 * and at two. The run is bounded by the warp clock: a stall ends it by abort and fails the test.
 */
import { EtlError } from '../../src/lib/errors.js';
import { rememberJobs } from '../../src/extract/jobs-seen.repository.js';
import { listWindows } from '../../src/extract/windows.repository.js';
import { DEFAULT_TENANT } from '../../src/simulator/index.js';
import { recordFigures } from '../helpers/figures.js';
import { canonicalRows, startHarness, type Harness } from '../helpers/pipeline.js';

const TENANT = DEFAULT_TENANT.id;
/** Clock time the run may take: far more than it needs, far less than a stall. */
const RUN_BOUND_MS = 6 * 3_600_000;

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe.each([1, 2])('a POST refused 503 with no job created (EXTRACT_MAX_JOBS_IN_FLIGHT=%i)', (n) => {
  it('is looked for, posted again, and every window loads exactly', async () => {
    h = await startHarness({
      sim: {
        maxRunningJobs: 2,
        lateArrivalMaxMs: 0,
        jobBaseMs: 120_000,
        // At one job in flight no job of ours runs beside a POST: refuse the first POST regardless.
        faults: { postRefused: { count: 1, whileRunning: n > 1 } },
      },
      env: {
        EXTRACT_ENTITIES: 'qm-workflows',
        EXTRACT_BACKFILL_WINDOW: '1d',
        EXTRACT_MAX_JOBS_IN_FLIGHT: String(n),
      },
    });
    const harness = h;
    const stop = new AbortController();
    const bound = harness.clock.now() + RUN_BOUND_MS;
    harness.clock.bind(bound, () => stop.abort(new EtlError('ABORTED', 'test bound passed')));
    const { summary } = await harness.run({ mode: 'run' }, { signal: stop.signal });

    expect(stop.signal.aborted).toBe(false);
    expect(harness.clock.now()).toBeLessThan(bound);
    expect(summary.aborted).toBe(false);
    expect(summary.failed).toBe(0);
    const stats = harness.sim.stats();
    expect(stats.faultsInjected).toMatchObject({ postRefused503: 1 });
    if (n > 1) {
      // The refused window's job is requested again while the first job still runs (130 s: 120 s + 10 s
      // a day), not after it ended: nothing waits on a job of ours, and that job is still polled.
      const [first, second] = stats.jobs.created;
      expect(second?.createdAt).toBeLessThan((first?.createdAt ?? 0) + 130_000);
    }
    const windows = await listWindows(harness.db.pool, TENANT, 'qm-workflows');
    expect(windows.length).toBeGreaterThan(2);
    expect(windows.every((w) => w.state === 'loaded')).toBe(true);
    expect(harness.sim.stats().jobs.total).toBe(windows.length);
    // No silent wait: the run said at debug level what it waited for.
    expect(harness.logs()).toMatch(/"msg":"waiting for the status call of job \S+ \(expected to end then\)"/);
    const got = canonicalRows(await harness.stagingRows('qm-workflows'));
    expect(got.length).toBeGreaterThan(0);
    expect(got).toEqual(canonicalRows(await harness.expectedRows('qm-workflows')));
    recordFigures('faults', `POST refused 503, no job created (${n} job${n > 1 ? 's' : ''} in flight)`, {
      injected: stats.faultsInjected.postRefused503,
      posts: stats.jobs.total,
      windows: `${windows.length} loaded`,
      violations: stats.violations.total,
    });
  });
});

describe('a lost POST while the tenant runs a job that is not ours', () => {
  it('holds that window back, polls and loads our job meanwhile, and posts once the tenant is free', async () => {
    h = await startHarness({
      sim: {
        maxRunningJobs: 3,
        lateArrivalMaxMs: 0,
        // Our one-day jobs take 2.5 min; the foreign job over 14 days (the API's most), 9 min.
        jobBaseMs: 120_000,
        jobPerDayMs: 30_000,
        // The second job POST (the first runs beside the foreign job) is refused with no job created.
        faults: { postRefused: { count: 1, everyNth: 2 } },
      },
      env: {
        EXTRACT_ENTITIES: 'qm-workflows',
        EXTRACT_BACKFILL_WINDOW: '1d',
        EXTRACT_MAX_JOBS_IN_FLIGHT: '2',
      },
    });
    const harness = h;
    // Another caller's job. Its id was seen in an earlier listing, so it is no lost POST's job to adopt;
    // a POST beside it could still be refused or run a job too many.
    const foreign = await foreignJob(harness.sim.url, '2026-02-01', '2026-02-15');
    await rememberJobs(harness.db.pool, TENANT, [foreign], 'listed', harness.clock.now());
    harness.clock.advance(30_000);
    const started = harness.clock.now();
    const stop = new AbortController();
    const bound = started + RUN_BOUND_MS;
    harness.clock.bind(bound, () => stop.abort(new EtlError('ABORTED', 'test bound passed')));
    const { summary } = await harness.run({ mode: 'run' }, { signal: stop.signal });

    expect(stop.signal.aborted).toBe(false);
    expect(summary.failed).toBe(0);
    const stats = harness.sim.stats();
    expect(stats.faultsInjected).toMatchObject({ postRefused503: 1 });
    const [other, ours] = stats.jobs.created;
    expect(other?.id).toBe(foreign);
    const foreignEnds = (other?.createdAt ?? 0) + 120_000 + 14 * 30_000;
    // Our first job was polled and loaded while the other window was held back, not after the foreign job.
    const windows = await listWindows(harness.db.pool, TENANT, 'qm-workflows');
    const firstLoad = windows.find((w) => w.jobId === ours?.id);
    expect(firstLoad?.state).toBe('loaded');
    expect(firstLoad?.loadedAt).toBeLessThan(foreignEnds);
    // No job of ours was posted beside the foreign one after the lost POST: the next came once it ended.
    const afterLost = stats.jobs.created.slice(2);
    expect(afterLost.length).toBeGreaterThan(0);
    expect(Math.min(...afterLost.map((j) => j.createdAt))).toBeGreaterThan(foreignEnds);
    expect(windows.every((w) => w.state === 'loaded')).toBe(true);
    expect(harness.logs()).toMatch(
      new RegExp(
        `"msg":"waiting for the end of job ${foreign}, not ours \\(a lost POST's\\?\\), before posting again"`,
      ),
    );
    const got = canonicalRows(await harness.stagingRows('qm-workflows'));
    expect(got).toEqual(canonicalRows(await harness.expectedRows('qm-workflows')));
  });
});

/** Starts a job as another caller would (its own token, straight to the API); returns its id. */
async function foreignJob(url: string, startDate: string, endDate: string): Promise<string> {
  const token = (await (
    await fetch(`${url}/authentication/v1/token/access-key`, {
      method: 'POST',
      body: JSON.stringify({
        accessKeyId: DEFAULT_TENANT.accessKeyId,
        accessKeySecret: DEFAULT_TENANT.accessKeySecret,
      }),
    })
  ).json()) as { access_token: string };
  const posted = await fetch(`${url}/data-extraction/v1/jobs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token.access_token}` },
    body: JSON.stringify({ entityName: 'qm-workflows', version: '4', startDate, endDate }),
  });
  return (await posted.json()) as string;
}
