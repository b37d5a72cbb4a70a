import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { withDatabase } from '../../src/db/database-url.js';
import { createPool } from '../../src/db/pool.js';

/**
 * One fresh database per test file, in the manner of graphile-worker's __tests__/helpers.ts: globalSetup
 * migrates a template once, and each file clones it (CREATE DATABASE … TEMPLATE is a file copy,
 * far cheaper than migrating again). Use it in beforeAll/afterAll:
 *
 *   let db: TestDatabase;
 *   beforeAll(async () => { db = await createTestDatabase(); });
 *   afterAll(() => db.drop());
 */

/** How globalSetup (parent process) tells the test workers where the server is. */
export const ENV = {
  /** A URL on the test server for CREATE/DROP DATABASE; never used by a test's own queries. */
  adminUrl: 'CXONE_TEST_ADMIN_URL',
  /** The migrated template database. */
  template: 'CXONE_TEST_TEMPLATE_DB',
  /** Prefix of every database this jest run creates, so teardown can drop the ones a test forgot. */
  prefix: 'CXONE_TEST_DB_PREFIX',
  /** Which path the harness took: TEST_DATABASE_URL, docker or embedded. */
  source: 'CXONE_TEST_DB_SOURCE',
} as const;

export interface TestDatabase {
  name: string;
  url: string;
  pool: pg.Pool;
  /** Ends the pool and drops the database; safe to call twice. */
  drop(): Promise<void>;
}

let counter = 0;

/** A database with every migration applied (a clone of the template). */
export async function createTestDatabase(): Promise<TestDatabase> {
  return createDatabase(env(ENV.template));
}

/** A database with nothing in it, for tests of the migration runner itself. */
export async function createEmptyTestDatabase(): Promise<TestDatabase> {
  return createDatabase('template0');
}

/** Runs one statement on the admin connection (CREATE/DROP DATABASE cannot run inside a pool's transaction). */
export async function adminQuery(sql: string, adminUrl: string = env(ENV.adminUrl)): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: adminUrl, application_name: 'cxone-etl-test-admin' });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function dropDatabase(name: string, adminUrl?: string): Promise<void> {
  // FORCE (Postgres 13+) ends sessions a test leaked instead of failing "being accessed by other users".
  await adminQuery(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`, adminUrl);
}

async function createDatabase(template: string): Promise<TestDatabase> {
  const adminUrl = env(ENV.adminUrl);
  // Unique across workers (pid), files in one worker (counter) and concurrent jest runs (prefix, random).
  const name = `${env(ENV.prefix)}_${process.pid}_${++counter}_${randomBytes(3).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${pg.escapeIdentifier(name)} TEMPLATE ${pg.escapeIdentifier(template)}`);
  const url = withDatabase(adminUrl, name);
  const pool = createPool(url, { applicationName: 'cxone-etl-test' });
  let dropped = false;
  return {
    name,
    url,
    pool,
    async drop() {
      if (dropped) return;
      dropped = true;
      await pool.end();
      await dropDatabase(name);
    },
  };
}

function env(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: run the tests through jest.config.js, whose globalSetup prepares the database`,
    );
  }
  return value;
}
