import { ENTITY_NAMES, type EntityName } from '../../src/entities/catalog.js';
import { listWindows } from '../../src/extract/windows.repository.js';
import { getCheckpoint } from '../../src/extract/checkpoints.repository.js';
import {
  DEFAULT_TENANT,
  STRICT_SIMULATOR_OPTIONS,
  type SimulatorOptions,
} from '../../src/simulator/index.js';
import { canonicalRows, startHarness as startDefaultHarness, type Harness } from '../helpers/pipeline.js';

const DAY = 86_400_000;
const TENANT = DEFAULT_TENANT.id;

async function expectExactRows(h: Harness, entity: EntityName): Promise<number> {
  const actual = await h.stagingRows(entity);
  const columns = Object.keys(actual[0] ?? {}).filter((k) => !k.startsWith('_'));
  const expected = await h.expectedRows(entity);
  expect(canonicalRows(actual, columns)).toEqual(canonicalRows(expected, columns));
  return actual.length;
}

/**
 * Run twice: against the simulator's defaults and its strict options (every jobs call rate-limited,
 * one version per entity, ...); the pipeline must load exactly the same rows without a violation.
 */
describe.each([
  ['default', {}],
  ['strict', STRICT_SIMULATOR_OPTIONS],
] as const)('extraction pipeline end to end (%s simulator + real Postgres)', (_mode, mode) => {
  const startHarness = (opts: Parameters<typeof startDefaultHarness>[0] = {}): Promise<Harness> =>
    startDefaultHarness({ ...opts, sim: { ...(mode as Partial<SimulatorOptions>), ...opts.sim } });
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  it('first run backfills from EXTRACT_START_DATE: staging holds exactly the simulator rows, with metadata', async () => {
    h = await startHarness();
    const { summary } = await h.run();
    expect(summary.failed).toBe(0);
    // 2026-03-10 .. 2026-03-15 (horizon at 01:30 on the 15th floors to the 15th): 4 days merged + 1 day.
    for (const entity of ENTITY_NAMES) {
      const windows = (await listWindows(h.db.pool, TENANT, entity)).map((w) => [
        new Date(w.start).toISOString().slice(0, 10),
        new Date(w.end).toISOString().slice(0, 10),
        w.state,
      ]);
      if (entity !== 'wfm-payroll') {
        expect(windows).toEqual([
          ['2026-03-10', '2026-03-14', 'loaded'],
          ['2026-03-14', '2026-03-15', 'loaded'],
        ]);
      }
      const n = await expectExactRows(h, entity);
      expect(n).toBeGreaterThan(0);
    }
    const rows = await h.stagingRows('qm-workflows');
    const jobIds = new Set((await listWindows(h.db.pool, TENANT, 'qm-workflows')).map((w) => w.jobId));
    for (const r of rows) {
      expect(r._tenant_id).toBe(TENANT);
      expect(jobIds.has(r._job_id as string)).toBe(true);
      expect(r._loaded_at).toBeTruthy();
      expect(
        Number(new Date(r._window_end as unknown as string)) -
          Number(new Date(r._window_start as unknown as string)),
      ).toBeGreaterThan(0);
    }
    expect((await getCheckpoint(h.db.pool, TENANT, 'qm-workflows'))?.loadedUntil).toBe(Date.UTC(2026, 2, 15));
    expect(h.sim.stats().violations.total).toBe(0);
    expect(h.sim.stats().downloadsWithAuthHeader).toBe(0);
  });

  it('daily runs after a backfill: lookback re-extracts the previous day without duplicates, new days are added', async () => {
    h = await startHarness({ env: { EXTRACT_ENTITIES: 'qm-questions,recording-interaction-metadata' } });
    await h.run();
    for (let night = 1; night <= 3; night++) {
      h.clock.set(Date.UTC(2026, 2, 15 + night, 2, 0, 0));
      const { summary } = await h.run();
      expect(summary.failed).toBe(0);
      expect(summary.windows.map((w) => w.reason)).toEqual(['lookback', 'new', 'lookback', 'new']);
    }
    for (const entity of ['qm-questions', 'recording-interaction-metadata'] as const) {
      await expectExactRows(h, entity);
      const cp = await getCheckpoint(h.db.pool, TENANT, entity);
      expect(cp?.loadedUntil).toBe(Date.UTC(2026, 2, 18));
    }
    expect(h.sim.stats().violations.total).toBe(0);
  });

  it('an explicit backfill over loaded days replaces them with one window and no duplicates', async () => {
    h = await startHarness({ env: { EXTRACT_ENTITIES: 'qm-workflows' } });
    await h.run();
    const before = (await h.stagingRows('qm-workflows')).length;
    const { summary } = await h.run({ mode: 'backfill', from: '2026-03-08', to: '2026-03-15' });
    expect(summary.failed).toBe(0);
    const windows = await listWindows(h.db.pool, TENANT, 'qm-workflows');
    expect(windows.map((w) => [w.start, w.end, w.state])).toEqual([
      [Date.UTC(2026, 2, 8), Date.UTC(2026, 2, 14), 'loaded'],
      [Date.UTC(2026, 2, 14), Date.UTC(2026, 2, 15), 'loaded'],
    ]);
    const after = await expectExactRows(h, 'qm-workflows');
    expect(after).toBeGreaterThan(before);
  });

  it('wfm-payroll: a backfill of local dates sends exactly those dates in the schedule unit zone', async () => {
    h = await startHarness({ env: { EXTRACT_ENTITIES: 'wfm-payroll', WFM_TIMEZONE: 'Asia/Seoul' } });
    const { summary } = await h.run({ mode: 'backfill', from: '2026-03-01', to: '2026-03-05' });
    expect(summary.failed).toBe(0);
    expect(h.sim.stats().jobs.created.map((j) => [j.startDate, j.endDate])).toEqual([
      ['2026-03-01', '2026-03-05'],
    ]);
    const [w] = await listWindows(h.db.pool, TENANT, 'wfm-payroll');
    // Seoul midnight is 15:00 UTC the day before.
    expect(new Date(w?.start ?? 0).toISOString()).toBe('2026-02-28T15:00:00.000Z');
  });

  it('late data: rows that arrive within the settle delay are present after the next lookback, once', async () => {
    h = await startHarness({
      env: { EXTRACT_ENTITIES: 'recording-interaction-metadata', EXTRACT_SETTLE_DELAY: '0s' },
    });
    h.clock.set(Date.UTC(2026, 2, 15, 0, 5, 0)); // five minutes after midnight: the last rows of the 14th are not visible yet
    await h.run();
    const firstLoad = (await h.stagingRows('recording-interaction-metadata')).length;
    h.clock.set(Date.UTC(2026, 2, 16, 2, 0, 0));
    await h.run();
    const lookbackWindow = (await listWindows(h.db.pool, TENANT, 'recording-interaction-metadata')).find(
      (w) => w.start === Date.UTC(2026, 2, 14),
    );
    expect(lookbackWindow?.previousRows).not.toBeNull();
    expect(lookbackWindow?.rowsLoaded).toBeGreaterThan(lookbackWindow?.previousRows ?? Infinity);
    await expectExactRows(h, 'recording-interaction-metadata');
    expect((await h.stagingRows('recording-interaction-metadata')).length).toBeGreaterThan(firstLoad);
  });

  it('uses every entity with a first run under the 30-s rule in clock time, never violating it', async () => {
    h = await startHarness();
    const started = h.clock.now();
    const { summary } = await h.run();
    const calls = h.sim.stats().calls.total - (h.sim.stats().calls.byEndpoint.download ?? 0);
    expect(summary.windows).toHaveLength(10);
    // At least (calls - 3 non-gated) intervals of 30 s went by in clock time.
    expect(h.clock.now() - started).toBeGreaterThanOrEqual((calls - 3) * 30_000);
    expect(h.sim.stats().violations.total).toBe(0);
    void DAY;
  });
});

describe('older API versions (the simulator default accepts recordings 7 to 10)', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  it('loads recording-interaction-metadata version 7, with its fewer columns, exactly', async () => {
    h = await startDefaultHarness({
      env: {
        EXTRACT_ENTITIES: 'recording-interaction-metadata',
        CXONE_ENTITY_VERSIONS: 'recording-interaction-metadata=7',
      },
    });
    const { summary } = await h.run();
    expect(summary.failed).toBe(0);
    expect(h.sim.stats().jobs.created.every((j) => j.version === '7')).toBe(true);
    const rows = await h.stagingRows('recording-interaction-metadata');
    expect(Object.keys(rows[0] ?? {})).toEqual(
      expect.arrayContaining(['acd_call_id', 'agent_1_contact_number']),
    );
    expect(Object.keys(rows[0] ?? {})).not.toContain('agent_notes');
    await expectExactRows(h, 'recording-interaction-metadata');
  });
});
