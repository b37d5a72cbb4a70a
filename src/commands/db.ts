/**
 * `cxone-etl db`: opens the database the other commands use (the embedded one when DATABASE_URL is unset),
 * prints how to connect with psql, and keeps it running until Ctrl-C. The demo's data lives in the
 * embedded database, which otherwise only runs while a command does.
 */
import { untilAborted } from '../lib/clock.js';
import type { Writable } from 'node:stream';
import type { Database } from '../db/open-database.js';

export async function dbCommand(deps: { db: Database; out: Writable; signal: AbortSignal }): Promise<number> {
  deps.out.write(
    `${deps.db.embedded ? 'Embedded Postgres' : 'Database'} ready. Connect with:\n\n  psql '${deps.db.url}'\n\n` +
      (deps.db.embedded ? 'It keeps running until Ctrl-C.\n' : ''),
  );
  if (!deps.db.embedded) return 0;
  await untilAborted(deps.signal);
  return 0;
}
