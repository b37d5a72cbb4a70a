/**
 * Statements that only make sense inside the caller's transaction. A savepoint lets a step's failure
 * undo only the step: the reporting layer runs in the load's transaction, and a view that cannot be
 * rebuilt must not roll back the rows and the checkpoint with it (quality signals "never block
 * the load").
 */
import { pgErrorCode } from './sqlstate.js';
import type { Queryable } from './pool.js';

/** no_active_sql_transaction: SAVEPOINT outside a transaction block. */
const NO_ACTIVE_SQL_TRANSACTION = '25P01';

export type StepResult<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * SAVEPOINT, run `fn`, RELEASE; on failure ROLLBACK TO the savepoint and return the error. Outside a
 * transaction it throws `outside(the 25P01 error)`: the caller's load would otherwise commit piecemeal.
 */
export async function inSavepoint<T>(
  db: Queryable,
  name: string,
  fn: () => Promise<T>,
  outside: (cause: unknown) => Error,
): Promise<StepResult<T>> {
  try {
    await db.query(`SAVEPOINT ${name}`);
  } catch (err) {
    if (pgErrorCode(err) !== NO_ACTIVE_SQL_TRANSACTION) throw err;
    throw outside(err);
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

/**
 * Throws `outside(the 25P01 error)` unless `db` is inside a transaction block. SAVEPOINT is refused
 * outside one (25P01 no_active_sql_transaction), which makes it an exact test; released at once, it
 * costs one round trip and no transaction id.
 */
export async function assertInTransaction(db: Queryable, outside: (cause: unknown) => Error): Promise<void> {
  try {
    await db.query('SAVEPOINT cxone_etl_in_transaction; RELEASE SAVEPOINT cxone_etl_in_transaction');
  } catch (err) {
    if (pgErrorCode(err) !== NO_ACTIVE_SQL_TRANSACTION) throw err;
    throw outside(err);
  }
}
