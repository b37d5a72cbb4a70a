/**
 * `cxone-etl check` in order, stopping at the first hard failure: the configuration (and
 * TENANTS_FILE), the database (reachable, version, privileges, migrations), then each tenant in the
 * file's order (token, API base, one gated GET /jobs, and with probing one tiny job per entity). Each
 * line is handed to `onLine` as it is known, so a slow probe shows progress; the daemon logs them.
 */
import type { Config, ConfigError, Env } from '../config.js';
import type { Database } from '../db/open-database.js';
import type { MigrateOptions } from '../db/migrate.js';
import type { Clock } from '../lib/clock.js';
import { toError } from '../lib/errors.js';
import { configForTenant } from '../tenants/tenant-config.js';
import { loadTenants, type ReadTextFile, type TenantConfig } from '../tenants/tenants-file.js';
import { hardFailure, type CheckLine, type OnCheckLine } from './check-line.js';
import { checkCurrentKeys, checkMigrations, checkPostgres, checkPrivileges } from './database-checks.js';
import { checkTenant } from './tenant-checks.js';

export interface RunChecksDeps {
  config: Config;
  /** The environment failed to parse (main.ts hands it over for `check` instead of exiting). */
  configError?: ConfigError | undefined;
  env: Env;
  clock: Clock;
  signal: AbortSignal;
  readFile?: ReadTextFile;
  /** Opens the database (a failure is the postgres check's), or the one already open (daemon). */
  database: () => Promise<Database>;
  /** Told the migrations applied (one info line; each file at debug). */
  log?: MigrateOptions['log'];
  /** Run after applying migrations, as openDatabase does (rebuilds the typed views). */
  afterMigrate?: (pool: Database['pool']) => Promise<void>;
  onLine: OnCheckLine;
}

export interface RunChecksOptions {
  probe: boolean;
  /** Apply pending migrations, as every command that opens the database does. */
  migrate: boolean;
}

export async function runChecks(deps: RunChecksDeps, opts: RunChecksOptions): Promise<CheckLine[]> {
  const lines: CheckLine[] = [];
  const emit = (line: CheckLine): boolean => {
    lines.push(line);
    deps.onLine(line);
    return !(line.status === 'fail' && line.hard);
  };

  const tenants = configured(deps);
  if (!Array.isArray(tenants)) {
    emit(tenants);
    return lines;
  }
  const { config } = deps;
  const entities = config.extract.entities.map((e) => `${e.name} v${e.version}`).join(', ');
  emit({
    check: 'config',
    status: 'ok',
    message: `${tenants.length} tenant(s) (${tenants.map((t) => t.name).join(', ')}); entities ${entities}`,
    details: { tenants: tenants.map((t) => t.name), entities: config.extract.entities.map((e) => e.name) },
  });
  for (const warning of config.warnings) {
    emit({ check: 'config', status: 'warn', message: warning, remedy: 'see the variable named' });
  }

  let db: Database;
  try {
    db = await deps.database();
  } catch (error) {
    emit(
      hardFailure(
        'postgres',
        `cannot open the database: ${toError(error).message}`,
        'set DATABASE_URL to your Postgres, or unset it to use the embedded one under DATA_DIR',
      ),
    );
    return lines;
  }
  const postgres = await checkPostgres(db.pool, db.displayUrl);
  if (!emit(postgres.line) || !postgres.info) return lines;
  const schemas = { staging: config.stagingSchema, reporting: config.reportingSchema };
  if (!emit(await checkPrivileges(db.pool, postgres.info, schemas))) return lines;
  const migrationOpts = {
    apply: opts.migrate,
    ...(deps.log ? { log: deps.log } : {}),
    ...(deps.afterMigrate ? { afterMigrate: deps.afterMigrate } : {}),
  };
  if (!emit(await checkMigrations(db.pool, migrationOpts))) return lines;
  const keyLines = await checkCurrentKeys(db.pool, {
    stagingSchema: config.stagingSchema,
    entities: config.extract.entities.map((e) => e.name),
    currentKeys: config.currentKeys,
  });
  for (const line of keyLines) emit(line);

  for (const tenant of tenants) {
    let hardFailure = false;
    await checkTenant(
      {
        pool: db.pool,
        config: configForTenant(config, tenant),
        clock: deps.clock,
        signal: deps.signal,
        tenant: tenant.name,
        onLine: (line) => {
          if (!emit(line)) hardFailure = true;
        },
      },
      { probe: opts.probe },
    );
    if (hardFailure || deps.signal.aborted) break;
  }
  return lines;
}

/** The tenants, or the config line that says why there are none. */
function configured(deps: RunChecksDeps): TenantConfig[] | CheckLine {
  const fail = (message: string): CheckLine =>
    hardFailure(
      'config',
      message,
      'fix the variable (or TENANTS_FILE entry) named; .env.example lists every variable and its form',
    );
  if (deps.configError) return fail(deps.configError.message);
  try {
    return loadTenants(deps.config, deps.env, deps.readFile);
  } catch (error) {
    return fail(toError(error).message);
  }
}
