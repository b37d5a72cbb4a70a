/**
 * `cxone-etl erase --column C --value V [--entity E] [--yes]`: deletes the staging rows whose column
 * holds the value (or its keyed hash, where COLUMN_POLICY hashes the column), across entities
 * (src/run/erase.ts). Without --yes it changes nothing and says what it would delete. The value is
 * never printed or logged.
 */
import type { Writable } from 'node:stream';
import type { Config } from '../config.js';
import type { Database } from '../db/open-database.js';
import { ENTITY_NAMES, type EntityName } from '../entities/catalog.js';
import type { Clock } from '../lib/clock.js';
import { eraseValue } from '../run/erase.js';
import { formatTable } from './format-table.js';

export async function eraseCommand(
  deps: { config: Config; db: Database; clock: Clock; out: Writable },
  opts: { column: string; value: string; entity: EntityName | undefined; yes: boolean; json: boolean },
): Promise<number> {
  const result = await eraseValue(
    { pool: deps.db.pool, clock: deps.clock, config: deps.config },
    {
      column: opts.column,
      value: opts.value,
      entities: opts.entity === undefined ? ENTITY_NAMES : [opts.entity],
      named: opts.entity,
      yes: opts.yes,
    },
  );
  if (opts.json) {
    deps.out.write(`${JSON.stringify({ erased: opts.yes, column: opts.column, ...result }, null, 2)}\n`);
    return 0;
  }
  deps.out.write(
    formatTable(
      ['entity', 'matched by', opts.yes ? 'rows deleted' : 'rows that would be deleted'],
      result.entities.map((e) => [e.entity, e.matched, String(e.rows)]),
    ),
  );
  deps.out.write(
    opts.yes
      ? `Erased ${result.rows} rows where ${opts.column} matched; recorded as erasure ${result.erasureId} (without the value).\n`
      : `Nothing changed: ${result.rows} rows match. Run again with --yes to delete them.\n`,
  );
  return 0;
}
