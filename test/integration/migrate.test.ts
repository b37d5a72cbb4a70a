import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { MIGRATION_LOCK_KEY } from '../../src/db/lock-keys.js';
import { isMigrated, migrate, migrationStatus, readMigrations } from '../../src/db/migrate.js';
import { createPool } from '../../src/db/pool.js';
import { createEmptyTestDatabase, type TestDatabase } from '../helpers/database.js';

let scratch: string;
let dirCount = 0;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'cxone-etl-migrations-'));
});
afterAll(() => rm(scratch, { recursive: true, force: true }));

/** A migrations directory holding exactly `files`. */
async function migrationsDir(files: Record<string, string>): Promise<string> {
  const dir = path.join(scratch, String(++dirCount));
  await mkdir(dir);
  for (const [name, sql] of Object.entries(files)) await writeFile(path.join(dir, name), sql);
  return dir;
}

async function recorded(pool: pg.Pool): Promise<{ id: number; name: string }[]> {
  return (await pool.query('SELECT id, name FROM cxone_etl.migrations ORDER BY id')).rows;
}

async function tableExists(pool: pg.Pool, name: string): Promise<boolean> {
  return (await pool.query('SELECT to_regclass($1) IS NOT NULL AS present', [name])).rows[0].present;
}

describe('readMigrations', () => {
  it('lists the numbered files in order and ignores other files', async () => {
    const dir = await migrationsDir({ '0002_b.sql': '', '0001_a.sql': '', 'README.md': '' });
    expect((await readMigrations(dir)).map((m) => [m.id, m.name])).toEqual([
      [1, 'a'],
      [2, 'b'],
    ]);
  });

  it.each([
    [{ '0001_a.sql': '', '0001_b.sql': '' }, /0001_b\.sql duplicates an earlier number/],
    [{ '0001_a.sql': '', '0003_c.sql': '' }, /0003_c\.sql skips 0002/],
    [{ '0002_b.sql': '' }, /0002_b\.sql skips 0001/],
    [{ '0001_a.sql': '', '2_b.sql': '' }, /2_b\.sql is not named NNNN_name\.sql/],
  ])('refuses a misnumbered directory %#', async (files, message) => {
    await expect(readMigrations(await migrationsDir(files))).rejects.toThrow(message);
  });

  it("finds the repository's migrations by default", async () => {
    expect((await readMigrations())[0]).toMatchObject({ id: 1, name: 'control_schema' });
  });
});

