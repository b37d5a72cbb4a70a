/**
 * The COPY leg and the worker's memory.
 *
 *   npx tsx bench/copy-leg.ts [--large | --small] [--runs N]
 *
 * Per size, N alternating runs of four contenders on the same file, in one database created for the
 * run and dropped after it (docs/DESIGN.md "Load speed": ratios against psql measured side by side):
 * - psql: `\copy t from 'file' csv header` into an all-text table of the same data columns (the anchor
 *   users compare with);
 * - worker: `copyWindow` in `withTransaction` reading the file (bench/worker-load.ts, a child process
 *   so its peak RSS is the load's own);
 * - psql-staging: psql into a table shaped like the worker's staging table (metadata columns filled by
 *   defaults, the window index) with the worker's COPY options: the database's share of the cost;
 * - node-raw: file stream → pg-copy-streams into that same table (the Node floor in docs/DESIGN.md "Load speed");
 * - worker-policy: the worker with COLUMN_POLICY (three columns hashed, one dropped; BENCH_POLICY), into
 *   a staging table of its own: what a policy costs the window (goal: within 1.5x of the worker).
 * worker ÷ psql is the goal (≥ 0.9); worker ÷ psql-staging isolates the Node side; worker ÷ node-raw is
 * what copyWindow's own work costs.
 */
import {
  createBenchDatabase,
  migrateBenchDatabase,
  fixed,
  isMain,
  maxOf,
  mbPerSecond,
  median,
  mb,
  tempDir,
  type BenchDatabase,
} from './bench-env.js';
import { prepareChildren, removeChildren, runChild } from './children.js';
import { sizesFor, writeCsvFile, type CsvFile } from './csv-files.js';
import { BENCH_POLICY_SCHEMA, type LoadResult } from './load-target.js';
import {
  createPlainTable,
  createStagingLikeTable,
  dataColumns,
  PLAIN_TABLE,
  psqlPlainCopy,
  psqlStagingCopy,
  qualified,
  resetTable,
  STAGING_LIKE_TABLE,
  WORKER_TABLE,
} from './tables.js';

export const CONTENDERS = ['psql', 'worker', 'psql-staging', 'node-raw', 'worker-policy'] as const;
export type Contender = (typeof CONTENDERS)[number];

export interface CopyRun {
  contender: Contender;
  ms: number;
  rows: number;
  /** Node contenders only. */
  load?: LoadResult;
}

export interface CopySizeResult {
  label: string;
  bytes: number;
  rows: number;
  runs: CopyRun[];
  medianMs: Record<Contender, number>;
  mbps: Record<Contender, number>;
  /** Throughput ratios (the other's median time ÷ the worker's). */
  workerVsPsql: number;
  workerVsPsqlStaging: number;
  workerVsNodeRaw: number;
  /** The worker's median time ÷ worker-policy's: what COLUMN_POLICY leaves of the window's speed. */
  policyVsWorker: number;
  policyVsPsql: number;
  baselineRssKb: number | undefined;
  peakRssKb: number | undefined;
  /** Worker process CPU time ÷ load time: how busy the Node side is while Postgres works. */
  workerCpuShare: number;
  /** The rows-present count copyWindow runs after COPY, timed in node-raw's transaction (median). */
  countMs: number;
}

export interface CopyLegResult {
  runsPerSize: number;
  sizes: CopySizeResult[];
}

export interface LegOptions {
  large: boolean;
  runs: number;
  /** The smallest size only: a sanity run (`--small`). */
  small?: boolean;
  log?: (line: string) => void;
}

export async function runCopyLeg(opts: LegOptions): Promise<CopyLegResult> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const db = await createBenchDatabase('cxone_bench_copy');
  const tmp = await tempDir('cxone-bench-copy');
  try {
    await migrateBenchDatabase(db.url);
    const sizes: CopySizeResult[] = [];
    let columns: string[] | undefined;
    for (const size of opts.small ? sizesFor(false).slice(0, 1) : sizesFor(opts.large)) {
      const file = await writeCsvFile(tmp.dir, size);
      log(`copy leg: ${size.label} (${size.rows} rows, ${file.bytes} bytes), ${opts.runs} runs`);
      columns ??= await prepareTables(db, file);
      const result = await measureSize(db, file, columns, opts.runs, log);
      sizes.push(result);
      log(formatCopyLine(result));
    }
    return { runsPerSize: opts.runs, sizes };
  } finally {
    await tmp.remove();
    await db.drop();
  }
}

/** A first worker load creates the staging table as the worker would; the others are made after it. */
async function prepareTables(db: BenchDatabase, file: CsvFile): Promise<string[]> {
  await runChild<LoadResult>('worker-load', [db.url, file.path]);
  await runChild<LoadResult>('worker-load', [db.url, file.path, 'policy']);
  const columns = await dataColumns(file.path);
  await createPlainTable(db.url, columns);
  await createStagingLikeTable(db.url);
  return columns;
}

