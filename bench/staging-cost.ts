/**
 * Where the database's share of the worker's load goes (the gap between psql into a plain table and
 * psql into the staging-shaped table): psql `\copy` of the 100 MB file into table variants that differ
 * in one thing each. Same alternation and CHECKPOINT-before-each-run as the other legs.
 *
 *   npx tsx bench/staging-cost.ts [--runs N]
 *
 * Variants:
 * - plain: the data columns only (the anchor);
 * - staging: v0.1's staging table (five metadata columns whose defaults read transaction settings,
 *   two of them cast to timestamptz, plus a BRIN window index), kept for comparison;
 * - staging-no-index: the same without the index;
 * - const-defaults-index: literal defaults instead of current_setting(), with the index;
 * - load-id, load-id-btree, load-id-brin: one `_load_id bigint` default (one setting, one int cast) in
 *   place of the five, the window's tenant/start/end/job/loaded_at kept once per load in
 *   cxone_etl.loads; no index, a btree, or a BRIN index. load-id-brin is what staging.repository.ts
 *   creates since migration 0006.
 *
 * Then the replace-a-window DELETE on a table holding ten loads: BRIN on _load_id against no index,
 * which decides the index (a DELETE with no index reads the whole table, every night, per window).
 */
import pg from 'pg';
import {
  adminQuery,
  createBenchDatabase,
  fixed,
  isMain,
  mbPerSecond,
  median,
  psqlCopy,
  tempDir,
} from './bench-env.js';
import { parseLegArgs } from './copy-leg.js';
import { SIZES, writeCsvFile } from './csv-files.js';
import { dataColumns } from './tables.js';

export const VARIANTS = [
  'plain',
  'staging',
  'staging-no-index',
  'const-defaults-index',
  'load-id',
  'load-id-btree',
  'load-id-brin',
] as const;
export type Variant = (typeof VARIANTS)[number];

export interface StagingCostResult {
  label: string;
  bytes: number;
  runs: number;
  /** Every run's time, in run order. */
  times: Record<Variant, number[]>;
  medianMs: Record<Variant, number>;
  mbps: Record<Variant, number>;
  /** Median time ÷ plain's. */
  vsPlain: Record<Variant, number>;
  replaceDelete: ReplaceDeleteResult;
}

export interface ReplaceDeleteResult {
  loads: number;
  rowsPerLoad: number;
  /** Median ms of `DELETE ... WHERE _load_id = <one load>` (rolled back, repeated). */
  brinMs: number;
  noIndexMs: number;
}

const SETTINGS: Record<string, string> = {
  'cxone_etl.tenant_id': 'bench-tenant',
  'cxone_etl.window_start': '2026-01-01T00:00:00Z',
  'cxone_etl.window_end': '2026-01-15T00:00:00Z',
  'cxone_etl.job_id': 'bench-job',
  'cxone_etl.load_id': '42',
};

export async function runStagingCost(opts: {
  runs: number;
  log?: (line: string) => void;
}): Promise<StagingCostResult> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const size = SIZES[SIZES.length - 1] as (typeof SIZES)[number];
  const db = await createBenchDatabase('cxone_bench_staging_cost');
  const tmp = await tempDir('cxone-bench-staging-cost');
  try {
    const file = await writeCsvFile(tmp.dir, size);
    const columns = await dataColumns(file.path);
    for (const variant of VARIANTS) {
      for (const sql of ddl(variant, columns)) await adminQuery(sql, db.url);
    }
    log(`staging cost: psql into table variants, ${size.label}, ${opts.runs} runs`);
    const list = columns.map((c) => pg.escapeIdentifier(c)).join(', ');
    const setup = [
      `SELECT ${Object.entries(SETTINGS)
        .map(([k, v]) => `set_config('${k}', '${v}', false)`)
        .join(', ')}`,
    ];
    const times = new Map<Variant, number[]>(VARIANTS.map((v) => [v, []]));
    for (let i = 0; i < opts.runs; i++) {
      const order = i % 2 === 0 ? [...VARIANTS] : [...VARIANTS].reverse();
      for (const variant of order) {
        await adminQuery(`TRUNCATE ${tableOf(variant)}`, db.url);
        await adminQuery('CHECKPOINT', db.url);
        const copy = await psqlCopy(
          db.url,
          `\\copy ${tableOf(variant)} (${list}) from '${file.path}' with (format csv, header true)`,
          setup,
        );
        if (copy.rows !== size.rows) throw new Error(`${variant}: ${copy.rows} rows, expected ${size.rows}`);
        times.get(variant)?.push(copy.ms);
        log(`  run ${i + 1}/${opts.runs} ${variant.padEnd(20)} ${fixed(copy.ms, 0).padStart(6)} ms`);
      }
    }
    const medianMs = byVariant((v) => median(times.get(v) ?? []));
    const replaceDelete = await measureReplaceDelete(
      db.url,
      await writeCsvFile(tmp.dir, SIZES[0] as (typeof SIZES)[number]),
      columns,
      opts.runs,
    );
    log(
      `  replace-a-window DELETE among ${replaceDelete.loads} loads of ${replaceDelete.rowsPerLoad} rows: ` +
        `BRIN on _load_id ${fixed(replaceDelete.brinMs, 0)} ms, no index ${fixed(replaceDelete.noIndexMs, 0)} ms`,
    );
    const result: StagingCostResult = {
      label: size.label,
      bytes: file.bytes,
      runs: opts.runs,
      times: byVariant((v) => times.get(v) ?? []),
      medianMs,
      mbps: byVariant((v) => mbPerSecond(file.bytes, medianMs[v])),
      vsPlain: byVariant((v) => medianMs[v] / medianMs.plain),
      replaceDelete,
    };
    log(formatStagingCost(result));
    return result;
  } finally {
    await tmp.remove();
    await db.drop();
  }
}

