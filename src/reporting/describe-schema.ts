/**
 * What `cxone-etl schema --entity E` shows: each staging column with the type the view gives it and
 * where that type came from (a hint, learned from N values, set by hand: cxone_etl.column_types), what
 * a sample of its values looks like (inference, and values the type's cast refuses), and the key of
 * the current-state view, or that there is none.
 */
import { stagingTableName, type EntityName } from '../entities/catalog.js';
import { matchKey } from '../entities/column-names.js';
import {
  hintFor,
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
import { describeCandidates, resolveRowKey, ROW_KEYS, type RowKeySpec } from '../entities/row-keys.js';
import { castTargetOf } from './column-types.js';
import { readColumnTypes, type ColumnTypeRecord, type TypeOrigin } from './column-types.repository.js';

export interface DescribeInput {
  stagingSchema: string;
  reportingSchema: string;
  entity: EntityName;
  timeZone: string;
  /** REPORTING_CURRENT_KEYS' entry for the entity, if any. */
  currentKey?: RowKeySpec | undefined;
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
  /** What the view gives the column: its recorded type, else text (not decided yet). */
  viewType: ColumnType;
  /** Where the recorded type came from; null while undecided. */
  origin: TypeOrigin | null;
  /** origin 'learned': from how many values. */
  learnedFrom: number | null;
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
  /** The current view's key and version columns, or null: no candidate matches (no `_current` view). */
  currentKey: { columns: string[]; version: string | null } | null;
  /** The candidates tried, in words, for the message when none matches. */
  keyCandidates: string;
}

/** Enough to see every form a column takes on a normal day, small enough to answer at once. */
const SAMPLE_ROWS = 5000;

export async function describeSchema(db: Queryable, input: DescribeInput): Promise<SchemaDescription> {
  const table = stagingTableName(input.entity);
  const zone = zoneOf(input.entity, input.timeZone);
  const staging = await relationInfo(db, input.stagingSchema, table);
  const view = await relationInfo(db, input.reportingSchema, table);
  const types = await readColumnTypes(db, input);
  const spec = input.currentKey ?? ROW_KEYS[input.entity];
  const base = {
    entity: input.entity,
    stagingTable: `${input.stagingSchema}.${table}`,
    view: `${input.reportingSchema}.${table}`,
    keyCandidates: describeCandidates(spec),
  };
  if (staging === null) {
    const columns = TYPE_HINTS[input.entity].map((h) =>
      describe(stagingColumnName(h.header), h, false, undefined, undefined),
    );
    return {
      ...base,
      tableExists: false,
      viewState: view === null ? 'missing' : 'stale',
      sampledRows: 0,
      columns,
      currentKey: null,
    };
  }
  const plan = planView(
    input.entity,
    { schema: input.stagingSchema, table, columns: staging.columns },
    zone,
    types,
  );
  const resolved = resolveRowKey(
    input.entity,
    staging.columns.map((c) => c.name),
    spec,
  );
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
    limit: SAMPLE_ROWS,
    targets: new Map(names.map((n) => [n, castTargetOf(input.entity, n, types.get(n))])),
  });
  const present = names.map((n) =>
    describe(n, hintFor(input.entity, n), true, sample.counts.get(n), types.get(n)),
  );
  const seen = new Set(names.map(matchKey));
  const absent = TYPE_HINTS[input.entity]
    .map((h) => ({ h, name: stagingColumnName(h.header) }))
    .filter(({ name }) => !seen.has(matchKey(name)))
    .map(({ h, name }) => describe(name, h, false, undefined, undefined));
  return {
    ...base,
    tableExists: true,
    viewState,
    sampledRows: sample.rows,
    columns: [...present, ...absent],
    currentKey: resolved === null ? null : { columns: resolved.key, version: resolved.version ?? null },
  };
}

function describe(
  name: string,
  hint: ColumnHint | undefined,
  present: boolean,
  counts: (ValueCounts & { failed: number | null }) | undefined,
  record: ColumnTypeRecord | undefined,
): ColumnDescription {
  return {
    name,
    header: hint?.header ?? null,
    present,
    hint: hint?.type ?? null,
    meaning: hint?.meaning ?? null,
    source: hint?.source ?? null,
    viewType: record?.type ?? 'text',
    origin: record?.origin ?? null,
    learnedFrom: record?.learnedFrom ?? null,
    inferred: counts ? inferType(counts) : null,
    nonEmpty: counts?.nonEmpty ?? 0,
    failed: counts?.failed ?? null,
  };
}
