/** The per-leg sections of bench/RESULTS.md: what each leg measured, as tables. */
import type { ApiEfficiencyResult, ModelFigures, RunFigures } from './api-efficiency.js';
import { fixed, mb, spread } from './bench-env.js';
import { CONTENDERS, type CopyLegResult, type CopySizeResult } from './copy-leg.js';
import { HTTP_CONTENDERS, type HttpLegResult } from './http-leg.js';
import type { ProfiledLoad, ProfileLegResult } from './profile-leg.js';
import type { CliProfile, E2eResult } from './e2e-leg.js';
import type { ProfileSummary } from './cpu-profile.js';
import { VARIANTS, type StagingCostResult } from './staging-cost.js';

export function copySection(copy: CopyLegResult): string {
  const rows = copy.sizes.map((s) => copyRow(s)).join('\n');
  const runs = copy.sizes
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

The simulator's large mode (recording rows: quoting, embedded newlines, Korean, CRLF) written once to a file. Contenders: **psql** \`\\copy t from 'file' csv header\` into an all-text table of the same data columns (the anchor); **worker** \`copyWindow\` in \`withTransaction\` reading the file with \`fs.createReadStream\` (child process; time from BEGIN to COMMIT); **psql-staging** psql into a table shaped like the worker's staging table (the _load_id default and its BRIN index) with the worker's COPY options; **node-raw** file → pg-copy-streams into that same table (the Node floor in docs/DESIGN.md "Load speed"); **worker-policy** the worker with \`COLUMN_POLICY\` (ani, dnis and customer_name hashed, agent_notes dropped: docs/OPERATIONS.md's recommendation) into a staging table of its own (goal: its time within 1.5× the worker's). **rows-present count**: the \`SELECT count(*) … WHERE _load_id = <this load>\` that copyWindow runs after COPY only when someone put a trigger on the staging table (countLoadRows; otherwise COPY's own row count is the count), timed inside node-raw's transaction (and left out of node-raw's time), with its share of the worker's time. psql times are psql's own \`\\timing\`. Peak RSS is the worker child's VmHWM; "before" is its RSS after imports and connecting.

| size | bytes | psql MB/s | worker MB/s | psql-staging MB/s | node-raw MB/s | worker ÷ psql | worker ÷ psql-staging | worker ÷ node-raw | worker-policy MB/s | policy time ÷ worker time | policy ÷ psql | rows-present count | worker peak RSS | before load | worker CPU | widest spread |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|
${rows}

Run times (ms, in run order):
${runs}`;
}

function copyRow(s: CopySizeResult): string {
  return (
    `| ${s.label} | ${s.bytes} | ${fixed(s.mbps.psql, 1)} | ${fixed(s.mbps.worker, 1)} | ` +
    `${fixed(s.mbps['psql-staging'], 1)} | ${fixed(s.mbps['node-raw'], 1)} | **${fixed(s.workerVsPsql)}** | ` +
    `${fixed(s.workerVsPsqlStaging)} | ${fixed(s.workerVsNodeRaw)} | ${fixed(s.mbps['worker-policy'], 1)} | ` +
    `**${fixed(1 / s.policyVsWorker)}** | ${fixed(s.policyVsPsql)} | ${fixed(s.countMs, 0)} ms ` +
    `(${fixed((s.countMs / s.medianMs.worker) * 100, 0)}%) | ${mb(s.peakRssKb)} | ${mb(s.baselineRssKb)} | ` +
    `${fixed(s.workerCpuShare * 100, 0)}% | ${fixed(widestSpread(CONTENDERS.map((c) => s.runs.filter((x) => x.contender === c).map((x) => x.ms))))} |`
  );
}

/** The largest max ÷ min over the contenders' run times. */
function widestSpread(timesPerContender: number[][]): number {
  return Math.max(...timesPerContender.map((t) => spread(t)));
}

