/**
 * `cxone-etl schema --entity E`: the entity's staging columns, the type its reporting view gives each,
 * and what sampled values suggest for columns without a type hint.
 */
import type { Writable } from 'node:stream';
import type { Config } from '../config.js';
import type { Database } from '../db/open-database.js';
import type { EntityName } from '../entities/catalog.js';
import { entityPolicy } from '../load/index.js';
import { describeSchema, refreshReportingViews, type SchemaDescription } from '../reporting/index.js';
import { formatTable } from './format-table.js';

export interface SchemaCommandDeps {
  db: Database;
  /** `privacy` for the policy column; without it every column shows `keep`. */
  config: Pick<Config, 'stagingSchema' | 'reportingSchema' | 'wfmTimeZone'> & {
    privacy?: Pick<Config['privacy'], 'columnPolicy'>;
  };
  out: Writable;
}

const VIEW_STATES: Record<SchemaDescription['viewState'], string> = {
  missing: 'not created yet: the next load creates it (or run with --refresh)',
  current: 'up to date',
  stale: 'out of date: the next load rebuilds it (or run with --refresh)',
  'not-a-view': 'is NOT a view: rename it or set REPORTING_SCHEMA',
};

export async function schemaCommand(
  deps: SchemaCommandDeps,
  opts: { entity: EntityName; json?: boolean; refresh?: boolean },
): Promise<number> {
  const settings = {
    stagingSchema: deps.config.stagingSchema,
    reportingSchema: deps.config.reportingSchema,
    timeZone: deps.config.wfmTimeZone,
  };
  if (opts.refresh) await refreshReportingViews(deps.db.pool, { ...settings, entities: [opts.entity] });
  const d = await describeSchema(deps.db.pool, { ...settings, entity: opts.entity });
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
      `  plus, in the view, the load's _tenant_id, _window_start, _window_end, _job_id, _loaded_at and _load_id\n` +
      (d.tableExists ? `  sample:  ${d.sampledRows.toLocaleString('en-US')} rows\n\n` : '\n'),
  );
  deps.out.write(
    formatTable(
      ['column', 'view type', 'hint', 'sample suggests', 'values', 'failed', 'policy', 'meaning'],
      d.columns.map((c) => [
        c.present ? c.name : `${c.name} (not seen yet)`,
        c.viewType,
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
    (c) => c.hint === null && c.inferred !== null && c.inferred !== 'text',
  );
  for (const c of suggestions) {
    deps.out.write(
      `no hint: ${c.name} reads as ${c.inferred} in the sample; add it to src/entities/type-hints.ts\n`,
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
