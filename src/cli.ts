/**
 * The command line: parses arguments and calls one command function with its dependencies. No
 * business logic and no SQL here. Exit codes: 0 all good, 1 a window failed (or a command failed),
 * 2 configuration error, 3 another process holds the tenant (EXTRACT_ON_LOCKED=exit).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import type { App, AppContext } from './app.js';
import { ConfigError } from './config.js';
import type { Database } from './db/open-database.js';
import type { EntityName } from './entities/catalog.js';
import type { DemoCommand, SimCommand, SimCommandOptions } from './commands/types.js';
import { errorCode, EtlError } from './lib/errors.js';
import type { RunCommandRequest } from './run/run-request.js';
import {
  dateArg,
  entityArg,
  intArg,
  positiveNumberArg,
  withRunOptions,
  type RunOptions,
} from './cli/arguments.js';

/**
 * Each command's module loads when that command runs, so `run` pays at start-up for neither the
 * simulator, the daemon's metrics and health server, nor the demo: time and resident memory (the
 * bench's end-to-end leg counts both). `lazy` stands in for the function `name` of the module `load`
 * brings, and loads it on the first call.
 */
function lazy<M, K extends keyof M>(load: () => Promise<M>, name: K): M[K] {
  const call = async (...args: unknown[]): Promise<unknown> =>
    ((await load())[name] as (...args: unknown[]) => unknown)(...args);
  return call as M[K];
}

const migrateCommand = lazy(() => import('./commands/db.js'), 'migrateCommand');
const runCommand = lazy(() => import('./commands/run.js'), 'runCommand');
const dryRunCommand = lazy(() => import('./commands/run.js'), 'dryRunCommand');
const gapsCommand = lazy(() => import('./commands/gaps.js'), 'gapsCommand');
const reloadCommand = lazy(() => import('./commands/reload.js'), 'reloadCommand');
const statusCommand = lazy(() => import('./commands/status.js'), 'statusCommand');
const daemonCommand = lazy(() => import('./commands/daemon.js'), 'daemonCommand');
const dbCommand = lazy(() => import('./commands/db.js'), 'dbCommand');
const schemaCommand = lazy(() => import('./commands/schema.js'), 'schemaCommand');
const checkCommand = lazy(() => import('./commands/check.js'), 'checkCommand');
const eraseCommand = lazy(() => import('./commands/erase.js'), 'eraseCommand');

/**
 * The development tools, `sim` and `demo`, live outside the production build (tsconfig.build.json) and
 * the runtime image: their paths are held in a variable, so tsc does not follow them into the build. A
 * build without them answers with what to run instead; a checkout (tsx) and the image's `simulator`
 * target have them.
 */
const DEV_TOOLS = {
  sim: { module: './commands/sim.js', instead: 'npm run sim, or the image built with --target simulator' },
  demo: { module: './commands/demo.js', instead: 'npm run demo' },
} as const;

const simCommand = lazy(() => loadDevTool<{ simCommand: SimCommand }>('sim'), 'simCommand');
const demoCommand = lazy(() => loadDevTool<{ demoCommand: DemoCommand }>('demo'), 'demoCommand');

async function loadDevTool<T>(name: keyof typeof DEV_TOOLS): Promise<T> {
  const tool = DEV_TOOLS[name];
  const specifier: string = tool.module;
  try {
    return (await import(specifier)) as T;
  } catch (err) {
    // Only the tool's own module missing means "not in this build"; a missing module further down is
    // a broken install and keeps its own error.
    if (errorCode(err) !== 'ERR_MODULE_NOT_FOUND' || devToolPresent(specifier)) throw err;
    throw new EtlError(
      'CONFIG',
      `\`${name}\` is a development tool and not part of this build (the runtime image leaves it out): ` +
        `run it from a checkout of cxone-etl (${tool.instead})`,
      { cause: err },
    );
  }
}

/** The tool's module exists as compiled JavaScript or, from a checkout under tsx, as TypeScript. */
function devToolPresent(specifier: string): boolean {
  const file = fileURLToPath(new URL(specifier, import.meta.url));
  return existsSync(file) || existsSync(file.replace(/\.js$/, '.ts'));
}

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
      "an entity's staging columns, their types in the typed view and where each came from, and the views' state",
    )
    .requiredOption('--entity <name>', 'the entity', entityArg)
    .option('--json', 'machine-readable output')
    .option('--refresh', 'rebuild the typed view now')
    .option('--set <column=type>', "set one column's type by hand (kept from then on) and rebuild the view")
    .action((opts: { entity: EntityName[]; json?: boolean; refresh?: boolean; set?: string }) =>
      withDb((db) =>
        schemaCommand(
          { db, config: deps.config, out: deps.out },
          {
            entity: opts.entity[0] as EntityName,
            json: opts.json ?? false,
            refresh: opts.refresh ?? false,
            ...(opts.set === undefined ? {} : { set: opts.set }),
          },
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

/** The options as commander gives them: --host has a default, --violation-response is still text. */
type SimFlags = Omit<SimCommandOptions, 'host' | 'violationResponse'> & {
  host: string;
  violationResponse?: string;
};

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
