/**
 * API efficiency. The worker runs in-process against the simulator with realistic job
 * durations (simulator defaults, timeScale 1: a job takes 20 s + 10 s per day of window, recordings
 * ×2, payroll ×0.5), both on the shared warp clock of test/helpers, so the API's 30-s rule holds in
 * clock time and a night's run takes seconds of real time.
 *
 *   npx tsx bench/api-efficiency.ts
 *
 * For async jobs one at a time (EXTRACT_MAX_JOBS_IN_FLIGHT=1), for `/jobs/sync` (CXONE_USE_SYNC_ENDPOINT=true,
 * simulator syncEndpoint), and with jobs in flight (EXTRACT_MAX_JOBS_IN_FLIGHT=auto) on a tenant
 * that allows two jobs (`overlap`) and on one that allows one (`overlap-strict`, the simulator's default:
 * auto learns it from one busy answer), each on a fresh database: a 14-day backfill of all five entities,
 * then two nightly runs. Per run: jobs-API
 * calls per window (goal ≤ 2.2 async, 1.0 sync), and clock time against two bounds:
 * - `calls × interval`, the bound (goal ≤ 1.1×);
 * - the serial bound: the least time one job at a time can take with the fewest calls. Async: each
 *   window's POST, one status call when the job is done, the next POST an interval later, so
 *   Σ max(interval, job) + (windows − 1) × interval. Sync: Σ max(interval, job), a call lasting its job.
 */

import { migrate } from '../src/db/migrate.js';
import { createPool } from '../src/db/pool.js';
import type { RunCommandRequest } from '../src/run/run-request.js';
import type { EntityName } from '../src/entities/catalog.js';
import type { CreatedJob, EndpointKey, SimulatorOptions } from '../src/simulator/index.js';
import { startHarness, type Harness } from '../test/helpers/pipeline.js';
import { createBenchDatabase, fixed, isMain } from './bench-env.js';
import { modelRuns, type ModelJob, type Strategy } from './poll-model.js';

const DAY_MS = 86_400_000;
const JOBS_ENDPOINTS: EndpointKey[] = ['POST /jobs', 'GET /jobs/:id', 'GET /jobs', 'POST /jobs/sync'];

export type ApiMode = 'async' | 'sync' | 'overlap' | 'overlap-strict';

/** Simulator options and worker settings of each mode. */
const MODES: Record<ApiMode, { sim: Partial<SimulatorOptions>; env: Record<string, string> }> = {
  async: { sim: {}, env: { EXTRACT_MAX_JOBS_IN_FLIGHT: '1' } },
  sync: { sim: { syncEndpoint: true }, env: { CXONE_USE_SYNC_ENDPOINT: 'true' } },
  overlap: { sim: { maxRunningJobs: 2 }, env: { EXTRACT_MAX_JOBS_IN_FLIGHT: 'auto' } },
  'overlap-strict': { sim: { maxRunningJobs: 1 }, env: { EXTRACT_MAX_JOBS_IN_FLIGHT: 'auto' } },
};

export interface RunFigures {
  scenario: string;
  mode: ApiMode;
  windows: number;
  failed: number;
  calls: number;
  byEndpoint: Partial<Record<EndpointKey, number>>;
  callsPerWindow: number;
  /** Status calls that answered RUNNING: spent on nothing. */
  wastedPolls: number;
  clockMs: number;
  callsBoundMs: number;
  serialBoundMs: number;
  vsCallsBound: number;
  vsSerialBound: number;
  /** Rate-limit violations (calls too close or overlapping); a POST refused for a running job is not one. */
  violations: number;
  /** POSTs refused because the tenant's jobs limit was reached: the calls `auto` spends learning. */
  jobRunningRefusals: number;
  /** Most jobs of the run requested and not yet ended at one time. */
  maxInFlight: number;
  /** Jobs' durations on the simulator, per entity, in seconds (from its options and each job's window). */
  jobSeconds: Partial<Record<EntityName, number[]>>;
  /** The jobs in the order they were created, for the poll model. */
  jobs: ModelJob[];
}

