/**
 * Column types for the typed reporting views, one list per entity, beside the entity
 * definitions in catalog.ts. Staging keeps every column as text so a load never fails on a value; the
 * views in REPORTING_SCHEMA cast the columns listed here through the safe casts of
 * migrations/0004_reporting.sql. A column not listed stays text in the view (`cxone-etl schema` shows
 * what its sampled values look like, to decide whether it deserves a hint).
 *
 * Headers are written as the CSV writes them (the staging name comes from columnNamesFor). Only the
 * recording headers marked `contract` are confirmed by a public source (docs/API.md, "CSV files");
 * the rest follow the simulator's plausible headers (src/simulator/csv/columns.ts) and are checked
 * against them by test/unit/type-hints.test.ts. Identifiers stay text even when they look numeric:
 * a leading zero or a later letter must not turn into a cast problem or break a join.
 */
import { columnNamesFor } from './column-names.js';
import type { EntityName } from './catalog.js';

/**
 * What a view column becomes. `timestamptz` values are read in the entity's time basis (UTC, or the
 * schedule unit's zone for wfm-payroll) unless the text carries its own UTC offset.
 */
export type ColumnType = 'text' | 'timestamptz' | 'date' | 'numeric' | 'integer' | 'boolean' | 'interval';

export interface ColumnHint {
  /** The CSV header as the export writes it. */
  readonly header: string;
  readonly type: ColumnType;
  /** What the column holds, for docs/REPORTING.md and `cxone-etl schema`. */
  readonly meaning: string;
  /** `contract`: a public source shows the header; `simulator`: plausible, not confirmed. */
  readonly source: 'contract' | 'simulator';
  /** timestamptz only: a to_timestamp template for exports that do not write ISO dates (slower cast). */
  readonly format?: string;
}

const hint = (
  header: string,
  type: ColumnType,
  meaning: string,
  source: ColumnHint['source'] = 'simulator',
): ColumnHint => ({ header, type, meaning, source });

const RECORDING_HINTS: readonly ColumnHint[] = [
  hint('ACD Call ID', 'text', 'Contact id of the call; one row per segment, so not a key alone', 'contract'),
  hint('Segment ID', 'text', 'Id of this segment (a transfer starts a new one); the row key', 'contract'),
  hint('Segment Number', 'integer', '1 for the first segment of the call, 2 after a transfer, ...'),
  hint('Start Date', 'timestamptz', 'Segment start (UTC); what the API filters the window on', 'contract'),
  hint('End Date', 'timestamptz', 'Segment end (UTC)'),
  hint('Duration', 'interval', 'Segment length, written hh:mm:ss'),
  hint('Direction', 'text', 'Inbound or Outbound'),
  hint('Media Type', 'text', 'Voice, Chat, Email, ...'),
  hint('Voice Recording Status', 'text', 'Whether the audio was recorded, e.g. Success', 'contract'),
  hint('Screen Recording Status', 'text', 'Whether the screen was recorded'),
  hint('Recording ID', 'text', 'Id of the recording file'),
  hint('Agent 1 ACD ID', 'text', 'ACD id of the agent who handled the segment', 'contract'),
  hint('Agent 1 Name', 'text', 'Name of that agent', 'contract'),
  hint('Agent 1 Team', 'text', "That agent's team", 'contract'),
  hint('Agent 1 Skills', 'text', "That agent's skills, as one text", 'contract'),
  hint(
    'Agent 1 Contact Number',
    'text',
    "CXone contact id of that agent's leg (joins other APIs)",
    'contract',
  ),
  hint('Agent 2 ACD ID', 'text', 'Second agent (conference or consult), if any'),
  hint('Agent 2 Name', 'text', 'Name of the second agent'),
  hint('Agent 2 Team', 'text', "The second agent's team"),
  hint('Agent 2 Skills', 'text', "The second agent's skills"),
  hint('Agent 2 Contact Number', 'text', "CXone contact id of the second agent's leg"),
  hint('ANI', 'text', 'Calling number (the customer on inbound calls)', 'contract'),
  hint('DNIS', 'text', 'Called number (the contact center line on inbound calls)', 'contract'),
  hint('Skill Name', 'text', 'ACD skill (queue) the contact came through'),
  hint('Skill ID', 'text', 'Id of that skill'),
  hint('Campaign', 'text', 'Campaign of the skill'),
  hint('Point of Contact', 'text', 'Entry point (phone number or address) the customer used'),
  hint('Disposition', 'text', 'Outcome the agent chose; Transferred on all but the last segment', 'contract'),
  hint('Hold Time', 'interval', 'Time on hold in the segment, hh:mm:ss'),
  hint('Hold Count', 'integer', 'Times the customer was put on hold'),
  hint('Customer Name', 'text', 'Customer, as known to the ACD'),
  hint('Language', 'text', 'Language of the interaction, e.g. ko-KR'),
  hint('Sentiment Score', 'numeric', 'Analytics sentiment from -1 (negative) to 1 (positive)'),
  hint('Tags', 'text', 'Tags set on the contact, as one text'),
  hint('Agent Notes', 'text', 'Free text the agent wrote'),
];

