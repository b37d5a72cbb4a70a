/**
 * Replicas: real CLI processes started together against one simulator and one
 * database. Three for the same tenant: the tenant lock lets one work while the others wait, then find
 * nothing due. Three for three tenants, each with its own credentials: they run side by side, each
 * under its own tenant's gate. Either way the simulator records no violation, every window is
 * requested once, and staging holds each window's file exactly once.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { stagingTableName, type EntityName } from '../../src/entities/catalog.js';
import { listWindows } from '../../src/extract/windows.repository.js';
import { columnNamesFor } from '../../src/entities/column-names.js';
import { csvHeader, csvRows } from '../../src/simulator/csv/index.js';
import { startSimulator, type Simulator, type SimulatorTenant } from '../../src/simulator/index.js';
import { startCli, suiteLogDir, type CliResult } from '../helpers/cli-process.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { recordFigures } from '../helpers/figures.js';
import { canonicalRows } from '../helpers/pipeline.js';
import { REAL_TIME_SIMULATOR, stableDates } from '../helpers/real-time.js';
import { readLogDir, scanForSecrets, urlPassword } from '../helpers/secrets.js';
import { stagingRowsSql } from '../helpers/staging-rows.js';

const ENTITIES: EntityName[] = ['qm-workflows', 'wfm-payroll'];
const DATES = stableDates(Date.now(), 2);

function tenant(id: string): SimulatorTenant {
  return {
    id,
    accessKeyId: `${id}-key`,
    accessKeySecret: `aks-${randomBytes(12).toString('hex')}`,
  };
}

function workerEnv(sim: Simulator, db: TestDatabase, t: SimulatorTenant): Record<string, string> {
  return {
    DATABASE_URL: db.url,
    CXONE_ISSUER_URL: sim.url,
    CXONE_ACCESS_KEY_ID: t.accessKeyId,
    CXONE_ACCESS_KEY_SECRET: t.accessKeySecret,
    CXONE_MIN_CALL_INTERVAL_MS: '350',
    EXTRACT_ENTITIES: ENTITIES.join(','),
    EXTRACT_START_DATE: DATES.startDate,
    EXTRACT_SETTLE_DELAY: String(DATES.settleMs),
    EXTRACT_BACKFILL_WINDOW: '1d',
    // No lookback: a worker that finds the tenant's work done has nothing to do, so any second
    // request of a window would mean two workers extracted it.
    EXTRACT_LOOKBACK: '0s',
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'debug',
  };
}

/** Staging rows of one tenant and entity against the files the simulator served for its loaded windows. */
async function checkTenant(db: TestDatabase, sim: Simulator, tenantId: string): Promise<string[]> {
  const problems: string[] = [];
  for (const entity of ENTITIES) {
    const windows = await listWindows(db.pool, tenantId, entity);
    const spans = windows.map((w) => [w.start, w.end, w.state] as const);
    const expectedSpans = [0, 1].map((d) => [
      DATES.from + d * 86_400_000,
      DATES.from + (d + 1) * 86_400_000,
      'loaded',
    ]);
    if (JSON.stringify(spans) !== JSON.stringify(expectedSpans)) {
      problems.push(`${tenantId} ${entity}: ledger ${JSON.stringify(spans)}`);
    }
    const expected: Record<string, string>[] = [];
    for (const w of windows) {
      const spec = w.jobId ? sim.jobSpec(w.jobId) : undefined;
      if (!spec) {
        problems.push(`${tenantId} ${entity}: no job for a loaded window`);
        continue;
      }
      const columns = columnNamesFor(csvHeader(spec));
      for (const row of csvRows(spec))
        expected.push(Object.fromEntries(columns.map((c, i) => [c, row[i] ?? ''])));
    }
    const table = `cxone_staging.${pg.escapeIdentifier(stagingTableName(entity))}`;
    const { rows } = await db.pool.query(`SELECT * FROM (${stagingRowsSql(table)}) r WHERE _tenant_id = $1`, [
      tenantId,
    ]);
    const columns = Object.keys(expected[0] ?? {});
    const got = canonicalRows(rows as Record<string, string | null>[], columns);
    if (JSON.stringify(got) !== JSON.stringify(canonicalRows(expected, columns))) {
      problems.push(`${tenantId} ${entity}: ${got.length} staging rows, ${expected.length} served`);
    }
    const jobIds = new Set(windows.map((w) => w.jobId));
    if (!(rows as { _job_id: string }[]).every((r) => jobIds.has(r._job_id))) {
      problems.push(`${tenantId} ${entity}: rows from a job the ledger does not hold`);
    }
  }
  return problems;
}

