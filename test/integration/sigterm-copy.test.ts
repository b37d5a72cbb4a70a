import pg from 'pg';
import { DEFAULT_TENANT, startSimulator, type Simulator } from '../../src/simulator/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { startCli } from '../helpers/cli-process.js';
import { untilActivity } from '../helpers/wait.js';
import { stagingRowsSql } from '../helpers/staging-rows.js';

/**
 * SIGTERM while a window's COPY is running: the daemon lets the COPY finish or roll back, never half a
 * window, and exits 0. Real processes: the daemon as a child, a large file from the simulator.
 */
describe('SIGTERM during a COPY', () => {
  let db: TestDatabase;
  let sim: Simulator;
  beforeAll(async () => {
    db = await createTestDatabase();
    // ~150k recording rows (~50 MB): a COPY long enough to be interrupted.
    sim = await startSimulator({ timeScale: 0.01, largeRows: 150_000 });
  });
  afterAll(async () => {
    await sim.stop();
    await db.drop();
  });

  it('leaves the window fully loaded or not at all, and the daemon exits 0', async () => {
    const day = new Date(Date.now() - 3 * 86_400_000).toISOString().slice(0, 10);
    const daemon = startCli(['daemon', '--run-now'], {
      env: {
        DATABASE_URL: db.url,
        CXONE_ISSUER_URL: sim.url,
        CXONE_ACCESS_KEY_ID: DEFAULT_TENANT.accessKeyId,
        CXONE_ACCESS_KEY_SECRET: DEFAULT_TENANT.accessKeySecret,
        CXONE_MIN_CALL_INTERVAL_MS: '300',
        EXTRACT_ENTITIES: 'recording-interaction-metadata',
        EXTRACT_START_DATE: day,
        EXTRACT_BACKFILL_WINDOW: '1d',
        // One window at a time: with jobs in flight a window the run never reached is left 'planned'
        // (no job yet), which the assertions below, about the one window in COPY, do not expect.
        EXTRACT_MAX_JOBS_IN_FLIGHT: '1',
        HTTP_PORT: '0',
        SHUTDOWN_GRACE: '60s',
        LOG_LEVEL: 'info',
      },
      deadlineMs: 120_000,
    });
    // Until the first download is streaming into COPY: checked on each chunk the simulator serves, and
    // failing (with the daemon's last words) if the daemon exits first or it never comes.
    await untilActivity(
      { sim, child: daemon.child },
      async () => {
        if (sim.stats().bytesServed >= 5_000_000) return true;
        if (daemon.child.exitCode !== null)
          throw new Error(`the daemon exited before a download:\n${daemon.output().stderr.slice(-2000)}`);
        return undefined;
      },
      'a download streaming into COPY (5 MB served)',
      60_000,
    );
    daemon.child.kill('SIGTERM');
    const result = await daemon.done;
    expect({ code: result.code, signal: result.signal }).toEqual({ code: 0, signal: null });
    expect(result.stderr).toContain('shutting down');

    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows: windows } = await client.query(
        "SELECT window_start, window_end, state, job_id, rows_loaded FROM cxone_etl.windows WHERE entity = 'recording-interaction-metadata'",
      );
      const exists = (
        await client.query("SELECT to_regclass('cxone_staging.recording_interaction_metadata') AS t")
      ).rows[0].t;
      for (const w of windows as {
        window_start: Date;
        window_end: Date;
        state: string;
        job_id: string;
        rows_loaded: string | null;
      }[]) {
        const staged = exists
          ? Number(
              (
                await client.query(
                  `SELECT count(*) AS n FROM (${stagingRowsSql('cxone_staging.recording_interaction_metadata')}) r
                    WHERE _window_start = $1 AND _window_end = $2`,
                  [w.window_start, w.window_end],
                )
              ).rows[0].n,
            )
          : 0;
        if (w.state === 'loaded') {
          // Fully loaded: every row of the file (large mode serves exactly largeRows rows).
          expect(staged).toBe(150_000);
          expect(Number(w.rows_loaded)).toBe(150_000);
        } else {
          // Not at all: nothing of it in staging, and the job id kept for the next start to resume.
          expect(staged).toBe(0);
          expect(['requested', 'ready']).toContain(w.state);
          expect(w.job_id).toBeTruthy();
        }
      }
      expect(windows.length).toBeGreaterThan(0);
    } finally {
      await client.end();
    }
  }, 150_000);
});
