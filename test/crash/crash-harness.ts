import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { ENTITY_NAMES, stagingTableName, type EntityName } from '../../src/entities/catalog.js';
import { CRASH_POINTS, type CrashPoint } from '../../src/lib/crash-points.js';
import { jobSources } from '../../src/extract/jobs-seen.repository.js';
import { listWindows } from '../../src/extract/windows.repository.js';
import { seededRandom, type Random } from '../../src/simulator/csv/prng.js';
import { startSimulator, type Simulator, type SimulatorTenant } from '../../src/simulator/index.js';
import { cliCommand, startCli, type CliResult } from '../helpers/cli-process.js';
import type { TestDatabase } from '../helpers/database.js';
import { canonicalRows, startHarness } from '../helpers/pipeline.js';
import { REAL_TIME_SIMULATOR, stableDates, type StableDates } from '../helpers/real-time.js';
import { readLogDir, scanForSecrets, urlPassword, type SecretHit } from '../helpers/secrets.js';

/**
 * Crash anywhere: the real CLI, as a child process, against the simulator (in this process,
 * on the system clock at time scale 0.01: the API's 30 s is 300 ms) and a real database. Each start is
 * killed with SIGKILL at a point drawn from a seeded generator (a named crash point reached its n-th
 * time, see src/lib/crash-points.ts, or a timer), and restarted, until a run exits 0. The staging
 * tables must then equal a clean run's, row for row; the ledger must tile the range with loaded
 * windows; the simulator must have seen no rate-limit violation, and the only extra POSTs may be lost
 * posts (a kill between a POST and its ledger write) that the restart could not adopt.
 */

/** The worker's interval: the simulator's 300 ms (REAL_TIME_SIMULATOR) plus a margin for two processes' timers. */
const WORKER_INTERVAL_MS = 350;
/** Days extracted per campaign: with 2-day windows (the newest day on its own), 3 windows per entity, 15 in all. */
const DAYS = 4;
/** A worker start must be done (killed or finished) within this. */
const START_DEADLINE_MS = 90_000;

export type KillPlan = { kind: 'point'; point: CrashPoint; n: number } | { kind: 'timed'; afterMs: number };

export interface Kill {
  plan: KillPlan;
  /** For a named point: whether the child said it reached it (else it died otherwise). */
  landed: boolean;
}

export interface CrashOptions {
  seed: string;
  /** Kill points to land, at least (campaigns run until this many landed). */
  points: number;
  /** Kills per campaign before it is let finish (a campaign has a fixed amount of work). */
  killsPerCampaign: number;
  /** Campaigns run side by side. */
  concurrency: number;
  newDatabase(): Promise<TestDatabase>;
  logDir: string;
  print(line: string): void;
}

export interface CampaignResult {
  kills: Kill[];
  /** Starts that exited 0 before their kill point came (the run was already done). */
  notReached: number;
  starts: number;
  windows: number;
  posts: number;
  extraPosts: number;
  /** Jobs created whose POST answer never reached the ledger (the process died first). */
  lostPosts: number;
  /** Lost posts a restart found with GET /jobs and adopted (no second POST). */
  adoptedLostPosts: number;
  /** Jobs-endpoint calls the simulator answered (POST, status, list). */
  apiCalls: number;
  maxPostsPerWindow: number;
  violations: Record<string, number>;
  problems: string[];
  secretHits: SecretHit[];
}

export interface CrashFigures {
  seed: string;
  cli: 'dist' | 'tsx';
  campaigns: number;
  killPoints: number;
  survived: number;
  byPoint: Record<string, number>;
  timedKills: number;
  notReached: number;
  starts: number;
  windows: number;
  posts: number;
  extraPosts: number;
  lostPosts: number;
  adoptedLostPosts: number;
  apiCalls: number;
  maxPostsPerWindow: number;
  violations: Record<string, number>;
  secretHits: number;
  problems: string[];
  seconds: number;
}

