/**
 * Session-level advisory locks, each on a dedicated connection: the migration lock, the tenant lock
 * and the rate gate's lock (keys in lock-keys.ts). A session lock, unlike a transaction lock, outlives
 * the transactions run under it, and Postgres releases it by itself when the holding connection dies,
 * so a crashed process never leaves a lock behind. The flip side: losing the connection loses the lock,
 * which the holder learns from `lost`.
 */
import type pg from 'pg';
import { abortedWhileWaiting, unlessAborted } from '../lib/abortable.js';
import { toError } from '../lib/errors.js';
import type { SessionLockKey } from './lock-keys.js';
import { guardClient } from './pool.js';

export interface SessionLock {
  /** The connection holding the lock; statements run on it share the lock's session. */
  readonly client: pg.PoolClient;
  /**
   * Aborts when that connection dies (a Postgres restart, a network cut): the lock is gone with it.
   * The reason is the connection's error, or what `lostReason` made of it.
   */
  readonly lost: AbortSignal;
  /** The connection is in an unknown state: release skips the unlock and destroys it (which unlocks). */
  discard(error: Error): void;
  /** Unlocks and gives the connection back; once, and never throws (a failed unlock destroys it). */
  release(): Promise<void>;
}

export interface SessionLockOptions {
  /** Gives up the wait for the lock (ABORTED); the connection, perhaps still queued on it, is destroyed. */
  signal?: AbortSignal;
  /**
   * Without it the acquire waits in Postgres (pg_advisory_lock) until the holder lets go. With it, each
   * attempt is a pg_try_advisory_lock, and while another session holds the lock this is called: throw to
   * give up, or resolve (after a wait of its own) to try again.
   */
  onHeld?: () => Promise<void>;
  /** What `lost` aborts with, given the connection's error. */
  lostReason?: (error: Error) => unknown;
}

/** Runs `fn` holding the lock on a dedicated connection, and always releases it. */
export async function withSessionAdvisoryLock<T>(
  pool: pg.Pool,
  key: SessionLockKey,
  fn: (lock: SessionLock) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  const lock = await acquireSessionAdvisoryLock(pool, key, signal ? { signal } : {});
  try {
    return await fn(lock);
  } finally {
    await lock.release();
  }
}

/** Takes the lock on a connection of its own; the caller must `release()` it (in a `finally`). */
export async function acquireSessionAdvisoryLock(
  pool: pg.Pool,
  key: SessionLockKey,
  opts: SessionLockOptions = {},
): Promise<SessionLock> {
  const client = await pool.connect();
  const guard = guardClient(client);
  const lost = opts.lostReason ? relay(guard.lost, opts.lostReason) : guard.lost;
  let broken: Error | undefined;
  try {
    if (opts.onHeld) {
      while (!(await tryLock(client, key))) await opts.onHeld();
    } else {
      await unlessAborted(client.query(lockStatement(key, 'lock'), keyParams(key)), opts.signal, (signal) => {
        // The query may still be queued on the lock; only a destroyed connection abandons it.
        broken ??= new Error(`aborted while waiting for ${key.what} lock`);
        return abortedWhileWaiting(key.what, signal);
      });
    }
  } catch (err) {
    guard.release(broken);
    throw err;
  }
  let released = false;
  return {
    client,
    lost,
    discard(error) {
      broken ??= error;
    },
    async release() {
      if (released) return;
      released = true;
      if (!broken && !guard.lost.aborted) {
        try {
          await client.query(lockStatement(key, 'unlock'), keyParams(key));
        } catch (unlockError) {
          // Unknown state: destroyed, the connection takes the lock with it.
          broken = toError(unlockError);
        }
      }
      guard.release(broken);
    },
  };
}

async function tryLock(client: pg.PoolClient, key: SessionLockKey): Promise<boolean> {
  const { rows } = await client.query<{ ok: boolean }>(lockStatement(key, 'try'), keyParams(key));
  return rows[0]?.ok === true;
}

const STATEMENTS = {
  bigint: {
    lock: 'SELECT pg_advisory_lock($1)',
    try: 'SELECT pg_try_advisory_lock($1) AS ok',
    unlock: 'SELECT pg_advisory_unlock($1)',
  },
  pair: {
    lock: 'SELECT pg_advisory_lock($1, hashtext($2))',
    try: 'SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok',
    unlock: 'SELECT pg_advisory_unlock($1, hashtext($2))',
  },
} as const;

function lockStatement(key: SessionLockKey, action: 'lock' | 'try' | 'unlock'): string {
  return STATEMENTS[key.kind][action];
}

function keyParams(key: SessionLockKey): unknown[] {
  return key.kind === 'bigint' ? [key.key] : [key.namespace, key.name];
}

/** A signal that aborts when `source` does, with `reason(source's error)` as its reason. */
function relay(source: AbortSignal, reason: (error: Error) => unknown): AbortSignal {
  const relayed = new AbortController();
  source.addEventListener('abort', () => relayed.abort(reason(toError(source.reason))), { once: true });
  return relayed.signal;
}
