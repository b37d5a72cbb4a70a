import { parseConfig } from '../../src/config.js';
import { dryRunCommand, runCommand } from '../../src/commands/run.js';
import { gapsCommand } from '../../src/commands/gaps.js';
import { reloadCommand } from '../../src/commands/reload.js';
import { withDatabase } from '../../src/db/database-url.js';
import type { Database } from '../../src/db/open-database.js';
import { createPool } from '../../src/db/pool.js';
import { listWindows } from '../../src/extract/windows.repository.js';
import { createLogger } from '../../src/logger.js';
import { DEFAULT_TENANT } from '../../src/simulator/index.js';
import { createEmptyTestDatabase } from '../helpers/database.js';
import { canonicalRows, startHarness, type Harness } from '../helpers/pipeline.js';
import { textSink } from '../helpers/text-sink.js';

const TENANT = DEFAULT_TENANT.id;

async function controlCounts(h: Harness): Promise<string> {
  const { rows } = await h.db.pool.query(`SELECT
    (SELECT count(*) FROM cxone_etl.windows) w, (SELECT count(*) FROM cxone_etl.checkpoints) c,
    (SELECT count(*) FROM cxone_etl.runs) r, (SELECT count(*) FROM cxone_etl.rate_gate) g,
    (SELECT max(updated_at) FROM cxone_etl.windows) wu`);
  return JSON.stringify(rows[0]);
}

