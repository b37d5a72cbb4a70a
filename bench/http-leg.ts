/**
 * End to end over HTTP. The simulator's large mode serves every job's file; the
 * worker's path (bench/http-load.ts, a child process: client → job → status → `openDownload` →
 * `copyWindow`) loads it, and psql loads the same bytes from a file saved through the same path.
 *
 *   npx tsx bench/http-leg.ts [--large] [--runs N]
 *
 * Contenders, alternating, on the same bytes: psql (the anchor), psql-staging (psql into the
 * staging-shaped table: the database's share), worker-sim (the goal: ≥ 0.8× psql) and worker-static
 * (the same download from a plain file server). The simulator runs in this process, time-scaled
 * (0.01: 300 ms between calls) since only download and load are timed; it generates the CSV as it
 * sends it, so on a 2-core machine the generator, the worker and the Postgres backend share the
 * cores. worker-static and a download-only run show how much of the gap is the generator.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { startSimulator } from '../src/simulator/index.js';
import {
  createBenchDatabase,
  migrateBenchDatabase,
  fixed,
  isMain,
  mbPerSecond,
  maxOf,
  median,
  mb,
  tempDir,
  type BenchDatabase,
} from './bench-env.js';
import { prepareChildren, removeChildren, runChild, type ChildResult } from './children.js';
import { parseLegArgs, type LegOptions } from './copy-leg.js';
import { sizesFor, type BenchSize } from './csv-files.js';
import type { LoadResult } from './load-target.js';
import {
  createPlainTable,
  createStagingLikeTable,
  dataColumns,
  PLAIN_TABLE,
  psqlPlainCopy,
  psqlStagingCopy,
  resetTable,
  STAGING_LIKE_TABLE,
  WORKER_TABLE,
} from './tables.js';

/** 30 s × 0.01: the API's interval, scaled; jobs of a one-day window take 0.6 s. */
const TIME_SCALE = 0.01;

export const HTTP_CONTENDERS = ['psql', 'psql-staging', 'worker-sim', 'worker-static'] as const;
export type HttpContender = (typeof HTTP_CONTENDERS)[number];

export interface HttpSizeResult {
  label: string;
  bytes: number;
  rows: number;
  /** Every run's time, in run order. */
  times: Record<HttpContender, number[]>;
  medianMs: Record<HttpContender, number>;
  mbps: Record<HttpContender, number>;
  /** One download to nowhere: the simulator's generator and HTTP without Postgres. */
  downloadOnlyMbps: number;
  /** The goal (≥ 0.8): worker over HTTP from the simulator ÷ psql on the same bytes. */
  workerVsPsql: number;
  workerVsPsqlStaging: number;
  staticVsPsql: number;
  baselineRssKb: number | undefined;
  peakRssKb: number | undefined;
  workerCpuShare: number;
}

export interface HttpLegResult {
  runsPerSize: number;
  timeScale: number;
  sizes: HttpSizeResult[];
}

type Child = (mode: string, arg?: string) => Promise<ChildResult<LoadResult>>;

export async function runHttpLeg(opts: LegOptions): Promise<HttpLegResult> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const db = await createBenchDatabase('cxone_bench_http');
  const tmp = await tempDir('cxone-bench-http');
  const sim = await startSimulator({ timeScale: TIME_SCALE });
  const files = await startFileServer();
  try {
    await migrateBenchDatabase(db.url);
    const interval = String(sim.options.minCallIntervalMs * TIME_SCALE);
    const child: Child = (mode, arg) =>
      runChild<LoadResult>('http-load', [sim.url, db.url, interval, mode, ...(arg ? [arg] : [])]);
    const sizes: HttpSizeResult[] = [];
    let columns: string[] | undefined;
    for (const size of sizesFor(opts.large)) {
      sim.setOptions({ largeRows: size.rows });
      const file = path.join(tmp.dir, `download-${size.rows}.csv`);
      const saved = await child('save', file);
      log(`http leg: ${size.label} (${size.rows} rows, ${saved.result.bytes} bytes), ${opts.runs} runs`);
      if (columns === undefined) {
        // The worker's first load creates its staging table; the psql tables are made like the copy leg's.
        await child('load');
        columns = await dataColumns(file);
        await createPlainTable(db.url, columns);
        await createStagingLikeTable(db.url);
      }
      const discard = await child('discard');
      const target: Target = { db, size, file, bytes: saved.result.bytes, columns, url: files.urlOf(file) };
      const result = await measureSize(target, opts.runs, child, log);
      result.downloadOnlyMbps = mbPerSecond(discard.result.bytes, discard.result.ms);
      sizes.push(result);
      log(formatHttpLine(result));
    }
    return { runsPerSize: opts.runs, timeScale: TIME_SCALE, sizes };
  } finally {
    await files.stop();
    await sim.stop();
    await tmp.remove();
    await db.drop();
  }
}