function byVariant<T>(value: (v: Variant) => T): Record<Variant, T> {
  return Object.fromEntries(VARIANTS.map((v) => [v, value(v)])) as Record<Variant, T>;
}

function tableOf(variant: Variant): string {
  return `public.${pg.escapeIdentifier(`v_${variant.replace(/-/g, '_')}`)}`;
}

function ddl(variant: Variant, columns: string[]): string[] {
  const data = columns.map((c) => `${pg.escapeIdentifier(c)} text`).join(', ');
  const setting = (name: string): string => `NULLIF(current_setting('${name}', true), '')`;
  // As staging.repository.ts's createTable writes them.
  const settingDefaults = [
    `_tenant_id text NOT NULL DEFAULT ${setting('cxone_etl.tenant_id')}`,
    `_window_start timestamptz NOT NULL DEFAULT ${setting('cxone_etl.window_start')}::timestamptz`,
    `_window_end timestamptz NOT NULL DEFAULT ${setting('cxone_etl.window_end')}::timestamptz`,
    `_job_id text NOT NULL DEFAULT ${setting('cxone_etl.job_id')}`,
    `_loaded_at timestamptz NOT NULL DEFAULT now()`,
  ].join(', ');
  const constDefaults = [
    `_tenant_id text NOT NULL DEFAULT 'bench-tenant'`,
    `_window_start timestamptz NOT NULL DEFAULT '2026-01-01T00:00:00Z'`,
    `_window_end timestamptz NOT NULL DEFAULT '2026-01-15T00:00:00Z'`,
    `_job_id text NOT NULL DEFAULT 'bench-job'`,
    `_loaded_at timestamptz NOT NULL DEFAULT now()`,
  ].join(', ');
  const loadId = `_load_id bigint NOT NULL DEFAULT ${setting('cxone_etl.load_id')}::bigint`;
  const table = tableOf(variant);
  const windowIndex = `CREATE INDEX ON ${table} USING brin (_window_start, _window_end)`;
  switch (variant) {
    case 'plain':
      return [`CREATE TABLE ${table} (${data})`];
    case 'staging':
      return [`CREATE TABLE ${table} (${settingDefaults}, ${data})`, windowIndex];
    case 'staging-no-index':
      return [`CREATE TABLE ${table} (${settingDefaults}, ${data})`];
    case 'const-defaults-index':
      return [`CREATE TABLE ${table} (${constDefaults}, ${data})`, windowIndex];
    case 'load-id':
      return [`CREATE TABLE ${table} (${loadId}, ${data})`];
    case 'load-id-btree':
      return [`CREATE TABLE ${table} (${loadId}, ${data})`, `CREATE INDEX ON ${table} (_load_id)`];
    case 'load-id-brin':
      return [`CREATE TABLE ${table} (${loadId}, ${data})`, `CREATE INDEX ON ${table} USING brin (_load_id)`];
  }
}

/** Ten loads of `file` into a BRIN table and an unindexed one, then the DELETE of one load, timed. */
async function measureReplaceDelete(
  url: string,
  file: { path: string; size: { rows: number } },
  columns: string[],
  runs: number,
): Promise<ReplaceDeleteResult> {
  const loads = 10;
  const data = columns.map((c) => `${pg.escapeIdentifier(c)} text`).join(', ');
  const list = columns.map((c) => pg.escapeIdentifier(c)).join(', ');
  const tables = { brin: 'public.replace_brin', none: 'public.replace_none' };
  for (const table of Object.values(tables)) {
    await adminQuery(
      `CREATE TABLE ${table} (_load_id bigint NOT NULL DEFAULT NULLIF(current_setting('cxone_etl.load_id', true), '')::bigint, ${data})`,
      url,
    );
    for (let id = 1; id <= loads; id++) {
      await psqlCopy(url, `\\copy ${table} (${list}) from '${file.path}' with (format csv, header true)`, [
        `SELECT set_config('cxone_etl.load_id', '${id}', false)`,
      ]);
    }
  }
  await adminQuery(`CREATE INDEX ON ${tables.brin} USING brin (_load_id)`, url);
  await adminQuery('VACUUM ANALYZE', url);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const time = async (table: string): Promise<number> => {
    const ms: number[] = [];
    for (let i = 0; i < runs; i++) {
      await client.query('BEGIN');
      const t0 = performance.now();
      const result = await client.query(`DELETE FROM ${table} WHERE _load_id = ANY($1::bigint[])`, [[5]]);
      ms.push(performance.now() - t0);
      await client.query('ROLLBACK');
      if (result.rowCount !== file.size.rows) throw new Error(`${table}: deleted ${result.rowCount} rows`);
    }
    return median(ms);
  };
  try {
    return {
      loads,
      rowsPerLoad: file.size.rows,
      brinMs: await time(tables.brin),
      noIndexMs: await time(tables.none),
    };
  } finally {
    await client.end();
  }
}

export function formatStagingCost(r: StagingCostResult): string {
  return VARIANTS.map(
    (v) => `  ${v.padEnd(20)} ${fixed(r.mbps[v], 1).padStart(6)} MB/s, ${fixed(r.vsPlain[v])}× plain's time`,
  ).join('\n');
}

/** Differences of 10-30 % between variants need more runs than the legs' default 3 to stand out. */
export const STAGING_COST_MIN_RUNS = 5;

if (isMain(import.meta.url)) {
  const { runs } = parseLegArgs(process.argv.slice(2));
  await runStagingCost({ runs: Math.max(runs, STAGING_COST_MIN_RUNS) });
}