async function measureSize(
  db: BenchDatabase,
  file: CsvFile,
  columns: string[],
  runs: number,
  log: (line: string) => void,
): Promise<CopySizeResult> {
  const all: CopyRun[] = [];
  for (let i = 0; i < runs; i++) {
    // Alternate the order so page cache, WAL recycling and autovacuum favour no contender.
    const order = i % 2 === 0 ? [...CONTENDERS] : [...CONTENDERS].reverse();
    for (const contender of order) {
      await resetTable(db.url, targetOf(contender));
      const result = await runContender(db, file, columns, contender);
      if (result.rows !== file.size.rows) {
        throw new Error(`${contender} loaded ${result.rows} rows, expected ${file.size.rows}`);
      }
      all.push(result);
      log(`  run ${i + 1}/${runs} ${contender.padEnd(12)} ${fixed(result.ms, 0).padStart(6)} ms`);
    }
  }
  return summarise(file, all);
}

function targetOf(contender: Contender): string {
  if (contender === 'psql') return PLAIN_TABLE;
  if (contender === 'worker-policy') return `${BENCH_POLICY_SCHEMA}.${WORKER_TABLE}`;
  return contender === 'worker' ? WORKER_TABLE : STAGING_LIKE_TABLE;
}

async function runContender(
  db: BenchDatabase,
  file: CsvFile,
  columns: string[],
  contender: Contender,
): Promise<CopyRun> {
  switch (contender) {
    case 'psql':
      return { contender, ...(await psqlPlainCopy(db.url, file.path)) };
    case 'psql-staging':
      return { contender, ...(await psqlStagingCopy(db.url, file.path, columns)) };
    case 'worker':
    case 'worker-policy':
    case 'node-raw': {
      const { result, peakRssKb } =
        contender !== 'node-raw'
          ? await runChild<LoadResult>('worker-load', [
              db.url,
              file.path,
              ...(contender === 'worker-policy' ? ['policy'] : []),
            ])
          : await runChild<LoadResult>('raw-load', [
              db.url,
              file.path,
              qualified(STAGING_LIKE_TABLE),
              JSON.stringify(columns),
            ]);
      const load = { ...result, peakRssKb: result.peakRssKb ?? peakRssKb };
      return { contender, ms: result.ms, rows: result.rows, load };
    }
  }
}

function summarise(file: CsvFile, runs: CopyRun[]): CopySizeResult {
  const medianOf = (c: Contender): number => median(runs.filter((r) => r.contender === c).map((r) => r.ms));
  const medianMs = Object.fromEntries(CONTENDERS.map((c) => [c, medianOf(c)])) as Record<Contender, number>;
  const mbps = Object.fromEntries(CONTENDERS.map((c) => [c, mbPerSecond(file.bytes, medianMs[c])])) as Record<
    Contender,
    number
  >;
  const loads = runs.flatMap((r) => (r.contender === 'worker' && r.load ? [r.load] : []));
  return {
    label: file.size.label,
    bytes: file.bytes,
    rows: file.size.rows,
    runs,
    medianMs,
    mbps,
    workerVsPsql: medianMs.psql / medianMs.worker,
    workerVsPsqlStaging: medianMs['psql-staging'] / medianMs.worker,
    workerVsNodeRaw: medianMs['node-raw'] / medianMs.worker,
    policyVsWorker: medianMs.worker / medianMs['worker-policy'],
    policyVsPsql: medianMs.psql / medianMs['worker-policy'],
    baselineRssKb: maxOf(loads.map((l) => l.baselineRssKb)),
    peakRssKb: maxOf(loads.map((l) => l.peakRssKb)),
    workerCpuShare: median(loads.map((l) => l.cpuMs / l.ms)),
    countMs: median(runs.flatMap((r) => (r.load?.countMs === undefined ? [] : [r.load.countMs]))),
  };
}

export function formatCopyLine(s: CopySizeResult): string {
  const rate = (c: Contender): string => `${c} ${fixed(s.mbps[c], 1)}`;
  return (
    `  ${s.label} MB/s: ${CONTENDERS.map(rate).join(', ')}\n` +
    `  ${s.label} worker/psql ${fixed(s.workerVsPsql)} (goal >= 0.90), worker/psql-staging ` +
    `${fixed(s.workerVsPsqlStaging)}, worker/node-raw ${fixed(s.workerVsNodeRaw)}; worker peak RSS ` +
    `${mb(s.peakRssKb)} (${mb(s.baselineRssKb)} before the load), worker CPU ` +
    `${fixed(s.workerCpuShare * 100, 0)}% of a core; the rows-present count ${fixed(s.countMs, 0)} ms ` +
    `(${fixed((s.countMs / s.medianMs.worker) * 100, 0)}% of the worker's time)`
  );
}

export function parseLegArgs(argv: string[]): { large: boolean; runs: number; small: boolean } {
  const at = argv.indexOf('--runs');
  const runs = at >= 0 ? Number(argv[at + 1]) : 3;
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs takes a whole number >= 1');
  return { large: argv.includes('--large'), runs, small: argv.includes('--small') };
}

if (isMain(import.meta.url)) {
  await prepareChildren((line) => console.log(line));
  try {
    await runCopyLeg(parseLegArgs(process.argv.slice(2)));
  } finally {
    await removeChildren();
  }
}
