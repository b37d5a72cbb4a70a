/** `cxone-etl migrate`: applies pending migrations and says what is applied. */
import type { Writable } from 'node:stream';
import { migrationStatus } from '../db/migrate.js';
import type { Database } from '../db/open-database.js';

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
