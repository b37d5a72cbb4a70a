/**
 * The command line: parses arguments and calls one command function with its dependencies. No
 * business logic and no SQL here. Exit codes: 0 all good, 1 a window failed (or a command failed),
 * 2 configuration error, 3 another process holds the tenant (EXTRACT_ON_LOCKED=exit).
 */
import { Command, Option } from 'commander';
import type { App, AppContext } from './app.js';
import { ConfigError } from './config.js';
import type { Database } from './db/open-database.js';
import type { EntityName } from './entities/catalog.js';
import type { SimCommandOptions } from './commands/sim.js';
import type { RunCommandRequest } from './run/run-request.js';
import {
  dateArg,
  entityArg,
  intArg,
  positiveNumberArg,
  withRunOptions,
  type RunOptions,
} from './cli/arguments.js';
import {
  checkCommand,
  daemonCommand,
  dbCommand,
  demoCommand,
  dryRunCommand,
  eraseCommand,
  gapsCommand,
  migrateCommand,
  reloadCommand,
  runCommand,
  schemaCommand,
  simCommand,
  statusCommand,
} from './cli/lazy-commands.js';

interface CliDeps extends AppContext {
  setExitCode: (code: number) => void;
}

/** What each command's registration needs: the App, its context, and the two ways to run a command. */
interface Cli {
  app: App;
  deps: CliDeps;
  /** Runs a command on the App's database and sets the exit code it returns. */
  withDb: (fn: (db: Database) => Promise<number>, opts?: { migrate?: boolean }) => Promise<void>;
  /** `run` and `backfill`: the run, or with --dry-run its plan (on a database left unmigrated). */
  execute: (request: RunCommandRequest, opts: RunOptions) => Promise<void>;
}

export function buildProgram(app: App, setExitCode: (code: number) => void): Command {
  const deps: CliDeps = { ...app.context, setExitCode };
  const program = new Command('cxone-etl')
    .description(
      'Copies NICE CXone Data Extraction API data into Postgres, exactly once, within the API rate rules.',
    )
    .showHelpAfterError()
    // Usage errors are configuration errors (exit 2); main.ts maps the thrown CommanderError.
    .exitOverride();
  const withDb: Cli['withDb'] = async (fn, opts = {}) => {
    // The App closes the database in stop(), which main.ts calls once the command is done.
    deps.setExitCode(await fn(await app.database(opts)));
  };
  const execute: Cli['execute'] = (request, opts) =>
    opts.dryRun
      ? withDb((db) => dryRunCommand({ ...deps, db }, request, { json: opts.json ?? false }), {
          migrate: false,
        })
      : withDb((db) => runCommand({ ...deps, db }, request));
  const cli: Cli = { app, deps, withDb, execute };
  for (const register of [
    registerCheck,
    registerMigrate,
    registerRun,
    registerBackfill,
    registerReload,
    registerGaps,
    registerStatus,
    registerDaemon,
    registerSchema,
    registerErase,
    registerDb,
    registerSim,
    registerDemo,
  ]) {
    register(program, cli);
  }
  return program;
}

function registerCheck(program: Command, { app, deps }: Cli): void {
  program
    .command('check')
    .description(
      'first contact: config, Postgres and its grants, migrations, token, API base, one GET /jobs per tenant',
    )
    .option('--json', 'machine-readable output')
    .option('--entities', 'also one tiny job per entity, proving its permission (announces calls and time)')
    .option('--probe', 'the same as --entities')
    .action(async (opts: { json?: boolean; entities?: boolean; probe?: boolean }) => {
      deps.setExitCode(
        await checkCommand(
          { ...deps, database: () => app.database({ migrate: false }) },
          {
            json: opts.json ?? false,
            probe: (opts.entities ?? false) || (opts.probe ?? false),
          },
        ),
      );
    });
}

function registerMigrate(program: Command, { deps, withDb }: Cli): void {
  program
    .command('migrate')
    .description('apply pending database migrations')
    .action(() => withDb((db) => migrateCommand({ db, out: deps.out })));
}

