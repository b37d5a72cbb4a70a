/**
 * Crash-resume with two jobs in flight: the real CLI, SIGKILLed at its first status answer
 * while both its jobs run, restarted: it resumes both from the ledger and posts nothing new.
 */
import path from 'node:path';
import { listWindows } from '../../src/extract/windows.repository.js';
import { DEFAULT_TENANT, startSimulator } from '../../src/simulator/index.js';
import { runCli, suiteLogDir } from '../helpers/cli-process.js';
import { createTestDatabase } from '../helpers/database.js';
import { canonicalRows } from '../helpers/pipeline.js';
import { REAL_TIME_SIMULATOR, realTimeCliEnv, stableDates } from '../helpers/real-time.js';

it('kill -9 with two jobs in flight: the restart resumes both without a new POST', async () => {
  // 1.2 s + 0.1 s per day at this scale: the second job still runs when the first one's status answers.
  const sim = await startSimulator({ ...REAL_TIME_SIMULATOR, maxRunningJobs: 2, jobBaseMs: 120_000 });
  const db = await createTestDatabase();
  const logDir = suiteLogDir('crash');
  const dates = stableDates(Date.now(), 2);
  try {
    const env = {
      ...realTimeCliEnv(db.url, sim.url, dates),
      EXTRACT_BACKFILL_WINDOW: '1d',
      EXTRACT_MAX_JOBS_IN_FLIGHT: '2',
    };
    const killed = await runCli(['run'], {
      env: { ...env, CXONE_ETL_CRASH_AT: 'poll:1' },
      deadlineMs: 60_000,
      logFile: path.join(logDir, 'jobs-in-flight-1-killed.log'),
    });
    expect(killed.signal).toBe('SIGKILL');
    expect(killed.stderr).toContain('crash point poll reached');
    const before = await listWindows(db.pool, DEFAULT_TENANT.id, 'qm-workflows');
    expect(before).toHaveLength(2);
    // The ledger held both ids before the first poll; neither window is loaded.
    expect(before.every((w) => w.jobId !== null && w.state === 'requested')).toBe(true);
    expect(sim.stats().jobs.total).toBe(2);

    const restarted = await runCli(['run'], {
      env,
      deadlineMs: 120_000,
      logFile: path.join(logDir, 'jobs-in-flight-2-restarted.log'),
    });
    expect(restarted.code).toBe(0);
    const after = await listWindows(db.pool, DEFAULT_TENANT.id, 'qm-workflows');
    expect(after.map((w) => w.state)).toEqual(['loaded', 'loaded']);
    expect(after.map((w) => w.jobId)).toEqual(before.map((w) => w.jobId));
    const stats = sim.stats();
    expect(stats.calls.byEndpoint['POST /jobs']).toBe(2);
    expect(stats.jobs.total).toBe(2);
    expect(stats.violations.total).toBe(0);
    const { rows } = await db.pool.query('SELECT * FROM cxone_staging.qm_workflows');
    const data = canonicalRows(rows as Record<string, string | null>[]);
    expect(data.length).toBeGreaterThan(0);
    expect(new Set(data).size).toBe(data.length);
  } finally {
    await sim.stop();
    await db.drop();
  }
}, 180_000);
