import { Writable } from 'node:stream';
import pg from 'pg';
import { parseConfig, type Config, type Env } from '../../src/config.js';
import { executeRun, type ExecuteRunDeps, type RunResult } from '../../src/run/execute-run.js';
import type { RunCommandRequest } from '../../src/run/run-request.js';
import type { Database } from '../../src/db/open-database.js';
import { stagingTableName, type EntityName } from '../../src/entities/catalog.js';
import { listWindows } from '../../src/extract/windows.repository.js';
import { columnNamesFor } from '../../src/entities/column-names.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { csvHeader, csvRows } from '../../src/simulator/csv/index.js';
import {
  DEFAULT_TENANT,
  startSimulator,
  type Simulator,
  type SimulatorOptions,
} from '../../src/simulator/index.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { WarpClock } from './warp-clock.js';
import { stagingRowsSql } from './staging-rows.js';

/**
 * End-to-end harness: the simulator and the worker share a WarpClock (30-s API rules in clock time, no
 * wall-clock waits), the worker runs in-process through the same `executeRun` the CLI uses, against a
 * fresh migrated database. Logs are captured so tests can search them (e.g. for secrets).
 */
export interface Harness {
  sim: Simulator;
  db: TestDatabase;
  clock: WarpClock;
  config: Config;
  /** The harness's database as the commands take it (an App's Database on the test database). */
  database: Database;
  logs: () => string;
  run(
    request?: RunCommandRequest,
    opts?: {
      signal?: AbortSignal;
      env?: Env;
      observer?: ExecuteRunDeps['observer'];
      pool?: pg.Pool;
    },
  ): Promise<RunResult>;
  stagingRows(entity: EntityName): Promise<Record<string, string | null>[]>;
  /** What the simulator put in the files of the windows the ledger shows loaded, as staging-shaped rows. */
  expectedRows(entity: EntityName): Promise<Record<string, string>[]>;
  close(): Promise<void>;
}

export const T0 = Date.UTC(2026, 2, 15, 2, 0, 0);

export async function startHarness(
  opts: { sim?: Partial<SimulatorOptions>; env?: Env; now?: number; db?: TestDatabase } = {},
): Promise<Harness> {
  const clock = new WarpClock(opts.now ?? T0);
  const sim = await startSimulator({ clock, ...opts.sim });
  const db = opts.db ?? (await createTestDatabase());
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  const log: Logger = createLogger({ level: 'debug', format: 'json', destination: sink });
  const baseEnv: Env = {
    CXONE_ISSUER_URL: sim.url,
    CXONE_ACCESS_KEY_ID: DEFAULT_TENANT.accessKeyId,
    CXONE_ACCESS_KEY_SECRET: DEFAULT_TENANT.accessKeySecret,
    CXONE_MIN_CALL_INTERVAL_MS: String(sim.options.minCallIntervalMs * sim.options.timeScale),
    EXTRACT_START_DATE: '2026-03-10',
    // TEST_JOBS_IN_FLIGHT=1 or 2 runs a suite's harness runs on the engine at that many jobs in flight
    // (a test that sets EXTRACT_MAX_JOBS_IN_FLIGHT itself keeps its own).
    ...(process.env.TEST_JOBS_IN_FLIGHT
      ? { EXTRACT_MAX_JOBS_IN_FLIGHT: process.env.TEST_JOBS_IN_FLIGHT }
      : {}),
    ...opts.env,
  };
  const config = parseConfig(baseEnv);
  const database: Database = {
    pool: db.pool,
    url: db.url,
    displayUrl: db.url,
    embedded: false,
    close: async () => undefined,
  };
  const out = new Writable({
    write(_c, _e, cb) {
      cb();
    },
  });
  return {
    sim,
    db,
    clock,
    config,
    database,
    logs: () => chunks.join(''),
    run: (request = { mode: 'run' }, runOpts = {}) =>
      executeRun(
        {
          config: runOpts.env ? parseConfig({ ...baseEnv, ...runOpts.env }) : config,
          log,
          clock,
          signal: runOpts.signal ?? new AbortController().signal,
          out,
          isTty: false,
          db: runOpts.pool ? { ...database, pool: runOpts.pool } : database,
          ...(runOpts.observer ? { observer: runOpts.observer } : {}),
        },
        request,
      ),
    async stagingRows(entity) {
      const table = `${pg.escapeIdentifier(config.stagingSchema)}.${pg.escapeIdentifier(stagingTableName(entity))}`;
      const { rows } = await db.pool.query(stagingRowsSql(table));
      return rows as Record<string, string | null>[];
    },
    async expectedRows(entity) {
      const windows = await listWindows(db.pool, DEFAULT_TENANT.id, entity);
      const expected: Record<string, string>[] = [];
      for (const w of windows.filter((x) => x.state === 'loaded')) {
        const spec = w.jobId ? sim.jobSpec(w.jobId) : undefined;
        if (!spec) throw new Error(`no simulator spec for job ${w.jobId ?? '(none)'} of a loaded window`);
        const columns = columnNamesFor(csvHeader(spec));
        for (const row of csvRows(spec)) {
          expected.push(Object.fromEntries(columns.map((c, i) => [c, row[i] ?? ''])));
        }
      }
      return expected;
    },
    async close() {
      await sim.stop();
      if (!opts.db) await db.drop();
    },
  };
}

/** Data columns only (metadata `_…` dropped), NULL read as '' (COPY CSV reads an empty field as NULL), sorted. */
export function canonicalRows(rows: Record<string, string | null>[], columns?: string[]): string[] {
  return rows
    .map((r) => {
      const keys = (columns ?? Object.keys(r).filter((k) => !k.startsWith('_'))).slice().sort();
      return JSON.stringify(keys.map((k) => [k, r[k] ?? '']));
    })
    .sort();
}
