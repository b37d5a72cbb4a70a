/**
 * The daemon's long-lived parts, built once by the composition root (src/app.ts) for `cxone-etl
 * daemon`: Prometheus metrics fed by every run, the cron scheduler whose runs cover every tenant and
 * prune old history, and the /healthz /readyz /metrics server. Loaded only by the daemon: `run` never
 * pays for prom-client or the HTTP server.
 */
import type { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import type { Config } from '../config.js';
import { isMigrated } from '../db/migrate.js';
import type { Database } from '../db/open-database.js';
import { isEntityName } from '../entities/catalog.js';
import { listCheckpoints } from '../extract/checkpoints.repository.js';
import { pruneJobsSeen } from '../extract/jobs-seen.repository.js';
import {
  countFailedWindows,
  lastRunStart,
  lastSuccessPerTenant,
  pruneHistory,
} from '../extract/runs.repository.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../logger.js';
import { freshnessSettings, maxLagFor } from '../observability/freshness.js';
import {
  createHeartbeat,
  databaseReadiness,
  schedulerLiveness,
  type Heartbeat,
} from '../observability/health-checks.js';
import { startHealthServer } from '../observability/health-server.js';
import {
  createMetrics,
  recordLastSuccess,
  recordRun,
  recordRunSkipped,
  type Metrics,
} from '../observability/metrics.js';
import { metricsObserver, type RunObserver } from '../run/run-observer.js';
import type { TenantConfig } from '../tenants/tenants-file.js';
import { runAllTenants } from './run-tenants.js';
import { Scheduler, type RunTrigger } from './scheduler.js';

export interface DaemonServicesDeps {
  config: Config;
  log: Logger;
  clock: Clock;
  /** Shutdown: SIGTERM must also stop runs started after it, and the scheduler itself never aborts. */
  signal: AbortSignal;
  out: Writable;
  db: Database;
  tenants: readonly TenantConfig[];
}

export interface DaemonServices {
  scheduler: Scheduler;
  /** The health server's URL, e.g. http://127.0.0.1:9464. */
  healthUrl: string;
  /** Stops the health server (the caller stops the scheduler first); a second call does nothing. */
  stop(): Promise<void>;
}

export type StartDaemonServices = (deps: DaemonServicesDeps) => Promise<DaemonServices>;

export const startDaemonServices: StartDaemonServices = async (deps) => {
  const { clock } = deps;
  const registry = new Registry();
  const metrics = await daemonMetrics(registry, deps);
  const heartbeat = createHeartbeat(() => clock.now());
  const scheduler = createScheduler(deps, metrics, heartbeat);
  const started = clock.now();
  const health = await startHealthServer({
    port: deps.config.httpPort,
    registry,
    checks: {
      live: schedulerLiveness({
        lastTickAt: () => heartbeat.lastTickAt(),
        startedAt: started,
        now: () => clock.now(),
      }),
      ready: databaseReadiness(deps.db.pool, isMigrated),
    },
  });
  let stopped: Promise<void> | undefined;
  return {
    scheduler,
    healthUrl: health.url,
    stop: () => (stopped ??= health.stop()),
  };
};

/** The metrics, with the last success per tenant from the run history (so a restart keeps the gauge). */
async function daemonMetrics(registry: Registry, deps: DaemonServicesDeps): Promise<Metrics> {
  const { config, clock, db } = deps;
  const metrics = createMetrics(registry, {
    defaultMetrics: true,
    now: () => clock.now(),
    checkpoints: async () =>
      (await listCheckpoints(db.pool)).map((c) => ({
        tenant: c.tenantId,
        entity: c.entity,
        checkpointMs: c.loadedUntil,
      })),
    failedWindows: () => countFailedWindows(db.pool),
    maxLagMs: (entity, at) =>
      isEntityName(entity) ? maxLagFor(entity, freshnessSettings(config), at) : undefined,
    onCollectError: (source, err) =>
      deps.log.warn({ err, source }, `metrics scrape: reading ${source} failed; the last values were served`),
  });
  for (const s of await lastSuccessPerTenant(db.pool))
    recordLastSuccess(metrics, { tenant: s.tenantId, endedAtMs: s.endedAt });
  return metrics;
}

function createScheduler(deps: DaemonServicesDeps, metrics: Metrics, heartbeat: Heartbeat): Scheduler {
  const { config, log } = deps;
  const observer = metricsObserver(metrics);
  return new Scheduler({
    cron: config.schedule.cron,
    timeZone: config.schedule.timeZone,
    clock: deps.clock,
    runOnce: (trigger) => scheduledRun(deps, metrics, observer, trigger),
    lastRunAt: () => lastRunStart(deps.db.pool),
    onTick: () => heartbeat.tick(),
    onSkip: (info) => {
      recordRunSkipped(metrics);
      log.warn({ ...info }, 'scheduled run skipped: the previous run is still going');
    },
    onCatchUp: (info) =>
      log.info({ ...info }, 'a scheduled run was missed while the service was down: catching up'),
    onError: (err) => log.error({ err }, `run failed: ${err.message}`),
  });
}

/** One scheduled run: every tenant, its outcome counted and logged, then old history pruned. */
async function scheduledRun(
  deps: DaemonServicesDeps,
  metrics: Metrics,
  observer: RunObserver,
  trigger: RunTrigger,
): Promise<void> {
  const { config, log, clock, db, tenants } = deps;
  log.info({ trigger, tenants: tenants.map((t) => t.name) }, 'run starting');
  const results = await runAllTenants(
    { config, log, clock, signal: deps.signal, out: deps.out, isTty: false, db, observer },
    tenants,
    trigger,
  );
  for (const r of results) {
    recordRun(metrics, {
      tenant: r.tenantId ?? r.tenant,
      outcome: r.outcome,
      durationMs: r.durationMs,
      endedAtMs: clock.now(),
    });
    log.info({ ...r }, `tenant ${r.tenant}: ${r.outcome}`);
  }
  const cutoff = clock.now() - config.historyRetentionMs;
  const pruned = { ...(await pruneHistory(db.pool, cutoff)), jobIds: await pruneJobsSeen(db.pool, cutoff) };
  if (pruned.runs + pruned.windows + pruned.jobIds > 0) log.info(pruned, 'pruned old run history');
}
