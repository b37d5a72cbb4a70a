/**
 * The three QM entities as views of the shared evaluations (qm-evaluation.ts), each filtered by the
 * evaluation's submission date (UTC), as the contract says for all three (docs/API.md, "Entities").
 */
import {
  indexColumns,
  QM_COMMENT_COLUMNS,
  QM_QUESTION_COLUMNS,
  QM_WORKFLOW_COLUMNS,
  type ColumnIndex,
} from './columns.js';
import type { EntityGenerator, GeneratedRow } from './entity-generator.js';
import { formatDateTime, MINUTE_MS } from './format.js';
import { fmix32, hashString, mix } from './prng.js';
import type { TenantPool } from './tenant-pool.js';
import {
  evaluationsInMinute,
  MEAN_COMMENTS_PER_EVALUATION,
  type Answer,
  type Evaluation,
  type EvaluationComment,
} from './qm-evaluation.js';
import { MEAN_QUESTIONS_PER_FORM } from './qm-forms.js';

const W = indexColumns(QM_WORKFLOW_COLUMNS);
const Q = indexColumns(QM_QUESTION_COLUMNS);
const K = indexColumns(QM_COMMENT_COLUMNS);

const yesNo = (flag: boolean): string => (flag ? 'Yes' : 'No');
/** The Singer tap types these as booleans (docs/API.md, "CSV files"): the file writes true/false. */
const trueFalse = (flag: boolean): string => (flag ? 'true' : 'false');
const HANGUL = /[\uac00-\ud7a3]/;
const PLAN_NAMES = ['Weekly QA Plan', 'New Hire Plan', 'Compliance Plan'];

interface QmView {
  columns: readonly string[];
  driftColumn: string;
  defaultRowsPerDay: number;
  rowsPerEvaluation: number;
  rows(e: Evaluation, pool: TenantPool): GeneratedRow[];
}

/**
 * Rows/day becomes evaluations/day through the entity's mean rows per evaluation; rounding keeps the
 * three defaults (60, 300, 78 rows) at exactly 60 evaluations, so they draw the same evaluations.
 */
function qmGenerator(view: QmView): EntityGenerator {
  return {
    columns: view.columns,
    driftColumn: view.driftColumn,
    slotMs: MINUTE_MS,
    spillMs: 0,
    defaultRowsPerDay: view.defaultRowsPerDay,
    slotRows(pool, minute, rowsPerDay) {
      const perDay = Math.round((rowsPerDay / view.rowsPerEvaluation) * 1000) / 1000;
      return evaluationsInMinute(pool, minute, perDay).flatMap((e) => view.rows(e, pool));
    },
  };
}

function blank(columns: readonly string[]): string[] {
  return new Array<string>(columns.length).fill('');
}

/** First and last name as the tap's firstname/lastname columns split them (Korean: family name first). */
function splitName(name: string): [first: string, last: string] {
  const space = name.indexOf(' ');
  if (space > 0) return [name.slice(0, space), name.slice(space + 1)];
  return [name.slice(1), name.slice(0, 1)];
}

const teamId = (team: string): string => String(200 + (hashString(team) % 700));
/** Derived, not drawn: adding a column must not shift the draws that make every other value. */
const pick = (e: Evaluation, salt: number, n: number): number => fmix32(mix(e.seed, salt)) % n;
const percent = (score: number, max: number): string => (max === 0 ? '' : ((100 * score) / max).toFixed(2));
/** Written when the evaluation was last saved: its (re-)submission plus a few minutes of review. */
const lastUpdatedMs = (e: Evaluation): number => e.submissionMs + pick(e, 0x1a5, 300) * 1000;
const interactionEndMs = (e: Evaluation): number => e.interactionMs + (60 + pick(e, 0xe4d, 900)) * 1000;
const segmentId = (e: Evaluation): string => `${e.acdCallId}${1 + pick(e, 0x5e9, 2)}`;