export function stagingSection(s: StagingCostResult): string {
  const rows = VARIANTS.map(
    (v) =>
      `| ${v} | ${fixed(s.medianMs[v], 0)} | ${fixed(s.mbps[v], 1)} | ${fixed(s.vsPlain[v])} | ` +
      `${s.times[v].map((t) => fixed(t, 0)).join('/')} |`,
  ).join('\n');
  return `## Where the database's share goes (staging table variants)

psql \`\\copy\` of the ${s.label} file into table variants that differ in one thing each (${s.runs} runs, medians). **staging** is v0.1's staging table, kept for comparison: five metadata columns whose defaults read transaction settings (\`NULLIF(current_setting(...), '')\`, two cast to timestamptz, evaluated per row) and a BRIN index on (_window_start, _window_end). **load-id** variants: one \`_load_id bigint\` default in place of the five (the tenant, window, job and load time stored once per load in cxone_etl.loads), with no index, a btree or a BRIN index; **load-id-brin** is what staging.repository.ts creates since migration 0006.

| variant | median ms | MB/s | time ÷ plain | runs (ms, in run order) |
|---|---|---|---|---|
${rows}`;
}

export function httpSection(h: HttpLegResult): string {
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

export function apiSection(a: ApiEfficiencyResult): string {
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

The worker in-process against the simulator with its default (realistic) job durations at timeScale 1, sharing test/helpers' warp clock, so the ${a.intervalMs / 1000}-s rule holds in clock time. On a fresh database: a 14-day backfill (2026-03-01 to 2026-03-15) of all five entities, then the nightly runs of the next two nights; async jobs one at a time (EXTRACT_MAX_JOBS_IN_FLIGHT=1), then \`/jobs/sync\` (CXONE_USE_SYNC_ENDPOINT=true, simulator syncEndpoint), then jobs in flight with EXTRACT_MAX_JOBS_IN_FLIGHT=auto on a simulator that lets a tenant run two jobs (*overlap*) and on its default of one (*overlap-strict*: auto learns it from one refused POST, counted apart from rate-limit violations). Calls are the simulator's count of jobs-API calls (POST /jobs, GET /jobs/:id, GET /jobs, POST /jobs/sync). **Serial bound**: the least clock time with one job at a time and the fewest calls; async Σ max(interval, job) + (windows − 1) × interval (each status call lands when its job is done), sync Σ max(interval, job).

| mode | run | windows | calls | per window | polls answered RUNNING | clock s | calls × interval s | ÷ | serial bound s | ÷ | violations | refused (job running) | max in flight |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|
${rows}

Job durations on the simulator (the same in both modes):
${jobs}

**Poll model** (bench/poll-model.ts): the async runs' jobs replayed, one at a time, through a model of the poll schedule. With the *current* first-poll delay it must reproduce the measured calls and clock time above (its check); *proposed* times the first poll from the POST's answer, learns from what the polls proved (the middle of the last RUNNING and the first SUCCEEDED answer; 0.75 × the wait when the first answer already said SUCCEEDED, so the estimate can come down), fits base + per-day × window days per entity, and starts an entity without history from the others'.

| first-poll delay | run | calls | per window | polls answered RUNNING | clock s | ÷ calls × interval | ÷ serial bound |
|---|---|---|---|---|---|---|---|
${a.model.map((m) => modelRow(m)).join('\n')}`;
}

function modelRow(m: ModelFigures): string {
  return (
    `| ${m.strategy} | ${m.scenario} | ${m.calls} | ${fixed(m.callsPerWindow)} | ${m.running} | ` +
    `${fixed(m.clockMs / 1000, 0)} | ${fixed(m.vsCallsBound)} | ${fixed(m.vsSerialBound)} |`
  );
}

function apiRow(f: RunFigures): string {
  return (
    `| ${f.mode} | ${f.scenario} | ${f.windows} | ${f.calls} | **${fixed(f.callsPerWindow)}** | ${f.wastedPolls} | ` +
    `${fixed(f.clockMs / 1000, 0)} | ${fixed(f.callsBoundMs / 1000, 0)} | **${fixed(f.vsCallsBound)}** | ` +
    `${fixed(f.serialBoundMs / 1000, 0)} | ${fixed(f.vsSerialBound)} | ${f.violations} | ` +
    `${f.jobRunningRefusals ?? 0} | ${f.maxInFlight ?? 1} |`
  );
}

export function profileSection(p: ProfileLegResult): string {
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

export function e2eSection(e: E2eResult): string {
  const rows = e.sizes
    .map(
      (s) =>
        `| ${s.label} | ${s.bytes} | ${fixed(s.psqlCopyMs / 1000)} s | ${fixed(s.curlCopyMs / 1000)} s | ` +
        `${fixed(s.windowMs / 1000)} s | **${fixed(s.windowRatioCurl)}** | **${fixed(s.windowRatio)}** | ` +
        `${fixed(s.psqlProcessMs / 1000)} s | ${fixed(s.curlProcessMs / 1000)} s | ${fixed(s.processMs / 1000)} s | ` +
        `**${fixed(s.processRatioCurl)}** | ${fixed(s.processRatio)} | ${fixed(s.reportingShare * 100, 1)}% | ` +
        `${mb(s.peakRssKb)} | ${fixed(s.spread)} |`,
    )
    .join('\n');
  const runs = e.sizes
    .map(
      (s) =>
        `- ${s.label}: ` +
        s.runs
          .map(
            (r) =>
              `psql ${fixed(r.psqlCopyMs, 0)}/${fixed(r.psqlProcessMs, 0)}, ` +
              `curl | psql ${fixed(r.curlCopyMs, 0)}/${fixed(r.curlProcessMs, 0)}, ` +
              `CLI ${fixed(r.windowMs, 0)}/${fixed(r.processMs, 0)}`,
          )
          .join('; ') +
        ' ms (\\copy or window / process)',
    )
    .join('\n');
  return `## End to end: what the user waits for

The built CLI (\`node bin/cxone-etl.js backfill\`, one recordings window, \`LOG_FORMAT=json\`) against a minimal static-file API on loopback (bench/static-api.ts: token, empty job list, one job SUCCEEDED at once, the file behind a signed-looking URL), beside two anchors loading the same bytes into a plain all-text table: psql \`\\copy ... csv header\` from the file, and \`curl URL | psql -c '\\copy ... from pstdin csv header'\` of the same download over the same loopback HTTP (what a user would write by hand). The three take turns going first, a CHECKPOINT before each. **window**: from the download's first byte (the server's clock) to the COMMIT (the worker's "window loaded" log line, written right after it), against each anchor's own psql \`\\timing\` of its \`\\copy\`. **process**: spawn to exit of each program (the CLI's includes start-up, migration check, token, job, poll and pool shutdown; curl | psql's is the shell pipeline). **reporting**: the reporting step inside the load transaction (typed-view check, cast problems counted while streaming, quality flags) as a share of the window. Peak RSS: ${e.rssSource}.

| size | bytes | psql \\copy | curl \\| psql | CLI window | window ÷ curl \\| psql | window ÷ psql | psql process | curl \\| psql process | CLI process | process ÷ curl \\| psql | process ÷ psql | reporting in the transaction | CLI peak RSS | window spread |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|
${rows}

Run times:
${runs}${e.sizes.flatMap((s) => (s.profile ? [cliProfileBlock(s.profile)] : [])).join('')}`;
}

/** Where the CLI's time goes at 200 MB: one more run under node --cpu-prof, split at the first byte. */
function cliProfileBlock(p: CliProfile): string {
  const part = (name: string, ms: number, s: ProfileSummary): string => {
    const share = (x: number): string => `${fixed((x / s.totalMs) * 100, 1)}%`;
    const kinds = Object.entries(s.byKind)
      .sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0))
      .map(([kind, x]) => `${kind} ${share(x ?? 0)}`)
      .join(', ');
    const top = s.top
      .map((f) => `| ${f.name} | ${f.where} | ${f.kind} | ${fixed(f.selfMs, 1)} | ${share(f.selfMs)} |`)
      .join('\n');
    return `**${name}** (${fixed(ms, 0)} ms; main thread busy ${fixed(s.busyMs, 0)} ms, ${share(s.busyMs)}). By kind: ${kinds}.

| function | where | kind | self ms | of the span |
|---|---|---|---|---|
${top}`;
  };
  return `

### Where the CLI's time goes (${p.label}, node --cpu-prof)

The CLI once more after the timed runs, under \`node --cpu-prof\` (which slows it a little), its main thread's samples split at the download's first byte (the profile starts a few ms after the spawn, with Node's own bootstrap).

${part('Start-up: spawn to first byte', p.startupMs, p.startup)}

${part('Window: first byte to COMMIT', p.windowMs, p.window)}`;
}
