/**
 * Runs a step inside the caller's transaction so that its failure undoes only the step: the reporting
 * layer runs in the load's transaction, and a view that cannot be rebuilt must not roll back the rows
 * and the checkpoint with it (issue 8: quality signals "never block the load").
 */
import type { Queryable } from './relations.repository.js';
import { EtlError } from '../lib/errors.js';
import { pgErrorCode } from '../db/sqlstate.js';

/** no_active_sql_transaction: SAVEPOINT outside a transaction block. */
const NO_ACTIVE_SQL_TRANSACTION = '25P01';

export type StepResult<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * SAVEPOINT, run `fn`, RELEASE; on failure ROLLBACK TO the savepoint and return the error. Outside a
 * transaction it throws: the caller's load would otherwise commit piecemeal.
 */
export async function inSavepoint<T>(
  db: Queryable,
  name: string,
  fn: () => Promise<T>,
): Promise<StepResult<T>> {
  try {
    await db.query(`SAVEPOINT ${name}`);
  } catch (err) {
    if (pgErrorCode(err) !== NO_ACTIVE_SQL_TRANSACTION) throw err;
    throw new EtlError('INTERNAL', 'the reporting steps must run inside the load transaction', {
      cause: err,
    });
  }
  try {
    const value = await fn();
    await db.query(`RELEASE SAVEPOINT ${name}`);
    return { ok: true, value };
  } catch (error) {
    // If this fails too the connection or transaction is gone: let the caller's transaction fail.
    await db.query(`ROLLBACK TO SAVEPOINT ${name}`);
    await db.query(`RELEASE SAVEPOINT ${name}`);
    return { ok: false, error };
  }
}
