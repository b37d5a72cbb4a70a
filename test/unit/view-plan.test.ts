import { castSql, zoneOf } from '../../src/reporting/cast-sql.js';
import { canReplaceInPlace, fingerprintOf, planView, viewComment } from '../../src/reporting/view-plan.js';
import type { ColumnType } from '../../src/entities/type-hints.js';
import type { ColumnTypeRecord } from '../../src/reporting/column-types.repository.js';

/** Recorded types (cxone_etl.column_types), as the hints decided them. */
const recorded = (types: Record<string, ColumnType>): Map<string, ColumnTypeRecord> =>
  new Map(
    Object.entries(types).map(([column, type]) => [
      column,
      { column, type, origin: 'hint', learnedFrom: null, decidedAt: 0 },
    ]),
  );
const PAYROLL_TYPES = recorded({
  payroll_entry_id: 'text',
  payroll_date: 'date',
  start_time: 'timestamptz',
  hours: 'numeric',
  paid: 'boolean',
});
const NONE = recorded({});

const META = [{ name: '_load_id', type: 'bigint' }];
const text = (...names: string[]): { name: string; type: string }[] =>
  names.map((name) => ({ name, type: 'text' }));

describe('planView', () => {
  const staging = {
    schema: 'cxone_staging',
    table: 'wfm_payroll',
    columns: [
      ...META,
      ...text('payroll_entry_id', 'payroll_date', 'start_time', 'hours', 'paid', 'unknown_col'),
    ],
  };

  it("shows the load's tenant, window, job and time first, then every column in table order, casting the recorded types", () => {
    const plan = planView('wfm-payroll', staging, 'Asia/Seoul', PAYROLL_TYPES);
    expect(plan.columns.map((c) => [c.name, c.pgType])).toEqual([
      ['_tenant_id', 'text'],
      ['_window_start', 'timestamp with time zone'],
      ['_window_end', 'timestamp with time zone'],
      ['_job_id', 'text'],
      ['_loaded_at', 'timestamp with time zone'],
      ['_load_id', 'bigint'],
      ['payroll_entry_id', 'text'],
      ['payroll_date', 'date'],
      ['start_time', 'timestamp with time zone'],
      ['hours', 'numeric'],
      ['paid', 'boolean'],
      ['unknown_col', 'text'],
    ]);
    expect(plan.select).toBe(
      'SELECT l.tenant_id AS "_tenant_id", l.window_start AS "_window_start", l.window_end AS "_window_end", ' +
        'l.job_id AS "_job_id", l.loaded_at AS "_loaded_at", s._load_id AS "_load_id", s."payroll_entry_id", ' +
        'cxone_etl.try_date(s."payroll_date") AS "payroll_date", ' +
        `cxone_etl.try_timestamptz(s."start_time", 'Asia/Seoul') AS "start_time", ` +
        'cxone_etl.try_numeric(s."hours") AS "hours", cxone_etl.try_bool(s."paid") AS "paid", s."unknown_col" ' +
        'FROM "cxone_staging"."wfm_payroll" s JOIN cxone_etl.loads l ON l.load_id = s._load_id',
    );
  });

  it('the fingerprint changes with the columns and the zone, not otherwise', () => {
    const a = planView('wfm-payroll', staging, 'UTC', PAYROLL_TYPES).fingerprint;
    expect(planView('wfm-payroll', staging, 'UTC', PAYROLL_TYPES).fingerprint).toBe(a);
    expect(planView('wfm-payroll', staging, 'Asia/Seoul', PAYROLL_TYPES).fingerprint).not.toBe(a);
    const drifted = { ...staging, columns: [...staging.columns, ...text('cost_center')] };
    expect(planView('wfm-payroll', drifted, 'UTC', PAYROLL_TYPES).fingerprint).not.toBe(a);
    expect(fingerprintOf(viewComment('cxone_staging.wfm_payroll', a))).toBe(a);
    expect(fingerprintOf(null)).toBeUndefined();
    expect(fingerprintOf('someone else wrote this')).toBeUndefined();
  });

  it('identifiers are quoted, so a hostile header cannot inject SQL', () => {
    const plan = planView(
      'qm-workflows',
      { schema: 's', table: 't', columns: text('x"; DROP TABLE y; --') },
      'UTC',
      NONE,
    );
    expect(plan.select).toMatch(/, s\."x""; DROP TABLE y; --" FROM "s"\."t" s JOIN cxone_etl\.loads l ON /);
    expect(castSql('a"b', { type: 'timestamptz' }, "Bad'Zone")).toBe(
      `cxone_etl.try_timestamptz("a""b", 'Bad''Zone')`,
    );
    expect(castSql('d', { type: 'timestamptz', format: 'MM/DD/YYYY' }, 'UTC')).toBe(
      `cxone_etl.try_timestamptz("d", 'UTC', 'MM/DD/YYYY')`,
    );
  });
});

describe('canReplaceInPlace', () => {
  const planned = planView(
    'qm-workflows',
    { schema: 's', table: 't', columns: [...META, ...text('evaluation_id', 'total_score')] },
    'UTC',
    recorded({ evaluation_id: 'text', total_score: 'numeric' }),
  ).columns;

  it('allows appending columns (drift), nothing else', () => {
    const live = planned.slice(0, 7).map((c) => ({ name: c.name, type: c.pgType }));
    expect(canReplaceInPlace(live, planned)).toBe(true);
    expect(
      canReplaceInPlace(
        planned.map((c) => ({ name: c.name, type: c.pgType })),
        planned,
      ),
    ).toBe(true);
    // total_score was text in an older view: a type change needs DROP.
    expect(canReplaceInPlace([...live, { name: 'total_score', type: 'text' }], planned)).toBe(false);
    // A column the plan no longer has, or a different order.
    expect(
      canReplaceInPlace(
        [...live, { name: 'total_score', type: 'numeric' }, { name: 'gone', type: 'text' }],
        planned,
      ),
    ).toBe(false);
    expect(canReplaceInPlace([...live].reverse(), planned)).toBe(false);
  });
});

describe('zoneOf', () => {
  it('uses the schedule unit zone for wfm-payroll only', () => {
    expect(zoneOf('wfm-payroll', 'Asia/Seoul')).toBe('Asia/Seoul');
    expect(zoneOf('recording-interaction-metadata', 'Asia/Seoul')).toBe('UTC');
  });
});
