/**
 * `cxone-etl daemon`: the unattended service. Logs the start-up checks, starts the cron scheduler (its
 * metrics and health server come from src/schedule/daemon-services.ts, built by the App), and on
 * SIGTERM stops the scheduler, lets the current window finish or roll back (in-flight job ids stay in
 * the ledger for the next start), and exits 0.
 */
import type { Writable } from 'node:stream';
import { logStartupChecks } from '../check/log-checks.js';
import type { Config, Env } from '../config.js';
import type { Database } from '../db/open-database.js';
import { type Clock, untilAborted } from '../lib/clock.js';
import { toError } from '../lib/errors.js';
import type { Logger } from '../logger.js';
import { startDaemonServices, type StartDaemonServices } from '../schedule/daemon-services.js';
import { loadTenants, type ReadTextFile } from '../tenants/tenants-file.js';

export interface DaemonDeps {
  config: Config;
  env: Env;
  log: Logger;
  clock: Clock;
  signal: AbortSignal;
  out: Writable;
  db: Database;
  readFile?: ReadTextFile;
  /** The App's factory of metrics, scheduler and health server; tests leave it to the default. */
  services?: StartDaemonServices;
}

export async function daemonCommand(deps: DaemonDeps, opts: { runNow: boolean }): Promise<number> {
  const { config, log } = deps;
  const tenants = loadTenants(config, deps.env, deps.readFile);
  const services = await (deps.services ?? startDaemonServices)({ ...deps, tenants });
  const { scheduler } = services;
  try {
    await logChecks(deps);
    await scheduler.start({ runNow: opts.runNow });
    log.info(
      {
        cron: config.schedule.cron,
        timeZone: config.schedule.timeZone,
        nextRunAt: scheduler.nextFireAt,
        health: services.healthUrl,
      },
      `daemon started for ${tenants.length} tenant(s)`,
    );
    await untilAborted(deps.signal);
    log.info('stopping: waiting for the current window to finish or roll back');
    await scheduler.stop();
    return 0;
  } catch (err) {
    log.error({ err: toError(err) }, 'daemon failed');
    await scheduler.stop();
    return 1;
  } finally {
    await services.stop();
  }
}

/** The checks of `cxone-etl check` (no probe jobs), logged line by line; the daemon starts either way. */
async function logChecks(deps: DaemonDeps): Promise<void> {
  const checks = await logStartupChecks({
    config: deps.config,
    env: deps.env,
    clock: deps.clock,
    signal: deps.signal,
    db: deps.db,
    log: deps.log,
    ...(deps.readFile ? { readFile: deps.readFile } : {}),
  });
  const failed = checks.filter((c) => c.status === 'fail').length;
  if (failed > 0)
    deps.log.error(
      { failed },
      `${failed} start-up check(s) failed: see the lines above; the runs will fail the same way until fixed`,
    );
}
