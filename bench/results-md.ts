/**
 * bench/RESULTS.md, written from one run's figures: machine, commands, goals met or
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
import type { E2eResult, E2eSize } from './e2e-leg.js';
import {
  apiSection,
  copySection,
  e2eSection,
  httpSection,
  profileSection,
  stagingSection,
} from './results-tables.js';
import type { StagingCostResult } from './staging-cost.js';

export interface BenchResults {
  machine: MachineInfo;
  large: boolean;
  runs: number;
  childMode: 'compiled' | 'tsx';
  seconds: number;
  /** How busy the machine was during each leg. */
  loads: Record<string, MachineLoad>;
  e2e: E2eResult;
  copy: CopyLegResult;
  stagingCost: StagingCostResult;
  http: HttpLegResult;
  api: ApiEfficiencyResult;
  profile: ProfileLegResult;
}

export function resultsMarkdown(r: BenchResults): string {
  return [
    header(r),
    e2eGoals(r),
    e2eSection(r.e2e),
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

Written by \`${r.large ? 'npm run bench:large' : 'npm run bench'}\` (bench/run-all.ts) on ${m.date} in ${fixed(r.seconds, 0)} s; every figure below comes from that run. Rerun to refresh: absolute MB/s vary a lot between runs on this kind of machine (docs/DESIGN.md "Load speed"), so each contender ran in the same session on the same bytes, in alternating order, ${r.runs} times per size (medians), with a CHECKPOINT before each timed run.

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

- \`npm run bench\` = \`tsx bench/run-all.ts\`: the end-to-end leg at 100 MB and 200 MB, the other legs at 10 MB and 100 MB, writes this file.
- \`npm run bench:large\` = \`tsx bench/run-all.ts --large\`: adds the 1 GB file to the end-to-end, COPY and HTTP legs.
- \`--runs N\` changes the runs per size (default 3). Each leg also runs alone: \`npx tsx bench/e2e-leg.ts\`, \`bench/copy-leg.ts\`, \`bench/staging-cost.ts\`, \`bench/http-leg.ts\`, \`bench/api-efficiency.ts\`, \`bench/profile-leg.ts\` (the same flags).
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

/** The end-to-end goals first: the figures the user waits for. */
function e2eGoals(r: BenchResults): string {
  const sizes = r.e2e.sizes;
  const copyTimeRatios = r.copy.sizes.map((s) => ({ label: s.label, ratio: 1 / s.workerVsPsql }));
  const peaks = sizes.map((s) => s.peakRssKb ?? 0);
  const flat = Math.max(...peaks) / Math.min(...peaks);
  // The issue's targets hold at 200 MB and 1 GB; 100 MB is reported beside them.
  const large = sizes.filter((s) => s.label !== '100 MB');
  const at200 = sizes.filter((s) => s.label === '200 MB');
  const listed = (pick: (s: E2eSize) => number, of = sizes): string =>
    of.map((s) => `${s.label} ${fixed(pick(s))}`).join(', ');
  const rows: [string, string, string][] = [
    [
      'Window (first byte to COMMIT) ≤ 1.10× curl \\| psql, at 200 MB and 1 GB',
      listed((s) => s.windowRatioCurl),
      verdict(large.every((s) => s.windowRatioCurl <= 1.1)) +
        (r.large ? '' : ' (1 GB: `npm run bench:large`)'),
    ],
    [
      'Window ≤ 1.15× psql \\copy from the file, at 200 MB and 1 GB',
      listed((s) => s.windowRatio),
      verdict(large.every((s) => s.windowRatio <= 1.15)) + (r.large ? '' : ' (1 GB: `npm run bench:large`)'),
    ],
    [
      'Whole process ≤ 1.25× curl \\| psql, at 200 MB',
      `${listed((s) => s.processRatioCurl)} (÷ psql from the file: ${listed((s) => s.processRatio)})`,
      verdict(at200.length > 0 && at200.every((s) => s.processRatioCurl <= 1.25)),
    ],
    [
      'COPY leg ≤ 1.10× psql (time)',
      copyTimeRatios.map((c) => `${c.label} ${fixed(c.ratio)}`).join(', '),
      verdict(copyTimeRatios.every((c) => c.ratio <= 1.1)),
    ],
    [
      'Reporting inside the transaction ≤ 5% of the window',
      sizes.map((s) => `${s.label} ${fixed(s.reportingShare * 100, 1)}%`).join(', '),
      verdict(sizes.every((s) => s.reportingShare <= 0.05)),
    ],
    [
      'Peak RSS ≤ 100 MB, flat to 1 GB',
      `${sizes.map((s) => `${s.label} ${mb(s.peakRssKb)}`).join(', ')} (largest ÷ smallest ${fixed(flat)})`,
      verdict(peaks.every((p) => p * 1024 <= 100 * 1e6) && flat <= 1.1) +
        (r.large ? '' : ' (1 GB: `npm run bench:large`)'),
    ],
  ];
  return `## Goals: end to end

| goal | measured | met |
|---|---|---|
${rows.map((row) => `| ${row.join(' | ')} |`).join('\n')}`;
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
  const overlapRuns = r.api.runs.filter((f) => f.mode === 'overlap');
  const strictRuns = r.api.runs.filter((f) => f.mode === 'overlap-strict');
  const backfill = (f: { scenario: string }): boolean => f.scenario.includes('backfill');
  const rows: [string, string, string][] = [
    [
      'COPY leg: worker ≥ 0.9× psql on every size',
      copy.map((s) => `${s.label} ${fixed(s.workerVsPsql)}`).join(', '),
      verdict(copy.every((s) => s.workerVsPsql >= 0.9)),
    ],
    [
      'COLUMN_POLICY: a window with the recommended policy within 1.5× the time of the same window without',
      copy
        .map((s) => `${s.label} ${fixed(1 / s.policyVsWorker)}× (${fixed(s.policyVsPsql)}× psql)`)
        .join(', '),
      verdict(copy.every((s) => 1 / s.policyVsWorker <= 1.5)),
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
      'Jobs in flight, tenant allowing 2: backfill ≤ 2.3 calls per window and ≤ 1.1× calls × interval, nightly ≤ 2.1',
      overlapRuns
        .map((f) => `${f.scenario} ${fixed(f.callsPerWindow)}, ${fixed(f.vsCallsBound)}×`)
        .join('; '),
      verdict(
        overlapRuns.length > 0 &&
          overlapRuns.every((f) =>
            backfill(f) ? f.callsPerWindow <= 2.3 && f.vsCallsBound <= 1.1 : f.callsPerWindow <= 2.1,
          ),
      ),
    ],
    [
      'Jobs in flight, tenant allowing 1 (auto): at most one learning call per run, 0 violations',
      strictRuns
        .map((f) => `${f.scenario} ${f.jobRunningRefusals} refused, ${f.violations} violations`)
        .join('; '),
      verdict(
        strictRuns.length > 0 && strictRuns.every((f) => f.jobRunningRefusals <= 1 && f.violations === 0),
      ),
    ],
    [
      'Clock time ≤ 1.1× calls × interval',
      r.api.runs.map((f) => `${f.mode} ${f.scenario} ${fixed(f.vsCallsBound)}`).join('; '),
      verdict(r.api.runs.every((f) => f.vsCallsBound <= 1.1)),
    ],
  ];
  return `## Goals: the legs

| goal | measured | met |
|---|---|---|
${rows.map((row) => `| ${row.join(' | ')} |`).join('\n')}`;
}

function verdict(met: boolean): string {
  return met ? 'yes' : '**no** (see below)';
}
