import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { EtlError, toError } from '../lib/errors.js';
import { withSessionAdvisoryLock } from './advisory-lock.js';
import { migrationLock } from './lock-keys.js';
import { withClient } from './pool.js';

/**
 * Forward-only migrations in the manner of graphile-worker's migrate.ts: numbered SQL files, each
 * applied in its own transaction together with the row recording it, the whole run serialized by an
 * advisory lock so that two processes starting at once apply every file exactly once.
 */

/** `migrations/` at the repository root: two levels up from both src/db/ and dist/db/. */
export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

const SCHEMA = 'cxone_etl';
const TABLE = `${SCHEMA}.migrations`;
const FILE_NAME = /^(\d{4})_([a-z0-9][a-z0-9_]*)\.sql$/;

export interface Migration {
  id: number;
  /** The part after the number, e.g. `control_schema`. */
  name: string;
  path: string;
}

export interface MigrateOptions {
  dir?: string;
  /**
   * A pino logger or anything shaped like it: one info line for the whole run ("applied 9 migrations in
   * 63 ms"), and each file with its duration at debug.
   */
  log?: { info(obj: object, msg: string): void; debug(obj: object, msg: string): void };
}

export interface MigrationStatus {
  applied: { id: number; name: string }[];
  pending: Migration[];
  /** Applied in the database but absent from this build: the database is newer than the code. */
  unknown: { id: number; name: string }[];
}

/** Lists the migration files, refusing a directory whose numbering is not 0001, 0002, … without gaps. */
export async function readMigrations(dir: string = DEFAULT_MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    const match = FILE_NAME.exec(file);
    if (!match) {
      throw new EtlError(
        'INTERNAL',
        `${path.join(dir, file)} is not named NNNN_name.sql (e.g. 0002_jobs.sql)`,
      );
    }
    const id = Number(match[1]);
    const expected = migrations.length + 1;
    if (id !== expected) {
      const problem = id < expected ? 'duplicates an earlier number' : `skips ${pad(expected)}`;
      throw new EtlError(
        'INTERNAL',
        `${path.join(dir, file)} ${problem}: migrations run 0001, 0002, … in order`,
      );
    }
    migrations.push({ id, name: match[2] as string, path: path.join(dir, file) });
  }
  return migrations;
}

/** Applies every pending migration; returns the ones it applied (none when already up to date). */
export async function migrate(pool: pg.Pool, opts: MigrateOptions = {}): Promise<Migration[]> {
  const migrations = await readMigrations(opts.dir);
  return withSessionAdvisoryLock(pool, migrationLock, async ({ client }) => {
    // Created under the lock: two sessions racing on CREATE … IF NOT EXISTS can both miss the
    // other's uncommitted row and one then fails with 23505 on pg_namespace.
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${SCHEMA}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${TABLE} (
         id int PRIMARY KEY,
         name text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const status = compare(migrations, await appliedRows(client));
    assertCompatible(migrations, status);
    const started = Date.now();
    for (const migration of status.pending) {
      const fileStarted = Date.now();
      await applyOne(client, migration);
      opts.log?.debug({ migration: label(migration), ms: Date.now() - fileStarted }, 'applied migration');
    }
    const last = status.pending.at(-1);
    if (last) {
      const ms = Date.now() - started;
      const count = status.pending.length;
      opts.log?.info(
        { migrations: count, latest: label(last), ms },
        `applied ${count} migration${count === 1 ? '' : 's'} in ${ms} ms`,
      );
    }
    return status.pending;
  });
}

/** What migrate() would do, without taking the lock or creating anything (for readiness checks). */
export async function migrationStatus(pool: pg.Pool, opts: { dir?: string } = {}): Promise<MigrationStatus> {
  const migrations = await readMigrations(opts.dir);
  return withClient(pool, async (client) => {
    const { rows } = await client.query<{ present: boolean }>(
      'SELECT to_regclass($1) IS NOT NULL AS present',
      [TABLE],
    );
    return compare(migrations, rows[0]?.present ? await appliedRows(client) : []);
  });
}

/** True when the database is exactly at this build's latest migration. */
export async function isMigrated(pool: pg.Pool, opts: { dir?: string } = {}): Promise<boolean> {
  const status = await migrationStatus(pool, opts);
  return status.pending.length === 0 && status.unknown.length === 0;
}

async function appliedRows(client: pg.PoolClient): Promise<{ id: number; name: string }[]> {
  const { rows } = await client.query<{ id: number; name: string }>(
    `SELECT id, name FROM ${TABLE} ORDER BY id`,
  );
  return rows;
}

function compare(migrations: Migration[], applied: { id: number; name: string }[]): MigrationStatus {
  const known = new Map(migrations.map((m) => [m.id, m]));
  const appliedIds = new Set(applied.map((row) => row.id));
  return {
    applied,
    pending: migrations.filter((m) => !appliedIds.has(m.id)),
    unknown: applied.filter((row) => !known.has(row.id)),
  };
}

/** Refuses histories this build cannot safely extend. */
function assertCompatible(migrations: Migration[], { applied, pending, unknown }: MigrationStatus): void {
  const newest = unknown.at(-1);
  if (newest) {
    throw new EtlError(
      'DATABASE',
      `the database has migration ${pad(newest.id)}_${newest.name}, newer than this build knows; ` +
        'run a newer cxone-etl, or point DATABASE_URL at the right database',
    );
  }
  const byId = new Map(migrations.map((m) => [m.id, m]));
  const renamed = applied.find((row) => byId.get(row.id)?.name !== row.name);
  if (renamed) {
    throw new EtlError(
      'DATABASE',
      `the database applied migration ${pad(renamed.id)} as "${renamed.name}" but this build's file is ` +
        `"${byId.get(renamed.id)?.name ?? '?'}": two branches used the same number; renumber the newer file`,
    );
  }
  const latestApplied = applied.at(-1)?.id ?? 0;
  const late = pending.find((m) => m.id < latestApplied);
  if (late) {
    throw new EtlError(
      'DATABASE',
      `migration ${pad(late.id)}_${late.name} is pending but ${pad(latestApplied)} is already applied; ` +
        'a migration was added out of order: give it the next free number',
    );
  }
}

async function applyOne(client: pg.PoolClient, migration: Migration): Promise<void> {
  const sql = await readFile(migration.path, 'utf8');
  await client.query('BEGIN');
  try {
    await client.query(sql);
    await client.query(`INSERT INTO ${TABLE} (id, name) VALUES ($1, $2)`, [migration.id, migration.name]);
    await client.query('COMMIT');
  } catch (err) {
    // ROLLBACK only fails on a dead connection, which pg-pool discards on release anyway.
    await client.query('ROLLBACK').catch(() => undefined);
    const cause = toError(err);
    // A migration that refuses to go on says what to do in its HINT: the operator must see it.
    const hint = (cause as { hint?: unknown }).hint;
    throw new EtlError(
      'DATABASE',
      `migration ${path.basename(migration.path)} failed and was rolled back: ${cause.message}` +
        (typeof hint === 'string' && hint !== '' ? ` (hint: ${hint})` : ''),
      { cause },
    );
  }
}

function pad(id: number): string {
  return String(id).padStart(4, '0');
}

function label(migration: Migration): string {
  return `${pad(migration.id)}_${migration.name}`;
}
