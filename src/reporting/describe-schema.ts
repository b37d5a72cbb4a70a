/**
 * What `cxone-etl schema --entity E` shows: each staging column with its hint, the type the view
 * gives it, and what a sample of its values looks like (inference, and values the hint's cast refuses).
 */
import { stagingTableName, type EntityName } from '../entities/catalog.js';
import {
  hintsByColumn,
  stagingColumnName,
  TYPE_HINTS,
  type ColumnHint,
  type ColumnType,
} from '../entities/type-hints.js';
import { zoneOf } from './cast-sql.js';
import { sampleColumns } from './column-sample.repository.js';
import { inferType, type ValueCounts } from './inference.js';
import type { Queryable } from '../db/pool.js';
import { relationInfo } from './relations.repository.js';
import { fingerprintOf, planView } from './view-plan.js';

export interface DescribeInput {
  stagingSchema: string;
  reportingSchema: string;
  entity: EntityName;
  timeZone: string;
  /** Rows to sample; default DEFAULT_SAMPLE_ROWS. */
  sampleRows?: number;
}

export interface ColumnDescription {
  /** Staging (and view) column name. */
  name: string;
  header: string | null;
  /** In the staging table (a hinted column may not have been seen in any file yet). */
  present: boolean;
  hint: ColumnType | null;
  meaning: string | null;
  source: ColumnHint['source'] | null;
  /** What the view gives the column: the hint's type, else text. */
  viewType: ColumnType;
  /** What the sampled values suggest; null with too few values. */
  inferred: ColumnType | null;
  /** Non-empty values in the sample. */
  nonEmpty: number;
  /** Sampled values the hint's cast reads as NULL; null without a typed hint. */
  failed: number | null;
}

export type ViewState = 'missing' | 'current' | 'stale' | 'not-a-view';

export interface SchemaDescription {
  entity: EntityName;
  stagingTable: string;
  view: string;
  tableExists: boolean;
  /** `stale`: the next load (or `schema --refresh`) rebuilds it. */
  viewState: ViewState;
  sampledRows: number;
  columns: ColumnDescription[];
}

/** Enough to see every form a column takes on a normal day, small enough to answer at once. */
export const DEFAULT_SAMPLE_ROWS = 5000;

export async function describeSchema(db: Queryable, input: DescribeInput): Promise<SchemaDescription> {
  const table = stagingTableName(input.entity);
  const zone = zoneOf(input.entity, input.timeZone);
  const hints = hintsByColumn(input.entity);
  const staging = await relationInfo(db, input.stagingSchema, table);
  const view = await relationInfo(db, input.reportingSchema, table);
  const base = {
    entity: input.entity,
    stagingTable: `${input.stagingSchema}.${table}`,
    view: `${input.reportingSchema}.${table}`,
  };
  if (staging === null) {
    const columns = TYPE_HINTS[input.entity].map((h) =>
      describe(stagingColumnName(h.header), h, false, undefined),
    );
    return {
      ...base,
      tableExists: false,
      viewState: view === null ? 'missing' : 'stale',
      sampledRows: 0,
      columns,
    };
  }
  const plan = planView(input.entity, { schema: input.stagingSchema, table, columns: staging.columns }, zone);
  const viewState: ViewState =
    view === null
      ? 'missing'
      : view.kind !== 'v'
        ? 'not-a-view'
        : fingerprintOf(view.comment) === plan.fingerprint
          ? 'current'
          : 'stale';
  const names = staging.columns.map((c) => c.name).filter((n) => !n.startsWith('_'));
  const sample = await sampleColumns(db, {
    schema: input.stagingSchema,
    table,
    entity: input.entity,
    names,
    zone,
    limit: input.sampleRows ?? DEFAULT_SAMPLE_ROWS,
  });
  const present = names.map((n) => describe(n, hints.get(n), true, sample.counts.get(n)));
  const absent = TYPE_HINTS[input.entity]
    .map((h) => ({ h, name: stagingColumnName(h.header) }))
    .filter(({ name }) => !names.includes(name))
    .map(({ h, name }) => describe(name, h, false, undefined));
  return {
    ...base,
    tableExists: true,
    viewState,
    sampledRows: sample.rows,
    columns: [...present, ...absent],
  };
}

function describe(
  name: string,
  hint: ColumnHint | undefined,
  present: boolean,
  counts: (ValueCounts & { failed: number | null }) | undefined,
): ColumnDescription {
  return {
    name,
    header: hint?.header ?? null,
    present,
    hint: hint?.type ?? null,
    meaning: hint?.meaning ?? null,
    source: hint?.source ?? null,
    viewType: hint?.type ?? 'text',
    inferred: counts ? inferType(counts) : null,
    nonEmpty: counts?.nonEmpty ?? 0,
    failed: counts?.failed ?? null,
  };
}
