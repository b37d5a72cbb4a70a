import { ENTITY_NAMES, type EntityName } from '../../src/entities/catalog.js';
import {
  csvHeader,
  csvRows,
  csvStream,
  encodeCsvLine,
  KEY_COLUMNS,
  type CsvSpec,
} from '../../src/simulator/csv/index.js';
import { REVISION_DELAY_MINUTES } from '../../src/simulator/csv/qm-evaluation.js';
import { QM_QUESTION_COLUMNS, QM_WORKFLOW_COLUMNS } from '../../src/simulator/csv/columns.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;
const D0 = Date.UTC(2026, 2, 10);
const FAR_FUTURE = Date.UTC(2030, 0, 1);

function spec(entity: EntityName, startMs: number, endMs: number, extra: Partial<CsvSpec> = {}): CsvSpec {
  return { tenantId: 'tenant-a', entity, startMs, endMs, nowMs: FAR_FUTURE, ...extra };
}

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

/** Rows as sorted strings: a multiset that ignores order. */
function multiset(rows: Iterable<string[]>): string[] {
  return [...rows].map((r) => JSON.stringify(r)).sort();
}

function rowsOfPieces(entity: EntityName, bounds: number[]): string[][][] {
  const pieces: string[][][] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    pieces.push([...csvRows(spec(entity, bounds[i] as number, bounds[i + 1] as number))]);
  }
  return pieces;
}

describe('csvHeader', () => {
  it.each(ENTITY_NAMES)('%s has 20-45 distinct human-readable columns with a unique key', (entity) => {
    const header = csvHeader(spec(entity, D0, D0 + DAY));
    expect(header.length).toBeGreaterThanOrEqual(20);
    expect(header.length).toBeLessThanOrEqual(45);
    expect(new Set(header).size).toBe(header.length);
    expect(header).toContain(KEY_COLUMNS[entity]);
    for (const name of header) expect(name).toMatch(/^[A-Z0-9][A-Za-z0-9 /%-]*$/);
  });

  it('older QM versions are the Singer tap lists exactly; current ones add columns after them', () => {
    const header = (entity: EntityName, version: string | undefined): string[] =>
      csvHeader({ ...spec(entity, D0, D0 + DAY), version, driftFromDate: '2026-01-01' });
    expect(header('qm-workflows', '3')).toEqual(QM_WORKFLOW_COLUMNS.slice(0, 38));
    expect(header('qm-workflows', '3')).toContain('Last Updated');
    expect(header('qm-workflows', '4')).toEqual([...QM_WORKFLOW_COLUMNS]);
    expect(header('qm-questions', '1')).toEqual(QM_QUESTION_COLUMNS.slice(0, 34));
    expect(header('qm-questions', '1').filter((h) => h.includes('%'))).toEqual([
      'Evaluation Score %',
      'Section Score %',
    ]);
    expect(header('qm-questions', '2')).toEqual([...QM_QUESTION_COLUMNS]);
    // The v3 file's booleans are true/false as the tap types them; dates yyyy-mm-dd hh:mm:ss.
    const h3 = header('qm-workflows', '3');
    const rows = [...csvRows({ ...spec('qm-workflows', D0, D0 + DAY), version: '3' })];
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row).toHaveLength(38);
      expect(['true', 'false']).toContain(row[h3.indexOf('Failed Critical Question')]);
      expect(row[h3.indexOf('Last Updated')]).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    }
  });

  it('recording metadata carries every header the contract confirms', () => {
    const header = csvHeader(spec('recording-interaction-metadata', D0, D0 + DAY));
    for (const name of [
      'ACD Call ID',
      'Segment ID',
      'Start Date',
      'Voice Recording Status',
      'Agent 1 Skills',
      'Agent 1 ACD ID',
      'Agent 1 Name',
      'Agent 1 Team',
      'Agent 1 Contact Number',
      'ANI',
      'DNIS',
      'Disposition',
    ]) {
      expect(header).toContain(name);
    }
  });

  it('rejects a window whose start is after its end', () => {
    expect(() => csvHeader(spec('qm-workflows', D0 + DAY, D0))).toThrow(RangeError);
  });
});

describe('encodeCsvLine', () => {
  it('quotes only fields with a comma, quote, CR or LF, doubling quotes', () => {
    expect(encodeCsvLine(['a', 'b,c', 'say "hi"', 'x\ny', 'p\r\nq', '', '김민준'], '\r\n')).toBe(
      'a,"b,c","say ""hi""","x\ny","p\r\nq",,김민준\r\n',
    );
    expect(encodeCsvLine(['only'], '\n')).toBe('only\n');
  });
});

