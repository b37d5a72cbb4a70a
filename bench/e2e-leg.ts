/**
 * What the user waits for: the built CLI (`node bin/cxone-etl.js backfill`, one
 * recordings window) against a minimal static-file API (bench/static-api.ts), beside two anchors
 * loading the same bytes into a plain all-text table: psql `\copy` from the file, and
 * `curl URL | psql -c '\copy ... from pstdin csv header'` of the same download over the same HTTP
 * (what a user would write by hand); the three alternate, in the same run.
 *
 *   npx tsx bench/e2e-leg.ts [--large] [--runs N]      (100 MB and 200 MB; --large adds 1 GB)
 *
 * Figures per size (medians): each anchor's `\copy` as psql times it (read, COPY, commit) and its
 * whole process (for curl | psql, the shell pipeline from spawn to exit); the CLI's window from the first download byte (the server's clock) to the COMMIT (the
 * worker's "window loaded" log line, written right after it) and its whole process, from spawn to
 * exit (token, job, poll, migrations check, pool and all). Peak RSS is the CLI's maximum resident set
 * as /usr/bin/time reports it (the kernel's ru_maxrss), else the last VmHWM read from /proc.
 * Goals (results-md.ts): at 200 MB and 1 GB the window ≤ 1.10× curl | psql and ≤ 1.15× psql from
 * the file; at 200 MB the process ≤ 1.25× curl | psql; peak RSS ≤ 100 MB, flat to 1 GB. Nothing
 * fails on timing.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  adminQuery,
  createBenchDatabase,
  fixed,
  isMain,
  maxOf,
  MB,
  median,
  procStatusKb,
  ROOT,
  run,
  spread,
  tempDir,
} from './bench-env.js';
import { parseLegArgs, type LegOptions } from './copy-leg.js';
import { writeCsvFile, type BenchSize } from './csv-files.js';
import { mainThreadProfile, spanFromStart, summariseProfile, type ProfileSummary } from './cpu-profile.js';
import { startStaticApi, type StaticApi } from './static-api.js';
import { createPlainTable, dataColumns, PLAIN_TABLE, psqlPlainCopy, qualified } from './tables.js';

/** Rows of the simulator's large mode are ~360 bytes: 280k ≈ 100 MB. */
export const E2E_SIZES: readonly BenchSize[] = [
  { label: '100 MB', rows: 280_000 },
  { label: '200 MB', rows: 560_000 },
];
const E2E_LARGE: BenchSize = { label: '1 GB', rows: 2_800_000 };

const ENTITY = 'recording-interaction-metadata';
const STAGING_SCHEMA = 'bench_staging';
const PLAIN = qualified(PLAIN_TABLE);
const CLI = path.join(ROOT, 'bin/cxone-etl.js');
const TIME = '/usr/bin/time';

export interface E2eRun {
  psqlCopyMs: number;
  psqlProcessMs: number;
  /** curl | psql: psql's `\timing` of the `\copy ... from pstdin`, and the pipeline's process. */
  curlCopyMs: number;
  curlProcessMs: number;
  windowMs: number;
  processMs: number;
  /** The reporting step inside the load transaction (view check, cast problems, quality flags). */
  reportingMs: number;
  rssKb: number | undefined;
}

/** The CLI run once more under `node --cpu-prof` at 200 MB: where its start-up and its window go. */
export interface CliProfile {
  label: string;
  /** Spawn to the download's first byte: start-up, migrations check, token, job, poll. */
  startupMs: number;
  windowMs: number;
  startup: ProfileSummary;
  window: ProfileSummary;
}

export interface E2eSize {
  label: string;
  bytes: number;
  rows: number;
  runs: E2eRun[];
  psqlCopyMs: number;
  psqlProcessMs: number;
  curlCopyMs: number;
  curlProcessMs: number;
  windowMs: number;
  processMs: number;
  /** window ÷ psql `\copy` from the file (goal ≤ 1.15 at 200 MB and 1 GB) */
  windowRatio: number;
  /** CLI process ÷ psql process */
  processRatio: number;
  /** window ÷ curl | psql's `\copy` (goal ≤ 1.10 at 200 MB and 1 GB) */
  windowRatioCurl: number;
  /** CLI process ÷ curl | psql's process (goal ≤ 1.25 at 200 MB) */
  processRatioCurl: number;
  /** Reporting step ÷ window (goal ≤ 0.05) */
  reportingShare: number;
  peakRssKb: number | undefined;
  spread: number;
  /** At 200 MB only. */
  profile?: CliProfile;
}