function tenant(seed: string): SimulatorTenant {
  const secret = (label: string): string => `${label}-${randomBytes(12).toString('hex')}`;
  return {
    id: `tenant-crash-${seed.replace(/[^a-z0-9]/gi, '').slice(0, 12) || 'x'}`,
    accessKeyId: `crash-key-${randomBytes(4).toString('hex')}`,
    accessKeySecret: secret('aks'),
  };
}

function workerEnv(
  sim: Simulator,
  db: TestDatabase,
  t: SimulatorTenant,
  dates: StableDates,
): Record<string, string> {
  return {
    DATABASE_URL: db.url,
    CXONE_ISSUER_URL: sim.url,
    CXONE_ACCESS_KEY_ID: t.accessKeyId,
    CXONE_ACCESS_KEY_SECRET: t.accessKeySecret,
    CXONE_MIN_CALL_INTERVAL_MS: String(WORKER_INTERVAL_MS),
    ...extractEnv(dates),
    LOG_LEVEL: 'debug',
    LOG_FORMAT: 'json',
    SHUTDOWN_GRACE: '5s',
  };
}

function extractEnv(dates: StableDates): Record<string, string> {
  return {
    EXTRACT_START_DATE: dates.startDate,
    EXTRACT_SETTLE_DELAY: String(dates.settleMs),
    EXTRACT_BACKFILL_WINDOW: '2d',
    // The default lookback: every restart finds loaded windows in its lookback period, all loaded less
    // than EXTRACT_SETTLE_DELAY ago, so the lookback rule must skip them (25 kills cost 43-105
    // POSTs for 10 windows). A repeated lookback would show here as a job abandoned for a new POST.
    EXTRACT_LOOKBACK: '1d',
  };
}

/** Upper bound of n per point: how often a point comes up in the work one start can get through. */
const MAX_N: Record<CrashPoint, number> = {
  token: 1,
  gate: 5,
  post: 2,
  poll: 3,
  download: 3,
  copy: 3,
  commit: 2,
  committed: 2,
  retention: 1,
};

/** Kills whose process may have had a job created without its id reaching the ledger. */
const MAY_ORPHAN = (plan: KillPlan): boolean =>
  plan.kind === 'timed' || plan.point === 'post' || plan.point === 'gate';

/** Named points in a shuffled cycle (every phase comes up), one in six a timed kill. */
function killPicker(random: Random): (index: number) => KillPlan {
  let cycle: CrashPoint[] = [];
  return (index) => {
    if (index % 6 === 5) return { kind: 'timed', afterMs: 300 + Math.floor(random() * 2500) };
    if (cycle.length === 0) {
      // `retention` is reached only with RETENTION set: test/crash/retention-crash.test.ts kills there.
      cycle = CRASH_POINTS.filter((p) => p !== 'retention');
      for (let i = cycle.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [cycle[i], cycle[j]] = [cycle[j] as CrashPoint, cycle[i] as CrashPoint];
      }
    }
    const point = cycle.pop() as CrashPoint;
    return { kind: 'point', point, n: 1 + Math.floor(random() * MAX_N[point]) };
  };
}

function describePlan(plan: KillPlan | undefined): string {
  if (!plan) return 'no kill';
  return plan.kind === 'timed' ? `timed:${plan.afterMs}ms` : `${plan.point}:${plan.n}`;
}

async function startOnce(
  env: Record<string, string>,
  plan: KillPlan | undefined,
  logFile: string,
): Promise<CliResult> {
  const crashEnv: Record<string, string> =
    plan?.kind === 'point' ? { CXONE_ETL_CRASH_AT: `${plan.point}:${plan.n}` } : {};
  const child = startCli(['run'], { env: { ...env, ...crashEnv }, deadlineMs: START_DEADLINE_MS, logFile });
  let timer: NodeJS.Timeout | undefined;
  if (plan?.kind === 'timed') timer = setTimeout(() => child.child.kill('SIGKILL'), plan.afterMs);
  try {
    return await child.done;
  } finally {
    clearTimeout(timer);
  }
}