export const qmWorkflowGenerator = qmGenerator({
  columns: QM_WORKFLOW_COLUMNS,
  driftColumn: 'Auto QM Score',
  defaultRowsPerDay: 60,
  rowsPerEvaluation: 1,
  rows(e, pool) {
    const v = blank(QM_WORKFLOW_COLUMNS);
    const [agentFirst, agentLast] = splitName(e.agent.name);
    const [evaFirst, evaLast] = splitName(e.evaluator.name);
    const resolved = e.disputeStatus === 'Resolved';
    const pct = e.maxScore === 0 ? 0 : (100 * e.totalScore) / e.maxScore;
    v[W['Tenant Name']] = pool.tenantId;
    v[W['Agent ID']] = e.agent.acdId;
    v[W['Type']] = e.workflowName;
    v[W['Evaluation Flow Trigger']] = e.workflowName === 'Standard Evaluation' ? 'QM Plan' : 'Manual';
    v[W['Workflow Status']] = e.status;
    v[W['Auto Acknowledged']] = trueFalse(e.status === 'Acknowledged' && pick(e, 0xac4, 2) === 0);
    v[W['Workflow State']] = e.status === 'Disputed' ? 'Open' : 'Closed';
    // The evaluation's own id: a re-scored evaluation comes back under it (docs/API.md, "CSV files").
    v[W['Workflow ID']] = e.id;
    v[W['Plan Name']] = PLAN_NAMES[pick(e, 0x91a, PLAN_NAMES.length)] as string;
    v[W['Form Name']] = e.form.name;
    v[W['Form Version']] = String((Number(e.form.id) % 3) + 1);
    v[W['Start Date']] = formatDateTime(e.assignedMs);
    v[W['Submission Date']] = formatDateTime(e.submissionMs);
    v[W['Last Updated']] = formatDateTime(lastUpdatedMs(e));
    v[W['Score Percentage']] = percent(e.totalScore, e.maxScore);
    v[W['Score']] = String(e.totalScore);
    v[W['Maximum Possible Score']] = String(e.maxScore);
    v[W['Rank']] = String(Math.min(5, 1 + Math.floor((100 - pct) / 20)));
    v[W['Failed Critical Question']] = trueFalse(e.criticalFailure);
    v[W['User Review Comments']] = e.comment;
    v[W['Dispute Resolver Comments']] = resolved ? (e.comments[0]?.text ?? '') : '';
    v[W['Segment ID']] = segmentId(e);
    v[W['ACD ID']] = e.acdCallId;
    v[W['Interaction Type']] = e.channel;
    v[W['Interaction Start Date']] = formatDateTime(e.interactionMs);
    v[W['Interaction End Date']] = formatDateTime(interactionEndMs(e));
    v[W['Interaction Direction']] = pick(e, 0xd14, 4) === 0 ? 'Outbound' : 'Inbound';
    v[W['Team ID']] = teamId(e.agent.team);
    v[W['Team Name']] = e.agent.team;
    v[W['Phone Number']] =
      `010-${String(1000 + pick(e, 0x9401, 9000))}-${String(1000 + pick(e, 0x9402, 9000))}`;
    v[W['Firstname Eva']] = evaFirst;
    v[W['Lastname Eva']] = evaLast;
    v[W['Firstname Agent']] = agentFirst;
    v[W['Lastname Agent']] = agentLast;
    v[W['Firstname Disp']] = resolved ? evaFirst : '';
    v[W['Lastname Disp']] = resolved ? evaLast : '';
    v[W['Firstname Assigner']] = evaFirst;
    v[W['Lastname Assigner']] = evaLast;
    v[W['Form ID']] = e.form.id;
    v[W['Evaluator Role']] = e.evaluatorRole;
    v[W['Acknowledged Date']] = e.acknowledgedMs === undefined ? '' : formatDateTime(e.acknowledgedMs);
    v[W['Auto QM Score']] = e.autoScore;
    return [{ ts: e.submissionMs, seed: mix(e.seed, 0x3f1), values: v }];
  },
});

export const qmQuestionGenerator = qmGenerator({
  columns: QM_QUESTION_COLUMNS,
  driftColumn: 'AI Suggested Answer',
  defaultRowsPerDay: 300,
  rowsPerEvaluation: MEAN_QUESTIONS_PER_FORM,
  rows: (e) => e.answers.map((a) => questionRow(e, a)),
});

