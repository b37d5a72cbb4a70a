/**
 * The QM evaluation forms the simulated tenants use. One English, one Korean, one with a comma in its
 * name; five questions on average, which qm-rows.ts relies on to turn rows/day into evaluations/day.
 */
export type QuestionType = 'Yes/No' | 'Scale 1-5' | 'Multiple Choice';

export interface Question {
  readonly id: string;
  readonly number: number;
  readonly section: string;
  readonly text: string;
  readonly type: QuestionType;
  readonly maxScore: number;
  readonly weight: number;
  readonly critical: boolean;
  /** Multiple-choice options, best first; their score falls linearly to 0. */
  readonly options?: readonly string[];
}

export interface Form {
  readonly id: string;
  readonly name: string;
  readonly yes: string;
  readonly no: string;
  readonly questions: readonly Question[];
}

type QuestionSpec = Omit<Question, 'id' | 'number'>;

function form(id: number, name: string, yes: string, no: string, specs: QuestionSpec[]): Form {
  return {
    id: String(id),
    name,
    yes,
    no,
    questions: specs.map((q, i) => ({ ...q, id: String(id * 100 + i + 1), number: i + 1 })),
  };
}

const yesNo = (section: string, text: string, maxScore: number, critical = false): QuestionSpec => ({
  section,
  text,
  type: 'Yes/No',
  maxScore,
  weight: maxScore / 5,
  critical,
});

const scale = (section: string, text: string): QuestionSpec => ({
  section,
  text,
  type: 'Scale 1-5',
  maxScore: 5,
  weight: 1,
  critical: false,
});

const choice = (section: string, text: string, options: string[]): QuestionSpec => ({
  section,
  text,
  type: 'Multiple Choice',
  maxScore: 10,
  weight: 2,
  critical: false,
  options,
});

export const QM_FORMS: readonly Form[] = [
  form(1101, 'Inbound Call Quality v3', 'Yes', 'No', [
    yesNo('Opening', 'Did the agent use the standard greeting?', 5),
    yesNo('Compliance', "Did the agent verify the customer's identity?", 10, true),
    scale('Soft Skills', "Rate the agent's empathy"),
    scale('Resolution', 'How well did the agent explain the resolution?'),
    yesNo('Soft Skills', 'Was the hold procedure followed?', 5),
    yesNo('Closing', 'Did the agent offer further help, and close properly?', 5),
  ]),
  form(1102, '고객 응대 품질 평가', '예', '아니오', [
    yesNo('오프닝', '인사말을 정확히 사용했습니까?', 5),
    yesNo('준법', '고객 본인 확인을 했습니까?', 10, true),
    scale('응대 태도', '응대 태도는 어땠습니까?'),
    choice('문제 해결', '문제 해결 정확도', ['상', '중', '하']),
    yesNo('클로징', '마무리 인사를 했습니까?', 5),
  ]),
  form(1103, 'Sales Compliance, Outbound', 'Yes', 'No', [
    yesNo('Compliance', 'Was the "recorded line" disclosure read?', 10, true),
    yesNo('Compliance', 'Did the agent state the price correctly?', 10),
    scale('Pitch', 'Rate the pitch'),
    choice('Outcome', 'Outcome', ['Sale', 'Callback', 'No Sale']),
  ]),
];

export const MEAN_QUESTIONS_PER_FORM =
  QM_FORMS.reduce((sum, f) => sum + f.questions.length, 0) / QM_FORMS.length;
