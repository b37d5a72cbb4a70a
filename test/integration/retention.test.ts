import { dryRunCommand } from '../../src/commands/run.js';
import { gapsCommand } from '../../src/commands/gaps.js';
import { parseConfig } from '../../src/config.js';
import { listWindows } from '../../src/extract/windows.repository.js';
import { removeExpired } from '../../src/run/retention.js';
import { DEFAULT_TENANT } from '../../src/simulator/index.js';
import { startHarness, T0, type Harness } from '../helpers/pipeline.js';
import { textSink } from '../helpers/text-sink.js';

const DAY = 86_400_000;
const ENTITIES = 'qm-workflows,recording-interaction-metadata';
// Day-long windows: a window goes when its end passes the horizon, so a merged catch-up window would stay.
const WEEK_BACK = {
  EXTRACT_ENTITIES: ENTITIES,
  EXTRACT_START_DATE: '2026-03-08',
  EXTRACT_BACKFILL_WINDOW: '1d',
};
const RETAINED = { ...WEEK_BACK, RETENTION: '3d' };

/** The window ends of every staging row's load, per entity, and of the ledger. */
async function oldestEnds(h: Harness): Promise<{ staging: number; ledger: number; loads: number }> {
  const { rows } = await h.db.pool.query<{ staging: Date; loads: Date }>(
    `SELECT (SELECT min(l.window_end) FROM cxone_staging.qm_workflows s JOIN cxone_etl.loads l ON l.load_id = s._load_id) AS staging,
            (SELECT min(window_end) FROM cxone_etl.loads) AS loads`,
  );
  const ledger = Math.min(
    ...(await listWindows(h.db.pool, DEFAULT_TENANT.id, 'qm-workflows')).map((w) => w.end),
    ...(await listWindows(h.db.pool, DEFAULT_TENANT.id, 'recording-interaction-metadata')).map((w) => w.end),
  );
  return { staging: rows[0]!.staging.getTime(), loads: rows[0]!.loads.getTime(), ledger };
}

async function orphanRows(h: Harness): Promise<number> {
  const { rows } = await h.db.pool.query<{ n: number }>(
    `SELECT (SELECT count(*) FROM cxone_staging.qm_workflows s
              WHERE NOT EXISTS (SELECT 1 FROM cxone_etl.loads l WHERE l.load_id = s._load_id))
          + (SELECT count(*) FROM cxone_staging.recording_interaction_metadata s
              WHERE NOT EXISTS (SELECT 1 FROM cxone_etl.loads l WHERE l.load_id = s._load_id)) AS n`,
  );
  return Number(rows[0]?.n);
}

async function runRow(h: Harness, runId: number): Promise<{ loads: number; rows: number }> {
  const { rows } = await h.db.pool.query<{ loads: number; rows: string }>(
    'SELECT retention_loads_removed AS loads, retention_rows_removed AS rows FROM cxone_etl.runs WHERE id = $1',
    [runId],
  );
  return { loads: rows[0]!.loads, rows: Number(rows[0]!.rows) };
}

describe('RETENTION (simulator + real Postgres)', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  it('with RETENTION=3d and a start a week back: only windows inside the horizon are extracted and gaps exits 0', async () => {
    h = await startHarness({ env: RETAINED });
    const { summary } = await h.run();
    expect(summary.failed).toBe(0);
    const horizon = T0 - 3 * DAY;
    const ends = await oldestEnds(h);
    expect(ends.staging).toBeGreaterThan(horizon);
    expect(ends.ledger).toBeGreaterThan(horizon);
    // The unit holding the horizon is the first one extracted: nothing before it, nothing missing after.
    const starts = (await listWindows(h.db.pool, DEFAULT_TENANT.id, 'qm-workflows')).map((w) => w.start);
    expect(Math.min(...starts)).toBe(Date.UTC(2026, 2, 12));
    const gaps = textSink();
    const code = await gapsCommand(
      { config: h.config, db: h.database, clock: h.clock, out: gaps.out },
      { json: false },
    );
    expect([code, gaps.text()]).toEqual([0, expect.not.stringContaining('missing')]);
  });

  it('a run removes loads that fell out of the horizon, counts them, and the next run removes nothing more', async () => {
    h = await startHarness({ env: WEEK_BACK });
    await h.run();
    const before = await oldestEnds(h);
    expect(before.staging).toBeLessThan(T0 - 3 * DAY);

    const dry = textSink();
    await dryRunCommand(
      { config: parseConfig({ ...envOf(h), ...RETAINED }), db: h.database, clock: h.clock, out: dry.out },
      { mode: 'run' },
      { json: false },
    );
    expect(dry.text()).toMatch(/retention: qm-workflows: would remove [1-9]\d* loads \([1-9]\d* rows\)/);
    expect(await oldestEnds(h)).toEqual(before);

    const removed: { entity: string; loads: number; rows: number }[] = [];
    const first = await h.run(
      { mode: 'run' },
      { env: RETAINED, observer: { retention: (_t, r) => removed.push(...r) } },
    );
    const counted = await runRow(h, first.runId);
    expect(counted.loads).toBeGreaterThan(0);
    expect(counted.rows).toBeGreaterThan(0);
    expect(removed.reduce((n, r) => n + r.rows, 0)).toBe(counted.rows);
    const after = await oldestEnds(h);
    expect(after.staging).toBeGreaterThan(T0 - 3 * DAY);
    expect(after.loads).toBeGreaterThan(T0 - 3 * DAY);
    expect(after.ledger).toBeGreaterThan(T0 - 3 * DAY);
    expect(await orphanRows(h)).toBe(0);
    const { rows: pending } = await h.db.pool.query('SELECT * FROM cxone_etl.expired_loads');
    expect(pending).toEqual([]);

    const second = await h.run({ mode: 'run' }, { env: RETAINED });
    expect(await runRow(h, second.runId)).toEqual({ loads: 0, rows: 0 });
    const gaps = textSink();
    const code = await gapsCommand(
      { config: parseConfig({ ...envOf(h), ...RETAINED }), db: h.database, clock: h.clock, out: gaps.out },
      { json: false },
    );
    expect(code).toBe(0);
  });

  it('removal in small batches deletes every expired row and leaves none for the next call', async () => {
    h = await startHarness({ env: WEEK_BACK });
    await h.run();
    const config = parseConfig({ ...envOf(h), ...RETAINED });
    const deps = {
      pool: h.db.pool,
      clock: h.clock,
      stagingSchema: config.stagingSchema,
      retentionMs: config.privacy.retentionMs,
      batchRows: 7,
    };
    const result = await removeExpired(deps, DEFAULT_TENANT.id, [
      'qm-workflows',
      'recording-interaction-metadata',
    ]);
    expect(result.loads.get('qm-workflows')).toBeGreaterThan(0);
    expect(await orphanRows(h)).toBe(0);
    const again = await removeExpired(deps, DEFAULT_TENANT.id, ['qm-workflows']);
    expect([again.loads.size, again.rows.size]).toEqual([0, 0]);
  });
});

function envOf(h: Harness): Record<string, string> {
  return {
    CXONE_ISSUER_URL: h.sim.url,
    CXONE_ACCESS_KEY_ID: DEFAULT_TENANT.accessKeyId,
    CXONE_ACCESS_KEY_SECRET: DEFAULT_TENANT.accessKeySecret,
    CXONE_MIN_CALL_INTERVAL_MS: String(h.config.cxone.minCallIntervalMs),
    CXONE_TENANT_ID: DEFAULT_TENANT.id,
  };
}
