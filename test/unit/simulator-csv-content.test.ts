import { parse } from 'csv-parse/sync';
import { ENTITY_NAMES, type EntityName } from '../../src/entities/catalog.js';
import {
  csvHeader,
  csvRows,
  csvStream,
  DRIFT_COLUMNS,
  encodeCsvLine,
  type CsvSpec,
} from '../../src/simulator/csv/index.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;
const D0 = Date.UTC(2026, 2, 10);
const FAR_FUTURE = Date.UTC(2030, 0, 1);

function spec(entity: EntityName, startMs: number, endMs: number, extra: Partial<CsvSpec> = {}): CsvSpec {
  return { tenantId: 'tenant-a', entity, startMs, endMs, nowMs: FAR_FUTURE, ...extra };
}

async function text(s: CsvSpec): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of csvStream(s)) parts.push(chunk as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

function parseCsv(body: string): string[][] {
  return parse(body, { bom: true }) as string[][];
}

/** The awkward content every day's file must carry. */
const FEATURES: Record<string, (field: string) => boolean> = {
  comma: (f) => f.includes(','),
  quote: (f) => f.includes('"'),
  crlf: (f) => f.includes('\r\n'),
  lf: (f) => /(^|[^\r])\n/.test(f),
  korean: (f) => /[\uac00-\ud7a3]/.test(f),
  emoji: (f) => /\p{Extended_Pictographic}/u.test(f),
  empty: (f) => f === '',
};

describe('CSV content', () => {
  it.each(ENTITY_NAMES)('%s: csv-parse reads back exactly csvRows, with BOM and CRLF', async (entity) => {
    const s = spec(entity, D0, D0 + DAY, { bom: true });
    const body = await text(s);
    expect(body.charCodeAt(0)).toBe(0xfeff);
    expect(parseCsv(body)).toEqual([csvHeader(s), ...csvRows(s)]);
  });

  it.each(ENTITY_NAMES)('%s: LF line endings parse to the same records', async (entity) => {
    const crlf = spec(entity, D0, D0 + DAY);
    const lf = spec(entity, D0, D0 + DAY, { lineEnding: '\n' });
    const body = await text(lf);
    expect(body.startsWith(`${csvHeader(lf).join(',')}\n`)).toBe(true);
    expect(body.charCodeAt(0)).not.toBe(0xfeff);
    expect(body.endsWith('\n') && !body.endsWith('\r\n')).toBe(true);
    expect(parseCsv(body)).toEqual(parseCsv(await text(crlf)));
  });

  it.each(ENTITY_NAMES)('%s: every day carries each awkward feature, at a modest rate', (entity) => {
    for (const tenantId of ['tenant-a', 'tenant-b']) {
      for (let d = 0; d < 4; d++) {
        const rows = [...csvRows(spec(entity, D0 + d * DAY, D0 + (d + 1) * DAY, { tenantId }))];
        for (const [name, has] of Object.entries(FEATURES)) {
          const count = rows.filter((r) => r.some(has)).length;
          expect({ name, day: d, tenantId, present: count > 0 }).toEqual({
            name,
            day: d,
            tenantId,
            present: true,
          });
          if (name === 'crlf' || name === 'lf' || name === 'emoji') {
            expect(count).toBeLessThan(Math.max(10, rows.length * 0.2));
          }
        }
      }
    }
  });

  it('recordings report Success as the usual voice recording status', () => {
    const s = spec('recording-interaction-metadata', D0, D0 + DAY);
    const index = csvHeader(s).indexOf('Voice Recording Status');
    const statuses = [...csvRows(s)].map((r) => r[index]);
    const success = statuses.filter((v) => v === 'Success').length;
    expect(success / statuses.length).toBeGreaterThan(0.85);
  });
});

describe('empty windows', () => {
  it.each(ENTITY_NAMES)('%s: a zero-length window is just the header line', async (entity) => {
    const s = spec(entity, D0 + 5 * HOUR, D0 + 5 * HOUR);
    expect(await text(s)).toBe(encodeCsvLine(csvHeader(s), '\r\n'));
    const withBom = { ...s, bom: true, lineEnding: '\n' as const };
    expect(await text(withBom)).toBe(`\uFEFF${encodeCsvLine(csvHeader(s), '\n')}`);
  });

  it('a window entirely in the future is just the header line', async () => {
    const s = spec('recording-interaction-metadata', D0, D0 + DAY, { nowMs: D0 - 1 });
    expect(await text(s)).toBe(encodeCsvLine(csvHeader(s), '\r\n'));
  });
});

describe('late arrival and "now"', () => {
  const entity = 'recording-interaction-metadata';
  const start = D0;
  const end = D0 + 6 * HOUR;
  const late = 30 * MINUTE;
  const startIndex = csvHeader(spec(entity, start, end)).indexOf('Start Date');
  const tsOf = (row: string[]): number => Date.parse(`${(row[startIndex] as string).replace(' ', 'T')}Z`);
  const rowsAt = (nowMs: number, lateArrivalMaxMs = late): string[][] => [
    ...csvRows(spec(entity, start, end, { nowMs, lateArrivalMaxMs })),
  ];

  it('hides rows until their delay has passed, then shows all of them', () => {
    const all = rowsAt(FAR_FUTURE, 0);
    const atEnd = rowsAt(end);
    const later = rowsAt(end + 10 * MINUTE);
    const settled = rowsAt(end + late);
    expect(atEnd.length).toBeLessThan(all.length);
    expect(later.length).toBeGreaterThan(atEnd.length);
    expect(later.length).toBeLessThanOrEqual(all.length);
    expect(settled).toEqual(all);
    // Only recent rows are missing, and what is visible is a subset of the settled file.
    const visible = new Set(atEnd.map((r) => JSON.stringify(r)));
    for (const row of all) {
      if (!visible.has(JSON.stringify(row))) expect(tsOf(row)).toBeGreaterThan(end - late);
    }
    for (const row of atEnd) expect(all.map((r) => JSON.stringify(r))).toContain(JSON.stringify(row));
  });

  it('never shows rows timestamped after now, even with late arrival off', () => {
    const now = start + 2 * HOUR + 30 * 1000;
    const rows = rowsAt(now, 0);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(tsOf(row)).toBeLessThanOrEqual(now);
    const reference = rowsAt(FAR_FUTURE, 0).filter((r) => tsOf(r) <= now);
    expect(rows).toEqual(reference);
  });
});

describe('schema drift', () => {
  it.each(ENTITY_NAMES)('%s gains its drift column only in files reaching the drift date', (entity) => {
    const column = DRIFT_COLUMNS[entity];
    const driftFromDate = '2026-03-11';
    const driftMs = Date.UTC(2026, 2, 11);
    const before = spec(entity, D0, driftMs, { driftFromDate });
    const across = spec(entity, D0, driftMs + DAY, { driftFromDate });
    expect(csvHeader(before)).not.toContain(column);
    expect(csvHeader(spec(entity, D0, D0 + DAY))).not.toContain(column);
    const header = csvHeader(across);
    expect(header).toContain(column);
    expect(header).toHaveLength(csvHeader(before).length + 1);
    // The new column sits among the others, not at the end: loaders must map by name.
    expect(header.indexOf(column)).toBeLessThan(header.length - 1);

    const index = header.indexOf(column);
    const rows = [...csvRows(across)];
    // The date the API filters on (qm-workflows' Start Date is when the workflow started).
    const filtered = ['Submission Date', 'Evaluation Submission Date', 'Payroll Date', 'Start Date'];
    const dateIndex = header.indexOf(filtered.find((h) => header.includes(h)) ?? '');
    const onDay = (r: string[], day: string): boolean => (r[dateIndex] as string).startsWith(day);
    const old = rows.filter((r) => onDay(r, '2026-03-10'));
    const fresh = rows.filter((r) => onDay(r, '2026-03-11'));
    expect(old.length).toBeGreaterThan(0);
    expect(old.every((r) => r[index] === '')).toBe(true);
    expect(fresh.filter((r) => r[index] !== '').length).toBeGreaterThan(fresh.length / 2);
    // Outside the drift column, the rows are those of the same window without drift.
    const plain = [...csvRows(spec(entity, D0, driftMs + DAY))];
    expect(rows.map((r) => r.filter((_, i) => i !== index))).toEqual(plain);
  });

  it('rejects a malformed drift date', () => {
    expect(() => csvHeader(spec('wfm-payroll', D0, D0 + DAY, { driftFromDate: '2026-3-1' }))).toThrow(
      /yyyy-mm-dd/,
    );
  });
});

describe('recording versions and contact ids', () => {
  const RIM = 'recording-interaction-metadata' as const;

  it('older versions have fewer columns, and every row matches its header', async () => {
    const sizes: number[] = [];
    for (const version of ['7', '8', '9', '10']) {
      const s = spec(RIM, D0, D0 + DAY, { version });
      const rows = parseCsv(await text(s));
      const header = rows[0] ?? [];
      expect(header).toEqual(csvHeader(s));
      expect(rows.length).toBeGreaterThan(10);
      for (const row of rows.slice(1)) expect(row).toHaveLength(header.length);
      sizes.push(header.length);
    }
    expect(sizes).toEqual([...sizes].sort((a, b) => a - b));
    expect(new Set(sizes).size).toBe(4);
    // Same rows in every version: only columns differ.
    const keys = async (version: string) =>
      parseCsv(await text(spec(RIM, D0, D0 + DAY, { version })))
        .slice(1)
        .map((r) => r[1]);
    expect(await keys('7')).toEqual(await keys('10'));
  });

  it('Agent 1 Contact Number is a 12-digit CXone contact id, unique per row', async () => {
    const rows = parseCsv(await text(spec(RIM, D0, D0 + DAY)));
    const at = (rows[0] ?? []).indexOf('Agent 1 Contact Number');
    const ids = rows.slice(1).map((r) => r[at] ?? '');
    expect(ids.every((id) => /^\d{12}$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
