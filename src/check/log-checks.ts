/**
 * The daemon runs the checks of `cxone-etl check` (no probe jobs) at start and logs each line: ok and
 * info at info, warnings at warn, failures at error with the remedy. It starts either way: a failed
 * check says early what the first scheduled run would fail on, and the service stays up to report it.
 */
import type { Database } from '../db/open-database.js';
import type { Logger } from '../logger.js';
import type { CheckLine } from './check-line.js';
import { runChecks, type RunChecksDeps } from './run-checks.js';

export function logCheckLine(log: Logger, line: CheckLine): void {
  const fields = {
    check: line.check,
    status: line.status,
    ...(line.tenant === undefined ? {} : { tenantName: line.tenant }),
    ...(line.entity === undefined ? {} : { entity: line.entity }),
    ...(line.remedy === undefined ? {} : { remedy: line.remedy }),
    ...(line.details === undefined ? {} : { details: line.details }),
  };
  const message = `check ${line.check}: ${line.message}`;
  if (line.status === 'fail') log.error(fields, message);
  else if (line.status === 'warn') log.warn(fields, message);
  else log.info(fields, message);
}

export async function logStartupChecks(
  deps: Omit<RunChecksDeps, 'database' | 'onLine' | 'log'> & { db: Database; log: Logger },
): Promise<CheckLine[]> {
  const { db, log, ...rest } = deps;
  return runChecks(
    { ...rest, database: () => Promise.resolve(db), onLine: (line) => logCheckLine(log, line) },
    { probe: false, migrate: false },
  );
}