function registerRun(program: Command, { execute }: Cli): void {
  withRunOptions(
    program
      .command('run')
      .description('extract every due window of every configured entity, then exit')
      .option('--entity <name>', 'only this entity (repeatable)', entityArg),
  ).action((opts: RunOptions) =>
    execute({ mode: 'run', entities: opts.entity, until: opts.until, maxApiCalls: opts.maxApiCalls }, opts),
  );
}

function registerBackfill(program: Command, { execute }: Cli): void {
  withRunOptions(
    program
      .command('backfill')
      .description('extract a date range again (windows of up to EXTRACT_BACKFILL_WINDOW)')
      .option('--entity <name>', 'only this entity (repeatable; default all configured)', entityArg)
      .requiredOption('--from <date>', 'first day, yyyy-mm-dd', dateArg)
      .requiredOption('--to <date>', 'day after the last, yyyy-mm-dd (exclusive)', dateArg),
  ).action((opts: RunOptions & { from: string; to: string }) => {
    if (opts.to <= opts.from) throw new ConfigError('--to', 'a date after --from', opts.to);
    return execute(
      {
        mode: 'backfill',
        entities: opts.entity,
        from: opts.from,
        to: opts.to,
        until: opts.until,
        maxApiCalls: opts.maxApiCalls,
      },
      opts,
    );
  });
}

function registerReload(program: Command, { deps, withDb }: Cli): void {
  program
    .command('reload')
    .description('replace exactly one window by hand (a new job; the window that contains the day)')
    .requiredOption('--entity <name>', 'the entity', entityArg)
    .requiredOption(
      '--window <date>',
      'a day, yyyy-mm-dd: the loaded window containing it, or that day',
      dateArg,
    )
    .action((opts: { entity: EntityName[]; window: string }) =>
      withDb((db) =>
        reloadCommand({ ...deps, db }, { entity: opts.entity[0] as EntityName, day: opts.window }),
      ),
    );
}

function registerGaps(program: Command, { deps, withDb }: Cli): void {
  program
    .command('gaps')
    .description(
      'days not covered by a loaded window, failed/stuck/deferred windows, late data; exit 1 on gaps',
    )
    .option('--since <date>', 'from this day (default EXTRACT_START_DATE or the first window)', dateArg)
    .option('--json', 'machine-readable output')
    .action((opts: { since?: string; json?: boolean }) =>
      withDb((db) => gapsCommand({ ...deps, db }, { since: opts.since, json: opts.json ?? false })),
    );
}

function registerStatus(program: Command, { deps, withDb }: Cli): void {
  program
    .command('status')
    .description('per tenant and entity: checkpoint, lag, last job and failed windows')
    .option('--json', 'machine-readable output')
    .action((opts: { json?: boolean }) =>
      withDb((db) => statusCommand({ ...deps, db }, { json: opts.json ?? false })),
    );
}

function registerDaemon(program: Command, { app, deps, withDb }: Cli): void {
  program
    .command('daemon')
    .description(
      'run as a service: cron-scheduled runs of every tenant, /healthz /readyz /metrics on HTTP_PORT',
    )
    .option('--run-now', 'start one run at boot')
    .action((opts: { runNow?: boolean }) =>
      withDb((db) =>
        daemonCommand({ ...deps, db, services: app.daemonServices }, { runNow: opts.runNow ?? false }),
      ),
    );
}

function registerSchema(program: Command, { deps, withDb }: Cli): void {
  program
    .command('schema')
    .description(
      "an entity's staging columns, their types in the typed view (hints or inferred) and the view's state",
    )
    .requiredOption('--entity <name>', 'the entity', entityArg)
    .option('--json', 'machine-readable output')
    .option('--refresh', 'rebuild the typed view now')
    .action((opts: { entity: EntityName[]; json?: boolean; refresh?: boolean }) =>
      withDb((db) =>
        schemaCommand(
          { db, config: deps.config, out: deps.out },
          { entity: opts.entity[0] as EntityName, json: opts.json ?? false, refresh: opts.refresh ?? false },
        ),
      ),
    );
}

