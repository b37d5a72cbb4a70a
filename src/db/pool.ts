import pg from 'pg';
import { toError } from '../lib/errors.js';
import { pgErrorCode } from './sqlstate.js';

/** What a repository function needs: a pool, a checked-out client or a client in a transaction. */
export type Queryable = Pick<pg.ClientBase, 'query'>;

export interface PoolOptions {
  /** Connections at most; pg's default of 10 suits one worker process. */
  max?: number;
  /** Shown in pg_stat_activity so an operator can tell our sessions apart. */
  applicationName?: string;
  /** A connect that hangs (firewall drops SYNs) fails after this instead of waiting forever (pg's default). */
  connectionTimeoutMillis?: number;
  /**
   * Told about errors on idle connections (server restart, network cut). The pool has already
   * discarded that connection and the next query opens a fresh one, so this is for logging only.
   */
  onError?: (err: Error) => void;
}

const DEFAULTS = {
  max: 10,
  applicationName: 'cxone-etl',
  connectionTimeoutMillis: 10_000,
  // Idle connections close after this, so a quiet daemon does not pin server slots between runs.
  idleTimeoutMillis: 30_000,
} as const;

/** TCP keepalive so a COPY into a server that vanished fails in minutes rather than hanging for hours. */
const KEEPALIVE_INITIAL_DELAY_MS = 10_000;

export function createPool(url: string, opts: PoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? DEFAULTS.max,
    application_name: opts.applicationName ?? DEFAULTS.applicationName,
    connectionTimeoutMillis: opts.connectionTimeoutMillis ?? DEFAULTS.connectionTimeoutMillis,
    idleTimeoutMillis: DEFAULTS.idleTimeoutMillis,
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEPALIVE_INITIAL_DELAY_MS,
  });
  // Without a listener, an 'error' from an idle client (e.g. 57P01 admin_shutdown when Postgres
  // restarts) is an unhandled EventEmitter error and kills the process.
  const onError = opts.onError ?? (() => undefined);
  pool.on('error', (err) => onError(err));
  return pool;
}

/**
 * Runs `fn` with a client checked out of the pool and always gives it back; a client whose connection
 * died is handed back with the error, so the pool destroys it (guardClient).
 */
export async function withClient<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  const guard = guardClient(client);
  let broken: Error | undefined;
  try {
    return await fn(client);
  } catch (err) {
    // The socket's 'error' event can come after the failed query returns, so a dead connection would go
    // back to the pool and fail the next caller (ECONNRESET). When the error may be the connection's,
    // one round trip tells.
    if (connectionLost(err) && !(await stillUsable(client))) broken = toError(err);
    throw err;
  } finally {
    guard.release(broken);
  }
}

async function stillUsable(client: pg.PoolClient): Promise<boolean> {
  try {
    await ping(client);
    return true;
  } catch {
    // The ping failing is the answer: the caller throws the statement's own error either way.
    return false;
  }
}

/** One round trip: rejects when the server cannot be reached or the connection is gone. */
export async function ping(db: Queryable): Promise<void> {
  await db.query('SELECT 1');
}

/**
 * Possibly a failure of the connection rather than of the statement: no SQLSTATE (socket errors, "Connection
 * terminated"), or class 08 (connection exception) / 57P01-57P03 (the server is shutting down).
 */
export function connectionLost(err: unknown): boolean {
  const code = pgErrorCode(err);
  if (code === undefined) return true;
  return code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03';
}

/**
 * Runs `fn` inside BEGIN … COMMIT; any error rolls back and is rethrown. If ROLLBACK itself fails the
 * connection is in an unknown state, so it is destroyed rather than returned to the pool.
 */
export async function withTransaction<T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  const guard = guardClient(client);
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
  } catch (err) {
    guard.release(toError(err));
    throw err;
  }
  try {
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackErr) {
      broken = toError(rollbackErr);
    }
    throw err;
  } finally {
    guard.release(broken);
  }
}

/** A client checked out of the pool, watched for the death of its connection. */
export interface GuardedClient {
  /** Aborts, with the connection's error as its reason, when the connection dies while checked out. */
  readonly lost: AbortSignal;
  /** Gives the client back once; with an error (or after `lost`), pg-pool destroys it instead of reusing it. */
  release(err?: Error): void;
}

/**
 * Keeps an 'error' listener on a checked-out client and releases it exactly once. While a client is
 * checked out pg-pool has no listener on it, so a connection dying between two queries would otherwise
 * be an unhandled 'error' event and crash the process.
 */
export function guardClient(client: pg.PoolClient): GuardedClient {
  let failure: Error | undefined;
  const lost = new AbortController();
  const onError = (err: Error): void => {
    failure = err;
    if (!lost.signal.aborted) lost.abort(err);
  };
  client.on('error', onError);
  let released = false;
  return {
    lost: lost.signal,
    release(err) {
      if (released) return;
      released = true;
      client.removeListener('error', onError);
      // pg-pool destroys a client released with an error instead of reusing it.
      client.release(err ?? failure);
    },
  };
}
