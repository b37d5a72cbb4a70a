/**
 * The window every benchmark load writes, and what a load child reports. The same window and job each
 * run, so each load replaces the previous one's rows as a rerun of that window would.
 */
import type { ColumnPolicy, CopyWindowInput } from '../src/load/index.js';
import { Secret } from '../src/lib/secret.js';
import { procStatusKb } from './bench-env.js';
import { castChecksFor } from '../src/reporting/cast-check.js';

export const BENCH_SCHEMA = 'bench';
export const BENCH_ENTITY = 'recording-interaction-metadata';
/** The worker-policy contender's staging schema: its table lacks the dropped column. */
export const BENCH_POLICY_SCHEMA = 'bench_policy';

/**
 * docs/OPERATIONS.md's recommended policy for recordings: three columns hashed, the free text dropped
 * (every row has values in all four).
 */
export const BENCH_POLICY: ColumnPolicy = {
  rules: [
    { entity: '*', column: 'ani', action: 'hash' },
    { entity: '*', column: 'dnis', action: 'hash' },
    { entity: BENCH_ENTITY, column: 'customer_name', action: 'hash' },
    { entity: BENCH_ENTITY, column: 'agent_notes', action: 'drop' },
  ],
  hashKey: new Secret('bench-pii-hash-key-0123456789'),
};

export interface LoadResult {
  /** BEGIN to COMMIT (the connection is opened before). */
  ms: number;
  rows: number;
  bytes: number;
  /** CPU time of the whole child process during the load. */
  cpuMs: number;
  /** VmRSS once everything is imported and connected, before the load. */
  baselineRssKb: number | undefined;
  /** VmHWM after the load. */
  peakRssKb: number | undefined;
  /** process.resourceUsage().maxRSS, the same peak from getrusage. */
  maxRssKb: number;
  /** process.hrtime at the start and end of the load, in µs: V8's CPU profile uses the same clock. */
  startUs: number;
  endUs: number;
  /** raw-load only: the rows-present count, timed inside the transaction (not in `ms`). */
  countMs?: number;
}

/** The window as extract-window.ts loads it; with `policy`, under BENCH_POLICY into its own schema. */
export function loadInput(source: CopyWindowInput['source'], policy = false): CopyWindowInput {
  const base = plainInput(source);
  return policy ? { ...base, schema: BENCH_POLICY_SCHEMA, columnPolicy: BENCH_POLICY } : base;
}

function plainInput(source: CopyWindowInput['source']): CopyWindowInput {
  return {
    schema: BENCH_SCHEMA,
    entity: BENCH_ENTITY,
    tenantId: 'bench-tenant',
    windowStart: new Date('2026-01-01T00:00:00Z'),
    windowEnd: new Date('2026-01-15T00:00:00Z'),
    jobId: 'bench-job',
    source,
    // As load-job.ts loads: cast problems counted while streaming.
    checks: castChecksFor(BENCH_ENTITY),
  };
}

/** Measures one load in this process: time, CPU and memory around `load`. */
export async function measureLoad(load: () => Promise<{ rows: number; bytes: number }>): Promise<LoadResult> {
  const baselineRssKb = procKb('VmRSS');
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  const loaded = await load();
  const ended = process.hrtime.bigint();
  const used = process.cpuUsage(cpu);
  return {
    ms: Number(ended - started) / 1e6,
    startUs: Number(started / 1000n),
    endUs: Number(ended / 1000n),
    rows: loaded.rows,
    bytes: loaded.bytes,
    cpuMs: (used.user + used.system) / 1000,
    baselineRssKb,
    peakRssKb: procKb('VmHWM'),
    maxRssKb: process.resourceUsage().maxRSS,
  };
}

function procKb(field: 'VmRSS' | 'VmHWM'): number | undefined {
  return procStatusKb('self', field);
}
