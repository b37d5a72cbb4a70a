/**
 * What identifies a row across windows, per entity, for the current-state views
 * (`{REPORTING_SCHEMA}.{table}_current`): an ordered list of key candidates, each a set of headers, and
 * an ordered list of version columns. A QM evaluation re-scored after a dispute is submitted again and
 * comes back in a later window under the same id; a call has one row per segment. The first candidate
 * whose columns the file has wins; headers match tolerantly (matchKey), so another spelling of the same
 * header still finds its key. Where no candidate matches there is no current view until the key is set
 * in REPORTING_CURRENT_KEYS. Sources (docs/API.md, "CSV files"): the Singer tap for the QM lists, the
 * public recording clients; the rest are the simulator's headers (ASSUMED).
 */
import type { EntityName } from './catalog.js';
import { matchKey } from './column-names.js';
import { stagingColumnName } from './type-hints.js';

export interface RowKeySpec {
  /** Key candidates in order of preference, each a list of headers. */
  readonly candidates: readonly (readonly string[])[];
  /** Within one window and load, the row with the latest of the first present column is current. */
  readonly versions: readonly string[];
}

export const ROW_KEYS: Readonly<Record<EntityName, RowKeySpec>> = Object.freeze({
  // CONFIRMED: one call has one row per segment, so the call id alone is not a key.
  'recording-interaction-metadata': {
    candidates: [
      ['ACD Call ID', 'Segment ID'],
      ['Contact ID', 'Segment ID'],
      ['Segment ID'],
      ['ACD Call ID'],
      ['Contact ID'],
    ],
    versions: ['End Date', 'Start Date'],
  },
  // The tap keys a workflow by its id (with start date and last-updated time, which change on re-scoring).
  'qm-workflows': {
    candidates: [['Workflow ID'], ['Evaluation ID']],
    versions: ['Last Updated', 'Submission Date'],
  },
  // The tap's questions carry the workflow instance id and the question id.
  'qm-questions': {
    candidates: [
      ['Workflow Instance ID', 'Question ID'],
      ['Workflow ID', 'Question ID'],
      ['Evaluation ID', 'Question ID'],
      ['Answer ID'],
    ],
    versions: ['Last Updated', 'Evaluation Submission Date', 'Submission Date'],
  },
  'qm-evaluation-comment-entity': {
    candidates: [['Comment ID']],
    versions: ['Last Updated', 'Comment Date', 'Submission Date'],
  },
  'wfm-payroll': {
    candidates: [['Payroll Entry ID']],
    versions: ['Last Updated', 'Export Date'],
  },
} satisfies Record<EntityName, RowKeySpec>);

export interface ResolvedRowKey {
  /** View column names of the key, in the candidate's order. */
  key: string[];
  /** View column ordering rows within a load, or undefined when the file has none of the versions. */
  version: string | undefined;
}

/**
 * The key (and version column) the columns carry: the first candidate of `spec` (default: the
 * entity's ROW_KEYS) all of whose headers match a column, or null.
 */
export function resolveRowKey(
  entity: EntityName,
  columns: readonly string[],
  spec: RowKeySpec = ROW_KEYS[entity],
): ResolvedRowKey | null {
  const byKey = new Map<string, string>();
  for (const c of columns) if (!byKey.has(matchKey(c))) byKey.set(matchKey(c), c);
  const find = (header: string): string | undefined => byKey.get(matchKey(stagingColumnName(header)));
  for (const candidate of spec.candidates) {
    const key = candidate.map(find);
    if (key.length > 0 && key.every((c) => c !== undefined)) {
      const version = spec.versions.map(find).find((c) => c !== undefined);
      return { key: key as string[], version };
    }
  }
  return null;
}

/** How the entity's key is described to operators: `Workflow ID`, or `ACD Call ID + Segment ID`. */
export function describeCandidates(spec: RowKeySpec): string {
  return spec.candidates.map((c) => c.join(' + ')).join(', or ');
}