describe('operator toolkit', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  it('a dry run prints the plan with the dates as sent, makes zero API calls and writes nothing', async () => {
    h = await startHarness({
      env: { EXTRACT_ENTITIES: 'qm-workflows,recording-interaction-metadata', CXONE_TENANT_ID: TENANT },
    });
    await h.run();
    h.clock.set(Date.UTC(2026, 2, 17, 2, 0, 0));
    const before = await controlCounts(h);
    const callsBefore = h.sim.stats().calls.total;
    const out = textSink();
    const code = await dryRunCommand(
      { config: h.config, db: h.database, clock: h.clock, out: out.out },
      { mode: 'run' },
      { json: true },
    );
    expect(code).toBe(0);
    expect(h.sim.stats().calls.total).toBe(callsBefore);
    expect(await controlCounts(h)).toBe(before);
    const plan = JSON.parse(out.text()) as {
      plans: {
        tenant: string;
        minApiCalls: number;
        minWallSeconds: number;
        entities: { entity: string; windows: { reason: string; startDate: string; endDate: string }[] }[];
      }[];
    };
    expect(plan.plans[0]?.tenant).toBe(TENANT);
    const rec = plan.plans[0]?.entities.find((e) => e.entity === 'recording-interaction-metadata');
    expect(rec?.windows).toEqual(
      [
        {
          reason: 'lookback',
          window: '2026-03-14..2026-03-15',
          startDate: '2026-03-14 00:00:00',
          endDate: '2026-03-15 00:00:00',
        },
        {
          reason: 'new',
          window: '2026-03-15..2026-03-17',
          startDate: '2026-03-15 00:00:00',
          endDate: '2026-03-16 00:00:00',
        },
        {
          reason: 'new',
          window: '2026-03-16..2026-03-17',
          startDate: '2026-03-16 00:00:00',
          endDate: '2026-03-17 00:00:00',
        },
      ].map(({ window: _w, ...rest }) => expect.objectContaining(rest)),
    );
    expect(plan.plans[0]?.minApiCalls).toBe(12);
    expect(plan.plans[0]?.minWallSeconds).toBe(11 * 30);
  });

  it('a dry run on a database never migrated plans a first run and creates nothing', async () => {
    h = await startHarness({ env: { EXTRACT_ENTITIES: 'qm-workflows' } });
    const empty = await createEmptyTestDatabase();
    try {
      const out = textSink();
      const db: Database = {
        pool: empty.pool,
        url: empty.url,
        displayUrl: empty.url,
        embedded: false,
        close: async () => undefined,
      };
      await dryRunCommand(
        { config: h.config, db, clock: h.clock, out: out.out },
        { mode: 'run' },
        { json: false },
      );
      expect(out.text()).toMatch(/qm-workflows\s+new\s+2026-03-10\.\.2026-03-14\s+2026-03-10\s+2026-03-14/);
      const { rows } = await empty.pool.query("SELECT to_regnamespace('cxone_etl') AS s");
      expect(rows[0].s).toBeNull();
      expect(h.sim.stats().calls.total).toBe(0);
    } finally {
      await empty.drop();
    }
  });

  it('a dry run reports a database it cannot read instead of planning a first run', async () => {
    h = await startHarness({ env: { EXTRACT_ENTITIES: 'qm-workflows' } });
    // 3D000 invalid_catalog_name: not "not migrated", so the plan of an empty ledger would be a lie.
    const url = withDatabase(h.db.url, `no_such_database_${process.pid}`);
    const pool = createPool(url, { applicationName: 'cxone-etl-test' });
    try {
      const out = textSink();
      const db: Database = { pool, url, displayUrl: url, embedded: false, close: async () => undefined };
      const failure = dryRunCommand(
        { config: h.config, db, clock: h.clock, out: out.out },
        { mode: 'run' },
        { json: false },
      );
      await expect(failure).rejects.toMatchObject({ code: 'DATABASE', cause: { code: '3D000' } });
      await expect(failure).rejects.toThrow(/could not read the window ledger.*does not exist/);
      expect(out.text()).toBe('');
    } finally {
      await pool.end();
    }
  });

  it('the gap report finds deleted ledger rows and failing windows, and exits 1 only when gaps exist', async () => {
    h = await startHarness({ env: { EXTRACT_ENTITIES: 'qm-workflows,qm-questions' } });
    await h.run();
    const run = (): Promise<{ code: number; text: string }> => {
      const out = textSink();
      return gapsCommand(
        { config: h.config, db: h.database, clock: h.clock, out: out.out },
        { json: false },
      ).then((code) => ({
        code,
        text: out.text(),
      }));
    };
    expect(await run()).toEqual({ code: 0, text: 'No gaps: every window is loaded.\n' });

    await h.db.pool.query(
      "DELETE FROM cxone_etl.windows WHERE entity = 'qm-questions' AND window_start = '2026-03-14T00:00:00Z'",
    );
    h.clock.set(Date.UTC(2026, 2, 16, 2, 0, 0));
    h.sim.setOptions({
      faults: { jobOutcome: { outcome: 'FAILED', entities: ['qm-workflows'], errorMessage: 'broken' } },
    });
    await h.run({ mode: 'run', entities: ['qm-workflows'] });
    const report = await run();
    expect(report.code).toBe(1);
    expect(report.text).toMatch(/qm-questions\s+missing\s+2026-03-14\.\.2026-03-16/);
    expect(report.text).toMatch(/qm-workflows\s+failed\s+2026-03-15\.\.2026-03-16\s+.*broken/);
  });

  it('a call budget in the middle of a backfill defers the rest, exits 0, and the next run completes exactly', async () => {
    h = await startHarness({ env: { EXTRACT_ENTITIES: 'qm-workflows', EXTRACT_BACKFILL_WINDOW: '2d' } });
    const out = textSink();
    const deps = {
      config: h.config,
      log: createLogger({ level: 'silent', format: 'json' }),
      clock: h.clock,
      signal: new AbortController().signal,
      out: out.out,
      isTty: false,
      db: h.database,
    };
    const code = await runCommand(deps, {
      mode: 'backfill',
      from: '2026-03-01',
      to: '2026-03-15',
      maxApiCalls: 5,
    });
    expect(code).toBe(0);
    expect(out.text()).toMatch(/windows deferred \(the API-call budget \(5\) would be passed\)/);
    const ledger = await listWindows(h.db.pool, TENANT, 'qm-workflows');
    expect(ledger.filter((w) => w.state === 'loaded').length).toBe(2);
    expect(ledger.filter((w) => w.state === 'deferred').length).toBeGreaterThan(0);

    expect(await runCommand(deps, { mode: 'run' })).toBe(0);
    const after = await listWindows(h.db.pool, TENANT, 'qm-workflows');
    expect(after.every((w) => w.state === 'loaded')).toBe(true);
    const actual = await h.stagingRows('qm-workflows');
    expect(canonicalRows(actual)).toEqual(
      canonicalRows(
        await h.expectedRows('qm-workflows'),
        Object.keys(actual[0] ?? {}).filter((k) => !k.startsWith('_')),
      ),
    );
  });

  it('a deadline (--until) in the middle of a backfill stops at a window boundary before it', async () => {
    h = await startHarness({ env: { EXTRACT_ENTITIES: 'qm-workflows', EXTRACT_BACKFILL_WINDOW: '1d' } });
    const out = textSink();
    const deps = {
      config: h.config,
      log: createLogger({ level: 'silent', format: 'json' }),
      clock: h.clock,
      signal: new AbortController().signal,
      out: out.out,
      isTty: false,
      db: h.database,
    };
    // 02:00 now; each one-day window costs at least 2 calls 30 s apart.
    const code = await runCommand(deps, {
      mode: 'backfill',
      from: '2026-03-01',
      to: '2026-03-15',
      until: '02:05',
    });
    expect(code).toBe(0);
    expect(out.text()).toMatch(/windows deferred \(the deadline 2026-03-15T02:05:00.000Z would be passed\)/);
    expect(h.clock.now()).toBeLessThanOrEqual(Date.UTC(2026, 2, 15, 2, 5));
    const ledger = await listWindows(h.db.pool, TENANT, 'qm-workflows');
    const loaded = ledger.filter((w) => w.state === 'loaded').length;
    expect(loaded).toBeGreaterThan(0);
    expect(loaded + ledger.filter((w) => w.state === 'deferred').length).toBe(14);
  });

  it('reconciliation catches a body whose later rows COPY would silently drop, and keeps the old data', async () => {
    h = await startHarness({ env: { EXTRACT_ENTITIES: 'qm-questions', EXTRACT_START_DATE: '2026-03-14' } });
    await h.run();
    const before = canonicalRows(await h.stagingRows('qm-questions'));
    h.sim.setOptions({ faults: { endOfDataMarkerAfter: 10 } });
    const { summary } = await h.run({ mode: 'backfill', from: '2026-03-14', to: '2026-03-15' });
    expect(summary.failed).toBe(1);
    const failure = summary.windows[0]?.outcome;
    expect(failure?.status === 'failed' && failure.error.message).toMatch(
      /entity=qm-questions window=2026-03-14\.\.2026-03-15 job=/,
    );
    expect(canonicalRows(await h.stagingRows('qm-questions'))).toEqual(before);
  });

  it('reload replaces exactly one window, says how many rows changed, and is idempotent', async () => {
    h = await startHarness({ env: { EXTRACT_ENTITIES: 'qm-workflows' } });
    await h.run();
    const deps = {
      config: h.config,
      log: createLogger({ level: 'silent', format: 'json' }),
      clock: h.clock,
      signal: new AbortController().signal,
      isTty: false,
      db: h.database,
    };
    const first = textSink();
    expect(
      await reloadCommand({ ...deps, out: first.out }, { entity: 'qm-workflows', day: '2026-03-11' }),
    ).toBe(0);
    expect(first.text()).toMatch(
      /^qm-workflows 2026-03-10\.\.2026-03-14: (\d+) rows replaced by \1 \(\+0\), job /,
    );
    const once = canonicalRows(await h.stagingRows('qm-workflows'));
    const second = textSink();
    await reloadCommand({ ...deps, out: second.out }, { entity: 'qm-workflows', day: '2026-03-11' });
    expect(canonicalRows(await h.stagingRows('qm-workflows'))).toEqual(once);
    const windows = await listWindows(h.db.pool, TENANT, 'qm-workflows');
    expect(windows.map((w) => [w.start, w.end])).toEqual([
      [Date.UTC(2026, 2, 10), Date.UTC(2026, 2, 14)],
      [Date.UTC(2026, 2, 14), Date.UTC(2026, 2, 15)],
    ]);
    void parseConfig;
  });
});
