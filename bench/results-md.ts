/**
 * bench/RESULTS.md, written from one run's figures (issue 7, item 6): machine, commands, goals met or
 * not, each leg's table, the profile, and what the figures say. Nothing in it is typed by hand.
 */
import type { ApiEfficiencyResult, RunFigures } from './api-efficiency.js';
import { fixed, mb, spread } from './bench-env.js';
import { CONTENDERS, type CopyLegResult, type CopySizeResult } from './copy-leg.js';
import type { ProfiledLoad, ProfileLegResult } from './profile-leg.js';
import { HTTP_CONTENDERS, type HttpLegResult } from './http-leg.js';
import type { MachineInfo, MachineLoad } from './machine.js';
import { VARIANTS, type StagingCostResult } from './staging-cost.js';

export interface BenchResults {
  machine: MachineInfo;
  large: boolean;
  runs: number;
  childMode: 'compiled' | 'tsx';
  seconds: number;
  /** How busy the machine was during each leg. */
  loads: Record<string, MachineLoad>;
  copy: CopyLegResult;
  stagingCost: StagingCostResult;
  http: HttpLegResult;
  api: ApiEfficiencyResult;
  profile: ProfileLegResult;
}

export function resultsMarkdown(r: BenchResults): string {
  return [
    header(r),
    goals(r),
    copySection(r),
    stagingSection(r.stagingCost),
    httpSection(r.http),
    apiSection(r.api),
    profileSection(r.profile),
    findings(r),
  ].join('\n\n');
}

function header(r: BenchResults): string {
  const m = r.machine;
  const settings = Object.entries(m.postgresSettings)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return `# Benchmark results

Written by \`${r.large ? 'npm run bench:large' : 'npm run bench'}\` (bench/run-all.ts) on ${m.date} in ${fixed(r.seconds, 0)} s; every figure below comes from that run. Rerun to refresh: absolute MB/s vary a lot between runs on this kind of machine (PERFORMANCE.md), so each contender ran in the same session on the same bytes, in alternating order, ${r.runs} times per size (medians), with a CHECKPOINT before each timed run.

## Machine

| | |
|---|---|
| CPUs | ${m.cpus} × ${m.cpuModel} |
| Memory | ${fixed(m.memoryGiB, 1)} GiB |
| OS | ${m.os} |
| Node | ${m.node} |
| Postgres | ${m.postgres} (${settings}), local TCP, stock settings |
| psql | ${m.psql} |
| Worker children | ${r.childMode === 'compiled' ? 'JavaScript compiled by tsc into bench/out/js (as dist/ runs in production)' : 'TypeScript under tsx (tsc could not emit; RSS includes the loader)'} |

How busy the machine was during each leg (the benchmark itself keeps up to two cores busy; CPU pressure is the share of time some task waited for a CPU, so a high figure means something else competed and that leg's runs spread more, see the spread columns):

| leg | 1-min load average at its end | CPU pressure |
|---|---|---|
${loadRows(r.loads)}

## Commands

- \`npm run bench\` = \`tsx bench/run-all.ts\`: 10 MB and 100 MB, every leg, writes this file (under 5 minutes).
- \`npm run bench:large\` = \`tsx bench/run-all.ts --large\`: adds the 1 GB file to the COPY and HTTP legs.
- \`--runs N\` changes the runs per size (default 3). Each leg also runs alone: \`npx tsx bench/copy-leg.ts\`, \`bench/staging-cost.ts\`, \`bench/http-leg.ts\`, \`bench/api-efficiency.ts\`, \`bench/profile-leg.ts\` (the same flags).
- Databases \`cxone_bench_*\` are created on ${'`BENCH_DATABASE_URL`'} (default the machine's Postgres) and dropped; CSVs go to a temp directory that is removed.`;
}

function loadRows(loads: Record<string, MachineLoad>): string {
  return Object.entries(loads)
    .map(
      ([name, l]) =>
        `| ${name} | ${fixed(l.loadAverage)} | ${l.cpuPressure === undefined ? 'n/a' : `${fixed(l.cpuPressure * 100, 0)}%`} |`,
    )
    .join('\n');
}

