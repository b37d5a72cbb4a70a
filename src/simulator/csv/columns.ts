/**
 * Column lists per entity, in file order. The real lists are not public (docs/API.md, "CSV files"):
 * only the recording headers marked "contract" are confirmed; the rest are plausible names in the same
 * human-readable style. Each list contains its drift column (see DRIFT_COLUMNS), which a file only
 * shows when its window reaches the drift date; it sits mid-list on purpose, so a loader that maps
 * columns by position instead of by header name breaks in tests.
 */
import type { EntityName } from '../../entities/catalog.js';

export const RECORDING_COLUMNS = [
  'ACD Call ID', // contract
  'Segment ID', // contract
  'Segment Number',
  'Start Date', // contract
  'End Date',
  'Duration',
  'Direction',
  'Media Type',
  'Voice Recording Status', // contract
  'Screen Recording Status',
  'Recording ID',
  'Agent 1 ACD ID', // contract
  'Agent 1 Name', // contract
  'Agent 1 Team', // contract
  'Agent 1 Skills', // contract
  'Agent 1 Contact Number', // contract
  'Agent 2 ACD ID',
  'Agent 2 Name',
  'Agent 2 Team',
  'Agent 2 Skills',
  'Agent 2 Contact Number',
  'ANI', // contract
  'DNIS', // contract
  'Skill Name',
  'Skill ID',
  'Campaign',
  'Point of Contact',
  'Disposition', // contract
  'Hold Time',
  'Hold Count',
  'Customer Name',
  'Language',
  'Sentiment Score',
  'Tags',
  'Agent Notes',
] as const;

export const QM_WORKFLOW_COLUMNS = [
  'Evaluation ID',
  'Workflow ID',
  'Workflow Name',
  'Form ID',
  'Form Name',
  'Evaluation Status',
  'Submission Date',
  'Assigned Date',
  'Due Date',
  'Interaction Date',
  'ACD Call ID',
  'Channel',
  'Agent ID',
  'Agent Name',
  'Agent Team',
  'Evaluator ID',
  'Evaluator Name',
  'Evaluator Role',
  'Total Score',
  'Max Score',
  'Score Percentage',
  'Result',
  'Critical Failure',
  'Auto QM Score',
  'Acknowledged Date',
  'Dispute Status',
  'Evaluation Comment',
] as const;

export const QM_QUESTION_COLUMNS = [
  'Answer ID',
  'Evaluation ID',
  'Form ID',
  'Form Name',
  'Section Name',
  'Question ID',
  'Question Number',
  'Question Text',
  'Question Type',
  'Answer',
  'Score',
  'Max Score',
  'Weight',
  'Critical',
  'Not Applicable',
  'AI Suggested Answer',
  'Question Comment',
  'Agent ID',
  'Agent Name',
  'Evaluator ID',
  'Evaluator Name',
  'Submission Date',
  'Interaction Date',
  'ACD Call ID',
  'Evaluation Status',
] as const;

export const QM_COMMENT_COLUMNS = [
  'Comment ID',
  'Evaluation ID',
  'Form ID',
  'Form Name',
  'Question ID',
  'Question Text',
  'Comment Type',
  'Comment Author ID',
  'Comment Author Name',
  'Comment Author Role',
  'Comment Date',
  'Comment Text',
  'Comment Language',
  'Is Private',
  'Submission Date',
  'Agent ID',
  'Agent Name',
  'Agent Team',
  'Evaluator ID',
  'Evaluator Name',
  'ACD Call ID',
  'Evaluation Status',
] as const;

export const PAYROLL_COLUMNS = [
  'Payroll Entry ID',
  'Payroll Date',
  'Schedule Unit',
  'Schedule Unit ID',
  'Agent ID',
  'Employee ID',
  'Agent Name',
  'Agent Team',
  'Payroll Code',
  'Payroll Code Description',
  'Activity Name',
  'Start Time',
  'End Time',
  'Hours',
  'Paid',
  'Overtime',
  'Approval Status',
  'Approved By',
  'Cost Center',
  'Export Date',
  'Notes',
] as const;

export const ENTITY_COLUMNS: Readonly<Record<EntityName, readonly string[]>> = {
  'recording-interaction-metadata': RECORDING_COLUMNS,
  'qm-workflows': QM_WORKFLOW_COLUMNS,
  'qm-questions': QM_QUESTION_COLUMNS,
  'qm-evaluation-comment-entity': QM_COMMENT_COLUMNS,
  'wfm-payroll': PAYROLL_COLUMNS,
};

/** The column each entity gains on the drift date (CsvSpec.driftFromDate). */
export const DRIFT_COLUMNS: Readonly<Record<EntityName, string>> = {
  'recording-interaction-metadata': 'Sentiment Score',
  'qm-workflows': 'Auto QM Score',
  'qm-questions': 'AI Suggested Answer',
  'qm-evaluation-comment-entity': 'Comment Language',
  'wfm-payroll': 'Cost Center',
};

/**
 * Recording versions the simulator accepts by default: three of four public clients send "7" while the
 * help page says 10, so older versions evidently keep working (contract "Entities").
 */
export const RECORDING_VERSIONS: readonly string[] = Object.freeze(['7', '8', '9', '10']);

/**
 * The version that added each column, for the columns an older version lacks (none is public: a
 * plausible history). Contract columns are all in 7, since the clients that send 7 read them; the drift
 * and key columns are in every version, so drift and row-key tests do not depend on the version.
 */
export const COLUMNS_SINCE_VERSION: Readonly<Partial<Record<EntityName, Readonly<Record<string, number>>>>> =
  {
    'recording-interaction-metadata': {
      'Media Type': 8,
      'Screen Recording Status': 8,
      'Agent 2 ACD ID': 9,
      'Agent 2 Name': 9,
      'Agent 2 Team': 9,
      'Agent 2 Skills': 9,
      'Agent 2 Contact Number': 9,
      Language: 10,
      Tags: 10,
      'Agent Notes': 10,
    },
  };

/** Whether a version of the entity's export has the column (an unknown or non-numeric version: all). */
export function columnInVersion(entity: EntityName, column: string, version: string | undefined): boolean {
  const since = COLUMNS_SINCE_VERSION[entity]?.[column];
  if (since === undefined || version === undefined || !/^\d+$/.test(version)) return true;
  return Number(version) >= since;
}

/** The column (or value) that identifies a row, for tests that compare row multisets downstream. */
export const KEY_COLUMNS: Readonly<Record<EntityName, string>> = {
  'recording-interaction-metadata': 'Segment ID',
  'qm-workflows': 'Evaluation ID',
  'qm-questions': 'Answer ID',
  'qm-evaluation-comment-entity': 'Comment ID',
  'wfm-payroll': 'Payroll Entry ID',
};

export type ColumnIndex<T extends readonly string[]> = { readonly [K in T[number]]: number };

/** Name -> position, so builders write `row[C['ANI']]` and a reordered list cannot misalign them. */
export function indexColumns<T extends readonly string[]>(columns: T): ColumnIndex<T> {
  const index: Record<string, number> = {};
  columns.forEach((name, i) => (index[name] = i));
  return Object.freeze(index) as ColumnIndex<T>;
}