const QM_WORKFLOW_HINTS: readonly ColumnHint[] = [
  hint('Evaluation ID', 'text', 'Id of the evaluation; the row key'),
  hint('Workflow ID', 'text', 'Id of the QM workflow that produced the evaluation'),
  hint('Workflow Name', 'text', 'Standard Evaluation, Calibration, Self Evaluation, Dispute Review, ...'),
  hint('Form ID', 'text', 'Id of the evaluation form'),
  hint('Form Name', 'text', 'Name of the evaluation form'),
  hint('Evaluation Status', 'text', 'Completed, Acknowledged, Disputed, ...'),
  hint('Submission Date', 'timestamptz', 'When the evaluation was submitted (UTC); the API filters on it'),
  hint('Assigned Date', 'timestamptz', 'When it was assigned to the evaluator (UTC)'),
  hint('Due Date', 'timestamptz', 'When it was due (UTC)'),
  hint('Interaction Date', 'timestamptz', 'When the evaluated interaction happened (UTC)'),
  hint('ACD Call ID', 'text', 'Contact id of the evaluated interaction (joins to recordings)'),
  hint('Channel', 'text', 'Voice, Chat, Email, ...'),
  hint('Agent ID', 'text', 'ACD id of the evaluated agent'),
  hint('Agent Name', 'text', 'Name of the evaluated agent'),
  hint('Agent Team', 'text', "The evaluated agent's team"),
  hint('Evaluator ID', 'text', 'ACD id of the evaluator'),
  hint('Evaluator Name', 'text', 'Name of the evaluator'),
  hint('Evaluator Role', 'text', 'QA Analyst, Supervisor, Team Lead, ...'),
  hint('Total Score', 'numeric', 'Points scored on the applicable questions'),
  hint('Max Score', 'numeric', 'Points possible on the applicable questions'),
  hint('Score Percentage', 'numeric', 'Total Score / Max Score in percent (empty when Max Score is 0)'),
  hint('Result', 'text', 'Pass or Fail'),
  hint('Critical Failure', 'boolean', 'A critical question was failed (Yes/No)'),
  hint('Auto QM Score', 'numeric', 'Score suggested by automated QM, in percent'),
  hint(
    'Acknowledged Date',
    'timestamptz',
    'When the agent acknowledged the evaluation (UTC); empty if not yet',
  ),
  hint('Dispute Status', 'text', 'Open or Resolved when disputed; empty otherwise'),
  hint('Evaluation Comment', 'text', "The evaluator's overall comment"),
];