describe('migrate', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createEmptyTestDatabase();
  });
  afterEach(() => db.drop());

  it("applies the repository's migrations in order, records them, and applies nothing the second time", async () => {
    const all = await readMigrations();
    expect(await isMigrated(db.pool)).toBe(false);
    expect((await migrationStatus(db.pool)).pending).toEqual(all);

    const applied = await migrate(db.pool);

    expect(applied.map((m) => m.id)).toEqual(all.map((m) => m.id));
    expect(await recorded(db.pool)).toEqual(all.map(({ id, name }) => ({ id, name })));
    expect(await isMigrated(db.pool)).toBe(true);
    expect((await migrationStatus(db.pool)).pending).toEqual([]);
    expect(await migrate(db.pool)).toEqual([]);
    expect(await recorded(db.pool)).toHaveLength(all.length);
  });

  it('reports a run in one info line, each file only at debug, and nothing when up to date', async () => {
    const lines: { level: string; msg: string; obj: Record<string, unknown> }[] = [];
    const log = {
      info: (obj: object, msg: string) => void lines.push({ level: 'info', msg, obj: { ...obj } }),
      debug: (obj: object, msg: string) => void lines.push({ level: 'debug', msg, obj: { ...obj } }),
    };
    const all = await readMigrations();
    await migrate(db.pool, { log });
    const info = lines.filter((l) => l.level === 'info');
    expect(info).toHaveLength(1);
    expect(info[0]?.msg).toMatch(new RegExp(`^applied ${all.length} migrations in \\d+ ms$`));
    const last = all.at(-1);
    expect(info[0]?.obj).toMatchObject({
      migrations: all.length,
      latest: `${String(last?.id).padStart(4, '0')}_${last?.name}`,
    });
    expect(lines.filter((l) => l.level === 'debug').map((l) => l.obj.migration)).toHaveLength(all.length);

    lines.length = 0;
    await migrate(db.pool, { log });
    expect(lines).toEqual([]);
  });

  it('applies each file once when two processes migrate at the same moment', async () => {
    // Neither statement is idempotent: a second CREATE TABLE fails, a second INSERT makes two rows.
    const dir = await migrationsDir({
      '0001_create.sql': 'CREATE TABLE t (id int PRIMARY KEY, note text)',
      '0002_seed.sql': "INSERT INTO t (id, note) SELECT coalesce(max(id), 0) + 1, 'seed' FROM t",
    });
    const pools = [createPool(db.url, { max: 1 }), createPool(db.url, { max: 1 })];
    const holder = await db.pool.connect();
    try {
      // Hold the lock ourselves until both runs queue behind it, so they really do overlap.
      await holder.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
      const runs = pools.map((pool) => migrate(pool, { dir }));
      await waitForLockWaiters(holder, 2);
      await holder.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
      const results = await Promise.all(runs);

      expect(results.map((r) => r.length).sort()).toEqual([0, 2]);
      expect(await recorded(db.pool)).toEqual([
        { id: 1, name: 'create' },
        { id: 2, name: 'seed' },
      ]);
      expect((await db.pool.query('SELECT id, note FROM t')).rows).toEqual([{ id: 1, note: 'seed' }]);
    } finally {
      holder.release();
      await Promise.all(pools.map((pool) => pool.end()));
    }
  });

  it('rolls back a failing migration and records nothing for it', async () => {
    const good = { '0001_a.sql': 'CREATE TABLE a (id int)' };
    const dir = await migrationsDir({ ...good, '0002_broken.sql': 'CREATE TABLE b (id int); SELECT 1/0;' });

    await expect(migrate(db.pool, { dir })).rejects.toThrow(
      /0002_broken\.sql failed and was rolled back: division by zero/,
    );

    expect(await recorded(db.pool)).toEqual([{ id: 1, name: 'a' }]);
    expect(await tableExists(db.pool, 'a')).toBe(true);
    expect(await tableExists(db.pool, 'b')).toBe(false);
    // The lock was released: a fixed file applies.
    const fixed = await migrationsDir({ ...good, '0002_broken.sql': 'CREATE TABLE b (id int)' });
    expect((await migrate(db.pool, { dir: fixed })).map((m) => m.id)).toEqual([2]);
  });

  it('refuses a database that is newer than the code', async () => {
    const older = await migrationsDir({ '0001_a.sql': 'SELECT 1' });
    const newer = await migrationsDir({ '0001_a.sql': 'SELECT 1', '0002_b.sql': 'CREATE TABLE b (id int)' });
    await migrate(db.pool, { dir: newer });

    await expect(migrate(db.pool, { dir: older })).rejects.toThrow(
      /database has migration 0002_b, newer than this build knows/,
    );
    expect(await isMigrated(db.pool, { dir: older })).toBe(false);
  });

  it('refuses a history where the same number names another migration', async () => {
    await migrate(db.pool, { dir: await migrationsDir({ '0001_a.sql': 'SELECT 1' }) });
    const other = await migrationsDir({ '0001_other.sql': 'SELECT 1' });

    await expect(migrate(db.pool, { dir: other })).rejects.toThrow(/applied migration 0001 as "a"/);
  });

  it('refuses to apply a migration numbered below one already applied', async () => {
    await migrate(db.pool, { dir: await migrationsDir({ '0001_a.sql': 'SELECT 1' }) });
    await db.pool.query(`INSERT INTO cxone_etl.migrations (id, name) VALUES (3, 'c')`);
    const dir = await migrationsDir({
      '0001_a.sql': 'SELECT 1',
      '0002_b.sql': 'SELECT 1',
      '0003_c.sql': 'SELECT 1',
    });

    await expect(migrate(db.pool, { dir })).rejects.toThrow(/0002_b is pending but 0003 is already applied/);
  });
});

/** Polls pg_locks (each poll is a round trip, not a timer) until `n` sessions wait for an advisory lock. */
async function waitForLockWaiters(client: pg.PoolClient, n: number): Promise<void> {
  for (let attempt = 0; attempt < 10_000; attempt++) {
    const { rows } = await client.query(
      `SELECT count(*)::int AS waiting FROM pg_locks
        WHERE locktype = 'advisory' AND NOT granted
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    if (rows[0].waiting >= n) return;
  }
  throw new Error(`fewer than ${n} sessions ever waited for the migration lock`);
}
