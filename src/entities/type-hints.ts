/**
 * Type hints for the typed reporting views, one list per entity, beside the entity definitions in
 * catalog.ts: the prior from which a column's type is decided. Staging keeps every column as text so
 * a load never fails on a value; on a column's first loads the reporting layer records its type per
 * deployment (cxone_etl.column_types): the hint's type when a hint matches the header (tolerantly:
 * case, spacing and punctuation ignored), else the type its values read as (reporting/inference.ts,
 * with the identifier rule of `namePrior`). From then on the view casts by that record.
 *
 * Headers are written as the CSV writes them (the staging name comes from columnNamesFor). Those
 * marked `contract` are shown by a public source (docs/API.md, "CSV files": the recording clients, and
 * the Singer tap's QM lists, header text rebuilt from its camelCase keys); the rest follow the
 * simulator's plausible headers (src/simulator/csv/columns.ts) and are checked against them by
 * test/unit/type-hints.test.ts. Identifiers stay text even when they look numeric: a leading zero or a
 * later letter must not turn into a cast problem or break a join.
 */
import { columnNamesFor, matchKey } from './column-names.js';
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

/** `tap`: the Singer tap for NICE inContact lists the column (docs/API.md, "CSV files"). */
const tap = (header: string, type: ColumnType, meaning: string): ColumnHint =>
  hint(header, type, meaning, 'contract');

const QM_WORKFLOW_HINTS: readonly ColumnHint[] = [
  tap('Tenant Name', 'text', 'Name of the CXone tenant'),
  tap('Agent ID', 'text', 'Id of the evaluated agent'),
  tap('Type', 'text', 'Kind of workflow: Standard Evaluation, Calibration, Self Evaluation, ...'),
  tap('Evaluation Flow Trigger', 'text', 'What started the workflow: a QM plan, or by hand'),
  tap('Workflow Status', 'text', 'Completed, Acknowledged, Disputed, ...'),
  tap('Auto Acknowledged', 'boolean', 'The evaluation was acknowledged automatically (true/false)'),
  tap('Workflow State', 'text', 'Open or Closed'),
  tap('Workflow ID', 'text', 'Id of the evaluation workflow; the row key (a re-scored evaluation keeps it)'),
  tap('Plan Name', 'text', 'QM plan that assigned the evaluation'),
  tap('Form Name', 'text', 'Name of the evaluation form'),
  tap('Form Version', 'text', 'Version of the form'),
  tap('Start Date', 'timestamptz', 'When the workflow started (UTC)'),
  tap('Submission Date', 'timestamptz', 'When the evaluation was submitted (UTC); the API filters on it'),
  tap('Last Updated', 'timestamptz', 'When the workflow last changed (UTC); the latest one is current'),
  tap('Score Percentage', 'numeric', 'Score / Maximum Possible Score in percent'),
  tap('Score', 'numeric', 'Points scored'),
  tap('Maximum Possible Score', 'numeric', 'Points possible'),
  tap('Rank', 'numeric', 'Rank of the score on the form'),
  tap('Failed Critical Question', 'boolean', 'A critical question was failed (true/false)'),
  tap('User Review Comments', 'text', "The reviewer's comments"),
  tap('Dispute Resolver Comments', 'text', "The dispute resolver's comments; empty if not disputed"),
  tap('Segment ID', 'text', 'Segment of the evaluated interaction (joins to recordings)'),
  tap('ACD ID', 'text', 'ACD contact id of the evaluated interaction (joins to recordings)'),
  tap('Interaction Type', 'text', 'Voice, Chat, Email, ...'),
  tap('Interaction Start Date', 'timestamptz', 'When the evaluated interaction started (UTC)'),
  tap('Interaction End Date', 'timestamptz', 'When it ended (UTC)'),
  tap('Interaction Direction', 'text', 'Inbound or Outbound'),
  tap('Team ID', 'text', "Id of the agent's team"),
  tap('Team Name', 'text', "The agent's team"),
  tap('Phone Number', 'text', 'Phone number of the interaction'),
  tap('Firstname Eva', 'text', "Evaluator's first name"),
  tap('Lastname Eva', 'text', "Evaluator's last name"),
  tap('Firstname Agent', 'text', "Agent's first name"),
  tap('Lastname Agent', 'text', "Agent's last name"),
  tap('Firstname Disp', 'text', "Dispute resolver's first name; empty if not disputed"),
  tap('Lastname Disp', 'text', "Dispute resolver's last name"),
  tap('Firstname Assigner', 'text', 'First name of who assigned the evaluation'),
  tap('Lastname Assigner', 'text', 'Last name of who assigned it'),
  hint('Form ID', 'text', 'Id of the evaluation form (version 4, ASSUMED)'),
  hint('Evaluator Role', 'text', 'QA Analyst, Supervisor, Team Lead, ... (version 4, ASSUMED)'),
  hint('Acknowledged Date', 'timestamptz', 'When the agent acknowledged it (UTC; version 4, ASSUMED)'),
  hint('Auto QM Score', 'numeric', 'Score suggested by automated QM, in percent (version 4, ASSUMED)'),
];

