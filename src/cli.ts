/**
 * The command line: parses arguments and calls one command function with its dependencies. No
 * business logic and no SQL here. Exit codes: 0 all good, 1 a window failed (or a command failed),
 * 2 configuration error, 3 another process holds the tenant (EXTRACT_ON_LOCKED=exit).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import type { App, AppContext } from './app.js';
import { ConfigError, isClockTime } from './config.js';
import type { Database } from './db/open-database.js';
import { ENTITY_NAMES, isEntityName, type EntityName } from './entities/catalog.js';
import type { RunCommandRequest } from './run/run-request.js';

/*
 * Each command's module loads when that command runs, so `run` pays at start-up for neither the
 * simulator, the daemon's metrics and health server, nor the demo: time and resident memory (the
 * bench's end-to-end leg counts both).
 */
const migrateCommand: typeof import('./commands/migrate.js').migrateCommand = async (...args) =>
  (await import('./commands/migrate.js')).migrateCommand(...args);
const simCommand: typeof import('./commands/sim.js').simCommand = async (...args) =>
  (await import('./commands/sim.js')).simCommand(...args);
const runCommand: typeof import('./commands/run.js').runCommand = async (...args) =>
  (await import('./commands/run.js')).runCommand(...args);
const dryRunCommand: typeof import('./commands/dry-run.js').dryRunCommand = async (...args) =>
  (await import('./commands/dry-run.js')).dryRunCommand(...args);
const gapsCommand: typeof import('./commands/gaps.js').gapsCommand = async (...args) =>
  (await import('./commands/gaps.js')).gapsCommand(...args);
const reloadCommand: typeof import('./commands/reload.js').reloadCommand = async (...args) =>
  (await import('./commands/reload.js')).reloadCommand(...args);
const statusCommand: typeof import('./commands/status.js').statusCommand = async (...args) =>
  (await import('./commands/status.js')).statusCommand(...args);
const demoCommand: typeof import('./commands/demo.js').demoCommand = async (...args) =>
  (await import('./commands/demo.js')).demoCommand(...args);
const daemonCommand: typeof import('./commands/daemon.js').daemonCommand = async (...args) =>
  (await import('./commands/daemon.js')).daemonCommand(...args);
const dbCommand: typeof import('./commands/db.js').dbCommand = async (...args) =>
  (await import('./commands/db.js')).dbCommand(...args);
const schemaCommand: typeof import('./commands/schema.js').schemaCommand = async (...args) =>
  (await import('./commands/schema.js')).schemaCommand(...args);
const checkCommand: typeof import('./commands/check.js').checkCommand = async (...args) =>
  (await import('./commands/check.js')).checkCommand(...args);

export interface CliDeps extends AppContext {
  setExitCode: (code: number) => void;
}

function dateArg(value: string): string {
  const parsed = Date.parse(`${value}T00:00:00Z`);
  // The round trip refuses dates that Date would roll over (2026-02-30 -> 2026-03-02).
  if (
    !/^\d{4}-\d{2}-\d{2}$/.test(value) ||
    Number.isNaN(parsed) ||
    new Date(parsed).toISOString().slice(0, 10) !== value
  ) {
    throw new InvalidArgumentError('expected a date yyyy-mm-dd');
  }
  return value;
}

function entityArg(value: string, previous: EntityName[] = []): EntityName[] {
  if (!isEntityName(value)) throw new InvalidArgumentError(`expected one of ${ENTITY_NAMES.join(', ')}`);
  return [...previous, value];
}

function intArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number');
  return n;
}

function positiveNumberArg(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
}

interface RunOptions {
  entity?: EntityName[];
  dryRun?: boolean;
  json?: boolean;
  until?: string;
  maxApiCalls?: number;
}

function clockArg(value: string): string {
  if (!isClockTime(value)) throw new InvalidArgumentError('expected a time of day HH:MM');
  return value;
}

/** Options shared by `run` and `backfill`. */
function withRunOptions(command: Command): Command {
  return command
    .option('--dry-run', 'print the window plan, API calls and time it needs; change nothing')
    .option('--json', 'with --dry-run: machine-readable output')
    .option(
      '--until <HH:MM>',
      'start no window that could not finish by then (SCHEDULE_TZ); defer the rest',
      clockArg,
    )
    .option('--max-api-calls <n>', 'spend at most this many jobs API calls; defer the rest', intArg);
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

  const withDb = async (
    fn: (db: Database) => Promise<number>,
    opts: { migrate?: boolean } = {},
  ): Promise<void> => {
    // The App closes the database in stop(), which main.ts calls once the command is done.
    deps.setExitCode(await fn(await app.database(opts)));
  };

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

  program
    .command('migrate')
    .description('apply pending database migrations')
    .action(() => withDb((db) => migrateCommand({ db, out: deps.out })));

  const execute = (request: RunCommandRequest, opts: RunOptions): Promise<void> =>
    opts.dryRun
      ? withDb((db) => dryRunCommand({ ...deps, db }, request, { json: opts.json ?? false }), {
          migrate: false,
        })
      : withDb((db) => runCommand({ ...deps, db }, request));

  withRunOptions(
    program
      .command('run')
      .description('extract every due window of every configured entity, then exit')
      .option('--entity <name>', 'only this entity (repeatable)', entityArg),
  ).action((opts: RunOptions) =>
    execute({ mode: 'run', entities: opts.entity, until: opts.until, maxApiCalls: opts.maxApiCalls }, opts),
  );

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

  program
    .command('status')
    .description('per tenant and entity: checkpoint, lag, last job and failed windows')
    .option('--json', 'machine-readable output')
    .action((opts: { json?: boolean }) =>
      withDb((db) => statusCommand({ ...deps, db }, { json: opts.json ?? false })),
    );

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

  program
    .command('db')
    .description(
      'start the embedded database (when DATABASE_URL is unset) and print how to connect with psql',
    )
    .action(() => withDb((db) => dbCommand({ db, out: deps.out, signal: deps.signal })));

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
    .action(
      async (opts: {
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
      }) => {
        deps.setExitCode(
          await simCommand(deps, {
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
          }),
        );
      },
    );

  program
    .command('demo')
    .description('embedded Postgres + simulator: backfill 14 days of all five entities and print a summary')
    .option('--days <n>', 'days to backfill', intArg, 14)
    .action(async (opts: { days: number }) => {
      deps.setExitCode(await demoCommand({ ...deps, database: app.database }, { days: opts.days }));
    });

  return program;
}
