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

/**
 * qm-workflows: version 3 exactly as the Singer tap for NICE inContact lists it (docs/API.md, "CSV
 * files": its schema rejects any other column, so the list is the whole v3 file; header text rebuilt
 * from the tap's camelCase keys), then the columns of version 4 (the current one), ASSUMED additions.
 */
export const QM_WORKFLOW_COLUMNS = [
  'Tenant Name',
  'Agent ID',
  'Type',
  'Evaluation Flow Trigger',
  'Workflow Status',
  'Auto Acknowledged',
  'Workflow State',
  'Workflow ID',
  'Plan Name',
  'Form Name',
  'Form Version',
  'Start Date',
  'Submission Date',
  'Last Updated',
  'Score Percentage',
  'Score',
  'Maximum Possible Score',
  'Rank',
  'Failed Critical Question',
  'User Review Comments',
  'Dispute Resolver Comments',
  'Segment ID',
  'ACD ID',
  'Interaction Type',
  'Interaction Start Date',
  'Interaction End Date',
  'Interaction Direction',
  'Team ID',
  'Team Name',
  'Phone Number',
  'Firstname Eva',
  'Lastname Eva',
  'Firstname Agent',
  'Lastname Agent',
  'Firstname Disp',
  'Lastname Disp',
  'Firstname Assigner',
  'Lastname Assigner',
  // Version 4 (ASSUMED additions).
  'Form ID',
  'Auto QM Score',
  'Evaluator Role',
  'Acknowledged Date',
] as const;

/**
 * qm-questions: version 1 as the Singer tap lists it (the same evidence; `evaluationScore%` becomes
 * `Evaluation Score %`, `workflowinstanceId` `Workflow Instance ID`), then version 2's ASSUMED additions.
 */
export const QM_QUESTION_COLUMNS = [
  'Actual Score',
  'Answer',
  'Question ID',
  'Question Title',
  'Question Number',
  'Options',
  'Form ID',
  'Form Name',
  'Form Version',
  'Evaluation Score %',
  'Evaluation Start Date',
  'Evaluation Submission Date',
  'Workflow Type',
  'Section ID',
  'Section Title',
  'Section Score %',
  'Max Score',
  'Agent ID',
  'Firstname Agent',
  'Lastname Agent',
  'Team ID',
  'Team Name',
  'Firstname Eva',
  'Lastname Eva',
  'Critical',
  'Failed Critical Question',
  'Mandatory',
  'Scorable',
  'Question Type',
  'Segment ID',
  'Interaction Start Date',
  'Interaction End Date',
  'Workflow Instance ID',
  'Bank ID',
  // Version 2 (ASSUMED additions).
  'Last Updated',
  'AI Suggested Answer',
  'Question Comment',
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

/** QM versions the simulator accepts by default: the tap's (docs/API.md, "CSV files") and the current one. */
export const QM_WORKFLOW_VERSIONS: readonly string[] = Object.freeze(['3', '4']);
export const QM_QUESTION_VERSIONS: readonly string[] = Object.freeze(['1', '2']);

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
    // The tap's v3 and v1 lists are whole files, so the drift column belongs to the later version only.
    'qm-workflows': { 'Form ID': 4, 'Evaluator Role': 4, 'Acknowledged Date': 4, 'Auto QM Score': 4 },
    'qm-questions': { 'Last Updated': 2, 'Question Comment': 2, 'AI Suggested Answer': 2 },
  };

/** Whether a version of the entity's export has the column (an unknown or non-numeric version: all). */
export function columnInVersion(entity: EntityName, column: string, version: string | undefined): boolean {
  const since = COLUMNS_SINCE_VERSION[entity]?.[column];
  if (since === undefined || version === undefined || !/^\d+$/.test(version)) return true;
  return Number(version) >= since;
}

/**
 * A column that tells rows apart within one file, for tests that compare row multisets downstream
 * (qm-questions rows are told apart by Workflow Instance ID with Question ID; Question ID alone repeats).
 */
export const KEY_COLUMNS: Readonly<Record<EntityName, string>> = {
  'recording-interaction-metadata': 'Segment ID',
  'qm-workflows': 'Workflow ID',
  'qm-questions': 'Workflow Instance ID',
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