function questionRow(e: Evaluation, a: Answer): GeneratedRow {
  const v = blank(QM_QUESTION_COLUMNS);
  const q = a.question;
  const [agentFirst, agentLast] = splitName(e.agent.name);
  const [evaFirst, evaLast] = splitName(e.evaluator.name);
  const section = e.answers.filter((x) => x.question.section === q.section && !x.notApplicable);
  const sectionScore = section.reduce((sum, x) => sum + Number(x.score), 0);
  const sectionMax = section.reduce((sum, x) => sum + x.question.maxScore, 0);
  v[Q['Actual Score']] = a.score;
  v[Q['Answer']] = a.answer;
  v[Q['Question ID']] = q.id;
  v[Q['Question Title']] = q.text;
  v[Q['Question Number']] = String(q.number);
  v[Q['Options']] =
    q.type === 'Yes/No'
      ? `${e.form.yes}|${e.form.no}`
      : q.type === 'Scale 1-5'
        ? '1|2|3|4|5'
        : (q.options ?? []).join('|');
  v[Q['Form ID']] = e.form.id;
  v[Q['Form Name']] = e.form.name;
  v[Q['Form Version']] = String((Number(e.form.id) % 3) + 1);
  v[Q['Evaluation Score %']] = percent(e.totalScore, e.maxScore);
  v[Q['Evaluation Start Date']] = formatDateTime(e.assignedMs);
  v[Q['Evaluation Submission Date']] = formatDateTime(e.submissionMs);
  v[Q['Workflow Type']] = e.workflowName;
  v[Q['Section ID']] = String(hashString(`${e.form.id}/${q.section}`) % 100_000);
  v[Q['Section Title']] = q.section;
  v[Q['Section Score %']] = percent(sectionScore, sectionMax);
  v[Q['Max Score']] = String(q.maxScore);
  v[Q['Agent ID']] = e.agent.acdId;
  v[Q['Firstname Agent']] = agentFirst;
  v[Q['Lastname Agent']] = agentLast;
  v[Q['Team ID']] = teamId(e.agent.team);
  v[Q['Team Name']] = e.agent.team;
  v[Q['Firstname Eva']] = evaFirst;
  v[Q['Lastname Eva']] = evaLast;
  v[Q['Critical']] = trueFalse(q.critical);
  v[Q['Failed Critical Question']] = trueFalse(q.critical && a.answer === e.form.no);
  v[Q['Mandatory']] = trueFalse(q.critical || q.number % 2 === 1);
  v[Q['Scorable']] = trueFalse(!a.notApplicable);
  v[Q['Question Type']] = q.type;
  v[Q['Segment ID']] = segmentId(e);
  v[Q['Interaction Start Date']] = formatDateTime(e.interactionMs);
  v[Q['Interaction End Date']] = formatDateTime(interactionEndMs(e));
  v[Q['Workflow Instance ID']] = e.id;
  v[Q['Bank ID']] = `${e.form.id}0`;
  v[Q['Last Updated']] = formatDateTime(lastUpdatedMs(e));
  v[Q['Question Comment']] = a.comment;
  v[Q['AI Suggested Answer']] = a.aiSuggested;
  return { ts: e.submissionMs, seed: mix(e.seed, 0x3f2, q.number), values: v };
}

export const qmCommentGenerator = qmGenerator({
  columns: QM_COMMENT_COLUMNS,
  driftColumn: 'Comment Language',
  defaultRowsPerDay: 78,
  rowsPerEvaluation: MEAN_COMMENTS_PER_EVALUATION,
  rows: (e) => e.comments.map((c, n) => commentRow(e, c, n)),
});

function commentRow(e: Evaluation, c: EvaluationComment, n: number): GeneratedRow {
  const v = blank(QM_COMMENT_COLUMNS);
  v[K['Comment ID']] = c.id;
  v[K['Evaluation ID']] = e.id;
  v[K['Form ID']] = e.form.id;
  v[K['Form Name']] = e.form.name;
  v[K['Question ID']] = c.question?.id ?? '';
  v[K['Question Text']] = c.question?.text ?? '';
  v[K['Comment Type']] = c.type;
  v[K['Comment Author ID']] = c.author.acdId;
  v[K['Comment Author Name']] = c.author.name;
  v[K['Comment Author Role']] = c.authorRole;
  v[K['Comment Date']] = formatDateTime(c.ms);
  v[K['Comment Text']] = c.text;
  v[K['Comment Language']] = HANGUL.test(c.text) ? 'ko' : 'en';
  v[K['Is Private']] = yesNo(c.isPrivate);
  fillEvaluationContext(v, K, e);
  v[K['Agent Team']] = e.agent.team;
  return { ts: e.submissionMs, seed: mix(e.seed, 0x3f3, n), values: v };
}

type ContextColumns =
  | 'Agent ID'
  | 'Agent Name'
  | 'Evaluator ID'
  | 'Evaluator Name'
  | 'Submission Date'
  | 'ACD Call ID'
  | 'Evaluation Status';

/** Columns every per-question and per-comment row repeats from its evaluation. */
function fillEvaluationContext(v: string[], c: ColumnIndex<readonly ContextColumns[]>, e: Evaluation): void {
  v[c['Agent ID']] = e.agent.acdId;
  v[c['Agent Name']] = e.agent.name;
  v[c['Evaluator ID']] = e.evaluator.acdId;
  v[c['Evaluator Name']] = e.evaluator.name;
  v[c['Submission Date']] = formatDateTime(e.submissionMs);
  v[c['ACD Call ID']] = e.acdCallId;
  v[c['Evaluation Status']] = e.status;
}
