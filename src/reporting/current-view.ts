/**
 * `{REPORTING_SCHEMA}.{table}_current`: one row per (tenant, row key), the one from the latest window
 * (ties: the latest load; within a load, the latest version column), over the typed view, so it is
 * typed like it. The key and version column are the first of the entity's candidates the columns
 * carry (src/entities/row-keys.ts), or the REPORTING_CURRENT_KEYS override. Staging keeps every window's
 * rows (a re-scored evaluation comes back in a later window under the same id); dashboards that count
 * things want each thing once, as Airbyte's deduped tables and dlt's merge give them. Rows with no key
 * (empty or absent) have no identity across windows and are left out of it; the main view has them.
 *
 * Built and rebuilt by view-builder.ts right after the main view, in the same transaction, with the
 * same fingerprint scheme: nothing to do when the main view did not change.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import type { EntityName } from '../entities/catalog.js';
import { resolveRowKey, type RowKeySpec } from '../entities/row-keys.js';
import { EtlError } from '../lib/errors.js';
import type { Queryable } from '../db/pool.js';
import { qualifiedName, relationInfo } from './relations.repository.js';
import { fingerprintOf, type ViewAction } from './view-plan.js';
import { commentOnView, createView, dropView, dropViewIfExists } from './views.repository.js';

export const CURRENT_SUFFIX = '_current';

export interface CurrentViewPlan {
  select: string;
  fingerprint: string;
}

/**
 * The current view over the main view `{schema}.{table}` with `columns`, or null when no key
 * candidate of `spec` (default: the entity's) matches its columns.
 */
export function planCurrentView(
  entity: EntityName,
  main: { schema: string; table: string; columns: readonly string[] },
  spec?: RowKeySpec,
): CurrentViewPlan | null {
  const resolved = resolveRowKey(entity, main.columns, spec);
  if (resolved === null) return null;
  const id = (c: string): string => `v.${pg.escapeIdentifier(c)}`;
  const keys = resolved.key.map(id);
  // Within a load, the latest version of the record, when the file has a version column.
  const within = resolved.version === undefined ? '' : `, ${id(resolved.version)} DESC NULLS LAST`;
  // A key part that is empty has no identity across windows (::text: a key column may be typed).
  const present = keys.map((k) => `${k} IS NOT NULL AND ${k}::text <> ''`).join(' AND ');
  const select =
    `SELECT DISTINCT ON (v._tenant_id, ${keys.join(', ')}) ${main.columns.map(id).join(', ')} ` +
    `FROM ${qualifiedName(main.schema, main.table)} v ` +
    `WHERE ${present} ` +
    `ORDER BY v._tenant_id, ${keys.join(', ')}, v._window_start DESC, v._load_id DESC${within}`;
  const fingerprint = createHash('sha256').update(select, 'utf8').digest('hex').slice(0, 16);
  return { select, fingerprint };
}

export function currentViewComment(mainView: string, fingerprint: string): string {
  return (
    `Current state over ${mainView}, maintained by cxone-etl: one row per tenant and row key, from the ` +
    `latest window (ties: the latest load, then the latest version column); do not edit (see docs/REPORTING.md). fingerprint=${fingerprint}`
  );
}

/**
 * Brings the current view in line with the main view (call it under the reporting DDL lock, after
 * the main view is current). `null` when the entity has no key column yet.
 */
export async function refreshCurrentView(
  client: Queryable,
  input: { reportingSchema: string; entity: EntityName; table: string; key?: RowKeySpec | undefined },
): Promise<ViewAction | null> {
  const main = await relationInfo(client, input.reportingSchema, input.table);
  if (main === null) return null;
  const plan = planCurrentView(
    input.entity,
    { schema: input.reportingSchema, table: input.table, columns: main.columns.map((c) => c.name) },
    input.key,
  );
  if (plan === null) return null;
  const name = `${input.table}${CURRENT_SUFFIX}`;
  const live = await relationInfo(client, input.reportingSchema, name);
  if (live !== null && live.kind !== 'v') {
    throw new EtlError(
      'CONFIG',
      `${input.reportingSchema}.${name} exists and is not a view: rename or drop it, or set REPORTING_SCHEMA to another schema`,
    );
  }
  if (live !== null && fingerprintOf(live.comment) === plan.fingerprint) return 'unchanged';
  const target = qualifiedName(input.reportingSchema, name);
  // Its columns are the main view's, so it can be replaced in place exactly when the main view was.
  const inPlace =
    live !== null &&
    live.columns.every((c, i) => c.name === main.columns[i]?.name && c.type === main.columns[i]?.type);
  if (live !== null && !inPlace) await dropView(client, target);
  await createView(client, target, plan.select, { orReplace: inPlace });
  const comment = currentViewComment(`${input.reportingSchema}.${input.table}`, plan.fingerprint);
  await commentOnView(client, target, comment);
  return live === null ? 'created' : inPlace ? 'replaced' : 'recreated';
}

/** Drops the current view before its main view is dropped (a view cannot go while another reads it). */
export async function dropCurrentView(
  client: Queryable,
  input: { reportingSchema: string; table: string },
): Promise<void> {
  await dropViewIfExists(client, qualifiedName(input.reportingSchema, `${input.table}${CURRENT_SUFFIX}`));
}
