/**
 * A job POST answered 503 with an empty body and `Retry-After: 1`, no job created, while another job
 * of ours runs (the simulator's `postRefused` fault), on a tenant that allows two jobs and calls spaced
 * from the end of each answer (the rate gate). The worker cannot tell it from a POST that landed, so it
 * looks for the job with GET /jobs and, finding none, posts again: every row loads, at one job in flight
 * and at two. The run is bounded by the warp clock: a stall ends it by abort and fails the test.
 */
import { EtlError } from '../../src/lib/errors.js';
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
