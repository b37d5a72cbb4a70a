/**
 * wfm-payroll: entries keyed by the payroll-code date in the schedule unit's zone. The generator does
 * no zone math: a slot is a local date, named by the UTC midnight of the same calendar date (CsvSpec
 * says how the server passes such "date labels"), and every row's timestamp is that label.
 */
import { indexColumns, PAYROLL_COLUMNS } from './columns.js';
import type { EntityGenerator, GeneratedRow } from './entity-generator.js';
import { DAY_MS, formatDate, formatDateMinutes, formatDateTime, HOUR_MS, MINUTE_MS, pad } from './format.js';
import { hashString, mix, Rng } from './prng.js';
import { pickText, QUIRKS, type Quirk } from './quirks.js';
import type { TenantPool } from './tenant-pool.js';

const C = indexColumns(PAYROLL_COLUMNS);
const KEY = hashString('wfm-payroll');
/** Ids are `day * 10000 + index`. */
const MAX_ENTRIES_PER_DAY = 9999;

interface PayrollCode {
  code: string;
  description: string;
  activity: string;
  paid: boolean;
  overtime: boolean;
  minHours: number;
  maxHours: number;
}

const code = (
  c: string,
  description: string,
  activity: string,
  paid: boolean,
  minHours: number,
  maxHours: number,
): PayrollCode => ({ code: c, description, activity, paid, overtime: c === 'OT', minHours, maxHours });

/** Weighted by repetition: mostly regular hours. */
const REGULAR = code('REG', 'Regular Hours', 'Open', true, 6, 9);
const CODES: readonly PayrollCode[] = [
  ...Array<PayrollCode>(11).fill(REGULAR),
  code('OT', 'Overtime, 1.5x', 'Open', true, 1, 3),
  code('OT', 'Overtime, 1.5x', 'Open', true, 1, 3),
  code('BRK', 'Paid Break', 'Break', true, 0.25, 0.5),
  code('BRK', 'Paid Break', 'Break', true, 0.25, 0.5),
  code('TRN', 'Training', 'Coaching "Soft Skills"', true, 1, 2),
  code('PTO', 'Paid Time Off', 'Vacation', true, 8, 8),
  code('SICK', 'Sick Leave', 'Sick', false, 4, 8),
  code('NGT', '야간 근무 수당', '야간 상담', true, 2, 6),
];

const APPROVALS = [
  'Approved',
  'Approved',
  'Approved',
  'Approved',
  'Approved',
  'Pending',
  'Pending',
  'Rejected',
];

export const payrollGenerator: EntityGenerator = {
  columns: PAYROLL_COLUMNS,
  driftColumn: 'Cost Center',
  slotMs: DAY_MS,
  spillMs: 0,
  defaultRowsPerDay: 50,
  slotRows(pool, day, rowsPerDay) {
    if (rowsPerDay <= 0) return [];
    const rng = new Rng(pool.hash, KEY, day);
    // At least one entry per quirk each day (quirks.ts); `first` places them among the day's entries.
    const count = Math.min(MAX_ENTRIES_PER_DAY, Math.max(QUIRKS.length, rng.poisson(rowsPerDay)));
    const first = rng.int(count);
    const rows: GeneratedRow[] = [];
    for (let i = 0; i < count; i++) {
      const forced = QUIRKS[(i - first + count) % count];
      rows.push(payrollRow(pool, day, i, forced));
    }
    return rows;
  },
};

function payrollRow(pool: TenantPool, day: number, index: number, forced: Quirk | undefined): GeneratedRow {
  const rng = new Rng(pool.hash, KEY, day, index + 1);
  const label = day * DAY_MS;
  const agent = rng.pick(pool.agents);
  const unit = pool.scheduleUnits[hashString(agent.acdId) % pool.scheduleUnits.length];
  const pc = rng.pick(CODES);
  const minutes = Math.round((pc.minHours + rng.float() * (pc.maxHours - pc.minHours)) * 4) * 15;
  const start = label + rng.between(6, 14) * HOUR_MS + rng.int(4) * 15 * MINUTE_MS;
  const approval = rng.pick(APPROVALS);
  const v = new Array<string>(PAYROLL_COLUMNS.length).fill('');
  v[C['Payroll Entry ID']] = String(day * 10_000 + index);
  v[C['Payroll Date']] = formatDate(label);
  v[C['Schedule Unit']] = unit?.name ?? '';
  v[C['Schedule Unit ID']] = unit?.id ?? '';
  v[C['Agent ID']] = agent.acdId;
  v[C['Employee ID']] = agent.employeeId;
  v[C['Agent Name']] = agent.name;
  v[C['Agent Team']] = agent.team;
  v[C['Payroll Code']] = pc.code;
  v[C['Payroll Code Description']] = pc.description;
  v[C['Activity Name']] = pc.activity;
  v[C['Start Time']] = formatDateMinutes(start);
  v[C['End Time']] = formatDateMinutes(start + minutes * MINUTE_MS);
  v[C['Hours']] = (minutes / 60).toFixed(2);
  v[C['Paid']] = pc.paid ? 'Yes' : 'No';
  v[C['Overtime']] = pc.overtime ? 'Yes' : 'No';
  v[C['Approval Status']] = approval;
  v[C['Approved By']] = approval === 'Pending' ? '' : rng.pick(pool.evaluators).name;
  v[C['Cost Center']] = `CC-${pad(hashString(agent.team) % 10_000, 4)}`;
  v[C['Export Date']] = formatDateTime(label + DAY_MS + rng.between(1, 6) * HOUR_MS);
  v[C['Notes']] = pickText(rng, 0.8, forced);
  return { ts: label, seed: mix(pool.hash, KEY, day, index), values: v };
}