function goals(r: BenchResults): string {
  const copy = r.copy.sizes;
  const atLargest = copy[copy.length - 1];
  const has1GB = copy.some((s) => s.label === '1 GB');
  const peaks = copy.map((s) => `${s.label} ${mb(s.peakRssKb)}`).join(', ');
  const httpPeaks = r.http.sizes.map((s) => `${s.label} ${mb(s.peakRssKb)}`).join(', ');
  const maxPeakKb = Math.max(
    ...copy.map((s) => s.peakRssKb ?? 0),
    ...r.http.sizes.map((s) => s.peakRssKb ?? 0),
  );
  const asyncRuns = r.api.runs.filter((f) => f.mode === 'async');
  const syncRuns = r.api.runs.filter((f) => f.mode === 'sync');
  const rows: [string, string, string][] = [
    [
      'COPY leg: worker ≥ 0.9× psql on every size',
      copy.map((s) => `${s.label} ${fixed(s.workerVsPsql)}`).join(', '),
      verdict(copy.every((s) => s.workerVsPsql >= 0.9)),
    ],
    [
      'Memory: flat, < 120 MB at 1 GB',
      `file: ${peaks}; HTTP: ${httpPeaks}`,
      has1GB
        ? verdict(maxPeakKb < 120 * 1000 * (1000 / 1024))
        : `not measured at 1 GB in this run (\`npm run bench:large\`); largest so far ${mb(atLargest?.peakRssKb)}`,
    ],
    [
      'HTTP: worker ≥ 0.8× psql',
      r.http.sizes.map((s) => `${s.label} ${fixed(s.workerVsPsql)}`).join(', '),
      verdict(r.http.sizes.every((s) => s.workerVsPsql >= 0.8)),
    ],
    [
      'API calls per window ≤ 2.2 (async)',
      asyncRuns.map((f) => `${f.scenario} ${fixed(f.callsPerWindow)}`).join('; '),
      verdict(asyncRuns.every((f) => f.callsPerWindow <= 2.2)),
    ],
    [
      'API calls per window 1.0 (/jobs/sync)',
      syncRuns.map((f) => `${f.scenario} ${fixed(f.callsPerWindow)}`).join('; '),
      verdict(syncRuns.every((f) => f.callsPerWindow <= 1.0)),
    ],
    [
      'Clock time ≤ 1.1× calls × interval',
      r.api.runs.map((f) => `${f.mode} ${f.scenario} ${fixed(f.vsCallsBound)}`).join('; '),
      verdict(r.api.runs.every((f) => f.vsCallsBound <= 1.1)),
    ],
  ];
  return `## Goals (issue 7)

| goal | measured | met |
|---|---|---|
${rows.map((row) => `| ${row.join(' | ')} |`).join('\n')}`;
}

function verdict(met: boolean): string {
  return met ? 'yes' : '**no** (see below)';
}

function copySection(r: BenchResults): string {
  const rows = r.copy.sizes.map((s) => copyRow(s)).join('\n');
  const runs = r.copy.sizes
    .map(
      (s) =>
        `- ${s.label}: ` +
        CONTENDERS.map(
          (c) =>
            `${c} ${s.runs
              .filter((x) => x.contender === c)
              .map((x) => fixed(x.ms, 0))
              .join('/')}`,
        ).join('; ') +
        ' ms',
    )
    .join('\n');
  return `## 1–2. COPY leg and memory

The simulator's large mode (recording rows: quoting, embedded newlines, Korean, CRLF) written once to a file. Contenders: **psql** \`\\copy t from 'file' csv header\` into an all-text table of the same data columns (the anchor); **worker** \`copyWindow\` in \`withTransaction\` reading the file with \`fs.createReadStream\` (child process; time from BEGIN to COMMIT); **psql-staging** psql into a table shaped like the worker's staging table (metadata defaults, window index) with the worker's COPY options; **node-raw** file → pg-copy-streams into that same table (PERFORMANCE.md's Node floor). **rows-present count**: the \`SELECT count(*) … WHERE _tenant_id, window and _job_id\` that copyWindow runs after COPY (countJobRows), timed inside node-raw's transaction (and left out of node-raw's time), with its share of the worker's time. psql times are psql's own \`\\timing\`. Peak RSS is the worker child's VmHWM; "before" is its RSS after imports and connecting.

| size | bytes | psql MB/s | worker MB/s | psql-staging MB/s | node-raw MB/s | worker ÷ psql | worker ÷ psql-staging | worker ÷ node-raw | rows-present count | worker peak RSS | before load | worker CPU | widest spread |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|
${rows}

Run times (ms, in run order):
${runs}`;
}