/** The async runs replayed by bench/poll-model.ts: the current first-poll delay (the model's check) and the proposed one. */
export interface ModelFigures {
  scenario: string;
  strategy: Strategy;
  windows: number;
  calls: number;
  callsPerWindow: number;
  running: number;
  clockMs: number;
  vsCallsBound: number;
  vsSerialBound: number;
}

export interface ApiEfficiencyResult {
  intervalMs: number;
  runs: RunFigures[];
  model: ModelFigures[];
}

export async function runApiEfficiency(
  opts: { log?: (line: string) => void } = {},
): Promise<ApiEfficiencyResult> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const runs: RunFigures[] = [];
  let intervalMs = 0;
  for (const mode of ['async', 'sync', 'overlap', 'overlap-strict'] as const) {
    const db = await createBenchDatabase(`cxone_bench_api_${mode.replace('-', '_')}`);
    const pool = createPool(db.url, { applicationName: 'cxone-etl-bench-api' });
    let h: Harness | undefined;
    try {
      await migrate(pool);
      h = await startHarness({
        db: { name: db.name, url: db.url, pool, drop: async () => undefined },
        sim: MODES[mode].sim,
        env: MODES[mode].env,
      });
      intervalMs = h.config.cxone.minCallIntervalMs;
      log(
        `api efficiency (${mode}): interval ${intervalMs / 1000} s, simulator timeScale ${h.sim.options.timeScale}`,
      );
      const figures = [
        await measureRun(h, mode, '14-day backfill', {
          mode: 'backfill',
          from: '2026-03-01',
          to: '2026-03-15',
        }),
      ];
      h.clock.set(Date.UTC(2026, 2, 16, 2, 0, 0));
      figures.push(await measureRun(h, mode, 'nightly run 1 (after the backfill)', { mode: 'run' }));
      h.clock.set(Date.UTC(2026, 2, 17, 2, 0, 0));
      figures.push(await measureRun(h, mode, 'nightly run 2', { mode: 'run' }));
      for (const f of figures) log(formatRun(f));
      runs.push(...figures);
    } finally {
      await h?.close();
      await pool.end();
      await db.drop();
    }
  }
  const model = modelFigures(runs, intervalMs);
  for (const m of model) log(formatModel(m));
  return { intervalMs, runs, model };
}

async function measureRun(
  h: Harness,
  mode: ApiMode,
  scenario: string,
  request: RunCommandRequest,
): Promise<RunFigures> {
  const before = h.sim.stats();
  const started = h.clock.now();
  let running = 0;
  const open = new Set<string>();
  let maxInFlight = 0;
  const result = await h.run(request, {
    observer: {
      windowEvent: (_tenant, _entity, _window, event) => {
        if (event.type === 'polled' && event.status === 'RUNNING') running++;
        if (event.type === 'requested' || event.type === 'resumed' || event.type === 'adopted') {
          open.add(event.jobId);
        }
        if (event.type === 'loaded' || event.type === 'job-ended') open.delete(event.jobId);
        maxInFlight = Math.max(maxInFlight, open.size);
      },
    },
  });
  const clockMs = h.clock.now() - started;
  const after = h.sim.stats();
  const byEndpoint: Partial<Record<EndpointKey, number>> = {};
  let calls = 0;
  for (const endpoint of JOBS_ENDPOINTS) {
    const n = (after.calls.byEndpoint[endpoint] ?? 0) - (before.calls.byEndpoint[endpoint] ?? 0);
    if (n > 0) byEndpoint[endpoint] = n;
    calls += n;
  }
  const windows = result.summary.windows.length;
  const jobs = after.jobs.created.slice(before.jobs.created.length);
  const durations = jobs.map((j) => jobDurationMs(h.sim.options, j));
  const interval = h.config.cxone.minCallIntervalMs;
  const serialBoundMs =
    mode !== 'sync'
      ? durations.reduce((t, d) => t + Math.max(interval, d), 0) + Math.max(0, windows - 1) * interval
      : durations.reduce((t, d) => t + Math.max(interval, d), 0);
  const jobSeconds: Partial<Record<EntityName, number[]>> = {};
  jobs.forEach((j, i) => (jobSeconds[j.entity as EntityName] ??= []).push((durations[i] as number) / 1000));
  return {
    scenario,
    mode,
    windows,
    failed: result.summary.failed,
    calls,
    byEndpoint,
    callsPerWindow: windows > 0 ? calls / windows : 0,
    wastedPolls: running,
    clockMs,
    callsBoundMs: calls * interval,
    serialBoundMs,
    vsCallsBound: clockMs / (calls * interval),
    vsSerialBound: clockMs / serialBoundMs,
    violations: after.violations.total - before.violations.total,
    jobRunningRefusals:
      (after.violations.byKind['job-running'] ?? 0) - (before.violations.byKind['job-running'] ?? 0),
    maxInFlight,
    jobSeconds,
    jobs: jobs.map((j, i) => ({
      entity: j.entity,
      days: (j.endMs - j.startMs) / DAY_MS,
      durationMs: durations[i] as number,
    })),
  };
}

