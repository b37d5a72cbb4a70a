import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Endpoint, JobStatus } from '../cxone/types.js';
import { toError } from '../lib/errors.js';

/**
 * The worker's Prometheus metrics, in one registry the /metrics route serializes. Names follow the
 * Prometheus conventions (https://prometheus.io/docs/practices/naming/): a `cxone_etl_` prefix,
 * counters end in `_total`, units are base units (`_seconds`, `_bytes`).
 *
 * Label values are bounded, operator-chosen names only: tenant ids from the config, entity names from
 * the catalogue, endpoint route templates ('GET /jobs/:id', never a URL: pre-signed download URLs carry
 * credentials in their query string), HTTP status codes and fixed outcome words.
 */

export const METRIC_PREFIX = 'cxone_etl_';

/** How far loading has got for one tenant and entity (checkpoints.loaded_until), epoch ms. */
export interface CheckpointPosition {
  tenant: string;
  entity: string;
  checkpointMs: number;
}

/** Windows currently in the failed state for one tenant and entity. */
export interface FailedWindowCount {
  tenant: string;
  entity: string;
  count: number;
}

export interface MetricsOptions {
  /** Read at scrape time for the lag gauge; typically listCheckpoints() mapped to CheckpointPosition. */
  checkpoints?: () => Promise<CheckpointPosition[]>;
  /** Read at scrape time for the failed-windows gauge. */
  failedWindows?: () => Promise<FailedWindowCount[]>;
  /** Epoch ms; injected so tests compute lag against a fixed time. */
  now?: () => number;
  /** The entity's freshness limit (FRESHNESS_MAX_LAG, observability/freshness.ts), for the stale gauges. */
  maxLagMs?: (entity: string, now: number) => number | undefined;
  /** Process metrics (CPU, memory, event loop, GC) under the same prefix; off by default so tests stay quiet. */
  defaultMetrics?: boolean;
  /** Bound on each scrape-time callback; see COLLECT_TIMEOUT_MS. */
  collectTimeoutMs?: number;
  /**
   * Told of each failed or timed-out scrape-time read, with its error, besides the collect-errors
   * counter: the counter says how often, the caller's log says why.
   */
  onCollectError?: (source: ScrapeSource, err: Error) => void;
}

/**
 * 5 s: half of Prometheus's default scrape_timeout (10 s). A database that hangs must not make the whole
 * scrape time out, or every other series would go missing with it.
 */
export const COLLECT_TIMEOUT_MS = 5_000;

/**
 * Runs take from seconds (nothing new) to hours (a backfill at one job request per 30 s per tenant),
 * so the buckets run from 1 s to 4 h.
 */
const RUN_DURATION_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400];

/** A job's terminal status as the API reports it (RUNNING is never final). */
export type FinalJobStatus = Exclude<JobStatus, 'RUNNING'>;

/** How a run ended: every window loaded, some failed, none loaded, or stopped by shutdown. */
export type RunOutcome = 'succeeded' | 'partial' | 'failed' | 'aborted';

export type ScrapeSource = 'checkpoints' | 'failed_windows';

export type Metrics = ReturnType<typeof buildMetrics>;

export function createMetrics(registry: Registry = new Registry(), opts: MetricsOptions = {}): Metrics {
  const metrics = buildMetrics(registry, opts);
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
  return metrics;
}

