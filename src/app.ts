/**
 * The composition root (Kysely's example `App` is the model): what main.ts read from the environment,
 * and the parts built from it once, for the one command a process runs, with stop() to release them.
 * Each part is built on first use so that a command pays only for what it needs: `sim`, `--help` and
 * `check` with a bad config open no database (without DATABASE_URL, no embedded Postgres starts), and
 * the daemon's metrics, scheduler and health server load with the daemon alone (`run` loads neither
 * prom-client nor the HTTP server: start-up time and resident memory, counted by the bench).
 */
import type { Writable } from 'node:stream';
import type { Config, ConfigError, Env } from './config.js';
import type { Database } from './db/open-database.js';
import type { Clock } from './lib/clock.js';
import type { Logger } from './logger.js';
import type { StartDaemonServices } from './schedule/daemon-services.js';

/** What every command may receive: the parsed environment and the process's I/O and shutdown signal. */
export interface AppContext {
  config: Config;
  /** The environment did not parse: only `check` runs, and reports it as its first line. */
  configError?: ConfigError;
  /** The environment, for TENANTS_FILE secrets named by variable (main.ts is the only reader of process.env). */
  env: Env;
  log: Logger;
  clock: Clock;
  /** Aborted by the first SIGINT/SIGTERM: every wait of a run listens on it. */
  signal: AbortSignal;
  out: Writable;
  isTty: boolean;
}

export class App {
  readonly context: AppContext;
  #database: Promise<Database> | undefined;
  readonly #stops: (() => Promise<void>)[] = [];

  constructor(context: AppContext) {
    this.context = context;
  }

  /**
   * The database (DATABASE_URL, else the embedded Postgres), opened on the first call and migrated
   * unless `migrate: false` (dry runs plan from a database as it is); later calls get the same one.
   * After migrations that applied something, the typed views are rebuilt. stop() closes it.
   */
  database = (opts: { migrate?: boolean } = {}): Promise<Database> => {
    this.#database ??= this.#openDatabase(opts.migrate ?? true);
    return this.#database;
  };

  /** The daemon's metrics, scheduler and health server, loaded on the daemon's first call; stop() stops them. */
  daemonServices: StartDaemonServices = async (deps) => {
    const { startDaemonServices } = await import('./schedule/daemon-services.js');
    const services = await startDaemonServices(deps);
    this.#stops.push(() => services.stop());
    return services;
  };

  /** Releases what was built, newest first: the daemon's health server, then the database. */
  async stop(): Promise<void> {
    for (const stop of this.#stops.splice(0).reverse()) await stop();
  }

  async #openDatabase(migrate: boolean): Promise<Database> {
    const { config, log } = this.context;
    // Loaded here, not at start-up: `--help`, `sim` and a `check` that stops at the config need neither
    // pg nor the reporting layer.
    const [{ openDatabase }, { refreshViewsAfterMigrate }] = await Promise.all([
      import('./db/open-database.js'),
      import('./reporting/index.js'),
    ]);
    const db = await openDatabase({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      log,
      handlesSignals: true,
      migrate,
      afterMigrate: refreshViewsAfterMigrate({
        stagingSchema: config.stagingSchema,
        reportingSchema: config.reportingSchema,
        timeZone: config.wfmTimeZone,
      }),
    });
    let closed: Promise<void> | undefined;
    const close = (): Promise<void> => (closed ??= db.close());
    this.#stops.push(close);
    return { ...db, close };
  }
}