type Rows = Map<EntityName, string[]>;
type Windows = Map<EntityName, string[]>;

async function stagingOf(pool: pg.Pool): Promise<Rows> {
  const rows: Rows = new Map();
  for (const entity of ENTITY_NAMES) {
    const table = `cxone_staging.${pg.escapeIdentifier(stagingTableName(entity))}`;
    const result = await pool.query(`SELECT * FROM ${table}`);
    rows.set(entity, canonicalRows(result.rows as Record<string, string | null>[]));
  }
  return rows;
}

async function windowsOf(pool: pg.Pool, tenantId: string): Promise<Windows> {
  const windows: Windows = new Map();
  for (const entity of ENTITY_NAMES) {
    const ledger = await listWindows(pool, tenantId, entity);
    windows.set(
      entity,
      ledger.map((w) => `${new Date(w.start).toISOString()}/${new Date(w.end).toISOString()} ${w.state}`),
    );
  }
  return windows;
}

interface Reference {
  rows: Rows;
  windows: Windows;
}

/** The clean run: the same `executeRun` in this process, on a warp clock, no crash. */
async function cleanRun(
  db: TestDatabase,
  t: SimulatorTenant,
  dates: StableDates,
  now: number,
): Promise<Reference> {
  const h = await startHarness({
    db,
    now,
    sim: { tenants: [t], lateArrivalMaxMs: 0 },
    env: {
      CXONE_ACCESS_KEY_ID: t.accessKeyId,
      CXONE_ACCESS_KEY_SECRET: t.accessKeySecret,
      ...extractEnv(dates),
    },
  });
  try {
    const { summary } = await h.run();
    if (summary.failed > 0) throw new Error(`the clean reference run failed ${summary.failed} windows`);
    return { rows: await stagingOf(db.pool), windows: await windowsOf(db.pool, t.id) };
  } finally {
    await h.close();
  }
}

