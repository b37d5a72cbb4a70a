/**
 * COLUMN_POLICY's `drop` reaches data loaded before the rule: the load that first applies it removes
 * the column from the staging table (with every value it held) and the typed views are built again
 * without it. Runs in the load transaction, in the reporting step's savepoint: a user's view that
 * reads our view makes it fail (2BP01), the column stays, and the step's error says why.
 */
import { stagingTableName, type EntityName } from '../entities/catalog.js';
import type { Queryable } from '../db/pool.js';
import { dropStagingColumns } from '../load/index.js';
import { dropCurrentView } from './current-view.js';
import { lockReportingDdl, qualifiedName, relationInfo } from './relations.repository.js';
import { dropViewIfExists } from './views.repository.js';

export interface PolicyColumnsInput {
  stagingSchema: string;
  reportingSchema: string;
  entity: EntityName;
  /** Staging columns the policy drops for the entity. */
  dropped: readonly string[];
}

/** Drops the views over the table and the columns; returns the columns that were there. */
export async function dropPolicyColumns(client: Queryable, input: PolicyColumnsInput): Promise<string[]> {
  if (input.dropped.length === 0) return [];
  const table = stagingTableName(input.entity);
  const staging = await relationInfo(client, input.stagingSchema, table);
  const present = input.dropped.filter((c) => staging?.columns.some((live) => live.name === c));
  if (present.length === 0) return [];
  await lockReportingDdl(client, `${input.reportingSchema}.${table}`);
  await dropCurrentView(client, { reportingSchema: input.reportingSchema, table });
  // RESTRICT (the default): CASCADE would silently drop views users built on ours.
  await dropViewIfExists(client, qualifiedName(input.reportingSchema, table));
  await dropStagingColumns(client, { schema: input.stagingSchema, table, columns: present });
  return present;
}