function registerErase(program: Command, { deps, withDb }: Cli): void {
  program
    .command('erase')
    .description(
      'delete every staging row whose column holds a value (or its hash where COLUMN_POLICY hashes it); without --yes, only count',
    )
    .requiredOption('--column <name>', 'the staging column name (as `schema` shows it)')
    .requiredOption('--value <text>', 'the value as CXone sent it (never printed, logged or stored)')
    .option('--entity <name>', 'only this entity (default: every entity)', entityArg)
    .option('--yes', 'delete; without it nothing changes')
    .option('--json', 'machine-readable output')
    .action((opts: { column: string; value: string; entity?: EntityName[]; yes?: boolean; json?: boolean }) =>
      withDb((db) =>
        eraseCommand(
          { ...deps, db },
          {
            column: opts.column,
            value: opts.value,
            entity: opts.entity?.[0],
            yes: opts.yes ?? false,
            json: opts.json ?? false,
          },
        ),
      ),
    );
}

function registerDb(program: Command, { deps, withDb }: Cli): void {
  program
    .command('db')
    .description(
      'start the embedded database (when DATABASE_URL is unset) and print how to connect with psql',
    )
    .action(() => withDb((db) => dbCommand({ db, out: deps.out, signal: deps.signal })));
}

function registerSim(program: Command, { deps }: Cli): void {
  program
    .command('sim')
    .description('start the CXone simulator (a local, faithful Data Extraction API)')
    .option('--port <n>', 'port (0 = any free port)', intArg, 8787)
    .option('--host <address>', 'address to listen on (0.0.0.0 for other containers)', '127.0.0.1')
    .option('--public-url <url>', 'base URL clients use to reach it (default http://127.0.0.1:<port>)')
    .option(
      '--time-scale <x>',
      'multiply every API duration (0.01: 30 s becomes 300 ms)',
      positiveNumberArg,
      1,
    )
    .addOption(
      new Option('--violation-response <status>', 'answer to a rate-limit violation').choices([
        '403',
        '429',
        '400',
      ]),
    )
    .option('--sync-endpoint', 'offer POST /jobs/sync')
    .option('--allow-concurrent-jobs', 'let a tenant run any number of jobs at once')
    .option(
      '--max-running-jobs <n>',
      'how many jobs a tenant may run at once; a POST beyond it is refused as busy (default 1)',
      intArg,
    )
    .option('--strict', "the help page's letter: every jobs call rate-limited, one version per entity, ...")
    .addOption(
      new Option('--rate-limit-scope <scope>', 'which jobs calls the 30-s rule counts').choices([
        'create-only',
        'all',
      ]),
    )
    .action(async (opts: SimFlags) => {
      deps.setExitCode(await simCommand(deps, simOptions(opts)));
    });
}

interface SimFlags {
  port: number;
  host: string;
  publicUrl?: string;
  timeScale: number;
  violationResponse?: string;
  syncEndpoint?: boolean;
  allowConcurrentJobs?: boolean;
  maxRunningJobs?: number;
  strict?: boolean;
  rateLimitScope?: 'all' | 'create-only';
}

function simOptions(opts: SimFlags): SimCommandOptions {
  return {
    port: opts.port,
    host: opts.host,
    ...(opts.publicUrl ? { publicUrl: opts.publicUrl } : {}),
    timeScale: opts.timeScale,
    ...(opts.violationResponse
      ? { violationResponse: Number(opts.violationResponse) as 403 | 429 | 400 }
      : {}),
    ...(opts.syncEndpoint ? { syncEndpoint: true } : {}),
    ...(opts.allowConcurrentJobs ? { allowConcurrentJobs: true } : {}),
    ...(opts.maxRunningJobs !== undefined ? { maxRunningJobs: opts.maxRunningJobs } : {}),
    ...(opts.strict ? { strict: true } : {}),
    ...(opts.rateLimitScope ? { rateLimitScope: opts.rateLimitScope } : {}),
  };
}

function registerDemo(program: Command, { app, deps }: Cli): void {
  program
    .command('demo')
    .description('embedded Postgres + simulator: backfill 14 days of all five entities and print a summary')
    .option('--days <n>', 'days to backfill', intArg, 14)
    .action(async (opts: { days: number }) => {
      deps.setExitCode(await demoCommand({ ...deps, database: app.database }, { days: opts.days }));
    });
}
