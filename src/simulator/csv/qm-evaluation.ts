/**
 * One QM evaluation, drawn whole: summary, answers and comments. The three QM entities are views of
 * the same evaluations (a workflow row, its question rows, its comment rows), seeded by (tenant,
 * 'qm', minute, index) rather than by entity, so with default rates they agree on evaluation ids,
 * scores and agents, as the real tenant's tables would.
 */
import { DAY_MS, HOUR_MS, MINUTE_MS } from './format.js';
import { hashString, mix, Rng } from './prng.js';
import { QM_FORMS, type Form, type Question } from './qm-forms.js';
import { forcedQuirksForMinute, pickText, type Quirk } from './quirks.js';
import { MAX_UNITS_PER_MINUTE, minuteMean } from './entity-generator.js';
import type { Person, TenantPool } from './tenant-pool.js';

const QM_KEY = hashString('qm');

export interface Answer {
  readonly question: Question;
  readonly answer: string;
  /** '' when not applicable. */
  readonly score: string;
  readonly notApplicable: boolean;
  readonly aiSuggested: string;
  readonly comment: string;
}

export interface EvaluationComment {
  readonly id: string;
  readonly type: string;
  readonly author: Person;
  readonly authorRole: string;
  readonly ms: number;
  readonly text: string;
  readonly isPrivate: boolean;
  readonly question: Question | undefined;
}

export interface Evaluation {
  readonly id: string;
  readonly seed: number;
  readonly submissionMs: number;
  readonly interactionMs: number;
  readonly assignedMs: number;
  readonly dueMs: number;
  readonly acknowledgedMs: number | undefined;
  readonly acdCallId: string;
  readonly channel: string;
  readonly form: Form;
  readonly workflowId: string;
  readonly workflowName: string;
  readonly status: string;
  readonly disputeStatus: string;
  readonly agent: Person;
  readonly evaluator: Person;
  readonly evaluatorRole: string;
  readonly answers: readonly Answer[];
  readonly totalScore: number;
  readonly maxScore: number;
  readonly criticalFailure: boolean;
  readonly autoScore: string;
  readonly comment: string;
  readonly comments: readonly EvaluationComment[];
}

/** Weighted by repetition; the id is the workflow's position in WORKFLOW_NAMES. */
const WORKFLOW_NAMES = ['Standard Evaluation', 'Calibration', 'Self Evaluation', 'Dispute Review'];
const WORKFLOW_DRAW = [0, 0, 0, 0, 0, 0, 1, 2, 3];
const STATUSES = ['Completed', 'Completed', 'Completed', 'Acknowledged', 'Acknowledged', 'Disputed'];
const ROLES = ['QA Analyst', 'Supervisor', 'Team Lead'];
const COMMENT_TYPES = ['Evaluator', 'Evaluator', 'Agent', 'Calibration'];

/**
 * Re-scored evaluations: a disputed evaluation is, half the time, scored again a day later (the dispute
 * upheld: one "no" answer becomes "yes") and submitted again under the same id, so it, its answers and
 * its comments come back in a later window with a new submission date and changed values, as a
 * re-scored evaluation does in the real tenant. This is what the current-state views (cxone.*_current)
 * exist for. A fixed delay keeps files window-additive: the revisions in a minute are a function of
 * that minute alone.
 */
export const REVISION_DELAY_MINUTES = 24 * 60;
const REVISION_SHARE_OF_DISPUTED = 0.5;
const REVISION_KEY = hashString('revision');

/**
 * The evaluations submitted in one UTC minute, revisions of earlier ones included; `perDay` is the
 * daily mean before the hourly curve.
 */
export function evaluationsInMinute(pool: TenantPool, minute: number, perDay: number): Evaluation[] {
  const revised = firstSubmissions(pool, minute - REVISION_DELAY_MINUTES, perDay).flatMap((e, i) =>
    e.status === 'Disputed' && new Rng(pool.hash, REVISION_KEY, e.seed, i).chance(REVISION_SHARE_OF_DISPUTED)
      ? [revise(e)]
      : [],
  );
  return [...firstSubmissions(pool, minute, perDay), ...revised];
}

/** The same evaluation, re-scored after its dispute and submitted again REVISION_DELAY_MINUTES later. */
function revise(e: Evaluation): Evaluation {
  const shift = REVISION_DELAY_MINUTES * MINUTE_MS;
  const flip = e.answers.findIndex((a) => !a.notApplicable && a.score === '0');
  const answers = e.answers.map((a, n) =>
    n === flip
      ? { ...a, answer: e.form.yes, score: String(a.question.maxScore), aiSuggested: e.form.yes }
      : a,
  );
  const applicable = answers.filter((a) => !a.notApplicable);
  const totalScore = applicable.reduce((sum, a) => sum + Number(a.score), 0);
  return {
    ...e,
    submissionMs: e.submissionMs + shift,
    status: 'Completed',
    disputeStatus: 'Resolved',
    answers,
    totalScore,
    criticalFailure: answers.some((a) => a.question.critical && a.answer === e.form.no),
    comments: e.comments.map((c) => ({ ...c, ms: c.ms + shift })),
  };
}

function firstSubmissions(pool: TenantPool, minute: number, perDay: number): Evaluation[] {
  if (perDay <= 0) return [];
  const forced = forcedQuirksForMinute(pool.hash, QM_KEY, minute);
  const drawn = new Rng(pool.hash, QM_KEY, minute).poisson(minuteMean(minute, perDay));
  const count = Math.min(MAX_UNITS_PER_MINUTE, Math.max(forced.length, drawn));
  const evaluations: Evaluation[] = [];
  for (let i = 0; i < count; i++) {
    const rng = new Rng(pool.hash, QM_KEY, minute, i + 1);
    evaluations.push(drawEvaluation(rng, pool, minute, i, forced[i]));
  }
  return evaluations;
}

