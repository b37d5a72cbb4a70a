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
import { mix } from './prng.js';
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
const HANGUL = /[\uac00-\ud7a3]/;

interface QmView {
  columns: readonly string[];
  driftColumn: string;
  defaultRowsPerDay: number;
  rowsPerEvaluation: number;
  rows(e: Evaluation): GeneratedRow[];
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
      return evaluationsInMinute(pool, minute, perDay).flatMap((e) => view.rows(e));
    },
  };
}

function blank(columns: readonly string[]): string[] {
  return new Array<string>(columns.length).fill('');
}

export const qmWorkflowGenerator = qmGenerator({
  columns: QM_WORKFLOW_COLUMNS,
  driftColumn: 'Auto QM Score',
  defaultRowsPerDay: 60,
  rowsPerEvaluation: 1,
  rows(e) {
    const v = blank(QM_WORKFLOW_COLUMNS);
    v[W['Evaluation ID']] = e.id;
    v[W['Workflow ID']] = e.workflowId;
    v[W['Workflow Name']] = e.workflowName;
    v[W['Form ID']] = e.form.id;
    v[W['Form Name']] = e.form.name;
    v[W['Evaluation Status']] = e.status;
    v[W['Submission Date']] = formatDateTime(e.submissionMs);
    v[W['Assigned Date']] = formatDateTime(e.assignedMs);
    v[W['Due Date']] = formatDateTime(e.dueMs);
    v[W['Interaction Date']] = formatDateTime(e.interactionMs);
    v[W['ACD Call ID']] = e.acdCallId;
    v[W['Channel']] = e.channel;
    v[W['Agent ID']] = e.agent.acdId;
    v[W['Agent Name']] = e.agent.name;
    v[W['Agent Team']] = e.agent.team;
    v[W['Evaluator ID']] = e.evaluator.acdId;
    v[W['Evaluator Name']] = e.evaluator.name;
    v[W['Evaluator Role']] = e.evaluatorRole;
    v[W['Total Score']] = String(e.totalScore);
    v[W['Max Score']] = String(e.maxScore);
    v[W['Score Percentage']] = e.maxScore === 0 ? '' : ((100 * e.totalScore) / e.maxScore).toFixed(1);
    v[W['Result']] = !e.criticalFailure && e.totalScore >= 0.8 * e.maxScore ? 'Pass' : 'Fail';
    v[W['Critical Failure']] = yesNo(e.criticalFailure);
    v[W['Auto QM Score']] = e.autoScore;
    v[W['Acknowledged Date']] = e.acknowledgedMs === undefined ? '' : formatDateTime(e.acknowledgedMs);
    v[W['Dispute Status']] = e.disputeStatus;
    v[W['Evaluation Comment']] = e.comment;
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
  v[Q['Answer ID']] = `${e.id}-${q.number}`;
  v[Q['Evaluation ID']] = e.id;
  v[Q['Form ID']] = e.form.id;
  v[Q['Form Name']] = e.form.name;
  v[Q['Section Name']] = q.section;
  v[Q['Question ID']] = q.id;
  v[Q['Question Number']] = String(q.number);
  v[Q['Question Text']] = q.text;
  v[Q['Question Type']] = q.type;
  v[Q['Answer']] = a.answer;
  v[Q['Score']] = a.score;
  v[Q['Max Score']] = String(q.maxScore);
  v[Q['Weight']] = q.weight.toFixed(1);
  v[Q['Critical']] = yesNo(q.critical);
  v[Q['Not Applicable']] = yesNo(a.notApplicable);
  v[Q['AI Suggested Answer']] = a.aiSuggested;
  v[Q['Question Comment']] = a.comment;
  fillEvaluationContext(v, Q, e);
  v[Q['Interaction Date']] = formatDateTime(e.interactionMs);
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