/** Replays the async runs through the poll model with both strategies. */
function modelFigures(runs: RunFigures[], intervalMs: number): ModelFigures[] {
  const measured = runs.filter((f) => f.mode === 'async');
  return (['current', 'proposed'] as const).flatMap((strategy) =>
    modelRuns(
      measured.map((f) => f.jobs),
      intervalMs,
      strategy,
    ).map((m, i) => {
      const f = measured[i] as RunFigures;
      return {
        scenario: f.scenario,
        strategy,
        windows: f.windows,
        calls: m.calls,
        callsPerWindow: m.calls / f.windows,
        running: m.running,
        clockMs: m.clockMs,
        vsCallsBound: m.clockMs / (m.calls * intervalMs),
        vsSerialBound: m.clockMs / f.serialBoundMs,
      };
    }),
  );
}

export function formatModel(m: ModelFigures): string {
  return (
    `  model, ${m.strategy} first-poll delay, ${m.scenario}: ${m.calls} calls = ${fixed(m.callsPerWindow)} per window, ` +
    `${m.running} polls answered RUNNING; clock ${fixed(m.clockMs / 1000, 0)} s = ${fixed(m.vsCallsBound)}× calls × ` +
    `interval, ${fixed(m.vsSerialBound)}× the serial bound`
  );
}

/** The simulator's job duration (jobs-routes.ts): (base + per day × days) × the entity's factor × timeScale. */
function jobDurationMs(o: SimulatorOptions, job: CreatedJob): number {
  const days = (job.endMs - job.startMs) / DAY_MS;
  const factor = o.jobDurationFactor[job.entity as EntityName] ?? 1;
  return (o.jobBaseMs + o.jobPerDayMs * days) * factor * o.timeScale;
}

/** Calls per window goals: async and sync, and with jobs in flight. */
const GOAL_PER_WINDOW: Record<ApiMode, string> = {
  async: '<= 2.2',
  sync: '1.0',
  overlap: '<= 2.3 backfill, <= 2.1 nightly',
  'overlap-strict': "async's figures + at most 1 learning call per run",
};

export function formatRun(f: RunFigures): string {
  const endpoints = Object.entries(f.byEndpoint)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const jobs = Object.entries(f.jobSeconds)
    .map(([entity, s]) => `${entity} ${s.map((x) => fixed(x, 0)).join('/')}`)
    .join(', ');
  return (
    `  ${f.mode} ${f.scenario}: ${f.windows} windows (${f.failed} failed), ${f.calls} calls (${endpoints}) = ` +
    `${fixed(f.callsPerWindow)} per window (goal ${GOAL_PER_WINDOW[f.mode]}), ${f.wastedPolls} polls ` +
    `answered RUNNING; clock ${fixed(f.clockMs / 1000, 0)} s vs calls × interval ${fixed(f.callsBoundMs / 1000, 0)} s = ` +
    `${fixed(f.vsCallsBound)}× (goal <= 1.1), vs serial bound ${fixed(f.serialBoundMs / 1000, 0)} s = ` +
    `${fixed(f.vsSerialBound)}×; ${f.violations} rate-limit violations, ${f.jobRunningRefusals} POSTs refused ` +
    `for a running job, at most ${f.maxInFlight} jobs in flight\n    job seconds: ${jobs}`
  );
}

if (isMain(import.meta.url)) {
  await runApiEfficiency();
}
