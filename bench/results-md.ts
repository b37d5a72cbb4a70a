/**
 * bench/RESULTS.md, written from one run's figures (issue 7, item 6): machine, commands, goals met or
 * not, each leg's table (results-tables.ts), the profile, and what the figures say
 * (results-findings.ts). Nothing in it is typed by hand.
 */
import type { ApiEfficiencyResult } from './api-efficiency.js';
import { fixed, mb } from './bench-env.js';
import type { CopyLegResult } from './copy-leg.js';
import type { HttpLegResult } from './http-leg.js';
import type { MachineInfo, MachineLoad } from './machine.js';
import type { ProfileLegResult } from './profile-leg.js';
import { findings } from './results-findings.js';
import { apiSection, copySection, httpSection, profileSection, stagingSection } from './results-tables.js';
import type { StagingCostResult } from './staging-cost.js';

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
    copySection(r.copy),
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
