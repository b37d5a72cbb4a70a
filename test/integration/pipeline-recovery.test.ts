import { createPool } from '../../src/db/pool.js';
import { EtlError } from '../../src/lib/errors.js';
import { listWindows } from '../../src/extract/windows.repository.js';
import { getCheckpoint } from '../../src/extract/checkpoints.repository.js';
import { DEFAULT_TENANT } from '../../src/simulator/index.js';
import { canonicalRows, startHarness, type Harness } from '../helpers/pipeline.js';

const TENANT = DEFAULT_TENANT.id;
const postsFor = (h: Harness, entity: string): number =>
  h.sim.stats().jobs.created.filter((j) => j.entity === entity && !j.sync).length;

describe('pipeline recovery', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  it('a worker stopped mid-poll resumes the same job after a restart: one POST for that window', async () => {
    // Jobs take 3 min of clock time, so the first status call (30 s after the POST) answers RUNNING.
    h = await startHarness({
      sim: { jobBaseMs: 180_000 },
      env: { EXTRACT_ENTITIES: 'qm-workflows', EXTRACT_START_DATE: '2026-03-14' },
    });
    const stop = new AbortController();
    const first = await h.run(
      { mode: 'run' },
      {
        signal: stop.signal,
        observer: {
          windowEvent: (_t, _e, _w, event) => {
            if (event.type === 'polled' && event.status === 'RUNNING')
              stop.abort(new EtlError('ABORTED', 'test stop'));
          },
        },
      },
    );
    expect(first.summary.aborted).toBe(true);
    const [inFlight] = await listWindows(h.db.pool, TENANT, 'qm-workflows');
    expect(inFlight?.state).toBe('requested');
    expect(inFlight?.jobId).toBeTruthy();

    const second = await h.run();
    expect(second.summary.failed).toBe(0);
    expect(second.summary.windows.map((w) => w.reason)).toEqual(['resume']);
    const [done] = await listWindows(h.db.pool, TENANT, 'qm-workflows');
    expect(done?.state).toBe('loaded');
    expect(done?.jobId).toBe(inFlight?.jobId);
    expect(postsFor(h, 'qm-workflows')).toBe(1);
    expect(h.sim.stats().violations.total).toBe(0);
  });

  it('a resumed job that GET /jobs no longer lists is requested anew', async () => {
    h = await startHarness({
      sim: { jobBaseMs: 180_000 },
      env: { EXTRACT_ENTITIES: 'qm-workflows', EXTRACT_START_DATE: '2026-03-14' },
    });
    const stop = new AbortController();
    await h.run(
      { mode: 'run' },
      {
        signal: stop.signal,
        observer: {
          windowEvent: (_t, _e, _w, event) => {
            if (event.type === 'polled') stop.abort(new EtlError('ABORTED', 'test stop'));
          },
        },
      },
    );
    const [inFlight] = await listWindows(h.db.pool, TENANT, 'qm-workflows');
    h.sim.reset(); // the API forgets every job
    const { summary } = await h.run();
    expect(summary.windows.map((w) => w.reason)).toEqual(['retry']);
    expect(summary.failed).toBe(0);
    const [done] = await listWindows(h.db.pool, TENANT, 'qm-workflows');
    expect(done?.state).toBe('loaded');
    expect(done?.jobId).not.toBe(inFlight?.jobId);
    expect(h.sim.stats().calls.byEndpoint['GET /jobs']).toBe(1);
  });

  it('two workers for one tenant started together: 0 violations and every window loaded once', async () => {
    h = await startHarness({ env: { EXTRACT_ENTITIES: 'qm-questions,wfm-payroll' } });
    const otherPool = createPool(h.db.url);
    try {
      const [a, b] = await Promise.all([h.run(), h.run({ mode: 'run' }, { pool: otherPool })]);
      expect(a.summary.failed + b.summary.failed).toBe(0);
      // One of them did the work; the other waited for the tenant lock and found nothing due.
      expect(a.summary.windows.length + b.summary.windows.length).toBe(4);
    } finally {
      await otherPool.end();
    }
    expect(h.sim.stats().violations.total).toBe(0);
    expect(postsFor(h, 'qm-questions')).toBe(2);
    expect(postsFor(h, 'wfm-payroll')).toBe(2);
  });

  it('an expired download URL gets one fresh status call and the load succeeds', async () => {
    h = await startHarness({ env: { EXTRACT_ENTITIES: 'qm-workflows', EXTRACT_START_DATE: '2026-03-14' } });
    // The worker downloads at once, so make the URL expire before it can: a zero-length lifetime.
    h.sim.setOptions({ urlTtlMs: 0 });
    // When the worker notices (before its fresh status call), give URLs their normal life again.
    const run = h.run(
      { mode: 'run' },
      {
        observer: {
          windowEvent: (_t, _e, _w, event) => {
            if (event.type === 'url-refreshed') h.sim.setOptions({ urlTtlMs: 30_000 });
          },
        },
      },
    );
    const { summary } = await run;
    expect(summary.failed).toBe(0);
    expect(h.sim.stats().downloads.expired).toBe(1);
    expect(postsFor(h, 'qm-workflows')).toBe(1);
  });

  it('FAILED and EXPIRED jobs are retried with new jobs; the window then loads', async () => {
    h = await startHarness({ env: { EXTRACT_ENTITIES: 'qm-workflows', EXTRACT_START_DATE: '2026-03-14' } });
    h.sim.setOptions({
      faults: {
        jobOutcome: [
          { outcome: 'FAILED', count: 1, errorMessage: 'internal extraction error' },
          { outcome: 'EXPIRED', count: 1 },
        ],
      },
    });
    const { summary } = await h.run();
    expect(summary.failed).toBe(0);
    expect(postsFor(h, 'qm-workflows')).toBe(3);
    const [w] = await listWindows(h.db.pool, TENANT, 'qm-workflows');
    expect(w?.state).toBe('loaded');
    expect(w?.attempts).toBe(3);
  });

  it('a window that fails every time ends failed with its error and the other entities still load', async () => {
    h = await startHarness({
      env: {
        EXTRACT_ENTITIES: 'qm-workflows,qm-questions',
        EXTRACT_START_DATE: '2026-03-14',
        EXTRACT_MAX_ATTEMPTS: '2',
      },
    });
    h.sim.setOptions({
      faults: {
        jobOutcome: { outcome: 'FAILED', entities: ['qm-workflows'], errorMessage: 'entity is broken' },
      },
    });
    const { summary } = await h.run();
    expect(summary.failed).toBe(1);
    const [failed] = await listWindows(h.db.pool, TENANT, 'qm-workflows');
    expect(failed?.state).toBe('failed');
    expect(failed?.error).toMatch(
      /entity=qm-workflows window=2026-03-14\.\.2026-03-15 job=.*job ended FAILED: entity is broken/,
    );
    expect(postsFor(h, 'qm-workflows')).toBe(2);
    const [ok] = await listWindows(h.db.pool, TENANT, 'qm-questions');
    expect(ok?.state).toBe('loaded');
    expect(await getCheckpoint(h.db.pool, TENANT, 'qm-workflows')).toBeUndefined();
  });

  it('a 403 for one entity (missing permission) fails that entity only, after busy retries', async () => {
    h = await startHarness({
      sim: { tenants: [{ ...DEFAULT_TENANT, entities: ['qm-workflows'] }] },
      env: { EXTRACT_ENTITIES: 'wfm-payroll,qm-workflows' },
    });
    const { summary } = await h.run();
    const payroll = summary.windows.filter((w) => w.entity === 'wfm-payroll');
    expect(payroll.length).toBe(2);
    for (const w of payroll) {
      expect(w.outcome.status).toBe('failed');
      if (w.outcome.status === 'failed') expect(w.outcome.error.code).toBe('PERMISSION');
    }
    // Only the first payroll window spent API calls: the second failed without asking.
    expect(h.sim.stats().jobs.created.filter((j) => j.entity === 'wfm-payroll')).toHaveLength(0);
    expect(
      summary.windows.filter((w) => w.entity === 'qm-workflows').every((w) => w.outcome.status === 'loaded'),
    ).toBe(true);
    expect(h.sim.stats().violations.total).toBe(0);
  });

  it('an expired token is refreshed once and the run goes on', async () => {
    // Tokens live 2 min of clock time; a first run spends several minutes under the 30-s rule.
    h = await startHarness({
      sim: { tokenTtlMs: 120_000 },
      env: { EXTRACT_ENTITIES: 'qm-workflows,qm-questions' },
    });
    const { summary } = await h.run();
    expect(summary.failed).toBe(0);
    const tokens = h.sim.stats().tokensIssued;
    expect(tokens).toBeGreaterThan(1);
    expect(h.sim.stats().violations.total).toBe(0);
  });

  it('schema drift: a column that appears mid-range is added and earlier rows read NULL', async () => {
    h = await startHarness({
      sim: { driftFromDate: '2026-03-14' },
      env: { EXTRACT_ENTITIES: 'recording-interaction-metadata' },
    });
    const { summary } = await h.run();
    expect(summary.failed).toBe(0);
    const rows = await h.stagingRows('recording-interaction-metadata');
    const early = rows.filter(
      (r) => new Date(r._window_end as unknown as string).getTime() <= Date.UTC(2026, 2, 14),
    );
    const late = rows.filter(
      (r) => new Date(r._window_start as unknown as string).getTime() >= Date.UTC(2026, 2, 14),
    );
    expect(early.length).toBeGreaterThan(0);
    expect(early.every((r) => r.sentiment_score === null)).toBe(true);
    expect(late.some((r) => r.sentiment_score !== null)).toBe(true);
  });

  it('a header-only file loads zero rows and advances the checkpoint', async () => {
    h = await startHarness({
      sim: { rowsPerDay: { 'qm-workflows': 0 } },
      env: { EXTRACT_ENTITIES: 'qm-workflows', EXTRACT_START_DATE: '2026-03-14' },
    });
    const { summary } = await h.run();
    expect(summary.failed).toBe(0);
    expect(summary.entities[0]?.rows).toBe(0);
    expect((await getCheckpoint(h.db.pool, TENANT, 'qm-workflows'))?.loadedUntil).toBe(Date.UTC(2026, 2, 15));
    expect(await h.stagingRows('qm-workflows')).toEqual([]);
  });

  it('an HTML body fails the window with a clear message and leaves earlier data intact', async () => {
    h = await startHarness({ env: { EXTRACT_ENTITIES: 'qm-workflows', EXTRACT_START_DATE: '2026-03-14' } });
    await h.run();
    const before = canonicalRows(await h.stagingRows('qm-workflows'));
    h.clock.set(Date.UTC(2026, 2, 16, 2, 0, 0));
    h.sim.setOptions({ faults: { download: 'html' } });
    const { summary } = await h.run();
    expect(summary.failed).toBe(2);
    const messages = summary.windows.map((w) =>
      w.outcome.status === 'failed' ? w.outcome.error.message : '',
    );
    expect(messages[0]).toMatch(/entity=qm-workflows window=2026-03-14\.\.2026-03-15 job=\S+\].*HTML/);
    expect(canonicalRows(await h.stagingRows('qm-workflows'))).toEqual(before);
    expect((await getCheckpoint(h.db.pool, TENANT, 'qm-workflows'))?.loadedUntil).toBe(Date.UTC(2026, 2, 15));
  });
});
