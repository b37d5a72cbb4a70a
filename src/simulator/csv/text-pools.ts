/**
 * Fixed vocabularies the generators draw from. Some entries are deliberately awkward for a CSV loader
 * (a comma or quote inside a name, Korean text, emoji, embedded CR LF and LF): the contract lists them
 * as things the worker must handle (docs/API.md, "CSV files"), so the simulator has to produce them.
 */

export const KOREAN_NAMES: readonly string[] = [
  '김민준',
  '이서연',
  '박지훈',
  '최수아',
  '정예준',
  '강하은',
  '조도윤',
  '윤지우',
  '장서준',
  '임하윤',
  '한지민',
  '오승현',
  '서유진',
  '신동현',
  '권나연',
  '황태민',
  '안소희',
  '송재원',
  '류지아',
  '배준호',
];

export const OTHER_NAMES: readonly string[] = [
  'Emily Carter',
  "Liam O'Brien",
  'Sofía Martínez',
  'Nguyen, Anh',
  'Olivia Brown',
  'Noah Smith',
  'Ava "AJ" Johnson',
  'Lucas Müller',
  'Mia Rossi',
  'James Lee',
  'Yuki Tanaka',
  'Chen Wei',
  'Fatima Khan',
  'Daniel Kim',
];

export const TEAMS: readonly string[] = [
  'Seoul Inbound',
  'Busan Support',
  '서울 고객지원팀',
  'Billing, Tier 2',
  'Retention',
  'VIP Desk',
  '야간 상담팀',
  'Sales Outbound',
];

export const SKILL_NAMES: readonly string[] = [
  'Billing',
  'Tech Support',
  'Sales',
  'Retention',
  'Korean',
  'English',
  'VIP',
  '요금 문의',
  'Chat Overflow',
  'Escalations',
];

export const POINTS_OF_CONTACT: readonly string[] = [
  'Main Support Line',
  '고객센터 대표번호',
  'Sales, Outbound',
  'VIP Hotline',
  'Billing Line',
];

export const PAYROLL_UNIT_NAMES: readonly string[] = [
  'Seoul Contact Center',
  '부산 센터',
  'Remote, Evening Shift',
];

/** Weighted by repetition: most inbound calls have no campaign. */
export const CAMPAIGNS: readonly string[] = [
  '',
  '',
  '',
  '',
  'Spring Promo 2026',
  'Retention Q2',
  '"Win-back" Q1',
  '신규 가입 캠페인',
];

export const DISPOSITIONS: readonly string[] = [
  'Resolved',
  'Resolved',
  'Resolved',
  'Resolved',
  'Callback Requested',
  'Escalated',
  'Transferred',
  '해결됨',
  'Billing, Refund',
  'Wrong Number',
  '',
];

export const RECORDING_STATUSES: readonly string[] = [
  ...Array<string>(47).fill('Success'),
  'Failed',
  'Partial',
  'Not Recorded',
];

export const SCREEN_STATUSES: readonly string[] = ['Success', 'Success', 'Success', 'Not Recorded', ''];

export const TAGS: readonly string[] = [
  '',
  '',
  '',
  '',
  '',
  'VIP',
  'VIP, Complaint',
  'Callback',
  '재문의',
  'Upsell',
];

export const CUSTOMER_NAMES: readonly string[] = [
  '',
  '',
  '홍길동',
  '김철수',
  '이영희',
  'John Doe',
  'Smith, Jane',
  'Maria "Mary" Lopez',
  '박보검',
  'Acme Corp.',
];

/** Free text with no character a CSV encoder must quote. */
export const PLAIN_TEXT: readonly string[] = [
  'Customer asked about the delivery date.',
  'Follow-up scheduled for next week.',
  'Verified account and updated the address.',
  'Billing question resolved on first contact.',
  'Agent followed the script closely.',
  'Long hold while checking inventory.',
  'Good empathy and clear explanation.',
  'Customer requested a supervisor.',
];

/** One pool per awkward feature, so a test can rely on each appearing (see quirks.ts). */
export const QUIRK_TEXT = {
  comma: [
    'Customer called twice, asked for a refund, then cancelled.',
    'Good greeting, weak closing.',
    'Address updated: 12 Main St, Apt 4, Springfield',
  ],
  quote: [
    'Agent said "please hold" without asking permission.',
    'Customer quoted the ad: "50% off today only"',
    'Asked about the 65" TV',
  ],
  crlf: [
    'Line 1: greeting OK\r\nLine 2: verification skipped',
    '상담 요약:\r\n- "환불" 요청\r\n- 처리 완료',
    'Issue: login failure\r\nFix: password reset',
  ],
  lf: ['Summary:\nrefund approved\nemail sent', '고객 불만 접수\n재통화 예정', 'Step 1 done\nStep 2 pending'],
  korean: [
    '고객이 배송 지연에 대해 문의했습니다.',
    '상담원이 친절하게 응대함',
    '환불 요청 처리 완료',
    '요금제 변경 안내, 고객 동의함',
  ],
  emoji: ['Customer was happy 😊', 'Great save 👍🎉', '고객 만족 🙏', 'Escalated 🚨 to tier 2'],
} as const satisfies Record<string, readonly string[]>;
