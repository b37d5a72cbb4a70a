/**
 * Postgres errors classified by SQLSTATE (https://www.postgresql.org/docs/current/errcodes-appendix.html),
 * in the manner of graphile-worker's RETRYABLE_ERROR_CODES: a retry helps only when the failure is about
 * the connection or about contention, never when the statement itself is wrong.
 */

/** Retryable SQLSTATEs, each with its condition name. */
export const RETRYABLE_SQLSTATES: ReadonlyMap<string, string> = new Map([
  // Class 08: the connection broke or never came up; a fresh connection may well succeed.
  ['08000', 'connection_exception'],
  ['08001', 'sqlclient_unable_to_establish_sqlconnection'],
  ['08003', 'connection_does_not_exist'],
  ['08004', 'sqlserver_rejected_establishment_of_sqlconnection'],
  ['08006', 'connection_failure'],
  // The COMMIT's outcome is unknown. Retrying is safe here only because a window load replaces exactly
  // that window's rows and checkpoints in the same transaction.
  ['08007', 'transaction_resolution_unknown'],
  // Class 40: the transaction lost a race and was rolled back whole; running it again is the documented cure.
  ['40001', 'serialization_failure'],
  ['40P01', 'deadlock_detected'],
  // Class 53: the server is short of something that frees up by itself.
  ['53300', 'too_many_connections'],
  ['53200', 'out_of_memory'],
  // lock_timeout or NOWAIT hit a lock someone else holds; it will be released.
  ['55P03', 'lock_not_available'],
  // Class 57P: the server went away under us (pg_terminate_backend, fast shutdown, crash, restart,
  // recovery) or closed an idle session; the next connection goes to a healthy server.
  ['57P01', 'admin_shutdown'],
  ['57P02', 'crash_shutdown'],
  ['57P03', 'cannot_connect_now'],
  ['57P05', 'idle_session_timeout'],
]);
// Deliberately absent: 57014 query_canceled (we cancel on shutdown; retrying would undo the abort),
// 53100 disk_full and 53400 configuration_limit_exceeded (an operator must act), class 42 and 23 (the
// statement or the data is wrong and will be wrong again).

/** Node socket errors (no SQLSTATE) that mean the connection, not the statement, failed. */
const RETRYABLE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);

/** Messages node-postgres uses for connection failures it raises without any code. */
const RETRYABLE_PG_MESSAGES = [
  'Connection terminated unexpectedly',
  'Connection terminated due to connection timeout',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
];

/** How deep to follow `cause`: our wrappers add one or two levels; the bound stops a cyclic chain. */
const MAX_CAUSE_DEPTH = 5;

/**
 * The SQLSTATE of a Postgres error, looking through `cause` wrappers (EtlError wraps pg errors).
 * Undefined for anything that did not come from the server. A pg DatabaseError carries `severity`;
 * checking it keeps five-letter Node codes such as `EPIPE` from passing for a SQLSTATE.
 */
export function pgErrorCode(err: unknown): string | undefined {
  for (const e of causeChain(err)) {
    const { code, severity } = e as { code?: unknown; severity?: unknown };
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && typeof severity === 'string') return code;
  }
  return undefined;
}

/** True when running the same work again on a fresh connection can reasonably succeed. */
export function isRetryablePgError(err: unknown): boolean {
  for (const e of causeChain(err)) {
    const { code, severity, message } = e as { code?: unknown; severity?: unknown; message?: unknown };
    if (typeof code === 'string') {
      if (typeof severity === 'string') return RETRYABLE_SQLSTATES.has(code);
      if (RETRYABLE_NODE_CODES.has(code)) return true;
    }
    if (typeof message === 'string' && RETRYABLE_PG_MESSAGES.some((m) => message.includes(m))) return true;
  }
  return false;
}

function* causeChain(err: unknown): Generator<object> {
  let current: unknown = err;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && typeof current === 'object' && current !== null; depth++) {
    yield current;
    current = (current as { cause?: unknown }).cause;
  }
}