function buildMetrics(registry: Registry, opts: MetricsOptions) {
  const now = opts.now ?? Date.now;
  const registers = [registry];

  const collectErrors = new Counter({
    name: `${METRIC_PREFIX}metrics_collect_errors_total`,
    help: 'Scrape-time reads (checkpoints, failed windows) that failed or timed out; the last values were served',
    labelNames: ['source'] as const,
    registers,
    // Waits for this scrape's reads, so a failure is counted in the same scrape that saw it.
    async collect() {
      await reads.refresh();
    },
  });
  const reads = scrapeReads(opts, (source, err) => {
    collectErrors.inc({ source });
    opts.onCollectError?.(source, err);
  });

  /** Every counter but collectErrors: a name under the prefix, its help and labels, in this registry. */
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Counter({ name: `${METRIC_PREFIX}${name}`, help, labelNames, registers });

  /** A per-checkpoint gauge of the freshness limit: `value(lag, limit)` for entities that have a limit. */
  const checkpointGauge = (def: {
    name: string;
    help: string;
    value: (lagMs: number, limitMs: number) => number;
  }) =>
    new Gauge({
      name: def.name,
      help: def.help,
      labelNames: ['tenant', 'entity'] as const,
      registers,
      async collect() {
        await reads.refresh();
        const at = now();
        this.reset();
        for (const p of reads.checkpoints) {
          const limit = opts.maxLagMs?.(p.entity, at);
          if (limit !== undefined)
            this.set({ tenant: p.tenant, entity: p.entity }, def.value(at - p.checkpointMs, limit));
        }
      },
    });

  return {
    registry,
    apiCalls: counter(
      'api_calls_total',
      'HTTP exchanges with CXone by endpoint and status ("none" when no answer came)',
      ['tenant', 'endpoint', 'status'],
    ),
    rateGateWait: counter(
      'rate_gate_wait_seconds_total',
      'Time spent waiting in the per-tenant rate gate before an API call',
      ['tenant'],
    ),
    jobs: counter('jobs_total', 'Extraction jobs by final status', ['tenant', 'entity', 'status']),
    castProblems: counter(
      'cast_problem_values_total',
      'Non-empty staging values that the typed view reads as NULL (they did not cast), by column',
      ['tenant', 'entity', 'column'],
    ),
    qualityFlags: counter(
      'quality_flags_total',
      'Windows flagged by the data-quality checks (volume-low, volume-high, empty-window, columns-missing)',
      ['tenant', 'entity', 'kind'],
    ),
    retentionRowsRemoved: counter(
      'retention_rows_removed_total',
      'Staging rows removed because their window ended before now minus RETENTION',
      ['tenant', 'entity'],
    ),
    retentionLoadsRemoved: counter(
      'retention_loads_removed_total',
      'Window loads (with their ledger facts) removed because the window ended before now minus RETENTION',
      ['tenant', 'entity'],
    ),
    jobPolls: counter('job_polls_total', 'Job status polls', ['tenant', 'entity']),
    rowsLoaded: counter('rows_loaded_total', 'Rows committed to Postgres', ['tenant', 'entity']),
    bytesLoaded: counter('bytes_loaded_total', 'CSV bytes committed to Postgres', ['tenant', 'entity']),
    windowLag: new Gauge({
      name: `${METRIC_PREFIX}window_lag_seconds`,
      help: 'Now minus the checkpoint (end of the loaded data) per tenant and entity',
      labelNames: ['tenant', 'entity'] as const,
      registers,
      async collect() {
        await reads.refresh();
        const at = now();
        this.reset();
        for (const p of reads.checkpoints)
          this.set({ tenant: p.tenant, entity: p.entity }, (at - p.checkpointMs) / 1000);
      },
    }),
    freshnessMaxLag: checkpointGauge({
      name: `${METRIC_PREFIX}freshness_max_lag_seconds`,
      help: 'How far the checkpoint may fall behind now before the entity is stale (FRESHNESS_MAX_LAG)',
      value: (_lagMs, limitMs) => limitMs / 1000,
    }),
    entityStale: checkpointGauge({
      name: `${METRIC_PREFIX}entity_stale`,
      help: "1 when the entity's data is older than its freshness limit (FRESHNESS_MAX_LAG), else 0",
      value: (lagMs, limitMs) => (lagMs > limitMs ? 1 : 0),
    }),
    failedWindows: new Gauge({
      name: `${METRIC_PREFIX}failed_windows`,
      help: 'Windows currently in the failed state, to be retried by the next run',
      labelNames: ['tenant', 'entity'] as const,
      registers,
      async collect() {
        await reads.refresh();
        this.reset();
        for (const c of reads.failedWindows) this.set({ tenant: c.tenant, entity: c.entity }, c.count);
      },
    }),
    lastSuccess: new Gauge({
      name: `${METRIC_PREFIX}last_success_timestamp_seconds`,
      help: 'Unix time at which the last run that loaded every window ended',
      labelNames: ['tenant'] as const,
      registers,
    }),
    runs: counter('runs_total', 'Finished runs by outcome', ['tenant', 'outcome']),
    runsSkipped: counter(
      'runs_skipped_total',
      'Scheduled runs not started because the previous run was still going',
      [],
    ),
    runDuration: new Histogram({
      name: `${METRIC_PREFIX}run_duration_seconds`,
      help: 'Wall time of a run, start to end',
      labelNames: ['tenant'] as const,
      buckets: RUN_DURATION_BUCKETS,
      registers,
    }),
    collectErrors,
  };
}

