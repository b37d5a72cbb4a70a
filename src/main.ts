/**
 * The entry point and the only reader of process.env: loads .env, parses the config once, builds the
 * logger, wires signals to one AbortController, builds the App (src/app.ts, the composition root) and
 * hands it to the CLI; stops the App when the command is done. Shutdown: the
 * first SIGINT/SIGTERM aborts waits (the current COPY finishes or rolls back); if the process has not
 * exited after the grace period, an unref()'d timer forces it out with an error log.
 */
import { setMaxListeners } from 'node:events';
import { CommanderError } from 'commander';
import dotenv from 'dotenv';
import { App } from './app.js';
import { buildProgram } from './cli.js';
import { ConfigError, parseConfig, type Config } from './config.js';
import { EtlError } from './lib/errors.js';
import { systemClock } from './lib/clock.js';
import { armCrashPoint } from './lib/crash-points.js';
import { createLogger, defaultLogLevel, usesPrettyLogs } from './logger.js';

dotenv.config({ quiet: true });

function loadConfig(): { config: Config; configError?: ConfigError } {
  try {
    return { config: parseConfig(process.env) };
  } catch (err) {
    if (err instanceof ConfigError) {
      // `check` reports a bad variable as its first line (and exits 2 itself), with the defaults meanwhile.
      if (process.argv[2] === 'check') return { config: parseConfig({}), configError: err };
      process.stderr.write(`cxone-etl: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

/** The reliability suite's kill switch (src/lib/crash-points.ts); never set in production. */
function armCrashPointFromEnv(): void {
  try {
    armCrashPoint(process.env.CXONE_ETL_CRASH_AT);
  } catch (err) {
    process.stderr.write(`cxone-etl: ${(err as Error).message}\n`);
    process.exit(2);
  }
}

async function main(): Promise<void> {
  armCrashPointFromEnv();
  const { config, configError } = loadConfig();
  const isTty = process.stdout.isTTY === true;
  const log = createLogger({
    level: config.log.level ?? defaultLogLevel(process.argv[2], usesPrettyLogs(config.log.format, isTty)),
    format: config.log.format,
    isTty,
  });
  for (const warning of config.warnings) log.warn(warning);

  const shutdown = new AbortController();
  // Every wait of a run (gate, polls, lock) listens on this one signal; several at once are expected.
  setMaxListeners(0, shutdown.signal);
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      log.error({ signal }, 'second signal: exiting now');
      process.exit(130);
    }
    log.info(
      { signal, graceMs: config.shutdownGraceMs },
      'shutting down: stopping the scheduler and aborting waits',
    );
    shutdown.abort(new EtlError('ABORTED', `stopped by ${signal}`));
    setTimeout(() => {
      log.error(
        { graceMs: config.shutdownGraceMs },
        'shutdown took longer than SHUTDOWN_GRACE: forcing exit',
      );
      process.exit(1);
    }, config.shutdownGraceMs).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const app = new App({
    config,
    ...(configError ? { configError } : {}),
    env: process.env,
    log,
    clock: systemClock,
    signal: shutdown.signal,
    out: process.stdout,
    isTty: process.stdout.isTTY === true,
  });
  const program = buildProgram(app, (code) => {
    process.exitCode = code;
  });
  try {
    await program.parseAsync(process.argv);
    await app.stop();
  } catch (err) {
    await app
      .stop()
      .catch((stopErr: unknown) => log.warn({ err: stopErr }, 'stopping after a failure failed'));
    if (err instanceof CommanderError) {
      // Help and version exit 0; a bad argument or option is a usage error: 2, like a bad variable.
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`cxone-etl: ${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    log.error({ err }, err instanceof Error ? err.message : 'failed');
    process.exitCode = err instanceof EtlError && err.code === 'LOCKED' ? 3 : 1;
  }
}

await main();