function postsPerWindow(sim: Simulator): Map<string, number> {
  const counts = new Map<string, number>();
  for (const j of sim.stats().jobs.created) {
    const key = `${j.tenant} ${j.entity} ${j.startMs}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

async function startTogether(
  sim: Simulator,
  db: TestDatabase,
  tenants: SimulatorTenant[],
  logName: string,
): Promise<CliResult[]> {
  const logDir = suiteLogDir('replicas');
  const workers = tenants.map((t, i) =>
    startCli(['run'], {
      env: workerEnv(sim, db, t),
      deadlineMs: 180_000,
      logFile: path.join(logDir, `${logName}-${i + 1}.log`),
    }),
  );
  return Promise.all(workers.map((w) => w.done));
}

async function secretHits(sim: Simulator, db: TestDatabase): Promise<number> {
  const logs = readLogDir(suiteLogDir('replicas'));
  return scanForSecrets(logs, [...sim.issuedSecrets(), ...urlPassword(db.url)]).length;
}

it('three workers for one tenant started together: one works, 0 violations, each window once', async () => {
  const t = tenant('tenant-replica');
  const sim = await startSimulator({ ...REAL_TIME_SIMULATOR, tenants: [t] });
  const db = await createTestDatabase();
  try {
    const results = await startTogether(sim, db, [t, t, t], 'same-tenant');
    expect(results.map((r) => r.code)).toEqual([0, 0, 0]);
    const stats = sim.stats();
    expect(stats.violations).toMatchObject({ total: 0 });
    const posts = postsPerWindow(sim);
    expect(posts.size).toBe(ENTITIES.length * 2);
    expect([...posts.values()].every((n) => n === 1)).toBe(true);
    expect(await checkTenant(db, sim, t.id)).toEqual([]);
    const waited = results.filter((r) =>
      `${r.stdout}${r.stderr}`.includes('waiting for it to finish'),
    ).length;
    const hits = await secretHits(sim, db);
    recordFigures('replicas', 'three workers, one tenant', {
      workers: 3,
      violations: stats.violations.total,
      windows: posts.size,
      postsPerWindowMax: Math.max(...posts.values()),
      waitedForTheLock: waited,
      secretHits: hits,
    });
    expect(hits).toBe(0);
  } finally {
    await sim.stop();
    await db.drop();
  }
}, 240_000);

it('three workers for three tenants started together: each under its own gate, 0 violations, each window once', async () => {
  const tenants = [tenant('tenant-a'), tenant('tenant-b'), tenant('tenant-c')];
  const sim = await startSimulator({ ...REAL_TIME_SIMULATOR, tenants });
  const db = await createTestDatabase();
  try {
    const results = await startTogether(sim, db, tenants, 'three-tenants');
    expect(results.map((r) => r.code)).toEqual([0, 0, 0]);
    const stats = sim.stats();
    expect(stats.violations).toMatchObject({ total: 0 });
    for (const t of tenants) expect(stats.callsByTenant[t.id]?.total).toBeGreaterThan(0);
    const posts = postsPerWindow(sim);
    expect(posts.size).toBe(tenants.length * ENTITIES.length * 2);
    expect([...posts.values()].every((n) => n === 1)).toBe(true);
    for (const t of tenants) expect(await checkTenant(db, sim, t.id)).toEqual([]);
    const hits = await secretHits(sim, db);
    recordFigures('replicas', 'three workers, three tenants', {
      workers: 3,
      violations: stats.violations.total,
      windows: posts.size,
      postsPerWindowMax: Math.max(...posts.values()),
      secretHits: hits,
    });
    expect(hits).toBe(0);
  } finally {
    await sim.stop();
    await db.drop();
  }
}, 240_000);
