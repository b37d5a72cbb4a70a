/**
 * `cxone-etl schema --entity E`: the entity's staging columns, the type its reporting view gives each
 * and where it came from (hint, learned from N values, set by hand), what sampled values suggest, and
 * the current-state view's key. `--set column=type` records a type by hand and rebuilds the view.
 */
import type { Writable } from 'node:stream';
import type { Config } from '../config.js';
import type { Database } from '../db/open-database.js';
import type { EntityName } from '../entities/catalog.js';
import {
  describeSchema,
  refreshReportingViews,
  setColumnType,
  type ColumnDescription,
  type SchemaDescription,
} from '../reporting/index.js';
import { matchKey } from '../entities/column-names.js';
import { relationInfo } from '../reporting/relations.repository.js';
import { stagingTableName } from '../entities/catalog.js';
import { PG_TYPE_NAMES } from '../reporting/cast-sql.js';
import { stagingColumnName, type ColumnType } from '../entities/type-hints.js';
import { EtlError } from '../lib/errors.js';
import { entityPolicy } from '../load/index.js';
import { formatTable } from './format-table.js';

export interface SchemaCommandDeps {
  db: Database;
  /** `privacy` for the policy column; without it every column shows `keep`. */
  config: Pick<Config, 'stagingSchema' | 'reportingSchema' | 'wfmTimeZone' | 'currentKeys'> & {
    privacy?: Pick<Config['privacy'], 'columnPolicy'>;
  };
  out: Writable;
  /** For when a type was set by hand; default Date.now(). */
  now?: () => number;
}

const VIEW_STATES: Record<SchemaDescription['viewState'], string> = {
  missing: 'not created yet: the next load creates it (or run with --refresh)',
  current: 'up to date',
  stale: 'out of date: the next load rebuilds it (or run with --refresh)',
  'not-a-view': 'is NOT a view: rename it or set REPORTING_SCHEMA',
};

export async function schemaCommand(
  deps: SchemaCommandDeps,
  opts: { entity: EntityName; json?: boolean; refresh?: boolean; set?: string },
): Promise<number> {
  const settings = {
    stagingSchema: deps.config.stagingSchema,
    reportingSchema: deps.config.reportingSchema,
    timeZone: deps.config.wfmTimeZone,
    currentKeys: deps.config.currentKeys,
  };
  if (opts.set !== undefined) {
    const { column, type } = await parseSet(deps, opts.entity, opts.set);
    const now = deps.now?.() ?? Date.now();
    await setColumnType(deps.db.pool, { ...settings, entity: opts.entity }, column, type, now);
    deps.out.write(`${opts.entity}: ${column} is now ${type} (set by hand); rebuilding the view\n`);
  }
  if (opts.refresh || opts.set !== undefined) {
    await refreshReportingViews(deps.db.pool, { ...settings, entities: [opts.entity] });
  }
  const d = await describeSchema(deps.db.pool, {
    ...settings,
    entity: opts.entity,
    currentKey: deps.config.currentKeys.get(opts.entity),
  });
  // COLUMN_POLICY per column (docs/OPERATIONS.md, "Personal data"): hash, drop, or kept as sent.
  const policy = entityPolicy(deps.config.privacy?.columnPolicy ?? [], opts.entity);
  const policyOf = (column: string): string => policy.get(column) ?? 'keep';
  if (opts.json) {
    const columns = d.columns.map((c) => ({ ...c, policy: policyOf(c.name) }));
    deps.out.write(
      `${JSON.stringify({ ...d, columns, columnPolicy: Object.fromEntries(policy) }, null, 2)}\n`,
    );
    return 0;
  }
  deps.out.write(
    `${d.entity}\n  staging: ${d.stagingTable}${d.tableExists ? '' : ' (not loaded yet)'}\n` +
      `  view:    ${d.view} (${VIEW_STATES[d.viewState]})\n` +
      `  current: ${currentLine(d)}\n` +
      `  plus, in the view, the load's _tenant_id, _window_start, _window_end, _job_id, _loaded_at and _load_id\n` +
      (d.tableExists ? `  sample:  ${d.sampledRows.toLocaleString('en-US')} rows\n\n` : '\n'),
  );
  deps.out.write(
    formatTable(
      [
        'column',
        'view type',
        'type from',
        'hint',
        'sample suggests',
        'values',
        'failed',
        'policy',
        'meaning',
      ],
      d.columns.map((c) => [
        c.present ? c.name : `${c.name} (not seen yet)`,
        c.viewType,
        originText(c),
        c.hint === null ? '-' : c.source === 'contract' ? `${c.hint} (contract)` : c.hint,
        c.inferred ?? '-',
        String(c.nonEmpty),
        c.failed === null ? '-' : String(c.failed),
        policyOf(c.name),
        c.meaning ?? '',
      ]),
    ),
  );
  const dropped = [...policy].filter(([, action]) => action === 'drop').map(([column]) => column);
  if (dropped.length > 0) deps.out.write(`dropped by COLUMN_POLICY (never loaded): ${dropped.join(', ')}\n`);
  const suggestions = d.columns.filter(
    (c) => c.present && c.inferred !== null && c.inferred !== c.viewType && c.origin !== 'manual',
  );
  for (const c of suggestions) {
    deps.out.write(
      `${c.name} is ${c.viewType} but reads as ${c.inferred} in the sample; ` +
        `to change it: cxone-etl schema --entity ${d.entity} --set ${c.name}=${c.inferred}\n`,
    );
  }
  const failing = d.columns.filter((c) => (c.failed ?? 0) > 0);
  for (const c of failing) {
    deps.out.write(
      `cast problems: ${c.failed} sampled values of ${c.name} do not read as ${c.viewType} (NULL in the view)\n`,
    );
  }
  return 0;
}

