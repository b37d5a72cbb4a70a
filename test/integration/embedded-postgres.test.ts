import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { jest } from '@jest/globals';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/embedded.js';

/** A second, private server beside the one the harness may be using; its own temp dir and port. */

let root: string;
const debugLines: string[] = [];
const log = { debug: (_obj: object, line: string) => void debugLines.push(line) };
const started: EmbeddedPostgres[] = [];

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'cxone-etl-embedded-'));
  // As root the server runs as the postgres user, which has to pass through this directory.
  await chmod(root, 0o755);
});
afterAll(async () => {
  for (const server of started) await server.stop();
  await rm(root, { recursive: true, force: true });
});

async function start(dataDir: string): Promise<EmbeddedPostgres> {
  const server = await startEmbeddedPostgres({ dataDir, log, durable: false });
  started.push(server);
  return server;
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** The pid of a process that has certainly exited, as a killed run's postmaster.pid would hold. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid as number;
}

it('starts on a free port on 127.0.0.1 only, stops, and starts again from the same directory', async () => {
  const dataDir = path.join(root, 'restart');
  const consoleLog = jest.spyOn(console, 'log');
  const first = await start(dataDir);

  expect(first.port).not.toBe(5432);
  expect(new URL(first.url).hostname).toBe('127.0.0.1');
  const [settings] = await query<{ one: number; listen: string; sockets: string; db: string }>(
    first.url,
    `SELECT 1 AS one, current_setting('listen_addresses') AS listen,
            current_setting('unix_socket_directories') AS sockets, current_database() AS db`,
  );
  expect(settings).toEqual({ one: 1, listen: '127.0.0.1', sockets: '', db: 'cxone_etl' });
  await query(first.url, 'CREATE TABLE kept (id int); INSERT INTO kept VALUES (42)');
  // Server output goes to the logger, not the console.
  expect(debugLines.some((l) => l.includes('ready to accept connections'))).toBe(true);
  expect(consoleLog).not.toHaveBeenCalled();
  consoleLog.mockRestore();

  await first.stop();
  // As if the previous run had been killed: a postmaster.pid naming a process that no longer exists.
  await writeFile(path.join(dataDir, 'postmaster.pid'), `${await deadPid()}\n${dataDir}\n0\n${first.port}\n`);
  const second = await start(dataDir);

  expect(second.url.replace(/:\d+\//, ':PORT/')).toBe(first.url.replace(/:\d+\//, ':PORT/'));
  expect(await query(second.url, 'SELECT id FROM kept')).toEqual([{ id: 42 }]);
  await second.stop();
  await expect(second.stop()).resolves.toBeUndefined();
});

it('refuses a data directory that a running server is using', async () => {
  const dataDir = path.join(root, 'busy');
  const server = await start(dataDir);

  await expect(startEmbeddedPostgres({ dataDir, log, durable: false })).rejects.toThrow(
    /in use by a Postgres server \(pid \d+, port \d+\).*kill -INT/,
  );
  await server.stop();
});

const asRoot = process.getuid?.() === 0 ? it : it.skip;
asRoot('as root, names the directory the postgres user cannot enter', async () => {
  const locked = path.join(root, 'locked');
  await mkdir(locked, { mode: 0o700 });
  await chmod(locked, 0o700);

  await expect(startEmbeddedPostgres({ dataDir: path.join(locked, 'data'), log })).rejects.toThrow(
    new RegExp(`cannot enter ${locked} \\(mode 700\\)`),
  );
});
