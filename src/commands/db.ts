/**
 * The database's own commands. `cxone-etl migrate` applies pending migrations and says what is applied.
 * `cxone-etl db`: opens the database the other commands use (the embedded one when DATABASE_URL is unset),
 * prints how to connect with psql, and keeps it running until Ctrl-C. The demo's data lives in the
 * embedded database, which otherwise only runs while a command does.
 */
import type { Writable } from 'node:stream';
import { withoutPassword } from '../db/database-url.js';
import { migrationStatus } from '../db/migrate.js';
import type { Database } from '../db/open-database.js';
import { untilAborted } from '../lib/clock.js';

export async function dbCommand(deps: { db: Database; out: Writable; signal: AbortSignal }): Promise<number> {
  const { db } = deps;
  deps.out.write(
    db.embedded
      ? `Embedded Postgres ready. Connect with:\n\n  ${psqlCommand(db)}\n\nIt keeps running until Ctrl-C.\n`
      : `Database ${db.displayUrl} ready. Connect with:\n\n  ${psqlCommand(db)}\n\n` +
          'psql asks for the password (or reads PGPASSWORD or ~/.pgpass): DATABASE_URL is a secret, never printed.\n',
  );
  if (!db.embedded) return 0;
  await untilAborted(deps.signal);
  return 0;
}

/**
 * A psql command line for the database. The embedded database's URL is printed whole: its password is
 * generated under DATA_DIR and guards nothing a user owns. DATABASE_URL is a secret: no password.
 */
export function psqlCommand(db: Database): string {
  return `psql '${db.embedded ? db.url : withoutPassword(db.url)}'`;
}

export async function migrateCommand(deps: { db: Database; out: Writable }): Promise<number> {
  // openDatabase has already migrated under the advisory lock; report the result.
  const status = await migrationStatus(deps.db.pool);
  const last = status.applied.at(-1);
  deps.out.write(
    `Database ${deps.db.displayUrl}: ${status.applied.length} migrations applied` +
      (last ? ` (latest ${String(last.id).padStart(4, '0')}_${last.name})` : '') +
      `, ${status.pending.length} pending\n`,
  );
  return status.pending.length === 0 ? 0 : 1;
}