const QM_QUESTION_HINTS: readonly ColumnHint[] = [
  tap('Actual Score', 'numeric', 'Points for this answer; empty when not scorable'),
  tap('Answer', 'text', 'The answer given, in the form language'),
  tap('Question ID', 'text', 'Id of the question; with Workflow Instance ID, the row key'),
  tap('Question Title', 'text', 'The question as the form asks it'),
  tap('Question Number', 'integer', 'Position of the question in the form'),
  tap('Options', 'text', 'The answers the question offers'),
  tap('Form ID', 'text', 'Id of the evaluation form'),
  tap('Form Name', 'text', 'Name of the evaluation form'),
  tap('Form Version', 'text', 'Version of the form'),
  tap('Evaluation Score %', 'numeric', "The evaluation's score in percent"),
  tap('Evaluation Start Date', 'timestamptz', 'When the evaluation started (UTC)'),
  tap('Evaluation Submission Date', 'timestamptz', 'When it was submitted (UTC); the API filters on it'),
  tap('Workflow Type', 'text', 'Kind of workflow (Standard Evaluation, Calibration, ...)'),
  tap('Section ID', 'text', 'Id of the form section holding the question'),
  tap('Section Title', 'text', 'That section'),
  tap('Section Score %', 'numeric', "The section's score in percent"),
  tap('Max Score', 'numeric', 'Points possible for the question'),
  tap('Agent ID', 'text', 'Id of the evaluated agent'),
  tap('Firstname Agent', 'text', "Agent's first name"),
  tap('Lastname Agent', 'text', "Agent's last name"),
  tap('Team ID', 'text', "Id of the agent's team"),
  tap('Team Name', 'text', "The agent's team"),
  tap('Firstname Eva', 'text', "Evaluator's first name"),
  tap('Lastname Eva', 'text', "Evaluator's last name"),
  tap('Critical', 'boolean', 'Failing this question fails the evaluation (true/false)'),
  tap('Failed Critical Question', 'boolean', 'This critical question was failed (true/false)'),
  tap('Mandatory', 'boolean', 'The question must be answered (true/false)'),
  tap('Scorable', 'boolean', 'The answer counts towards the score (true/false)'),
  tap('Question Type', 'text', 'Yes/No, Scale 1-5, Multiple Choice, ...'),
  tap('Segment ID', 'text', 'Segment of the evaluated interaction'),
  tap('Interaction Start Date', 'timestamptz', 'When the evaluated interaction started (UTC)'),
  tap('Interaction End Date', 'timestamptz', 'When it ended (UTC)'),
  tap('Workflow Instance ID', 'text', 'The evaluation (joins to qm_workflows.workflow_id); part of the key'),
  tap('Bank ID', 'text', 'Id of the question bank'),
  hint('Last Updated', 'timestamptz', 'When the answer last changed (UTC; version 2, ASSUMED)'),
  hint('Question Comment', 'text', "The evaluator's comment on this question (version 2, ASSUMED)"),
  hint('AI Suggested Answer', 'text', 'Answer suggested by automated QM, if any (version 2, ASSUMED)'),
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

const byKey = new Map<EntityName, ReadonlyMap<string, ColumnHint>>();

/**
 * The hint for a staging column, matched tolerantly (matchKey: case, spacing and punctuation
 * ignored), so `LastUpdated` or `LAST-UPDATED` find the hint written for `Last Updated`.
 */
export function hintFor(entity: EntityName, column: string): ColumnHint | undefined {
  let map = byKey.get(entity);
  if (!map) {
    map = new Map(TYPE_HINTS[entity].map((h) => [matchKey(stagingColumnName(h.header)), h]));
    byKey.set(entity, map);
  }
  return map.get(matchKey(column));
}

/** The staging column of a header that is alone in its file (no collision suffix). */
export function stagingColumnName(header: string): string {
  return columnNamesFor([header])[0] as string;
}

/** Words that make a column an identifier or a code, whatever its values look like. */
const IDENTIFIER_WORDS = new Set(['id', 'ids', 'key', 'code', 'phone', 'ani', 'dnis', 'zip']);

/**
 * The name rule that inference defers to: a column named like an identifier (`Agent ID`, `Team Id`,
 * `Bank ID`, `Phone Number`) stays text even when every value is digits. Only consulted for columns
 * no hint matches.
 */
export function namePrior(column: string): ColumnType | undefined {
  const words = column.split('_').filter((w) => w !== '');
  const last = words.at(-1) ?? '';
  if (IDENTIFIER_WORDS.has(last) || words.some((w) => w === 'phone' || w === 'ani' || w === 'dnis')) {
    return 'text';
  }
  // `workflowid`, `contactid`: an identifier written as one word.
  if (words.length === 1 && /.(id|ids)$/.test(last)) return 'text';
  return undefined;
}