function copyRow(s: CopySizeResult): string {
  return (
    `| ${s.label} | ${s.bytes} | ${fixed(s.mbps.psql, 1)} | ${fixed(s.mbps.worker, 1)} | ` +
    `${fixed(s.mbps['psql-staging'], 1)} | ${fixed(s.mbps['node-raw'], 1)} | **${fixed(s.workerVsPsql)}** | ` +
    `${fixed(s.workerVsPsqlStaging)} | ${fixed(s.workerVsNodeRaw)} | ${fixed(s.countMs, 0)} ms ` +
    `(${fixed((s.countMs / s.medianMs.worker) * 100, 0)}%) | ${mb(s.peakRssKb)} | ${mb(s.baselineRssKb)} | ` +
    `${fixed(s.workerCpuShare * 100, 0)}% | ${fixed(widestSpread(CONTENDERS.map((c) => s.runs.filter((x) => x.contender === c).map((x) => x.ms))))} |`
  );
}

/** The largest max ÷ min over the contenders' run times. */
function widestSpread(timesPerContender: number[][]): number {
  return Math.max(...timesPerContender.map((t) => spread(t)));
}

function stagingSection(s: StagingCostResult): string {
  const rows = VARIANTS.map(
    (v) =>
      `| ${v} | ${fixed(s.medianMs[v], 0)} | ${fixed(s.mbps[v], 1)} | ${fixed(s.vsPlain[v])} | ` +
      `${s.times[v].map((t) => fixed(t, 0)).join('/')} |`,
  ).join('\n');
  return `## Where the database's share goes (staging table variants)

psql \`\\copy\` of the ${s.label} file into table variants that differ in one thing each (${s.runs} runs, medians). **staging** is what staging.repository.ts creates today: five metadata columns whose defaults read transaction settings (\`NULLIF(current_setting(...), '')\`, two cast to timestamptz, evaluated per row) and a btree on (_tenant_id, _window_start, _window_end). **load-id** variants are a proposal: one \`_load_id bigint\` default in place of the five (the tenant, window, job and load time stored once per load in a loads table), with no index, a btree or a BRIN index.

| variant | median ms | MB/s | time ÷ plain | runs (ms, in run order) |
|---|---|---|---|---|
${rows}`;
}

function httpSection(h: HttpLegResult): string {
  const rows = h.sizes
    .map(
      (s) =>
        `| ${s.label} | ${s.bytes} | ${fixed(s.mbps.psql, 1)} | ${fixed(s.mbps['psql-staging'], 1)} | ` +
        `${fixed(s.mbps['worker-sim'], 1)} | ${fixed(s.mbps['worker-static'], 1)} | ${fixed(s.downloadOnlyMbps, 1)} | ` +
        `**${fixed(s.workerVsPsql)}** | ${fixed(s.workerVsPsqlStaging)} | ${fixed(s.staticVsPsql)} | ` +
        `${mb(s.peakRssKb)} | ${mb(s.baselineRssKb)} | ${fixed(s.workerCpuShare * 100, 0)}% | ` +
        `${fixed(widestSpread(HTTP_CONTENDERS.map((c) => s.times[c])))} |`,
    )
    .join('\n');
  return `## 3. End to end over HTTP

A child process runs the worker's path: the real client (token, discovery, the persisted rate gate) asks the simulator (large mode, timeScale ${h.timeScale}) for a recordings job, polls until SUCCEEDED, then \`openDownload\` → \`copyWindow\` in one transaction (timed from the download request to COMMIT). psql loads the same bytes, saved through the same path. **worker-static** downloads that saved file from a plain Node file server instead (no CSV generation); **download only** reads the simulator's body and throws it away. The simulator generates each file as it sends it, in the benchmark's process, on the same ${'cores'} as the worker and the Postgres backend.

| size | bytes | psql MB/s | psql-staging MB/s | worker-sim MB/s | worker-static MB/s | download only MB/s | worker-sim ÷ psql | worker-sim ÷ psql-staging | worker-static ÷ psql | worker peak RSS | before load | worker CPU | widest spread |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|
${rows}`;
}

