/**
 * `cxone-etl check [--json] [--entities]`: first contact with a new set of credentials and a new
 * database, before the first nightly run. One line per check, each failure with its remedy, stopping at
 * the first hard failure (src/check/run-checks.ts). Exit 0 all good (warnings allowed), 1 a check
 * failed, 2 the configuration is wrong.
 */
import type { Writable } from 'node:stream';
import { checkExitCode, formatCheckLine, type CheckLine } from '../check/check-line.js';
import { runChecks } from '../check/run-checks.js';
import type { Config, ConfigError, Env } from '../config.js';
import { openDatabase, type Database } from '../db/open-database.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../logger.js';
import { refreshViewsAfterMigrate } from '../reporting/index.js';
import type { ReadTextFile } from '../tenants/tenants-file.js';

export interface CheckCommandDeps {
  config: Config;
  configError?: ConfigError | undefined;
  env: Env;
  log: Logger;
  clock: Clock;
  signal: AbortSignal;
  out: Writable;
  readFile?: ReadTextFile;
  /** Opens the database unmigrated (the App's); by default from the config, closed by the command. */
  database?: () => Promise<Database>;
}

export interface CheckCommandOptions {
  json: boolean;
  /** One tiny job per entity, proving its permission. */
  probe: boolean;
}

export async function checkCommand(deps: CheckCommandDeps, opts: CheckCommandOptions): Promise<number> {
  let db: Database | undefined;
  const lines = await (async (): Promise<CheckLine[]> => {
    try {
      return await runChecks(
        {
          config: deps.config,
          configError: deps.configError,
          env: deps.env,
          clock: deps.clock,
          signal: deps.signal,
          ...(deps.readFile ? { readFile: deps.readFile } : {}),
          log: deps.log,
          afterMigrate: refreshViewsAfterMigrate({
            stagingSchema: deps.config.stagingSchema,
            reportingSchema: deps.config.reportingSchema,
            timeZone: deps.config.wfmTimeZone,
            currentKeys: deps.config.currentKeys,
          }),
          database: async () => {
            db = await (deps.database ?? (() => openUnmigrated(deps)))();
            return db;
          },
          onLine: (line) => {
            if (!opts.json) deps.out.write(`${formatCheckLine(line)}\n`);
          },
        },
        { probe: opts.probe, migrate: true },
      );
    } finally {
      await db?.close();
    }
  })();
  const exitCode = checkExitCode(lines);
  if (opts.json) {
    deps.out.write(`${JSON.stringify({ ok: exitCode === 0, exitCode, checks: lines }, null, 2)}\n`);
  } else {
    const failed = lines.filter((l) => l.status === 'fail').length;
    deps.out.write(
      exitCode === 0
        ? `\nAll checks passed${opts.probe ? '' : " (add --entities to prove each entity's permission with a tiny job)"}.\n`
        : `\n${failed} check(s) failed.\n`,
    );
  }
  return exitCode;
}

function openUnmigrated(deps: CheckCommandDeps): Promise<Database> {
  return openDatabase({
    databaseUrl: deps.config.databaseUrl,
    dataDir: deps.config.dataDir,
    log: deps.log,
    migrate: false,
    handlesSignals: true,
  });
}