describe('csvRows', () => {
  it.each(ENTITY_NAMES)('%s rows align with the header and have unique keys over three days', (entity) => {
    const s = spec(entity, D0, D0 + 3 * DAY);
    const header = csvHeader(s);
    const key = header.indexOf(KEY_COLUMNS[entity]);
    const rows = [...csvRows(s)];
    expect(rows.length).toBeGreaterThan(50);
    for (const row of rows) expect(row).toHaveLength(header.length);
    // Question rows are told apart by the evaluation (Workflow Instance ID) with the question.
    const question = entity === 'qm-questions' ? header.indexOf('Question ID') : -1;
    const keys = rows.map((r) => (question < 0 ? r[key] : `${r[key]}/${r[question]}`));
    expect(keys.every((k) => k !== '' && k !== '/')).toBe(true);
    // A re-scored QM evaluation comes back under its key with a later submission date: the key and
    // the submission date together are unique.
    const submitted = header.findIndex((h) => h === 'Submission Date' || h === 'Evaluation Submission Date');
    const unique = submitted < 0 ? keys : rows.map((r, i) => `${keys[i]} ${r[submitted]}`);
    expect(new Set(unique).size).toBe(rows.length);
  });

  it('re-scored evaluations come back a day later under the same id, with new values', () => {
    const s = spec('qm-workflows', D0, D0 + 4 * DAY);
    const header = csvHeader(s);
    const col = (name: string): number => header.indexOf(name);
    const byId = new Map<string, string[][]>();
    for (const row of csvRows(s)) {
      const id = row[col('Workflow ID')] as string;
      byId.set(id, [...(byId.get(id) ?? []), row]);
    }
    const revised = [...byId.values()].filter((rows) => rows.length > 1);
    expect(revised.length).toBeGreaterThan(0);
    for (const [first, again, ...more] of revised) {
      expect(more).toEqual([]);
      const at = (r: string[] | undefined): number =>
        Date.parse(`${(r?.[col('Submission Date')] ?? '').replace(' ', 'T')}Z`);
      expect(at(again) - at(first)).toBe(REVISION_DELAY_MINUTES * MINUTE);
      expect([first?.[col('Workflow Status')], first?.[col('Workflow State')]]).toEqual(['Disputed', 'Open']);
      expect([again?.[col('Workflow Status')], again?.[col('Workflow State')]]).toEqual([
        'Completed',
        'Closed',
      ]);
      // Last Updated moves on with the re-submission: the latest one is the current state.
      expect((again?.[col('Last Updated')] ?? '') > (first?.[col('Last Updated')] ?? '')).toBe(true);
    }
    // Re-scoring raises at least one score (a "no" answer upheld on dispute).
    expect(revised.some(([a, b]) => Number(b?.[col('Score')]) > Number(a?.[col('Score')]))).toBe(true);
  });

  it.each([
    ['recording-interaction-metadata', 'Start Date'],
    ['qm-workflows', 'Submission Date'],
    ['qm-questions', 'Evaluation Submission Date'],
    ['qm-evaluation-comment-entity', 'Submission Date'],
  ] as const)('%s rows are timestamped inside the window by %s', (entity, column) => {
    const start = D0 + 3 * HOUR + 17 * MINUTE;
    const end = D0 + 9 * HOUR;
    const s = spec(entity, start, end);
    const index = csvHeader(s).indexOf(column);
    const rows = [...csvRows(s)];
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      const ts = Date.parse(`${(row[index] as string).replace(' ', 'T')}Z`);
      expect(ts).toBeGreaterThanOrEqual(start);
      expect(ts).toBeLessThan(end);
    }
  });

  it('payroll rows carry the local date of their date label', () => {
    const rows = [...csvRows(spec('wfm-payroll', D0, D0 + 2 * DAY))];
    const index = csvHeader(spec('wfm-payroll', D0, D0 + 2 * DAY)).indexOf('Payroll Date');
    expect(new Set(rows.map((r) => r[index]))).toEqual(new Set(['2026-03-10', '2026-03-11']));
  });

  it('is deterministic: the same spec gives the same bytes', async () => {
    for (const entity of ENTITY_NAMES) {
      const s = spec(entity, D0, D0 + DAY, { bom: true });
      const [a, b] = await Promise.all([collect(csvStream(s)), collect(csvStream(s))]);
      expect(a.length).toBeGreaterThan(1000);
      expect(a.equals(b)).toBe(true);
    }
  });

  it('gives different tenants different data', () => {
    for (const entity of ENTITY_NAMES) {
      const a = multiset(csvRows(spec(entity, D0, D0 + DAY)));
      const b = new Set(multiset(csvRows({ ...spec(entity, D0, D0 + DAY), tenantId: 'tenant-b' })));
      expect(a.length).toBeGreaterThan(0);
      expect(a.filter((row) => b.has(row))).toEqual([]);
    }
  });

  it('scales with rowsPerDay and yields nothing at 0', () => {
    const base = [...csvRows(spec('recording-interaction-metadata', D0, D0 + DAY))].length;
    const more = [...csvRows(spec('recording-interaction-metadata', D0, D0 + DAY, { rowsPerDay: 4000 }))]
      .length;
    expect(base).toBeGreaterThan(300);
    expect(base).toBeLessThan(550);
    expect(more).toBeGreaterThan(3500);
    expect(more).toBeLessThan(4600);
    expect([...csvRows(spec('qm-questions', D0, D0 + DAY, { rowsPerDay: 0 }))]).toEqual([]);
  });

  it('QM entities describe the same evaluations with default rates', () => {
    const ids = (entity: EntityName): Set<string> => {
      const s = spec(entity, D0, D0 + DAY);
      const column = { 'qm-workflows': 'Workflow ID', 'qm-questions': 'Workflow Instance ID' } as const;
      const index = csvHeader(s).indexOf(column[entity as keyof typeof column] ?? 'Evaluation ID');
      return new Set([...csvRows(s)].map((r) => r[index] as string));
    };
    const workflows = ids('qm-workflows');
    expect(workflows.size).toBeGreaterThan(30);
    expect(ids('qm-questions')).toEqual(workflows);
    for (const id of ids('qm-evaluation-comment-entity')) expect(workflows.has(id)).toBe(true);
  });
});