async function campaign(
  index: number,
  opts: CrashOptions,
  reference: Reference,
  t: SimulatorTenant,
  dates: StableDates,
): Promise<CampaignResult> {
  const db = await opts.newDatabase();
  const sim = await startSimulator({ ...REAL_TIME_SIMULATOR, tenants: [t], seed: opts.seed });
  const env = workerEnv(sim, db, t, dates);
  const pick = killPicker(seededRandom(`${opts.seed}:${index}`));
  const kills: Kill[] = [];
  const problems: string[] = [];
  let notReached = 0;
  let starts = 0;
  const durations: number[] = [];
  try {
    for (let finished = false; !finished;) {
      const plan = kills.length < opts.killsPerCampaign ? pick(kills.length) : undefined;
      const logFile = path.join(opts.logDir, `campaign-${index}-start-${++starts}.log`);
      const result = await startOnce(env, plan, logFile);
      durations.push(result.durationMs);
      if (result.signal === 'SIGKILL' && plan) {
        const landed = plan.kind === 'timed' || result.stderr.includes(`crash point ${plan.point} reached`);
        kills.push({ plan, landed });
        continue;
      }
      if (result.code !== 0) {
        throw new Error(
          `campaign ${index}: start ${starts} (${describePlan(plan)}) exited ${result.code ?? result.signal} after ` +
            `${kills.length} kills [${kills.map((k) => describePlan(k.plan)).join(' ')}]; see ${logFile}\n` +
            result.stderr.slice(-3000),
        );
      }
      if (plan) notReached++;
      finished = true;
    }

    const rows = await stagingOf(db.pool);
    for (const entity of ENTITY_NAMES) {
      const got = rows.get(entity) ?? [];
      const want = reference.rows.get(entity) ?? [];
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        problems.push(
          `${entity}: ${got.length} staging rows, the clean run has ${want.length} (or they differ)`,
        );
      }
      if (new Set(got).size !== got.length && new Set(want).size === want.length) {
        problems.push(`${entity}: duplicate rows in staging`);
      }
    }
    const windows = await windowsOf(db.pool, t.id);
    for (const entity of ENTITY_NAMES) {
      const got = windows.get(entity) ?? [];
      if (JSON.stringify(got) !== JSON.stringify(reference.windows.get(entity))) {
        problems.push(`${entity}: ledger ${JSON.stringify(got)} differs from the clean run's`);
      }
    }

    const stats = sim.stats();
    const perWindow = new Map<string, number>();
    for (const job of stats.jobs.created) {
      const key = `${job.entity} ${job.startMs}-${job.endMs}`;
      perWindow.set(key, (perWindow.get(key) ?? 0) + 1);
    }
    const windowCount = [...windows.values()].reduce((n, w) => n + w.length, 0);
    const posts = stats.jobs.created.length;
    const extraPosts = posts - perWindow.size;
    // Who learned each job's id how: a job the worker never got from its own POST answer is a lost post.
    const sources = await jobSources(db.pool, t.id);
    const ledgerJobs = new Set<string>();
    for (const entity of ENTITY_NAMES) {
      for (const w of await listWindows(db.pool, t.id, entity)) if (w.jobId) ledgerJobs.add(w.jobId);
    }
    const lost = stats.jobs.created.filter((j) => sources.get(j.id) !== 'posted');
    const adoptedLost = lost.filter((j) => sources.get(j.id) === 'adopted').length;
    const orphans = stats.jobs.created.filter((j) => !ledgerJobs.has(j.id));
    const apiCalls = Object.values(stats.calls.byEndpoint).reduce((n, c) => n + (c ?? 0), 0);
    const mayOrphan = kills.filter((k) => MAY_ORPHAN(k.plan)).length;
    const postKills = kills.filter(
      (k) => k.plan.kind === 'point' && k.plan.point === 'post' && k.landed,
    ).length;
    if (perWindow.size !== windowCount) {
      problems.push(`jobs were requested for ${perWindow.size} windows, the ledger has ${windowCount}`);
    }
    if (orphans.length !== extraPosts) {
      problems.push(`${extraPosts} extra POSTs, but ${orphans.length} jobs loaded no window`);
    }
    for (const j of orphans) {
      if (sources.get(j.id) === 'posted' || sources.get(j.id) === 'adopted') {
        problems.push(
          `job ${j.id} reached the ledger (${sources.get(j.id)}) and was abandoned for a new POST`,
        );
      }
    }
    if (lost.length > mayOrphan) {
      problems.push(`${lost.length} lost posts, but only ${mayOrphan} kills could have lost one`);
    }
    if (lost.length < postKills) {
      problems.push(`${postKills} kills right after a POST, yet only ${lost.length} lost posts`);
    }
    const violations = { ...stats.violations.byKind } as Record<string, number>;
    if (stats.violations.total > 0) {
      problems.push(
        `${stats.violations.total} rate-limit violations (${JSON.stringify(stats.violations.recent.slice(-3))})`,
      );
    }

    const secrets = [...sim.issuedSecrets(), ...urlPassword(db.url)];
    const secretHits = scanForSecrets(
      readLogDir(opts.logDir).filter((l) => path.basename(l.source).startsWith(`campaign-${index}-`)),
      secrets,
    );
    opts.print(
      `campaign ${index}: ${kills.length} kills [${kills.map((k) => describePlan(k.plan)).join(' ')}], ` +
        `${starts} starts (ms: ${durations.join(' ')}), ${windowCount} windows, ${posts} POSTs ` +
        `(${extraPosts} extra, ${lost.length} lost posts, ${adoptedLost} adopted), ${apiCalls} API calls, ` +
        `violations ${JSON.stringify(violations)}` +
        (problems.length > 0 ? `, PROBLEMS: ${problems.join('; ')}` : ', all checks passed'),
    );
    return {
      kills,
      notReached,
      starts,
      windows: windowCount,
      posts,
      extraPosts,
      lostPosts: lost.length,
      adoptedLostPosts: adoptedLost,
      apiCalls,
      maxPostsPerWindow: Math.max(0, ...perWindow.values()),
      violations,
      problems,
      secretHits,
    };
  } finally {
    await sim.stop();
    await db.drop();
  }
}

