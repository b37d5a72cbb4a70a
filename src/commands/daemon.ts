/**
 * `cxone-etl daemon`: the unattended service. Schedules runs of every tenant with the cron expression,
 * serves /healthz, /readyz and /metrics, prunes old history, and on SIGTERM stops the scheduler, lets
 * the current window finish or roll back (in-flight job ids stay in the ledger for the next start),
 * and exits 0.
 */
import type { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import type { Config, Env } from '../config.js';
import { isMigrated } from '../db/migrate.js';
import type { Database } from '../db/open-database.js';
import { listCheckpoints } from '../extract/checkpoints.repository.js';
import {
  countFailedWindows,
  lastRunStart,
  lastSuccessPerTenant,
  pruneHistory,
} from '../extract/runs.repository.js';
import { pruneJobsSeen } from '../extract/jobs-seen.repository.js';
import { type Clock, untilAborted } from '../lib/clock.js';
import { logStartupChecks } from '../check/log-checks.js';
import { toError } from '../lib/errors.js';
import type { Logger } from '../logger.js';
import { createHeartbeat, databaseReadiness, schedulerLiveness } from '../observability/health-checks.js';
import { startHealthServer } from '../observability/health-server.js';
import { createMetrics, recordLastSuccess, recordRun, recordRunSkipped } from '../observability/metrics.js';
import { metricsObserver } from '../run/metrics-observer.js';
import { runAllTenants } from '../schedule/run-tenants.js';
import { Scheduler, type RunTrigger } from '../schedule/scheduler.js';
import { loadTenants, type ReadTextFile } from '../tenants/tenants-file.js';
import { isEntityName } from '../entities/catalog.js';
import { freshnessSettings, maxLagFor } from '../observability/freshness.js';

export interface DaemonDeps {
  config: Config;
  env: Env;
  log: Logger;
  clock: Clock;
  signal: AbortSignal;
  out: Writable;
  db: Database;
  readFile?: ReadTextFile;
  /** Told once the service is up (tests): the health server's URL and the scheduler. */
  onReady?: (info: { url: string; scheduler: Scheduler }) => void;
}

export async function daemonCommand(deps: DaemonDeps, opts: { runNow: boolean }): Promise<number> {
  const { config, clock, log, db } = deps;
  const tenants = loadTenants(config, deps.env, deps.readFile);
  const registry = new Registry();
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
  });
  for (const s of await lastSuccessPerTenant(db.pool))
    recordLastSuccess(metrics, { tenant: s.tenantId, endedAtMs: s.endedAt });

  const heartbeat = createHeartbeat(() => clock.now());
  const observer = metricsObserver(metrics);
  // Not the process signal: SIGTERM must also stop runs started after it, and the scheduler never aborts.
  const runOnce = async (trigger: RunTrigger): Promise<void> => {
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
  };

  const scheduler = new Scheduler({
    cron: config.schedule.cron,
    timeZone: config.schedule.timeZone,
    clock,
    runOnce,
    lastRunAt: () => lastRunStart(db.pool),
    onTick: () => heartbeat.tick(),
    onSkip: (info) => {
      recordRunSkipped(metrics);
      log.warn({ ...info }, 'scheduled run skipped: the previous run is still going');
    },
    onCatchUp: (info) =>
      log.info({ ...info }, 'a scheduled run was missed while the service was down: catching up'),
    onError: (err) => log.error({ err }, `run failed: ${err.message}`),
  });
  const started = clock.now();
  const health = await startHealthServer({
    port: config.httpPort,
    registry,
    checks: {
      live: schedulerLiveness({
        lastTickAt: () => heartbeat.lastTickAt(),
        startedAt: started,
        now: () => clock.now(),
      }),
      ready: databaseReadiness(db.pool, isMigrated),
    },
  });
  try {
    // The checks of `cxone-etl check` (no probe jobs), logged line by line; the daemon starts either way.
    const checks = await logStartupChecks({
      config,
      env: deps.env,
      clock,
      signal: deps.signal,
      db,
      log,
      ...(deps.readFile ? { readFile: deps.readFile } : {}),
    });
    const failed = checks.filter((c) => c.status === 'fail').length;
    if (failed > 0)
      log.error(
        { failed },
        `${failed} start-up check(s) failed: see the lines above; the runs will fail the same way until fixed`,
      );
    await scheduler.start({ runNow: opts.runNow });
    log.info(
      {
        cron: config.schedule.cron,
        timeZone: config.schedule.timeZone,
        nextRunAt: scheduler.nextFireAt,
        health: health.url,
      },
      `daemon started for ${tenants.length} tenant(s)`,
    );
    deps.onReady?.({ url: health.url, scheduler });
    await untilAborted(deps.signal);
    log.info('stopping: waiting for the current window to finish or roll back');
    await scheduler.stop();
    return 0;
  } catch (err) {
    log.error({ err: toError(err) }, 'daemon failed');
    await scheduler.stop();
    return 1;
  } finally {
    await health.stop();
  }
}
