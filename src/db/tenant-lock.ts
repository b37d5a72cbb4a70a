/**
 * Single flight per tenant: a run holds a session-level advisory lock on a dedicated connection for its
 * whole life, so a second process (another replica, a cron overlap, a hand-started backfill) for the
 * same tenant never calls the API in parallel. A session lock, unlike a transaction lock, survives the
 * many transactions of a run, and Postgres releases it by itself if the process dies.
 */
import type pg from 'pg';
import { acquireSessionAdvisoryLock } from './advisory-lock.js';
import { tenantLock } from './lock-keys.js';
import type { Clock } from '../lib/clock.js';
import { EtlError } from '../lib/errors.js';

export interface TenantLock {
  release(): Promise<void>;
  /**
   * Aborts when the connection holding the lock dies (a Postgres restart, a network cut): the lock is
   * gone with it, so the run must stop at the next step rather than go on as a caller nobody excludes.
   */
  lost: AbortSignal;
}

export interface AcquireOptions {
  mode: 'wait' | 'exit';
  clock: Clock;
  signal?: AbortSignal;
  onWait?: () => void;
}

export async function acquireTenantLock(
  pool: pg.Pool,
  tenantId: string,
  opts: AcquireOptions,
): Promise<TenantLock> {
  let waited = false;
  const lock = await acquireSessionAdvisoryLock(pool, tenantLock(tenantId), {
    // Tried, never queued on: in exit mode a held lock ends this process; in wait mode it tries again.
    onHeld: async () => {
      if (opts.mode === 'exit') {
        throw new EtlError(
          'LOCKED',
          'another cxone-etl process is already running for this tenant; this one exits so the API never sees two callers (set EXTRACT_ON_LOCKED=wait to queue instead)',
          { context: { tenant: tenantId } },
        );
      }
      if (!waited) opts.onWait?.();
      waited = true;
      // How often a waiting process tries again.
      await opts.clock.sleep(5000, opts.signal);
    },
    // A dedicated connection that dies takes the lock with it: say so (and don't crash the process).
    lostReason: (err) =>
      new EtlError(
        'LOCKED',
        'lost the tenant lock: the database connection holding it closed; the run stops here',
        {
          context: { tenant: tenantId },
          cause: err,
        },
      ),
  });
  return { lost: lock.lost, release: () => lock.release() };
}
