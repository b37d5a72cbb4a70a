import { ManualClock } from '../helpers/manual-clock.js';
import { acquireTenantLock } from '../../src/db/tenant-lock.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

describe('tenant lock', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('lets one holder in; a second process exits with LOCKED in exit mode, or gets it after release', async () => {
    const clock = new ManualClock(0);
    const first = await acquireTenantLock(db.pool, 't-1', { mode: 'exit', clock });
    await expect(acquireTenantLock(db.pool, 't-1', { mode: 'exit', clock })).rejects.toMatchObject({
      code: 'LOCKED',
    });
    const other = await acquireTenantLock(db.pool, 't-2', { mode: 'exit', clock });
    await first.release();
    const again = await acquireTenantLock(db.pool, 't-1', { mode: 'exit', clock });
    await Promise.all([again.release(), other.release()]);
  });

  it('signals when the connection holding the lock dies, and the lock is free for others', async () => {
    const clock = new ManualClock(0);
    const lock = await acquireTenantLock(db.pool, 't-3', { mode: 'exit', clock });
    const lost = new Promise<unknown>((resolve) =>
      lock.lost.addEventListener('abort', () => resolve(lock.lost.reason)),
    );
    const { rows } = await db.pool.query(
      // This database only: pg_locks is cluster-wide, and on a shared server another session's lock would
      // be terminated instead (seen with parallel test runs on one Postgres).
      `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) LIMIT 1`,
    );
    await db.pool.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
    expect(await lost).toMatchObject({
      code: 'LOCKED',
      message: expect.stringMatching(/lost the tenant lock/),
    });
    const next = await acquireTenantLock(db.pool, 't-3', { mode: 'exit', clock });
    await next.release();
    await lock.release();
  });
});