function drawEvaluation(
  rng: Rng,
  pool: TenantPool,
  minute: number,
  index: number,
  forced?: Quirk,
): Evaluation {
  const id = String(minute * 1000 + index);
  const submissionMs = minute * MINUTE_MS + rng.int(60) * 1000;
  const interactionMs = submissionMs - rng.between(3600, 7 * 86_400) * 1000;
  const assignedMs = Math.max(interactionMs, submissionMs - rng.between(600, 2 * 86_400) * 1000);
  const form = rng.pick(QM_FORMS);
  const evaluatorIndex = rng.int(pool.evaluators.length);
  const status = rng.pick(STATUSES);
  const answers = form.questions.map((q, n) => drawAnswer(rng, form, q, n === 0 ? forced : undefined));
  const applicable = answers.filter((a) => !a.notApplicable);
  const totalScore = applicable.reduce((sum, a) => sum + Number(a.score), 0);
  const maxScore = applicable.reduce((sum, a) => sum + a.question.maxScore, 0);
  const agent = rng.pick(pool.agents);
  const evaluator = pool.evaluators[evaluatorIndex] as Person;
  const evaluatorRole = ROLES[evaluatorIndex % ROLES.length] as string;
  const commentCount = Math.max(forced ? 1 : 0, drawCommentCount(rng));
  const comments = Array.from({ length: commentCount }, (_, n) =>
    drawComment(
      rng,
      { id, submissionMs, agent, evaluator, evaluatorRole, form },
      n,
      n === 0 ? forced : undefined,
    ),
  );
  const workflow = rng.pick(WORKFLOW_DRAW);
  const percent = maxScore === 0 ? 0 : (100 * totalScore) / maxScore;
  return {
    id,
    seed: mix(pool.hash, QM_KEY, minute, index),
    submissionMs,
    interactionMs,
    assignedMs,
    dueMs: assignedMs + 7 * DAY_MS,
    acknowledgedMs: status === 'Completed' ? undefined : submissionMs + rng.between(1, 48) * HOUR_MS,
    // Same shape as the recording generator's ACD Call IDs (minute * 1000 + index).
    acdCallId: String(Math.floor(interactionMs / MINUTE_MS) * 1000 + rng.int(5)),
    channel: rng.chance(0.85) ? 'Voice' : rng.pick(['Chat', 'Email']),
    form,
    workflowName: WORKFLOW_NAMES[workflow] as string,
    workflowId: String(3100 + workflow),
    status,
    disputeStatus: status === 'Disputed' ? rng.pick(['Open', 'Resolved']) : '',
    agent,
    evaluator,
    evaluatorRole,
    answers,
    totalScore,
    maxScore,
    criticalFailure: answers.some((a) => a.question.critical && a.answer === form.no),
    autoScore: Math.min(100, Math.max(0, percent + rng.between(-8, 8))).toFixed(1),
    comment: pickText(rng, 0.5, forced),
    comments,
  };
}

function drawAnswer(rng: Rng, form: Form, question: Question, forced?: Quirk): Answer {
  const r = rng.float();
  const notApplicable = !question.critical && r >= 0.95;
  let answer: string;
  let score: number;
  if (question.type === 'Yes/No') {
    const yes = r < 0.87;
    answer = yes ? form.yes : form.no;
    score = yes ? question.maxScore : 0;
  } else if (question.type === 'Scale 1-5') {
    const value = 1 + Math.min(4, Math.floor(r * 5.3));
    answer = String(value);
    score = value;
  } else {
    const options = question.options ?? [];
    const pick = Math.min(options.length - 1, Math.floor(r * r * options.length));
    answer = options[pick] ?? '';
    score = Math.round((question.maxScore * (options.length - 1 - pick)) / Math.max(1, options.length - 1));
  }
  const aiSuggested = rng.chance(0.8) ? answer : '';
  const comment = pickText(rng, 0.7, forced);
  return {
    question,
    answer: notApplicable ? 'N/A' : answer,
    score: notApplicable ? '' : String(score),
    notApplicable,
    aiSuggested,
    comment,
  };
}

/** 0 (25 %), 1 (35 %), 2 (25 %), 3 (15 %): mean 1.3 comments per evaluation. */
function drawCommentCount(rng: Rng): number {
  const r = rng.float();
  return r < 0.25 ? 0 : r < 0.6 ? 1 : r < 0.85 ? 2 : 3;
}

export const MEAN_COMMENTS_PER_EVALUATION = 1.3;

interface CommentContext {
  id: string;
  submissionMs: number;
  agent: Person;
  evaluator: Person;
  evaluatorRole: string;
  form: Form;
}

function drawComment(rng: Rng, e: CommentContext, n: number, forced?: Quirk): EvaluationComment {
  const type = n === 0 ? 'Evaluator' : rng.pick(COMMENT_TYPES);
  const byAgent = type === 'Agent';
  return {
    id: `${e.id}-${n + 1}`,
    type,
    author: byAgent ? e.agent : e.evaluator,
    authorRole: byAgent ? 'Agent' : e.evaluatorRole,
    ms: e.submissionMs + n * rng.between(1, 600) * 1000,
    text: pickText(rng, 0, forced),
    isPrivate: rng.chance(0.1),
    question: rng.chance(0.5) ? rng.pick(e.form.questions) : undefined,
  };
}