const QM_QUESTION_HINTS: readonly ColumnHint[] = [
  hint('Answer ID', 'text', 'Id of the answer (evaluation and question); the row key'),
  hint('Evaluation ID', 'text', 'Evaluation the answer belongs to (joins to qm_workflows)'),
  hint('Form ID', 'text', 'Id of the evaluation form'),
  hint('Form Name', 'text', 'Name of the evaluation form'),
  hint('Section Name', 'text', 'Section of the form holding the question'),
  hint('Question ID', 'text', 'Id of the question'),
  hint('Question Number', 'integer', 'Position of the question in the form'),
  hint('Question Text', 'text', 'The question as the form asks it'),
  hint('Question Type', 'text', 'Yes/No, Scale 1-5, Multiple Choice, ...'),
  hint('Answer', 'text', 'The answer given, in the form language; N/A when not applicable'),
  hint('Score', 'numeric', 'Points for this answer; empty when not applicable'),
  hint('Max Score', 'numeric', 'Points possible for the question'),
  hint('Weight', 'numeric', 'Weight of the question in the form'),
  hint('Critical', 'boolean', 'Failing this question fails the evaluation (Yes/No)'),
  hint('Not Applicable', 'boolean', 'The question was marked not applicable (Yes/No)'),
  hint('AI Suggested Answer', 'text', 'Answer suggested by automated QM, if any'),
  hint('Question Comment', 'text', "The evaluator's comment on this question"),
  hint('Agent ID', 'text', 'ACD id of the evaluated agent'),
  hint('Agent Name', 'text', 'Name of the evaluated agent'),
  hint('Evaluator ID', 'text', 'ACD id of the evaluator'),
  hint('Evaluator Name', 'text', 'Name of the evaluator'),
  hint('Submission Date', 'timestamptz', 'When the evaluation was submitted (UTC); the API filters on it'),
  hint('Interaction Date', 'timestamptz', 'When the evaluated interaction happened (UTC)'),
  hint('ACD Call ID', 'text', 'Contact id of the evaluated interaction'),
  hint('Evaluation Status', 'text', 'Completed, Acknowledged, Disputed, ...'),
];

const QM_COMMENT_HINTS: readonly ColumnHint[] = [
  hint('Comment ID', 'text', 'Id of the comment; the row key'),
  hint('Evaluation ID', 'text', 'Evaluation the comment belongs to (joins to qm_workflows)'),
  hint('Form ID', 'text', 'Id of the evaluation form'),
  hint('Form Name', 'text', 'Name of the evaluation form'),
  hint('Question ID', 'text', 'Question the comment is about; empty for a comment on the whole evaluation'),
  hint('Question Text', 'text', 'Text of that question'),
  hint('Comment Type', 'text', 'Evaluator, Agent, Calibration, ...'),
  hint('Comment Author ID', 'text', 'ACD id of the author'),
  hint('Comment Author Name', 'text', 'Name of the author'),
  hint('Comment Author Role', 'text', "The author's role (Agent, QA Analyst, ...)"),
  hint('Comment Date', 'timestamptz', 'When the comment was written (UTC)'),
  hint('Comment Text', 'text', 'The comment'),
  hint('Comment Language', 'text', 'Language of the comment, e.g. ko or en'),
  hint('Is Private', 'boolean', 'Visible to evaluators only (Yes/No)'),
  hint('Submission Date', 'timestamptz', 'When the evaluation was submitted (UTC); the API filters on it'),
  hint('Agent ID', 'text', 'ACD id of the evaluated agent'),
  hint('Agent Name', 'text', 'Name of the evaluated agent'),
  hint('Agent Team', 'text', "The evaluated agent's team"),
  hint('Evaluator ID', 'text', 'ACD id of the evaluator'),
  hint('Evaluator Name', 'text', 'Name of the evaluator'),
  hint('ACD Call ID', 'text', 'Contact id of the evaluated interaction'),
  hint('Evaluation Status', 'text', 'Completed, Acknowledged, Disputed, ...'),
];

