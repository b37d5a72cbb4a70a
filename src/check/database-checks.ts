/**
 * The database half of `cxone-etl check`: the server answers, its version, the privileges the worker
 * needs on the schemas it creates and writes (and the statements that would grant the missing ones),
 * and the migration state. Each returns one CheckLine; a hard failure stops the checks after it.
 */
import pg from 'pg';
import { migrate, migrationStatus, type MigrateOptions } from '../db/migrate.js';
import { toError } from '../lib/errors.js';
import { hardFailure, type CheckLine } from './check-line.js';
import { stagingTableName, type EntityName } from '../entities/catalog.js';
import { describeCandidates, resolveRowKey, ROW_KEYS, type RowKeySpec } from '../entities/row-keys.js';
import { relationInfo } from '../reporting/relations.repository.js';
import {
  missingTablePrivileges,
  relationsNotOwned,
  schemaAccess,
  serverInfo,
  type ServerInfo,
} from './privileges.repository.js';

/** The control schema (src/db/migrate.ts). */
const CONTROL_SCHEMA = 'cxone_etl';
/** The oldest Postgres the suite runs on (migrations/0004_reporting.sql keeps 15 working). */
const TESTED_VERSION_NUM = 150000;
/** A grant list longer than this is cut in the line; --json has all of it. */
const SHOWN_GRANTS = 6;

export async function checkPostgres(
  pool: pg.Pool,
  displayUrl: string,
): Promise<{ line: CheckLine; info?: ServerInfo }> {
  let info: ServerInfo;
  try {
    info = await serverInfo(pool);
  } catch (error) {
    return {
      line: hardFailure(
        'postgres',
        `cannot reach ${displayUrl}: ${toError(error).message}`,
        'check DATABASE_URL (host, port, database, user, password) and that the server is up and reachable from here',
      ),
    };
  }
  const where = `${displayUrl} as ${info.role}`;
  const details = { version: info.version, role: info.role, database: info.database };
  if (info.versionNum < TESTED_VERSION_NUM) {
    return {
      info,
      line: {
        check: 'postgres',
        status: 'warn',
        message: `PostgreSQL ${info.version} at ${where}: older than 15, which the tests run on`,
        remedy: 'use PostgreSQL 15 or later',
        details,
      },
    };
  }
  return {
    info,
    line: { check: 'postgres', status: 'ok', message: `PostgreSQL ${info.version} at ${where}`, details },
  };
}

/**
 * Our three schemas: each must exist with USAGE and CREATE for us (or we may create it), and every
 * relation in them must be ours; the control tables need their DML privileges too.
 */
export async function checkPrivileges(
  pool: pg.Pool,
  info: ServerInfo,
  schemas: { staging: string; reporting: string },
): Promise<CheckLine> {
  const names = [...new Set([CONTROL_SCHEMA, schemas.staging, schemas.reporting])];
  const role = pg.escapeIdentifier(info.role);
  const grants: string[] = [];
  try {
    for (const s of await schemaAccess(pool, names)) {
      const schema = pg.escapeIdentifier(s.schema);
      if (!s.exists && !info.canCreateSchema) grants.push(`CREATE SCHEMA ${schema} AUTHORIZATION ${role}`);
      const missing = [
        ...(s.exists && !s.usage ? ['USAGE'] : []),
        ...(s.exists && !s.create ? ['CREATE'] : []),
      ];
      if (missing.length > 0) grants.push(`GRANT ${missing.join(', ')} ON SCHEMA ${schema} TO ${role}`);
    }
    for (const r of await relationsNotOwned(pool, names)) {
      const keyword = r.kind === 'table' ? 'TABLE' : r.kind === 'view' ? 'VIEW' : 'MATERIALIZED VIEW';
      grants.push(
        `ALTER ${keyword} ${pg.escapeIdentifier(r.schema)}.${pg.escapeIdentifier(r.name)} OWNER TO ${role}`,
      );
    }
    const byTable = new Map<string, string[]>();
    for (const m of await missingTablePrivileges(pool, CONTROL_SCHEMA)) {
      byTable.set(m.table, [...(byTable.get(m.table) ?? []), m.privilege]);
    }
    for (const [table, privileges] of byTable) {
      grants.push(
        `GRANT ${privileges.join(', ')} ON ${CONTROL_SCHEMA}.${pg.escapeIdentifier(table)} TO ${role}`,
      );
    }
  } catch (error) {
    return hardFailure(
      'privileges',
      `could not read the privileges: ${toError(error).message}`,
      'connect as the role the worker uses, with CONNECT on the database',
    );
  }
  const schemaList = names.join(', ');
  if (grants.length === 0) {
    return {
      check: 'privileges',
      status: 'ok',
      message: `${info.role} may create and write ${schemaList}`,
      details: { schemas: names },
    };
  }
  const shown = grants.slice(0, SHOWN_GRANTS).join('; ');
  const more =
    grants.length > SHOWN_GRANTS ? `; and ${grants.length - SHOWN_GRANTS} more (--json lists all)` : '';
  return {
    check: 'privileges',
    status: 'fail',
    hard: true,
    message: `${info.role} lacks ${grants.length} grant(s) on ${schemaList}: ${shown}${more}`,
    remedy:
      'run those statements as the schemas\' owner or a superuser (docs/OPERATIONS.md "Postgres grants")',
    details: { schemas: names, missing: grants },
  };
}