export interface E2eResult {
  sizes: E2eSize[];
  rssSource: string;
}

export async function runE2eLeg(opts: LegOptions & { log: (line: string) => void }): Promise<E2eResult> {
  const { log } = opts;
  log('\n== end to end: the built CLI, one window, vs psql \\copy and curl | psql ==');
  await run('npm', ['run', '--silent', 'build']);
  const api = await startStaticApi();
  const tmp = await tempDir('cxone-etl-bench-e2e');
  const sizes: E2eSize[] = [];
  try {
    for (const size of opts.large ? [...E2E_SIZES, E2E_LARGE] : E2E_SIZES) {
      sizes.push(await measureSize(api, tmp.dir, size, opts.runs, log));
    }
  } finally {
    await api.close();
    await tmp.remove();
  }
  return { sizes, rssSource: existsSync(TIME) ? '/usr/bin/time (ru_maxrss)' : '/proc VmHWM' };
}

async function measureSize(
  api: StaticApi,
  dir: string,
  size: BenchSize,
  runs: number,
  log: (line: string) => void,
): Promise<E2eSize> {
  const csv = await writeCsvFile(dir, size);
  const db = await createBenchDatabase('cxone_etl_bench_e2e');
  try {
    await cli(db.url, api, ['migrate']);
    // The COPY leg's anchor table and psql command: the same data columns, all text.
    await createPlainTable(db.url, await dataColumns(csv.path));
    api.serve(csv.path);
    const results: E2eRun[] = [];
    for (let i = 0; i < runs; i++) {
      // Each contender goes first in turn: none always follows the same one.
      const order = [0, 1, 2].map((k) => (k + i) % 3);
      let psql: { copyMs: number; processMs: number } | undefined;
      let curl: { copyMs: number; processMs: number } | undefined;
      let worker: Awaited<ReturnType<typeof cliRun>> | undefined;
      for (const k of order) {
        await reset(db.url);
        if (k === 0) psql = await psqlFileRun(db.url, csv.path);
        else if (k === 1) curl = await curlPsqlRun(db.url, api, csv.size.rows);
        else worker = await cliRun(db.url, api, csv.size.rows);
      }
      if (!psql || !curl || !worker) throw new Error('a contender did not run');
      results.push({
        psqlCopyMs: psql.copyMs,
        psqlProcessMs: psql.processMs,
        curlCopyMs: curl.copyMs,
        curlProcessMs: curl.processMs,
        ...worker,
      });
      log(
        `  ${size.label} run ${i + 1}: psql \\copy ${fixed(psql.copyMs / 1000)} s (process ${fixed(psql.processMs / 1000)} s); ` +
          `curl | psql ${fixed(curl.copyMs / 1000)} s (process ${fixed(curl.processMs / 1000)} s); ` +
          `CLI window ${fixed(worker.windowMs / 1000)} s, process ${fixed(worker.processMs / 1000)} s, ` +
          `peak RSS ${worker.rssKb === undefined ? 'n/a' : `${((worker.rssKb * 1024) / MB).toFixed(0)} MB`}`,
      );
    }
    const m = (pick: (r: E2eRun) => number): number => median(results.map(pick));
    const result: E2eSize = {
      label: size.label,
      bytes: csv.bytes,
      rows: size.rows,
      runs: results,
      psqlCopyMs: m((r) => r.psqlCopyMs),
      psqlProcessMs: m((r) => r.psqlProcessMs),
      curlCopyMs: m((r) => r.curlCopyMs),
      curlProcessMs: m((r) => r.curlProcessMs),
      windowMs: m((r) => r.windowMs),
      processMs: m((r) => r.processMs),
      windowRatio: m((r) => r.windowMs / r.psqlCopyMs),
      processRatio: m((r) => r.processMs / r.psqlProcessMs),
      windowRatioCurl: m((r) => r.windowMs / r.curlCopyMs),
      processRatioCurl: m((r) => r.processMs / r.curlProcessMs),
      reportingShare: m((r) => r.reportingMs / r.windowMs),
      peakRssKb: maxOf(results.map((r) => r.rssKb)),
      spread: spread(results.map((r) => r.windowMs)),
    };
    if (size.label === '200 MB') {
      await reset(db.url);
      result.profile = await profileCli(db.url, api, size, dir);
      log(formatCliProfile(result.profile));
    }
    log(
      `  ${size.label}: window ÷ curl | psql ${fixed(result.windowRatioCurl)} (goal ≤ 1.10), ÷ psql \\copy ` +
        `${fixed(result.windowRatio)} (goal ≤ 1.15); process ÷ curl | psql ${fixed(result.processRatioCurl)} ` +
        `(goal ≤ 1.25 at 200 MB), ÷ psql ${fixed(result.processRatio)}; reporting ` +
        `${fixed(result.reportingShare * 100, 1)}% of the window (goal ≤ 5%), peak RSS ` +
        `${result.peakRssKb === undefined ? 'n/a' : `${((result.peakRssKb * 1024) / MB).toFixed(0)} MB`} (goal ≤ 100 MB)`,
    );
    return result;
  } finally {
    await db.drop();
  }
}

