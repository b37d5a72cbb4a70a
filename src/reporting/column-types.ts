/**
 * Deciding each view column's type once, then keeping it (dlt's schema contracts are the model: new
 * columns evolve, types freeze). On a column's first loads: the type hint when one matches the header
 * (tolerantly), else the name rule for identifiers (namePrior), else the type a sample of its values
 * reads as (inference.ts), once there are enough values. The decision is recorded in
 * cxone_etl.column_types and the view casts by it from then on; a later value that does not cast reads
 * NULL and is counted as a cast problem, and the column's type does not change.
 */
import { stagingTableName, type EntityName } from '../entities/catalog.js';
import { hintFor, namePrior, type ColumnType } from '../entities/type-hints.js';
import type { Queryable } from '../db/pool.js';
import type { CastTarget } from './cast-sql.js';
import { zoneOf } from './cast-sql.js';
import { sampleColumns } from './column-sample.repository.js';
import {
  insertColumnTypes,
  readColumnTypes,
  type ColumnTypeRecord,
  type TypeScope,
} from './column-types.repository.js';
import { inferType } from './inference.js';

/** Rows sampled to learn new columns' types: as `cxone-etl schema` samples. */
export const LEARN_SAMPLE_ROWS = 5000;

export interface DecideInput extends TypeScope {
  /** WFM_TIMEZONE (zoneOf): where the sample's timestamps are read. */
  timeZone: string;
  /** The staging table's data columns. */
  columns: readonly string[];
  now: number;
}

/**
 * The recorded types of the entity, after recording a first decision for every column of `columns`
 * that has none and can be decided now. A column still undecided (fewer values than inference needs)
 * is absent from the result and reads as text until a later load decides it.
 */
export async function decideColumnTypes(
  db: Queryable,
  input: DecideInput,
): Promise<Map<string, ColumnTypeRecord>> {
  const scope = { stagingSchema: input.stagingSchema, entity: input.entity };
  const recorded = await readColumnTypes(db, scope);
  const undecided = input.columns.filter((c) => !recorded.has(c));
  if (undecided.length === 0) return recorded;
  const decided: Omit<ColumnTypeRecord, 'decidedAt'>[] = [];
  const toSample: string[] = [];
  for (const column of undecided) {
    const prior = hintFor(input.entity, column)?.type ?? namePrior(column);
    if (prior !== undefined) decided.push({ column, type: prior, origin: 'hint', learnedFrom: null });
    else toSample.push(column);
  }
  if (toSample.length > 0) {
    const sample = await sampleColumns(db, {
      schema: input.stagingSchema,
      table: stagingTableName(input.entity),
      entity: input.entity,
      names: toSample,
      zone: zoneOf(input.entity, input.timeZone),
      limit: LEARN_SAMPLE_ROWS,
    });
    for (const column of toSample) {
      const counts = sample.counts.get(column);
      const type = counts === undefined ? null : inferType(counts);
      if (counts !== undefined && type !== null) {
        decided.push({ column, type, origin: 'learned', learnedFrom: counts.nonEmpty });
      }
    }
  }
  if (decided.length === 0) return recorded;
  await insertColumnTypes(db, scope, decided, input.now);
  return readColumnTypes(db, scope);
}

/**
 * What a column casts to under its record: the recorded type, with the hint's to_timestamp template
 * when the type is the hint's own; text for a column not decided yet.
 */
export function castTargetOf(
  entity: EntityName,
  column: string,
  record: ColumnTypeRecord | undefined,
): CastTarget & { type: ColumnType } {
  if (record === undefined) return { type: 'text' };
  const hint = hintFor(entity, column);
  const format = hint?.type === record.type ? hint.format : undefined;
  return format === undefined ? { type: record.type } : { type: record.type, format };
}