/** `status` is the HTTP status, or undefined when no answer came (network error, timeout, abort). */
export function recordApiCall(
  m: Metrics,
  e: { tenant: string; endpoint: Endpoint; status: number | undefined },
): void {
  m.apiCalls.inc({
    tenant: e.tenant,
    endpoint: e.endpoint,
    status: e.status === undefined ? 'none' : e.status,
  });
}

export function recordRateGateWait(m: Metrics, e: { tenant: string; waitMs: number }): void {
  if (e.waitMs > 0) m.rateGateWait.inc({ tenant: e.tenant }, e.waitMs / 1000);
}

export function recordJobEnded(
  m: Metrics,
  e: { tenant: string; entity: string; status: FinalJobStatus },
): void {
  m.jobs.inc({ tenant: e.tenant, entity: e.entity, status: e.status });
}

export function recordJobPoll(m: Metrics, e: { tenant: string; entity: string }): void {
  m.jobPolls.inc({ tenant: e.tenant, entity: e.entity });
}

export function recordWindowLoaded(
  m: Metrics,
  e: { tenant: string; entity: string; rows: number; bytes: number },
): void {
  const labels = { tenant: e.tenant, entity: e.entity };
  m.rowsLoaded.inc(labels, e.rows);
  m.bytesLoaded.inc(labels, e.bytes);
}

/** Call once per finished run; `endedAtMs` becomes the last-success time when the run succeeded. */
export function recordRun(
  m: Metrics,
  e: { tenant: string; outcome: RunOutcome; durationMs: number; endedAtMs: number },
): void {
  m.runs.inc({ tenant: e.tenant, outcome: e.outcome });
  m.runDuration.observe({ tenant: e.tenant }, e.durationMs / 1000);
  if (e.outcome === 'succeeded') recordLastSuccess(m, e);
}

/**
 * Also call at start-up with the newest succeeded run per tenant from the runs table: a gauge starts
 * empty after a restart, and an absent series would silence a "no successful run in 26 h" alert.
 */
export function recordLastSuccess(m: Metrics, e: { tenant: string; endedAtMs: number }): void {
  m.lastSuccess.set({ tenant: e.tenant }, e.endedAtMs / 1000);
}

export function recordRunSkipped(m: Metrics): void {
  m.runsSkipped.inc();
}

/**
 * The database reads behind the scrape-time gauges. prom-client runs every metric's collect() at once,
 * so all of them share one refresh per scrape instead of each querying (or counting errors) alone.
 * On failure the last values stay: lag is recomputed from the last checkpoints read, so it keeps growing
 * while the database is away (a checkpoint only moves forward, so it is a lower bound on the truth).
 */
function scrapeReads(opts: MetricsOptions, onError: (source: ScrapeSource, err: Error) => void) {
  const timeoutMs = opts.collectTimeoutMs ?? COLLECT_TIMEOUT_MS;
  const state = {
    checkpoints: [] as CheckpointPosition[],
    failedWindows: [] as FailedWindowCount[],
    refresh,
  };
  let running: Promise<void> | undefined;

  async function read<T>(fn: (() => Promise<T[]>) | undefined, source: ScrapeSource, keep: (v: T[]) => void) {
    if (!fn) return;
    try {
      keep(await withTimeout(fn(), timeoutMs, source));
    } catch (err) {
      onError(source, toError(err));
    }
  }

  function refresh(): Promise<void> {
    running ??= Promise.all([
      read(opts.checkpoints, 'checkpoints', (v) => (state.checkpoints = v)),
      read(opts.failedWindows, 'failed_windows', (v) => (state.failedWindows = v)),
    ]).then(
      () => {
        running = undefined;
      },
      () => {
        running = undefined;
      },
    );
    return running;
  }

  return state;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
    timer.unref();
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
