/**
 * Crash mid-removal: the real CLI with RETENTION=3d is SIGKILLed after its second batch of expired
 * staging rows (crash point `retention`), then restarted. The kill loses nothing else: the retained
 * windows' rows are untouched, the restart finishes the removal, and no row is left without its load.
 */
import path from 'node:path';
import { startSimulator } from '../../src/simulator/index.js';
import { runCli, suiteLogDir } from '../helpers/cli-process.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { canonicalRows } from '../helpers/pipeline.js';
import { REAL_TIME_SIMULATOR, realTimeCliEnv, stableDates } from '../helpers/real-time.js';

const DAY = 86_400_000;

async function stagingByEnd(db: TestDatabase): Promise<{ end: number; row: string }[]> {
  const { rows } = await db.pool.query(
    `SELECT l.window_end, s.* FROM cxone_staging.qm_workflows s JOIN cxone_etl.loads l ON l.load_id = s._load_id`,
  );
  return rows.map((r: Record<string, unknown>) => {
    const { window_end: end, ...data } = r;
    return {
      end: (end as Date).getTime(),
      row: canonicalRows([data as Record<string, string | null>])[0] as string,
    };
  });
}

async function count(db: TestDatabase, sql: string): Promise<number> {
  const { rows } = await db.pool.query<{ n: string }>(sql);
  return Number(rows[0]?.n);
}

const ORPHANS = `SELECT count(*) AS n FROM cxone_staging.qm_workflows s
                  WHERE NOT EXISTS (SELECT 1 FROM cxone_etl.loads l WHERE l.load_id = s._load_id)`;

it('kill -9 in the middle of retention removal: nothing else is lost and the restart finishes it', async () => {
  const sim = await startSimulator({ ...REAL_TIME_SIMULATOR });
  const db = await createTestDatabase();
  const logDir = suiteLogDir('crash');
  const dates = stableDates(Date.now(), 7);
  try {
    const env = {
      ...realTimeCliEnv(db.url, sim.url, dates),
      EXTRACT_BACKFILL_WINDOW: '1d',
    };
    const loaded = await runCli(['run'], {
      env,
      deadlineMs: 120_000,
      logFile: path.join(logDir, 'retention-1-load.log'),
    });
    expect(loaded.code).toBe(0);
    const all = await stagingByEnd(db);
    // The runs below remove what ends before their own horizon, a little later than this one: a window
    // ending within 10 min after it (the test run just before midnight UTC) may go either way.
    const horizon = Date.now() - 3 * DAY;
    const retained = all
      .filter((r) => r.end > horizon + 10 * 60_000)
      .map((r) => r.row)
      .sort();
    const removed = all.filter((r) => r.end <= horizon).map((r) => r.row);
    const either = (rows: string[]): string[] =>
      rows.filter((r) => !retained.includes(r) && !removed.includes(r));
    expect(removed.length).toBeGreaterThan(0);

    const killed = await runCli(['run'], {
      env: { ...env, RETENTION: '3d', CXONE_ETL_CRASH_AT: 'retention:2' },
      deadlineMs: 120_000,
      logFile: path.join(logDir, 'retention-2-killed.log'),
    });
    expect(killed.signal).toBe('SIGKILL');
    expect(killed.stderr).toContain('crash point retention reached');
    // Killed mid-removal: expired loads still have rows to delete, but the views no longer show them.
    expect(await count(db, 'SELECT count(*) AS n FROM cxone_etl.expired_loads')).toBeGreaterThan(0);
    const pending = await count(db, ORPHANS);
    expect(pending).toBeGreaterThan(0);
    const midway = (await stagingByEnd(db)).map((r) => r.row).sort();
    expect(midway.filter((r) => removed.includes(r))).toEqual([]);
    expect(retained.filter((r) => !midway.includes(r))).toEqual([]);

    const restarted = await runCli(['run'], {
      env: { ...env, RETENTION: '3d' },
      deadlineMs: 120_000,
      logFile: path.join(logDir, 'retention-3-restarted.log'),
    });
    expect(restarted.code).toBe(0);
    expect(await count(db, 'SELECT count(*) AS n FROM cxone_etl.expired_loads')).toBe(0);
    expect(await count(db, ORPHANS)).toBe(0);
    const after = (await stagingByEnd(db)).map((r) => r.row).sort();
    expect(after.filter((r) => !either(after).includes(r))).toEqual(retained);
    const { rows } = await db.pool.query(
      'SELECT sum(retention_rows_removed)::int AS n FROM cxone_etl.runs WHERE retention_rows_removed > 0',
    );
    // The killed run recorded nothing (it died before its run row was finished); the restart, what it removed.
    expect(rows[0].n).toBe(pending);
    expect(pending).toBeLessThan(removed.length + either(all.map((r) => r.row)).length);
  } finally {
    await sim.stop();
    await db.drop();
  }
}, 300_000);
