import path from 'node:path';
import { DEFAULT_TENANT, startSimulator } from '../../src/simulator/index.js';
import { runCli, suiteLogDir } from '../helpers/cli-process.js';
import { createTestDatabase } from '../helpers/database.js';
import { recordFigures } from '../helpers/figures.js';
import { runCrashCampaigns } from './crash-harness.js';

/**
 * Crash anywhere, in CI: at least 30 SIGKILLs of the real CLI at seeded points in every phase, each
 * followed by a restart, and the data must come out as a clean run's. More points:
 * `npm run test:crash -- --points 500` (test/crash/run-crash.ts).
 */
const POINTS = Number(process.env.CXONE_CRASH_POINTS ?? 32);
const SEED = process.env.CXONE_CRASH_SEED ?? 'ci-crash-1';

it(
  `survives ${POINTS} SIGKILLs at seeded points: staging equals a clean run, no extra POSTs, no violations`,
  async () => {
    const figures = await runCrashCampaigns({
      seed: SEED,
      points: POINTS,
      killsPerCampaign: 16,
      newDatabase: createTestDatabase,
      logDir: suiteLogDir('crash'),
      print: (line) => process.stdout.write(`[crash] ${line}\n`),
    });
    recordFigures('crash', `seed ${SEED}`, { ...figures });
    expect(figures.problems).toEqual([]);
    expect(figures.killPoints).toBeGreaterThanOrEqual(POINTS);
    // Every phase was hit: a named point that never landed would mean its place in the code is dead.
    for (const point of ['token', 'gate', 'post', 'poll', 'download', 'copy', 'commit', 'committed']) {
      expect(figures.byPoint[point] ?? 0).toBeGreaterThan(0);
    }
    expect(figures.secretHits).toBe(0);
  },
  15 * 60_000,
);

it('a worker killed right after an API call and restarted at once still keeps the interval', async () => {
  // At time scale 0.05 the API's 30 s is 1.5 s: longer than a restart takes, so a lost record shows.
  const sim = await startSimulator({ timeScale: 0.05, lateArrivalMaxMs: 0 });
  const db = await createTestDatabase();
  const logDir = suiteLogDir('crash');
  try {
    const env = {
      DATABASE_URL: db.url,
      CXONE_ISSUER_URL: sim.url,
      CXONE_ACCESS_KEY_ID: DEFAULT_TENANT.accessKeyId,
      CXONE_ACCESS_KEY_SECRET: DEFAULT_TENANT.accessKeySecret,
      CXONE_MIN_CALL_INTERVAL_MS: '1550',
      EXTRACT_ENTITIES: 'qm-workflows',
      EXTRACT_BACKFILL_WINDOW: '1d',
      LOG_FORMAT: 'json',
    };
    const killed = await runCli(['run'], {
      env: { ...env, CXONE_ETL_CRASH_AT: 'gate:1' },
      deadlineMs: 60_000,
      logFile: path.join(logDir, 'gate-restart-1.log'),
    });
    expect(killed.signal).toBe('SIGKILL');
    expect(killed.stderr).toContain('crash point gate reached');
    const restarted = await runCli(['run'], {
      env,
      deadlineMs: 120_000,
      logFile: path.join(logDir, 'gate-restart-2.log'),
    });
    expect(restarted.code).toBe(0);
    const { violations } = sim.stats();
    recordFigures('crash', 'restart right after a call', {
      killedAfterMs: killed.durationMs,
      violations: violations.total,
    });
    expect(violations.recent).toEqual([]);
    expect(violations.total).toBe(0);
  } finally {
    await sim.stop();
    await db.drop();
  }
}, 180_000);