const PAYROLL_HINTS: readonly ColumnHint[] = [
  hint('Payroll Entry ID', 'text', 'Id of the payroll entry; the row key'),
  hint('Payroll Date', 'date', "Payroll-code date in the schedule unit's zone; the API filters on it"),
  hint('Schedule Unit', 'text', 'WFM schedule unit of the agent'),
  hint('Schedule Unit ID', 'text', 'Id of that schedule unit'),
  hint('Agent ID', 'text', 'ACD id of the agent'),
  hint('Employee ID', 'text', "The agent's employee number (HR)"),
  hint('Agent Name', 'text', 'Name of the agent'),
  hint('Agent Team', 'text', "The agent's team"),
  hint('Payroll Code', 'text', 'REG, OT, BRK, PTO, ...'),
  hint('Payroll Code Description', 'text', 'What the payroll code means'),
  hint('Activity Name', 'text', 'Scheduled activity the time was spent on'),
  hint('Start Time', 'timestamptz', "Start of the entry, written in the schedule unit's zone"),
  hint('End Time', 'timestamptz', "End of the entry, written in the schedule unit's zone"),
  hint('Hours', 'numeric', 'Hours of the entry, decimal (7.50 = 7 h 30 min)'),
  hint('Paid', 'boolean', 'The hours are paid (Yes/No)'),
  hint('Overtime', 'boolean', 'The hours are overtime (Yes/No)'),
  hint('Approval Status', 'text', 'Approved, Pending or Rejected'),
  hint('Approved By', 'text', 'Who approved or rejected; empty while pending'),
  hint('Cost Center', 'text', 'Cost center the hours are booked to'),
  hint('Export Date', 'timestamptz', "When WFM exported the entry, in the schedule unit's zone (ASSUMED)"),
  hint('Notes', 'text', 'Free text on the entry'),
];

export const TYPE_HINTS: Readonly<Record<EntityName, readonly ColumnHint[]>> = Object.freeze({
  'recording-interaction-metadata': RECORDING_HINTS,
  'qm-workflows': QM_WORKFLOW_HINTS,
  'qm-questions': QM_QUESTION_HINTS,
  'qm-evaluation-comment-entity': QM_COMMENT_HINTS,
  'wfm-payroll': PAYROLL_HINTS,
});

/**
 * The header whose value identifies a row across windows (the hints' "the row key"): a QM evaluation
 * re-scored after a dispute is submitted again and comes back in a later window under the same id, so
 * the current-state views keep one row per (tenant, key). A call has one row per segment, so
 * recordings are keyed by segment, not by call.
 */
export const ROW_KEY_HEADERS: Readonly<Record<EntityName, string>> = Object.freeze({
  'recording-interaction-metadata': 'Segment ID',
  'qm-workflows': 'Evaluation ID',
  'qm-questions': 'Answer ID',
  'qm-evaluation-comment-entity': 'Comment ID',
  'wfm-payroll': 'Payroll Entry ID',
});

/**
 * Within one window a key can appear twice (a backfill window holds both an evaluation and its
 * re-scored submission a day later): the row with the latest of this column is the current one.
 */
export const ROW_VERSION_HEADERS: Readonly<Record<EntityName, string>> = Object.freeze({
  'recording-interaction-metadata': 'End Date',
  'qm-workflows': 'Submission Date',
  'qm-questions': 'Submission Date',
  'qm-evaluation-comment-entity': 'Submission Date',
  'wfm-payroll': 'Export Date',
});

/** The staging column of the entity's row key. */
export function rowKeyColumn(entity: EntityName): string {
  return stagingColumnName(ROW_KEY_HEADERS[entity]);
}

const byColumn = new Map<EntityName, ReadonlyMap<string, ColumnHint>>();

/** The entity's hints keyed by staging column name (the name columnNamesFor gives the header). */
export function hintsByColumn(entity: EntityName): ReadonlyMap<string, ColumnHint> {
  let map = byColumn.get(entity);
  if (!map) {
    map = new Map(TYPE_HINTS[entity].map((h) => [stagingColumnName(h.header), h]));
    byColumn.set(entity, map);
  }
  return map;
}

/** The staging column of a header that is alone in its file (no collision suffix). */
export function stagingColumnName(header: string): string {
  return columnNamesFor([header])[0] as string;
}