function currentLine(d: SchemaDescription): string {
  if (d.currentKey !== null) {
    const version = d.currentKey.version === null ? '' : `, latest ${d.currentKey.version} wins`;
    return `${d.view}_current, one row per tenant and ${d.currentKey.columns.join(' + ')}${version}`;
  }
  return (
    `NO current-state view: no key candidate matches the columns (tried ${d.keyCandidates}); ` +
    `set the key in REPORTING_CURRENT_KEYS, e.g. ${d.entity}=<key header>@<last-updated header>`
  );
}

function originText(c: ColumnDescription): string {
  if (c.origin === null) return c.present ? 'undecided (text)' : '-';
  if (c.origin === 'learned') return `learned from ${c.learnedFrom ?? 0} values`;
  return c.origin === 'manual' ? 'set by hand' : 'hint';
}

const TYPES = Object.keys(PG_TYPE_NAMES) as ColumnType[];

/** `column=type`: the column matched tolerantly among the staging table's, the type one of TYPES. */
async function parseSet(
  deps: SchemaCommandDeps,
  entity: EntityName,
  text: string,
): Promise<{ column: string; type: ColumnType }> {
  const eq = text.lastIndexOf('=');
  const name = text.slice(0, Math.max(0, eq)).trim();
  const type = text.slice(eq + 1).trim() as ColumnType;
  if (eq <= 0 || !TYPES.includes(type)) {
    throw new EtlError(
      'CONFIG',
      `--set: expected column=type with a type of ${TYPES.join(', ')}, got ${text}`,
    );
  }
  const staging = await relationInfo(deps.db.pool, deps.config.stagingSchema, stagingTableName(entity));
  const key = matchKey(stagingColumnName(name));
  const column = staging?.columns.find((c) => !c.name.startsWith('_') && matchKey(c.name) === key)?.name;
  if (column === undefined) {
    throw new EtlError(
      'CONFIG',
      `--set: ${entity} has no column ${JSON.stringify(name)} in ${deps.config.stagingSchema} yet; ` +
        'run `cxone-etl schema --entity ' +
        entity +
        '` to see its columns',
    );
  }
  return { column, type };
}
