/**
 * A run holds its tenant's lock from before the first planned window to after the run row is finished,
 * so no two processes call the API for one tenant at once (EXTRACT_ON_LOCKED: wait or exit).
 */
import type pg from 'pg';
import type { Config } from '../config.js';
import { acquireTenantLock } from '../db/tenant-lock.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../logger.js';

export interface HeldLock {
  /** Shutdown or a lost tenant lock: either stops the run at its next step. */
  signal: AbortSignal;
  /** Another process held the lock and this run waited for it to end. */
  waited: boolean;
}

export async function withRunLock<T>(
  deps: { pool: pg.Pool; config: Config; clock: Clock; signal: AbortSignal; log: Logger },
  tenantId: string,
  fn: (held: HeldLock) => Promise<T>,
): Promise<T> {
  let waited = false;
  const lock = await acquireTenantLock(deps.pool, tenantId, {
    mode: deps.config.extract.onLocked,
    clock: deps.clock,
    signal: deps.signal,
    onWait: () => {
      waited = true;
      deps.log.warn('another cxone-etl process is running for this tenant: waiting for it to finish');
    },
  });
  try {
    const signal = AbortSignal.any([deps.signal, lock.lost]);
    lock.lost.addEventListener(
      'abort',
      () => deps.log.error({ err: lock.lost.reason as Error }, 'tenant lock lost'),
      { once: true },
    );
    return await fn({ signal, waited });
  } finally {
    await lock.release();
  }
}
