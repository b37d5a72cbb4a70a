/**
 * A window's rows: every slot that can hold a row timestamped inside [startMs, endMs) is generated
 * whole and filtered row by row. Nothing about a row depends on the window, so splitting a window
 * anywhere yields the same rows in total ("[a, c) = [a, b) + [b, c)").
 */
import type { EntityName } from '../../entities/catalog.js';
import { columnInVersion } from './columns.js';
import { payrollGenerator } from './payroll-rows.js';
import { qmCommentGenerator, qmQuestionGenerator, qmWorkflowGenerator } from './qm-rows.js';
import { recordingGenerator } from './recording-rows.js';
import type { EntityGenerator, GeneratedRow } from './entity-generator.js';
import { parseUtcDate } from './format.js';
import { fmix32, mix, unitFromHash } from './prng.js';
import { tenantPool } from './tenant-pool.js';
import type { CsvSpec } from './spec.js';

interface Shape {
  generator: EntityGenerator;
  driftIndex: number;
  /** Whether the header carries the drift column. */
  withDrift: boolean;
  /** Rows before this instant leave the drift column empty. */
  driftMs: number;
  /** Positions (in the full list) a file of this version keeps, when it drops more than the drift column. */
  keep: readonly number[] | undefined;
}

function shapeOf(spec: CsvSpec): Shape {
  if (!Number.isFinite(spec.startMs) || !Number.isFinite(spec.endMs) || spec.startMs > spec.endMs) {
    throw new RangeError(`CSV window must be finite with start <= end, got [${spec.startMs}, ${spec.endMs})`);
  }
  const generator = GENERATORS[spec.entity];
  if (!generator) throw new RangeError(`no CSV generator for entity ${JSON.stringify(spec.entity)}`);
  const driftMs = spec.driftFromDate === undefined ? Infinity : parseUtcDate(spec.driftFromDate);
  const withDrift = spec.endMs > driftMs;
  const inVersion = generator.columns.map((name) => columnInVersion(spec.entity, name, spec.version));
  const keep = inVersion.every(Boolean)
    ? undefined
    : generator.columns.flatMap((name, i) =>
        inVersion[i] && (withDrift || name !== generator.driftColumn) ? [i] : [],
      );
  return {
    generator,
    driftIndex: generator.columns.indexOf(generator.driftColumn),
    withDrift,
    driftMs,
    keep,
  };
}

export function csvHeader(spec: CsvSpec): string[] {
  const { generator, withDrift, keep } = shapeOf(spec);
  if (keep) return keep.map((i) => generator.columns[i] as string);
  return generator.columns.filter((name) => withDrift || name !== generator.driftColumn);
}

export function* csvRows(spec: CsvSpec): Generator<string[]> {
  const shape = shapeOf(spec);
  const { generator } = shape;
  const pool = tenantPool(spec.tenantId);
  const rowsPerDay = spec.rowsPerDay ?? generator.defaultRowsPerDay;
  const lateMax = Math.max(0, spec.lateArrivalMaxMs ?? 0);
  const first = Math.floor((spec.startMs - generator.spillMs) / generator.slotMs);
  // A slot that starts after "now" holds only future rows, which do not exist yet.
  const end = Math.min(spec.endMs, spec.nowMs + 1);
  for (let slot = first; slot * generator.slotMs < end; slot++) {
    for (const row of generator.slotRows(pool, slot, rowsPerDay)) {
      if (row.ts < spec.startMs || row.ts >= spec.endMs) continue;
      if (visibleAt(row, lateMax) > spec.nowMs) continue;
      yield project(shape, row.values, row.ts);
    }
  }
}

/** When a row shows up in exports: its timestamp plus a per-row delay in [0, lateMax]. */
function visibleAt(row: GeneratedRow, lateMax: number): number {
  if (lateMax === 0) return row.ts;
  return row.ts + Math.floor(unitFromHash(fmix32(mix(row.seed, 0x1a7e))) * (lateMax + 1));
}

/** Keeps the version's columns; drops the drift column before the drift date's files, or empties it for rows before the date. */
function project(shape: Shape, values: string[], ts: number): string[] {
  if (shape.withDrift && ts < shape.driftMs) values[shape.driftIndex] = '';
  if (shape.keep) return shape.keep.map((i) => values[i] as string);
  if (!shape.withDrift) values.splice(shape.driftIndex, 1);
  return values;
}

/** Entity name -> its generator: a new entity is one line here. */
export const GENERATORS: Readonly<Record<EntityName, EntityGenerator>> = {
  'recording-interaction-metadata': recordingGenerator,
  'qm-workflows': qmWorkflowGenerator,
  'qm-questions': qmQuestionGenerator,
  'qm-evaluation-comment-entity': qmCommentGenerator,
  'wfm-payroll': payrollGenerator,
};
