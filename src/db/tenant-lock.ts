/**
 * Single flight per tenant: a run holds a session-level advisory lock on a dedicated connection for its
 * whole life, so a second process (another replica, a cron overlap, a hand-started backfill) for the
 * same tenant never calls the API in parallel. A session lock, unlike a transaction lock, survives the
 * many transactions of a run, and Postgres releases it by itself if the process dies.
 */
import type pg from 'pg';
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

/** Two int4 keys: a namespace for this tool, then the tenant id's hash, so other apps' locks never collide. */
const LOCK_NAMESPACE = 0x43584f4e; // "CXON"

export interface AcquireOptions {
  mode: 'wait' | 'exit';
  clock: Clock;
  signal?: AbortSignal;
  /** How often a waiting process tries again. */
  retryMs?: number;
  onWait?: () => void;
}

export async function acquireTenantLock(
  pool: pg.Pool,
  tenantId: string,
  opts: AcquireOptions,
): Promise<TenantLock> {
  const client = await pool.connect();
  const lost = new AbortController();
  // A dedicated connection that dies takes the lock with it: say so (and don't crash the process).
  const onError = (err: Error): void => {
    lost.abort(
      new EtlError(
        'LOCKED',
        'lost the tenant lock: the database connection holding it closed; the run stops here',
        {
          context: { tenant: tenantId },
          cause: err,
        },
      ),
    );
  };
  client.on('error', onError);
  let waited = false;
  try {
    for (;;) {
      const { rows } = await client.query('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [
        LOCK_NAMESPACE,
        tenantId,
      ]);
      if (rows[0]?.ok === true) break;
      if (opts.mode === 'exit') {
        throw new EtlError(
          'LOCKED',
          'another cxone-etl process is already running for this tenant; this one exits so the API never sees two callers (set EXTRACT_ON_LOCKED=wait to queue instead)',
          { context: { tenant: tenantId } },
        );
      }
      if (!waited) opts.onWait?.();
      waited = true;
      await opts.clock.sleep(opts.retryMs ?? 5000, opts.signal);
    }
  } catch (err) {
    client.removeListener('error', onError);
    client.release();
    throw err;
  }
  let released = false;
  return {
    lost: lost.signal,
    async release() {
      if (released) return;
      released = true;
      try {
        await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [LOCK_NAMESPACE, tenantId]);
        client.removeListener('error', onError);
        client.release();
      } catch (err) {
        // Unknown state: destroy the connection, which releases the lock server-side.
        client.removeListener('error', onError);
        client.release(err instanceof Error ? err : new Error(String(err)));
      }
    },
  };
}