/** Empties both targets and the worker's ledger, and flushes dirty pages: no run pays for another's writes. */
async function reset(url: string): Promise<void> {
  await adminQuery(`TRUNCATE ${PLAIN}`, url);
  const staging = `${STAGING_SCHEMA}.${ENTITY.replace(/-/g, '_')}`;
  await adminQuery(
    `DO $$ BEGIN
       IF to_regclass('${staging}') IS NOT NULL THEN TRUNCATE ${staging}; END IF;
       TRUNCATE cxone_etl.loads, cxone_etl.windows, cxone_etl.checkpoints, cxone_etl.rate_gate,
                cxone_etl.cast_problems, cxone_etl.window_profiles, cxone_etl.quality_flags;
     END $$`,
    url,
  );
  await adminQuery('CHECKPOINT', url);
}

/** psql `\copy` from the file: psql's own timing of the `\copy`, and its process. */
async function psqlFileRun(url: string, file: string): Promise<{ copyMs: number; processMs: number }> {
  const t0 = performance.now();
  const psql = await psqlPlainCopy(url, file);
  return { copyMs: psql.ms, processMs: performance.now() - t0 };
}

/**
 * `curl URL | psql -c '\copy ... from pstdin csv header'` of the file the API serves, over the same
 * loopback HTTP as the CLI's download (pstdin: psql's standard input, which `-c` leaves free).
 */
async function curlPsqlRun(
  url: string,
  api: StaticApi,
  rows: number,
): Promise<{ copyMs: number; processMs: number }> {
  const copy = `\\copy ${PLAIN} from pstdin csv header`;
  const script = 'curl -sS --fail "$0" | psql -X -v ON_ERROR_STOP=1 "$1" -c "\\timing on" -c "$2"';
  const t0 = performance.now();
  const out = await run('sh', ['-c', script, api.downloadUrl, url, copy]);
  const processMs = performance.now() - t0;
  const time = /Time: ([\d.]+) ms/.exec(out)?.[1];
  const copied = /COPY (\d+)/.exec(out)?.[1];
  if (time === undefined || copied === undefined) throw new Error(`unexpected curl | psql output: ${out}`);
  if (Number(copied) !== rows) throw new Error(`curl | psql loaded ${copied} rows, the file has ${rows}`);
  return { copyMs: Number(time), processMs };
}

function cliEnv(url: string, api: StaticApi): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATABASE_URL: url,
    CXONE_ISSUER_URL: api.url,
    CXONE_API_BASE_URL: api.url,
    CXONE_ACCESS_KEY_ID: 'bench-key',
    CXONE_ACCESS_KEY_SECRET: 'bench-secret',
    CXONE_TENANT_ID: 'bench',
    // A static API has no rate limit; the gate's wait is not what this leg measures.
    CXONE_MIN_CALL_INTERVAL_MS: '0',
    EXTRACT_ENTITIES: ENTITY,
    STAGING_SCHEMA,
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'info',
  };
}

/** Runs the CLI and resolves with its stderr; rejects when it exits non-zero. */
function cli(url: string, api: StaticApi, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: cliEnv(url, api), cwd: ROOT });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.resume();
    child.on('close', (code) =>
      code === 0
        ? resolve(stderr)
        : reject(new Error(`cxone-etl ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`)),
    );
  });
}