function apiSection(a: ApiEfficiencyResult): string {
  const rows = a.runs.map((f) => apiRow(f)).join('\n');
  const jobs = a.runs
    .filter((f) => f.mode === 'async')
    .map(
      (f) =>
        `- ${f.scenario}: ` +
        Object.entries(f.jobSeconds)
          .map(([entity, s]) => `${entity} ${s.map((x) => fixed(x, 0)).join(' + ')} s`)
          .join(', '),
    )
    .join('\n');
  return `## 4. API efficiency

The worker in-process against the simulator with its default (realistic) job durations at timeScale 1, sharing test/helpers' warp clock, so the ${a.intervalMs / 1000}-s rule holds in clock time. On a fresh database: a 14-day backfill (2026-03-01 to 2026-03-15) of all five entities, then the nightly runs of the next two nights; async jobs, then \`/jobs/sync\` (CXONE_USE_SYNC_ENDPOINT=true, simulator syncEndpoint). Calls are the simulator's count of jobs-API calls (POST /jobs, GET /jobs/:id, GET /jobs, POST /jobs/sync). **Serial bound**: the least clock time with one job at a time and the fewest calls; async Σ max(interval, job) + (windows − 1) × interval (each status call lands when its job is done), sync Σ max(interval, job).

| mode | run | windows | calls | per window | polls answered RUNNING | clock s | calls × interval s | ÷ | serial bound s | ÷ | violations |
|---|---|---|---|---|---|---|---|---|---|---|---|
${rows}

Job durations on the simulator (the same in both modes):
${jobs}`;
}

function apiRow(f: RunFigures): string {
  return (
    `| ${f.mode} | ${f.scenario} | ${f.windows} | ${f.calls} | **${fixed(f.callsPerWindow)}** | ${f.wastedPolls} | ` +
    `${fixed(f.clockMs / 1000, 0)} | ${fixed(f.callsBoundMs / 1000, 0)} | **${fixed(f.vsCallsBound)}** | ` +
    `${fixed(f.serialBoundMs / 1000, 0)} | ${fixed(f.vsSerialBound)} | ${f.violations} |`
  );
}

function profileSection(p: ProfileLegResult): string {
  return `## 5. Profile (node --cpu-prof)

The file and HTTP load children run once more under \`node --cpu-prof\` on the ${p.label} file; only samples between the load's start and end count. Self time per function; "busy" is the main thread's time not idle.

${p.loads.map((l) => profileBlock(l)).join('\n\n')}`;
}

function profileBlock(l: ProfiledLoad): string {
  const { profile } = l;
  const share = (ms: number): string => `${fixed((ms / profile.totalMs) * 100, 1)}%`;
  const kinds = Object.entries(profile.byKind)
    .sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0))
    .map(([kind, ms]) => `${kind} ${share(ms ?? 0)}`)
    .join(', ');
  const top = profile.top
    .map(
      (f) =>
        `| ${f.name} | ${f.where || '(native)'} | ${f.kind} | ${fixed(f.selfMs, 1)} | ${share(f.selfMs)} |`,
    )
    .join('\n');
  return `**${l.path}**: load ${fixed(l.load.ms, 0)} ms; main thread busy ${fixed(profile.busyMs, 0)} ms (${share(profile.busyMs)}). By kind: ${kinds}.

| function | where | kind | self ms | of the load |
|---|---|---|---|---|
${top}`;
}

function findings(r: BenchResults): string {
  const lines = [
    ...copyFindings(r),
    ...httpFindings(r),
    ...apiFindings(r.api),
    ...profileFindings(r.profile),
  ];
  return `## What the figures say\n\n${lines.map((l) => `- ${l}`).join('\n')}`;
}