interface Target {
  db: BenchDatabase;
  size: BenchSize;
  file: string;
  bytes: number;
  columns: string[];
  /** The saved file on the static server. */
  url: string;
}

async function measureSize(
  t: Target,
  runs: number,
  child: Child,
  log: (line: string) => void,
): Promise<HttpSizeResult> {
  const times = new Map<HttpContender, number[]>(HTTP_CONTENDERS.map((c) => [c, []]));
  const loads: LoadResult[] = [];
  for (let i = 0; i < runs; i++) {
    const order = i % 2 === 0 ? [...HTTP_CONTENDERS] : [...HTTP_CONTENDERS].reverse();
    for (const contender of order) {
      const { ms, rows, load } = await runContender(t, contender, child);
      if (rows !== t.size.rows) throw new Error(`${contender} loaded ${rows} rows, expected ${t.size.rows}`);
      if (load && load.bytes !== t.bytes) {
        throw new Error(`${contender} read ${load.bytes} bytes, expected ${t.bytes}`);
      }
      if (load && contender === 'worker-sim') loads.push(load);
      times.get(contender)?.push(ms);
      log(`  run ${i + 1}/${runs} ${contender.padEnd(13)} ${fixed(ms, 0).padStart(6)} ms`);
    }
  }
  const medianMs = byContender((c) => median(times.get(c) ?? []));
  const mbps = byContender((c) => mbPerSecond(t.bytes, medianMs[c]));
  return {
    label: t.size.label,
    bytes: t.bytes,
    rows: t.size.rows,
    times: byContender((c) => times.get(c) ?? []),
    medianMs,
    mbps,
    downloadOnlyMbps: 0,
    workerVsPsql: medianMs.psql / medianMs['worker-sim'],
    workerVsPsqlStaging: medianMs['psql-staging'] / medianMs['worker-sim'],
    staticVsPsql: medianMs.psql / medianMs['worker-static'],
    baselineRssKb: maxOf(loads.map((l) => l.baselineRssKb)),
    peakRssKb: maxOf(loads.map((l) => l.peakRssKb)),
    workerCpuShare: median(loads.map((l) => l.cpuMs / l.ms)),
  };
}

function byContender<T>(value: (c: HttpContender) => T): Record<HttpContender, T> {
  return Object.fromEntries(HTTP_CONTENDERS.map((c) => [c, value(c)])) as Record<HttpContender, T>;
}

async function runContender(
  t: Target,
  contender: HttpContender,
  child: Child,
): Promise<{ ms: number; rows: number; load?: LoadResult }> {
  const url = t.db.url;
  switch (contender) {
    case 'psql':
      await resetTable(url, PLAIN_TABLE);
      return psqlPlainCopy(url, t.file);
    case 'psql-staging':
      await resetTable(url, STAGING_LIKE_TABLE);
      return psqlStagingCopy(url, t.file, t.columns);
    case 'worker-sim':
    case 'worker-static': {
      await resetTable(url, WORKER_TABLE);
      const run = contender === 'worker-sim' ? await child('load') : await child('load-url', t.url);
      const load = { ...run.result, peakRssKb: run.result.peakRssKb ?? run.peakRssKb };
      return { ms: load.ms, rows: load.rows, load };
    }
  }
}

/** A plain static server for the saved files, standing in for S3 without generating anything. */
async function startFileServer(): Promise<{ urlOf(file: string): string; stop(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const file = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    stat(file)
      .then(async (info) => {
        res.writeHead(200, { 'content-type': 'text/csv', 'content-length': String(info.size) });
        await pipeline(createReadStream(file), res);
      })
      .catch(() => {
        if (!res.headersSent) res.writeHead(404);
        res.end();
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    urlOf: (file) => `http://127.0.0.1:${port}${encodeURI(file)}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export function formatHttpLine(s: HttpSizeResult): string {
  const rate = (c: HttpContender): string => `${c} ${fixed(s.mbps[c], 1)}`;
  return (
    `  ${s.label} MB/s: ${HTTP_CONTENDERS.map(rate).join(', ')}, download only ${fixed(s.downloadOnlyMbps, 1)}\n` +
    `  ${s.label} worker-sim/psql ${fixed(s.workerVsPsql)} (goal >= 0.80), worker-sim/psql-staging ` +
    `${fixed(s.workerVsPsqlStaging)}, worker-static/psql ${fixed(s.staticVsPsql)}; worker peak RSS ` +
    `${mb(s.peakRssKb)}, worker CPU ${fixed(s.workerCpuShare * 100, 0)}% of a core`
  );
}

if (isMain(import.meta.url)) {
  await prepareChildren((line) => console.log(line));
  try {
    await runHttpLeg(parseLegArgs(process.argv.slice(2)));
  } finally {
    await removeChildren();
  }
}
