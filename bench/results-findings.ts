/** "What the figures say" in bench/RESULTS.md: sentences computed from the figures, no fixed claims. */
import type { ApiEfficiencyResult } from './api-efficiency.js';
import { fixed, mb } from './bench-env.js';
import type { CopySizeResult } from './copy-leg.js';
import type { ProfileLegResult } from './profile-leg.js';
import type { BenchResults } from './results-md.js';

export function findings(r: BenchResults): string {
  const lines = [
    ...e2eFindings(r),
    ...copyFindings(r),
    ...httpFindings(r),
    ...apiFindings(r.api),
    ...profileFindings(r.profile),
  ];
  return `## What the figures say\n\n${lines.map((l) => `- ${l}`).join('\n')}`;
}

function e2eFindings(r: BenchResults): string[] {
  return r.e2e.sizes.map(
    (s) =>
      `**End to end, ${s.label}.** The CLI's window takes ${fixed(s.windowRatioCurl)}× curl | psql's \\copy and ` +
      `${fixed(s.windowRatio)}× psql's from the file (curl | psql itself: ${fixed(s.curlCopyMs / s.psqlCopyMs)}× psql); ` +
      `its whole process ${fixed(s.processRatioCurl)}× curl | psql's and ${fixed(s.processRatio)}× psql's ` +
      `(${fixed((s.processMs - s.windowMs) / 1000)} s outside the window: ` +
      `start-up, token, job, poll, exit); the reporting step is ${fixed(s.reportingShare * 100, 1)}% of the window; ` +
      `peak RSS ${mb(s.peakRssKb)}.`,
  );
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
        `(_load_id and its BRIN index) costs psql ${fixed(sc.vsPlain['load-id-brin'])}× its plain-table time in the ` +
        `variants table (v0.1's five metadata columns: ${fixed(sc.vsPlain.staging)}×).`,
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
    `**Staging variants** (time ÷ plain): v0.1's staging ${fixed(sc.vsPlain.staging)}, without its index ` +
      `${fixed(sc.vsPlain['staging-no-index'])}, literal defaults with the index ` +
      `${fixed(sc.vsPlain['const-defaults-index'])}; one \`_load_id bigint\` column instead of five: ` +
      `${fixed(sc.vsPlain['load-id'])} unindexed, ${fixed(sc.vsPlain['load-id-btree'])} with a btree, ` +
      `${fixed(sc.vsPlain['load-id-brin'])} with BRIN (today's). The replace-a-window DELETE among ` +
      `${sc.replaceDelete.loads} loads: ${fixed(sc.replaceDelete.brinMs, 0)} ms with BRIN on _load_id, ` +
      `${fixed(sc.replaceDelete.noIndexMs, 0)} ms with no index (which reads the whole table, and grows with it).`,
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
  for (const mode of ['async', 'sync', 'overlap', 'overlap-strict'] as const) {
    const runs = a.runs.filter((f) => f.mode === mode);
    if (runs.length === 0) continue;
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
  const modelled = (strategy: 'current' | 'proposed'): string =>
    a.model
      .filter((m) => m.strategy === strategy)
      .map((m) => `${m.scenario} ${fixed(m.callsPerWindow)} calls per window, ${fixed(m.vsCallsBound)}×`)
      .join('; ');
  lines.push(
    `**Poll model.** Current first-poll delay: ${modelled('current')} (to compare with the measured rows). ` +
      `Proposed: ${modelled('proposed')}.`,
  );
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
      `the rest, waiting on Postgres; src/load (CsvScanner, splitHeader, copy-window) takes ` +
      `${share(l.profile.byKind['worker: src/load'] ?? 0)} of the load.`
    );
  });
}