/** The migration state; pending files are applied, as every command that opens the database does. */
export async function checkMigrations(
  pool: pg.Pool,
  opts: {
    apply: boolean;
    log?: MigrateOptions['log'];
    /** What openDatabase runs after applying migrations (the typed views' rebuild). */
    afterMigrate?: (pool: pg.Pool) => Promise<void>;
  },
): Promise<CheckLine> {
  try {
    const status = await migrationStatus(pool);
    const newest = status.unknown.at(-1);
    if (newest) {
      return hardFailure(
        'migrations',
        `the database has migration ${newest.id} (${newest.name}), newer than this build`,
        'run a newer cxone-etl, or point DATABASE_URL at the right database',
      );
    }
    const latest = status.applied.at(-1);
    const at = latest ? `${latest.id} ${latest.name}` : 'none';
    if (status.pending.length === 0) {
      return {
        check: 'migrations',
        status: 'ok',
        message: `up to date: ${status.applied.length} applied, latest ${at}`,
        details: { applied: status.applied.length, pending: 0 },
      };
    }
    const pending = status.pending.map((m) => `${m.id} ${m.name}`);
    if (!opts.apply) {
      return {
        check: 'migrations',
        status: 'warn',
        message: `${pending.length} pending: ${pending.join(', ')}`,
        remedy: 'run cxone-etl migrate (any run applies them too)',
        details: { applied: status.applied.length, pending: pending.length },
      };
    }
    await migrate(pool, opts.log ? { log: opts.log } : {});
    const rebuilt = await opts.afterMigrate?.(pool).then(
      () => undefined,
      (error: unknown) => toError(error),
    );
    if (rebuilt) {
      return {
        check: 'migrations',
        status: 'warn',
        message: `applied ${pending.length} pending (${pending.join(', ')}), but rebuilding the typed views failed: ${rebuilt.message}`,
        remedy: 'cxone-etl schema --entity <name> --refresh rebuilds a view; the next load rebuilds it too',
      };
    }
    return {
      check: 'migrations',
      status: 'ok',
      message: `applied ${pending.length} pending (${pending.join(', ')}); ${status.applied.length + pending.length} in all`,
      details: { applied: status.applied.length + pending.length, pending: 0, appliedNow: pending.length },
    };
  } catch (error) {
    return hardFailure(
      'migrations',
      toError(error).message,
      'fix what the message names, then run cxone-etl migrate',
    );
  }
}

/**
 * Per loaded entity, whether its staging columns carry a current-state key (src/entities/row-keys.ts,
 * or REPORTING_CURRENT_KEYS): without one there is no `{table}_current` view, and dashboards that
 * count each evaluation once would count re-scored ones twice. Entities not loaded yet are skipped.
 */
export async function checkCurrentKeys(
  pool: pg.Pool,
  settings: {
    stagingSchema: string;
    entities: readonly EntityName[];
    currentKeys: ReadonlyMap<EntityName, RowKeySpec>;
  },
): Promise<CheckLine[]> {
  const lines: CheckLine[] = [];
  for (const entity of settings.entities) {
    const staging = await relationInfo(pool, settings.stagingSchema, stagingTableName(entity));
    if (staging === null) continue;
    const spec = settings.currentKeys.get(entity) ?? ROW_KEYS[entity];
    const key = resolveRowKey(
      entity,
      staging.columns.map((c) => c.name),
      spec,
    );
    lines.push(
      key === null
        ? {
            check: 'current-keys',
            status: 'warn',
            entity,
            message: `no current-state view: none of its key candidates (${describeCandidates(spec)}) is in ${settings.stagingSchema}.${stagingTableName(entity)}`,
            remedy: `set REPORTING_CURRENT_KEYS=${entity}=<key header>[+<header>]@<last-updated header> (cxone-etl schema --entity ${entity} lists its columns)`,
          }
        : {
            check: 'current-keys',
            status: 'ok',
            entity,
            message: `current-state view keyed by ${key.key.join(' + ')}${key.version === undefined ? '' : `, latest ${key.version} wins`}`,
          },
    );
  }
  return lines;
}
