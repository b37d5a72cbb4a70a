import type pg from 'pg';
import { createPool, withClient, withTransaction } from '../../src/db/pool.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  await db.pool.query('CREATE TABLE items (id int PRIMARY KEY)');
});
afterAll(() => db.drop());
beforeEach(() => db.pool.query('TRUNCATE items'));

async function ids(): Promise<number[]> {
  return (await db.pool.query('SELECT id FROM items ORDER BY id')).rows.map((r: { id: number }) => r.id);
}

/** Ends a session from outside, as a server restart or an operator's pg_terminate_backend would. */
async function terminate(pid: number): Promise<void> {
  await db.pool.query('SELECT pg_terminate_backend($1)', [pid]);
}

async function backendPid(client: pg.PoolClient): Promise<number> {
  return (await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
}

it('withTransaction commits what fn did and returns its result', async () => {
  const result = await withTransaction(db.pool, async (client) => {
    await client.query('INSERT INTO items VALUES (1), (2)');
    return 'done';
  });
  expect(result).toBe('done');
  expect(await ids()).toEqual([1, 2]);
});

it('withTransaction rolls back and rethrows when fn throws', async () => {
  const failure = new Error('load failed');
  await expect(
    withTransaction(db.pool, async (client) => {
      await client.query('INSERT INTO items VALUES (1)');
      throw failure;
    }),
  ).rejects.toBe(failure);
  expect(await ids()).toEqual([]);
  expect(db.pool.idleCount).toBeGreaterThan(0);
});

it('withTransaction destroys the client when ROLLBACK cannot run', async () => {
  const pool = createPool(db.url, { max: 1 });
  try {
    let pid = 0;
    await expect(
      withTransaction(pool, async (client) => {
        pid = await backendPid(client);
        await client.query('INSERT INTO items VALUES (1)');
        await terminate(pid);
        await client.query('SELECT 1');
      }),
      // The server's FATAL (57P01) or the socket reset, whichever node-postgres sees first.
    ).rejects.toThrow(/terminat|connection error|ECONNRESET/);
    expect(pool.totalCount).toBe(0);
    // The next transaction gets a fresh connection.
    await withTransaction(pool, async (client) => expect(await backendPid(client)).not.toBe(pid));
    expect(await ids()).toEqual([]);
  } finally {
    await pool.end();
  }
});

it('withClient releases the client when fn throws', async () => {
  const pool = createPool(db.url, { max: 1 });
  try {
    await expect(withClient(pool, async () => Promise.reject(new Error('nope')))).rejects.toThrow('nope');
    expect(pool.idleCount).toBe(1);
    await expect(
      withClient(pool, async (client) => (await client.query('SELECT 7 AS n')).rows[0].n),
    ).resolves.toBe(7);
  } finally {
    await pool.end();
  }
});

it('an idle connection dying is reported to onError instead of crashing the process', async () => {
  let reported!: (err: Error) => void;
  const errorSeen = new Promise<Error>((resolve) => (reported = resolve));
  const pool = createPool(db.url, { max: 1, onError: (err) => reported(err) });
  try {
    const pid = await withClient(pool, backendPid);
    await terminate(pid);
    expect((await errorSeen).message).toMatch(/terminat/);
    await expect(pool.query('SELECT 1 AS one')).resolves.toMatchObject({ rows: [{ one: 1 }] });
  } finally {
    await pool.end();
  }
});

it('a checked-out connection dying between queries does not crash the process', async () => {
  const pool = createPool(db.url, { max: 1 });
  try {
    await expect(
      withClient(pool, async (client) => {
        await terminate(await backendPid(client));
        // Give the socket's close a chance to arrive while no query is running on this client.
        await db.pool.query('SELECT pg_sleep(0)');
        await client.query('SELECT 1');
      }),
    ).rejects.toThrow();
    await expect(pool.query('SELECT 1 AS one')).resolves.toMatchObject({ rows: [{ one: 1 }] });
  } finally {
    await pool.end();
  }
});