function copyFindings(r: BenchResults): string[] {
  const lines: string[] = [];
  const big = r.copy.sizes.find((s) => s.label === '100 MB') ?? r.copy.sizes[r.copy.sizes.length - 1];
  const small = r.copy.sizes[0];
  const sc = r.stagingCost;
  if (big) {
    lines.push(
      `**COPY leg.** At ${big.label} the worker runs at ${fixed(big.workerVsPsql)}× psql into a plain table, ` +
        `${fixed(big.workerVsPsqlStaging)}× psql into a table shaped like the staging table, and ` +
        `${fixed(big.workerVsNodeRaw)}× raw pg-copy-streams into that table (copyWindow's own work is the gap to ` +
        `node-raw; its rows-present count alone takes ${fixed(big.countMs, 0)} ms of it). The staging table's shape ` +
        `costs psql ${fixed(sc.vsPlain.staging)}× its plain-table time in the variants table.`,
    );
  }
  if (small && big && small !== big) {
    const fit = (ms: (s: CopySizeResult) => number): { fixedMs: number; perMb: number } => {
      const perMb = (ms(big) - ms(small)) / ((big.bytes - small.bytes) / 1e6);
      return { fixedMs: ms(small) - (perMb * small.bytes) / 1e6, perMb };
    };
    const worker = fit((s) => s.medianMs.worker);
    const psql = fit((s) => s.medianMs.psql);
    lines.push(
      `**Fixed and per-MB cost** (a line through the ${small.label} and ${big.label} medians): worker ≈ ` +
        `${fixed(worker.fixedMs, 0)} ms + ${fixed(worker.perMb, 1)} ms/MB, psql ≈ ${fixed(psql.fixedMs, 0)} ms + ` +
        `${fixed(psql.perMb, 1)} ms/MB; the fixed part weighs most on ${small.label}.`,
    );
  }
  lines.push(
    `**Staging variants** (time ÷ plain): staging ${fixed(sc.vsPlain.staging)}, without its index ` +
      `${fixed(sc.vsPlain['staging-no-index'])}, literal defaults with the index ` +
      `${fixed(sc.vsPlain['const-defaults-index'])}; one \`_load_id bigint\` column instead of five: ` +
      `${fixed(sc.vsPlain['load-id'])} unindexed, ${fixed(sc.vsPlain['load-id-btree'])} with a btree, ` +
      `${fixed(sc.vsPlain['load-id-brin'])} with BRIN.`,
  );
  const peaks = r.copy.sizes.map((s) => s.peakRssKb ?? 0);
  lines.push(
    `**Memory.** Worker peak RSS over the file sizes: ${r.copy.sizes.map((s) => `${s.label} ${mb(s.peakRssKb)}`).join(', ')} ` +
      `(largest ÷ smallest ${fixed(Math.max(...peaks) / Math.min(...peaks))}); over HTTP: ` +
      `${r.http.sizes.map((s) => `${s.label} ${mb(s.peakRssKb)}`).join(', ')}.`,
  );
  return lines;
}

function httpFindings(r: BenchResults): string[] {
  const http = r.http.sizes.find((s) => s.label === '100 MB') ?? r.http.sizes[r.http.sizes.length - 1];
  if (!http) return [];
  return [
    `**HTTP.** At ${http.label}: worker-sim ${fixed(http.workerVsPsql)}× psql and ${fixed(http.workerVsPsqlStaging)}× ` +
      `psql-staging; from a static server ${fixed(http.staticVsPsql)}× psql. The simulator alone delivers ` +
      `${fixed(http.downloadOnlyMbps, 1)} MB/s while generating, on the same ${r.machine.cpus} cores as the worker ` +
      `and the backend.`,
  ];
}

function apiFindings(a: ApiEfficiencyResult): string[] {
  const lines: string[] = [];
  for (const mode of ['async', 'sync'] as const) {
    const runs = a.runs.filter((f) => f.mode === mode);
    lines.push(
      `**API, ${mode}.** ` +
        runs
          .map(
            (f) =>
              `${f.scenario}: ${fixed(f.callsPerWindow)} calls per window, ${f.wastedPolls} polls answered ` +
              `RUNNING, clock ${fixed(f.vsCallsBound)}× calls × interval and ${fixed(f.vsSerialBound)}× the serial bound`,
          )
          .join('; ') +
        '.',
    );
  }
  const slow = a.runs.filter((f) => f.mode === 'async' && f.wastedPolls === 0 && f.vsSerialBound > 1.5);
  if (slow.length > 0) {
    lines.push(
      `**First-poll delay.** ${slow.map((f) => f.scenario).join(', ')}: no status call was wasted, yet the clock ` +
        `time is ${slow.map((f) => fixed(f.vsSerialBound)).join(', ')}× the serial bound, so the first status ` +
        `call came long after the jobs were done: the delay learned per entity (windows.repository.ts ` +
        `typicalJobDurationMs) does not fit these windows' jobs.`,
    );
  }
  return lines;
}

function profileFindings(p: ProfileLegResult): string[] {
  return p.loads.map((l) => {
    const share = (ms: number): string => `${fixed((ms / l.profile.totalMs) * 100, 1)}%`;
    return (
      `**Profile, ${l.path}.** The worker's main thread is busy ${share(l.profile.busyMs)} of the load and idle ` +
      `the rest, waiting on Postgres; src/load (RecordCounter, splitHeader, copy-window) takes ` +
      `${share(l.profile.byKind['worker: src/load'] ?? 0)} of the load.`
    );
  });
}
