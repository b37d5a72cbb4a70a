/**
 * What every benchmark shares: the server to run on, a database created for the run and dropped after
 * it, temp files, psql runs timed by psql itself, and small statistics. Benchmarks print figures; they
 * never fail on timing (benchmarks are not tests).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { withDatabase } from '../src/db/database-url.js';
import { migrate } from '../src/db/migrate.js';
import { createPool } from '../src/db/pool.js';

/** The machine's Postgres (trust auth); BENCH_DATABASE_URL points the benchmarks elsewhere. */
export const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** The repository root: children run from here so `--import tsx` and node_modules resolve. */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));

export const MB = 1_000_000;

/** True when `moduleUrl` is the script node was started with (a leg run on its own). */
export function isMain(moduleUrl: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && pathToFileURL(path.resolve(entry)).href === moduleUrl;
}

export interface BenchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A fresh database (dropped first if a crashed run left it), with FORCE on drop for leaked sessions. */
export async function createBenchDatabase(name: string): Promise<BenchDatabase> {
  await adminQuery(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  await adminQuery(`CREATE DATABASE ${pg.escapeIdentifier(name)} TEMPLATE template0 ENCODING 'UTF8'`);
  let dropped = false;
  return {
    name,
    url: withDatabase(ADMIN_URL, name),
    async drop() {
      if (dropped) return;
      dropped = true;
      await adminQuery(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
    },
  };
}

/** The worker's migrations on a bench database (copyWindow records each load in cxone_etl.loads). */
export async function migrateBenchDatabase(url: string): Promise<void> {
  const pool = createPool(url, { max: 1 });
  try {
    await migrate(pool);
  } finally {
    await pool.end();
  }
}

export async function adminQuery(sql: string, url: string = ADMIN_URL): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url, application_name: 'cxone-etl-bench' });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A temp directory removed by the returned function (call it in a finally). */
export async function tempDir(prefix: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `${prefix}-`));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export interface PsqlCopy {
  /** psql's own `\timing` of the `\copy`: the server's COPY and commit, not psql's start or connect. */
  ms: number;
  rows: number;
}

/**
 * `psql -c "\copy ..."` with `\timing on`; `setup` statements run first in the same session (e.g.
 * session-level set_config for the metadata defaults).
 */
export async function psqlCopy(url: string, copyCommand: string, setup: string[] = []): Promise<PsqlCopy> {
  const args = ['-X', '-v', 'ON_ERROR_STOP=1', url, ...setup.flatMap((s) => ['-c', s])];
  args.push('-c', '\\timing on', '-c', copyCommand);
  const out = await run('psql', args);
  const time = /Time: ([\d.]+) ms/.exec(out)?.[1];
  const rows = /COPY (\d+)/.exec(out)?.[1];
  if (time === undefined || rows === undefined) throw new Error(`unexpected psql output: ${out}`);
  return { ms: Number(time), rows: Number(rows) };
}

/** Runs a program, resolving with its stdout; rejects with its stderr when it fails. */
export function run(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { maxBuffer: 16 * MB }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} failed: ${stderr || error.message}`, { cause: error }));
      else resolve(stdout);
    });
  });
}

/** Marks a child's result line on stdout (anything else it prints is passed through). */
export const RESULT_PREFIX = 'BENCH_RESULT ';

/** A memory figure of a live process from /proc/<pid>/status, in KiB (Linux). */
export function procStatusKb(pid: number | 'self' | undefined, field: 'VmHWM' | 'VmRSS'): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** The largest defined value, or undefined when there is none. */
export function maxOf(values: (number | undefined)[]): number | undefined {
  const defined = values.filter((v): v is number => v !== undefined);
  return defined.length > 0 ? Math.max(...defined) : undefined;
}

/** Largest run time ÷ smallest: above ~1.25 something else competed for the machine during the runs. */
export function spread(values: number[]): number {
  return values.length > 0 ? Math.max(...values) / Math.min(...values) : Number.NaN;
}

export function mbPerSecond(bytes: number, ms: number): number {
  return bytes / MB / (ms / 1000);
}

export function fixed(value: number, digits = 2): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

/** A /proc figure in KiB as MB (10^6 bytes), the unit of the memory goal. */
export function mb(kib: number | undefined): string {
  return kib === undefined ? 'n/a' : `${((kib * 1024) / MB).toFixed(0)} MB`;
}