export async function runCrashCampaigns(opts: CrashOptions): Promise<CrashFigures> {
  const started = Date.now();
  const now = Date.now();
  const dates = stableDates(now, DAYS);
  const t = tenant(opts.seed);
  opts.print(
    `crash harness: seed ${opts.seed}, at least ${opts.points} kill points, CLI from ${cliCommand().mode}, ` +
      `days ${dates.startDate}..${new Date(dates.horizon).toISOString().slice(0, 10)}, logs in ${opts.logDir}`,
  );
  const referenceDb = await opts.newDatabase();
  let reference: Reference;
  try {
    reference = await cleanRun(referenceDb, t, dates, now);
  } finally {
    await referenceDb.drop();
  }
  const results: CampaignResult[] = [];
  const landed = (): number => results.reduce((n, r) => n + r.kills.length, 0);
  // Campaigns are independent (a simulator and a database each) and mostly wait on the 300-ms gate,
  // so a few run side by side.
  while (landed() < opts.points) {
    const missing = Math.ceil((opts.points - landed()) / opts.killsPerCampaign);
    const batch = Array.from(
      { length: Math.min(opts.concurrency, missing) },
      (_, i) => results.length + i + 1,
    );
    results.push(...(await Promise.all(batch.map((index) => campaign(index, opts, reference, t, dates)))));
  }
  const kills = results.flatMap((r) => r.kills);
  const byPoint: Record<string, number> = {};
  for (const k of kills) {
    const key =
      k.plan.kind === 'timed' ? 'timed' : k.landed ? k.plan.point : `${k.plan.point} (died elsewhere)`;
    byPoint[key] = (byPoint[key] ?? 0) + 1;
  }
  const violations: Record<string, number> = {};
  for (const r of results) {
    for (const [kind, n] of Object.entries(r.violations)) violations[kind] = (violations[kind] ?? 0) + n;
  }
  const problems = results.flatMap((r, i) => r.problems.map((p) => `campaign ${i + 1}: ${p}`));
  return {
    seed: opts.seed,
    cli: cliCommand().mode,
    campaigns: results.length,
    killPoints: kills.length,
    survived: results.filter((r) => r.problems.length === 0).reduce((n, r) => n + r.kills.length, 0),
    byPoint,
    timedKills: kills.filter((k) => k.plan.kind === 'timed').length,
    notReached: results.reduce((n, r) => n + r.notReached, 0),
    starts: results.reduce((n, r) => n + r.starts, 0),
    windows: results.reduce((n, r) => n + r.windows, 0),
    posts: results.reduce((n, r) => n + r.posts, 0),
    extraPosts: results.reduce((n, r) => n + r.extraPosts, 0),
    lostPosts: results.reduce((n, r) => n + r.lostPosts, 0),
    adoptedLostPosts: results.reduce((n, r) => n + r.adoptedLostPosts, 0),
    apiCalls: results.reduce((n, r) => n + r.apiCalls, 0),
    maxPostsPerWindow: Math.max(0, ...results.map((r) => r.maxPostsPerWindow)),
    violations,
    secretHits: results.reduce((n, r) => n + r.secretHits.length, 0),
    problems: [
      ...problems,
      ...results.flatMap((r) => r.secretHits.map((h) => `secret in ${h.source}: ${h.secret}: ${h.around}`)),
    ],
    seconds: Math.round((Date.now() - started) / 1000),
  };
}