interface CliRun {
  windowMs: number;
  processMs: number;
  reportingMs: number;
  rssKb: number | undefined;
  /** From the spawn (Date.now()) to the download's first byte. */
  startupMs: number;
}

async function cliRun(url: string, api: StaticApi, rows: number, nodeFlags: string[] = []): Promise<CliRun> {
  const args = [
    ...nodeFlags,
    CLI,
    'backfill',
    '--entity',
    ENTITY,
    '--from',
    '2026-01-01',
    '--to',
    '2026-01-02',
  ];
  const withTime = existsSync(TIME);
  const spawnedAt = Date.now();
  const started = performance.now();
  const { stderr, hwmKb } = await new Promise<{ stderr: string; hwmKb: number | undefined }>(
    (resolve, reject) => {
      const child = withTime
        ? spawn(TIME, ['-f', 'BENCH_MAXRSS_KB=%M', process.execPath, ...args], {
            env: cliEnv(url, api),
            cwd: ROOT,
          })
        : spawn(process.execPath, args, { env: cliEnv(url, api), cwd: ROOT });
      let err = '';
      let hwm: number | undefined;
      const timer = withTime
        ? undefined
        : setInterval(() => (hwm = procStatusKb(child.pid, 'VmHWM') ?? hwm), 20);
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.stdout.resume();
      child.on('close', (code) => {
        if (timer) clearInterval(timer);
        if (code === 0) resolve({ stderr: err, hwmKb: hwm });
        else reject(new Error(`cxone-etl backfill exited ${code}: ${err.slice(-2000)}`));
      });
    },
  );
  const processMs = performance.now() - started;
  const loaded = stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { msg?: string; time?: number; rows?: number; reportingMs?: number })
    .find((l) => l.msg === 'window loaded');
  const firstByte = api.firstByteAt();
  if (!loaded?.time || firstByte === undefined)
    throw new Error(`no window loaded in the CLI's log: ${stderr.slice(-2000)}`);
  if (loaded.rows !== rows) throw new Error(`the CLI loaded ${loaded.rows} rows, the file has ${rows}`);
  const rss = /BENCH_MAXRSS_KB=(\d+)/.exec(stderr)?.[1];
  return {
    windowMs: loaded.time - firstByte,
    processMs,
    reportingMs: loaded.reportingMs ?? Number.NaN,
    rssKb: rss === undefined ? hwmKb : Number(rss),
    startupMs: firstByte - spawnedAt,
  };
}

/** One more CLI run under `node --cpu-prof`, its samples split at the download's first byte. */
async function profileCli(url: string, api: StaticApi, size: BenchSize, dir: string): Promise<CliProfile> {
  const profDir = await mkdtemp(path.join(dir, 'cli-prof-'));
  try {
    const run = await cliRun(url, api, size.rows, ['--cpu-prof', `--cpu-prof-dir=${profDir}`]);
    const file = await mainThreadProfile(profDir);
    const end = run.startupMs + run.windowMs;
    return {
      label: size.label,
      startupMs: run.startupMs,
      windowMs: run.windowMs,
      startup: await summariseProfile(file, await spanFromStart(file, 0, run.startupMs)),
      window: await summariseProfile(file, await spanFromStart(file, run.startupMs, end)),
    };
  } finally {
    await rm(profDir, { recursive: true, force: true });
  }
}

export function formatCliProfile(p: CliProfile): string {
  const part = (name: string, ms: number, s: ProfileSummary): string =>
    `  ${name} ${fixed(ms, 0)} ms, main thread busy ${fixed(s.busyMs, 0)} ms; top: ` +
    s.top
      .slice(0, 6)
      .map((f) => `${f.name} ${fixed(f.selfMs, 0)} ms`)
      .join(', ');
  return (
    `  ${p.label} CLI under --cpu-prof:\n${part('start-up (spawn to first byte)', p.startupMs, p.startup)}\n` +
    part('window', p.windowMs, p.window)
  );
}

if (isMain(import.meta.url)) {
  const args = parseLegArgs(process.argv.slice(2));
  const result = await runE2eLeg({ ...args, log: (line) => console.log(line) });
  console.log(
    JSON.stringify(
      result.sizes.map(({ runs: _runs, ...s }) => s),
      null,
      2,
    ),
  );
}