describe('window additivity: rows of [a, c) = rows of [a, b) + rows of [b, c)', () => {
  const minuteEntities = ENTITY_NAMES.filter((e) => e !== 'wfm-payroll');

  it.each(minuteEntities)('%s: minute, hour, odd-ms and day splits', (entity) => {
    const a = D0;
    const c = D0 + 2 * DAY;
    const whole = multiset(csvRows(spec(entity, a, c)));
    expect(whole.length).toBeGreaterThan(100);
    for (const b of [a + 7 * HOUR + 13 * MINUTE, a + 12 * HOUR, a + DAY, a + 5 * HOUR + 12_345]) {
      const split = multiset(rowsOfPieces(entity, [a, b, c]).flat());
      expect(split).toEqual(whole);
    }
  });

  it.each(minuteEntities)('%s: a day equals its 24 hours and its 96 quarter hours', (entity) => {
    const whole = multiset(csvRows(spec(entity, D0, D0 + DAY)));
    const hours = Array.from({ length: 25 }, (_, i) => D0 + i * HOUR);
    const quarters = Array.from({ length: 97 }, (_, i) => D0 + i * 15 * MINUTE);
    expect(multiset(rowsOfPieces(entity, hours).flat())).toEqual(whole);
    expect(multiset(rowsOfPieces(entity, quarters).flat())).toEqual(whole);
  });

  it('recordings: a call whose segments straddle a split lands in both pieces, nothing lost', () => {
    const entity = 'recording-interaction-metadata';
    const callIndex = csvHeader(spec(entity, D0, D0 + DAY)).indexOf('ACD Call ID');
    const hours = Array.from({ length: 25 }, (_, i) => D0 + i * HOUR);
    const pieces = rowsOfPieces(entity, hours);
    const pieceOfCall = new Map<string, Set<number>>();
    pieces.forEach((rows, p) =>
      rows.forEach((r) => {
        const id = r[callIndex] as string;
        pieceOfCall.set(id, (pieceOfCall.get(id) ?? new Set()).add(p));
      }),
    );
    const straddling = [...pieceOfCall.values()].filter((set) => set.size > 1);
    expect(straddling.length).toBeGreaterThan(0);
  });

  it('wfm-payroll: day splits', () => {
    const a = D0;
    const c = D0 + 5 * DAY;
    const whole = multiset(csvRows(spec('wfm-payroll', a, c)));
    expect(whole.length).toBeGreaterThan(150);
    for (const b of [a + DAY, a + 2 * DAY, a + 4 * DAY]) {
      expect(multiset(rowsOfPieces('wfm-payroll', [a, b, c]).flat())).toEqual(whole);
    }
    const days = Array.from({ length: 6 }, (_, i) => a + i * DAY);
    expect(multiset(rowsOfPieces('wfm-payroll', days).flat())).toEqual(whole);
  });

  it('holds with late arrival and a "now" inside the window', () => {
    const now = D0 + 20 * HOUR + 7 * MINUTE;
    const extra = { nowMs: now, lateArrivalMaxMs: 30 * MINUTE };
    for (const entity of ENTITY_NAMES) {
      const whole = multiset(csvRows(spec(entity, D0, D0 + DAY, extra)));
      const split = [D0, D0 + 10 * HOUR, D0 + 20 * HOUR, D0 + DAY].map((b, i, all) =>
        i + 1 < all.length ? [...csvRows(spec(entity, b, all[i + 1] as number, extra))] : [],
      );
      expect(multiset(split.flat())).toEqual(whole);
    }
  });
});
