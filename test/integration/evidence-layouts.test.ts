/**
 * Files laid out as the public evidence shows them (docs/API.md, "CSV files": qm-workflows v3 and
 * qm-questions v1 from the Singer tap, their current versions 4 and 2) and in a layout no code names,
 * through the real load path into real Postgres: columns typed from hints and from their values, types
 * kept once decided, and a current-state view on the key each file carries.
 */
import { Readable } from 'node:stream';
import { withTransaction } from '../../src/db/pool.js';
import type { EntityName } from '../../src/entities/catalog.js';
import { ROW_KEYS } from '../../src/entities/row-keys.js';
import { copyWindow } from '../../src/load/index.js';
import { afterWindowLoaded, castChecksFor } from '../../src/reporting/index.js';
import { checkCurrentKeys } from '../../src/check/database-checks.js';
import { schemaCommand } from '../../src/commands/schema.js';
import { statusCommand } from '../../src/commands/status.js';
import type { Database } from '../../src/db/open-database.js';
import { csvHeader, csvRows, encodeCsvLine } from '../../src/simulator/csv/index.js';
import type { BodyOverrideJob } from '../../src/simulator/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { startHarness, type Harness } from '../helpers/pipeline.js';
import { textSink } from '../helpers/text-sink.js';

const REPORTING = 'cxone';
const STAGING = 'cxone_staging';

async function viewTypes(
  pool: TestDatabase['pool'],
  view: string,
  columns: string[],
): Promise<Record<string, string>> {
  const { rows } = await pool.query<{ name: string; type: string }>(
    `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
      WHERE attrelid = to_regclass($1) AND attname = ANY($2) ORDER BY attname`,
    [`${REPORTING}.${view}`, columns],
  );
  return Object.fromEntries(rows.map((r) => [r.name, r.type]));
}

/** Rows of the main view, distinct keys, rows of the current view, keys held twice in it. */
async function currentCounts(
  pool: TestDatabase['pool'],
  table: string,
  key: string,
): Promise<{ all: number; keys: number; current: number; dup: number }> {
  const { rows } = await pool.query<Record<string, string>>(
    `SELECT (SELECT count(*) FROM ${REPORTING}.${table})::text AS all,
            (SELECT count(DISTINCT (_tenant_id, ${key})) FROM ${REPORTING}.${table})::text AS keys,
            (SELECT count(*) FROM ${REPORTING}.${table}_current)::text AS current,
            (SELECT count(*) FROM (SELECT 1 FROM ${REPORTING}.${table}_current
                                    GROUP BY _tenant_id, ${key} HAVING count(*) > 1) d)::text AS dup`,
  );
  const r = rows[0] ?? {};
  return { all: Number(r.all), keys: Number(r.keys), current: Number(r.current), dup: Number(r.dup) };
}

describe.each([
  [
    'the Singer tap versions (workflows 3, questions 1)',
    'qm-workflows=3,qm-questions=1,recording-interaction-metadata=7',
  ],
  ['the current versions (workflows 4, questions 2)', ''],
])('evidence layouts through the pipeline: %s', (_name, versions) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      env: {
        EXTRACT_ENTITIES: 'recording-interaction-metadata,qm-workflows,qm-questions',
        ...(versions === '' ? {} : { CXONE_ENTITY_VERSIONS: versions }),
      },
    });
    const run = await h.run();
    expect(run.summary.failed).toBe(0);
  });
  afterAll(() => h?.close());

  it('loads the layout and types dates, numbers and booleans', async () => {
    const { rows } = await h.db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM information_schema.columns
        WHERE table_schema = $1 AND table_name = 'qm_workflows' AND column_name NOT LIKE '\\_%'`,
      [STAGING],
    );
    // v3 is the tap's whole list: 38 columns. v4 adds four (ASSUMED), one of them the drift column,
    // which files show only from the drift date (none set here).
    expect(rows[0]?.n).toBe(versions === '' ? 41 : 38);
    expect(
      await viewTypes(h.db.pool, 'qm_workflows', [
        'last_updated',
        'start_date',
        'score',
        'rank',
        'score_percentage',
        'failed_critical_question',
        'auto_acknowledged',
        'workflow_id',
      ]),
    ).toEqual({
      auto_acknowledged: 'boolean',
      failed_critical_question: 'boolean',
      last_updated: 'timestamp with time zone',
      rank: 'numeric',
      score: 'numeric',
      score_percentage: 'numeric',
      start_date: 'timestamp with time zone',
      workflow_id: 'text',
    });
    expect(
      await viewTypes(h.db.pool, 'qm_questions', [
        'actual_score',
        'evaluation_score',
        'max_score',
        'critical',
        'mandatory',
        'scorable',
        'interaction_start_date',
        'workflow_instance_id',
      ]),
    ).toEqual({
      actual_score: 'numeric',
      critical: 'boolean',
      evaluation_score: 'numeric',
      interaction_start_date: 'timestamp with time zone',
      mandatory: 'boolean',
      max_score: 'numeric',
      scorable: 'boolean',
      workflow_instance_id: 'text',
    });
    expect(await viewTypes(h.db.pool, 'recording_interaction_metadata', ['start_date'])).toEqual({
      start_date: 'timestamp with time zone',
    });
    // Typed values are there, not NULLs: every booleans and dates column read its values.
    const { rows: nulls } = await h.db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${REPORTING}.qm_questions WHERE mandatory IS NULL OR actual_score IS NULL AND scorable`,
    );
    expect(nulls[0]?.n).toBe(0);
  });

  it('keeps one row per key in the current views, the re-scored workflow at its latest update', async () => {
    const workflows = await currentCounts(h.db.pool, 'qm_workflows', 'workflow_id');
    // The data needs the view: re-scored evaluations come back under the same workflow id.
    expect(workflows.all).toBeGreaterThan(workflows.keys);
    expect(workflows).toMatchObject({ current: workflows.keys, dup: 0 });
    const questions = await currentCounts(h.db.pool, 'qm_questions', '(workflow_instance_id, question_id)');
    expect(questions.all).toBeGreaterThan(questions.keys);
    expect(questions).toMatchObject({ current: questions.keys, dup: 0 });
    const recordings = await currentCounts(
      h.db.pool,
      'recording_interaction_metadata',
      '(acd_call_id, segment_id)',
    );
    expect(recordings).toMatchObject({ current: recordings.keys, dup: 0 });
    expect(recordings.current).toBeGreaterThan(0);
    const { rows: stale } = await h.db.pool.query(
      `SELECT c.workflow_id FROM ${REPORTING}.qm_workflows_current c
         JOIN ${REPORTING}.qm_workflows a USING (_tenant_id, workflow_id)
        WHERE a.last_updated > c.last_updated`,
    );
    expect(stale).toEqual([]);
    // The demo's example queries read the evidence columns.
    const { rows: scores } = await h.db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${REPORTING}.qm_workflows_current WHERE score_percentage IS NOT NULL`,
    );
    expect(scores[0]?.n).toBe(workflows.keys);
  });

  it('status says when an entity has no current-state key, and how to set one', async () => {
    const { out, text } = textSink();
    const db = { pool: h.db.pool } as unknown as Database;
    // A key override naming a header these files do not have leaves qm-workflows without a key.
    const currentKeys = new Map([
      ['qm-workflows' as const, { candidates: [['Evaluation Key']], versions: ['Modified On'] }],
    ]);
    await statusCommand({ db, clock: h.clock, out, config: { ...h.config, currentKeys } }, { json: false });
    expect(text()).toMatch(
      /qm-workflows: no current-state view: none of its key candidates \(Evaluation Key\)/,
    );
    expect(text()).toContain('REPORTING_CURRENT_KEYS=qm-workflows=');
    expect(text()).not.toMatch(/qm-questions: no current-state view/);
  });
});

/**
 * The simulator's qm-workflows files rewritten into a layout no code names: headers renamed (other case,
 * punctuation, camelCase, or words no hint knows), columns in reverse order, and an extra numeric column.
 */
const RENAMED: Record<string, string> = {
  'Workflow ID': 'workflowId',
  'Last Updated': 'LAST-UPDATED',
  'Submission Date': 'submission_date',
  'Score Percentage': 'Pct Score',
  Rank: 'Rank Position',
  'Failed Critical Question': 'Failed critical question?',
};

function unknownLayout(job: BodyOverrideJob): Buffer {
  const spec = {
    tenantId: job.tenantId,
    entity: job.entity,
    startMs: job.startMs,
    endMs: job.endMs,
    nowMs: job.endMs,
  };
  const header = csvHeader(spec);
  const order = header.map((_, i) => header.length - 1 - i);
  const names = order.map((i) => {
    const name = header[i] as string;
    return RENAMED[name] ?? name;
  });
  const lines = [encodeCsvLine([...names, 'Handle Minutes'], '\r\n')];
  let n = 0;
  for (const row of csvRows(spec)) {
    lines.push(
      encodeCsvLine([...order.map((i) => row[i] as string), (4 + (n++ % 7) * 1.25).toFixed(2)], '\r\n'),
    );
  }
  return Buffer.from(lines.join(''), 'utf8');
}

describe('a layout no code names, through the pipeline', () => {
  let h: Harness;
  afterAll(() => h?.close());

  it('is typed from hints and values and gets a current view on the key it carries', async () => {
    h = await startHarness({
      env: { EXTRACT_ENTITIES: 'qm-workflows' },
      sim: { faults: { bodyOverride: unknownLayout } },
    });
    const run = await h.run();
    expect(run.summary.failed).toBe(0);
    expect(
      await viewTypes(h.db.pool, 'qm_workflows', [
        'workflowid',
        'last_updated',
        'submission_date',
        'pct_score',
        'rank_position',
        'failed_critical_question',
        'handle_minutes',
      ]),
    ).toEqual({
      failed_critical_question: 'boolean',
      handle_minutes: 'numeric',
      last_updated: 'timestamp with time zone',
      pct_score: 'numeric',
      rank_position: 'bigint',
      submission_date: 'timestamp with time zone',
      workflowid: 'text',
    });
    const { rows: learned } = await h.db.pool.query<{ column_name: string }>(
      `SELECT column_name FROM cxone_etl.column_types WHERE origin = 'learned' ORDER BY 1`,
    );
    expect(learned.map((r) => r.column_name)).toEqual(['handle_minutes', 'pct_score', 'rank_position']);
    const workflows = await currentCounts(h.db.pool, 'qm_workflows', 'workflowid');
    expect(workflows.all).toBeGreaterThan(workflows.keys);
    expect(workflows).toMatchObject({ current: workflows.keys, dup: 0 });
    const { rows: stale } = await h.db.pool.query(
      `SELECT c.workflowid FROM ${REPORTING}.qm_workflows_current c
         JOIN ${REPORTING}.qm_workflows a USING (_tenant_id, workflowid)
        WHERE a.last_updated > c.last_updated`,
    );
    expect(stale).toEqual([]);
  });
});

describe('a layout no code names', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db?.drop());
  const entity: EntityName = 'qm-workflows';
  const day = (d: number): Date => new Date(Date.UTC(2026, 2, d));

  async function load(
    start: Date,
    csv: string,
    currentKeys?: Map<EntityName, (typeof ROW_KEYS)[EntityName]>,
    tenantId = 'acme',
  ) {
    const end = new Date(start.getTime() + 86_400_000);
    return withTransaction(db.pool, async (client) => {
      const loaded = await copyWindow(client, {
        schema: STAGING,
        entity,
        tenantId,
        windowStart: start,
        windowEnd: end,
        jobId: `job-${start.toISOString()}`,
        source: Readable.from([Buffer.from(csv)]),
        checks: castChecksFor(entity),
      });
      const outcome = await afterWindowLoaded(client, {
        stagingSchema: STAGING,
        reportingSchema: REPORTING,
        entity,
        tenantId,
        windowStart: start,
        windowEnd: end,
        timeZone: 'UTC',
        now: start.getTime(),
        currentKeys,
        load: loaded,
      });
      expect(outcome.errors).toEqual([]);
      return outcome;
    });
  }

  const rows = (from: number, n: number, effort: (i: number) => string, updated: string): string =>
    Array.from(
      { length: n },
      (_, i) => `${effort(i)},true,${from + i},${(50 + i).toFixed(1)},${updated}\r\n`,
    ).join('');
  // Renamed (camelCase, other case and punctuation) and reordered, with an extra numeric column.
  const header = 'Customer Effort,FAILED-CRITICAL-QUESTION,workflowId,score percentage,LastUpdated\r\n';

  it('types hinted and unknown columns, keys the current view, keeps types, learns new columns', async () => {
    await load(day(10), header + rows(100, 8, (i) => String(i + 1.5), '2026-03-10 08:00:00'));
    expect(
      await viewTypes(db.pool, 'qm_workflows', [
        'customer_effort',
        'failed_critical_question',
        'workflowid',
        'score_percentage',
        'lastupdated',
      ]),
    ).toEqual({
      customer_effort: 'numeric',
      failed_critical_question: 'boolean',
      lastupdated: 'timestamp with time zone',
      score_percentage: 'numeric',
      workflowid: 'text',
    });
    const { rows: origins } = await db.pool.query<{ column_name: string; origin: string; n: number | null }>(
      `SELECT column_name, origin, learned_from AS n FROM cxone_etl.column_types
        WHERE entity = $1 ORDER BY column_name`,
      [entity],
    );
    expect(origins).toEqual([
      { column_name: 'customer_effort', origin: 'learned', n: 8 },
      { column_name: 'failed_critical_question', origin: 'hint', n: null },
      { column_name: 'lastupdated', origin: 'hint', n: null },
      { column_name: 'score_percentage', origin: 'hint', n: null },
      { column_name: 'workflowid', origin: 'hint', n: null },
    ]);

    // Re-scored: two workflows come back a day later with a later update; one value is malformed.
    const later = await load(
      day(11),
      header + rows(100, 2, (i) => (i === 0 ? 'n/a' : '7.25'), '2026-03-11 09:30:00'),
    );
    expect(later.castProblems).toEqual([
      { column: 'customer_effort', type: 'numeric', failed: 1, sample: 'n/a' },
    ]);
    expect(await viewTypes(db.pool, 'qm_workflows', ['customer_effort'])).toEqual({
      customer_effort: 'numeric',
    });
    const { rows: current } = await db.pool.query<{ id: string; effort: string | null; n: number }>(
      `SELECT workflowid AS id, customer_effort::text AS effort,
              (SELECT count(*)::int FROM ${REPORTING}.qm_workflows_current) AS n
         FROM ${REPORTING}.qm_workflows_current WHERE workflowid IN ('100', '101') ORDER BY 1`,
    );
    expect(current).toEqual([
      { id: '100', effort: null, n: 8 },
      { id: '101', effort: '7.25', n: 8 },
    ]);

    // A column that appears in a later file gets a type on its first load, the others keep theirs.
    await load(
      day(12),
      'workflowId,Handle Seconds,LastUpdated,Customer Effort\r\n' +
        Array.from({ length: 6 }, (_, i) => `${200 + i},${30 * (i + 1)},2026-03-12 10:00:00,abc\r\n`).join(
          '',
        ),
    );
    expect(await viewTypes(db.pool, 'qm_workflows', ['handle_seconds', 'customer_effort'])).toEqual({
      customer_effort: 'numeric',
      handle_seconds: 'bigint',
    });
  });

  it('refuses two headers that read as one column, naming both', async () => {
    await expect(load(day(20), 'Workflow ID,workflow_id\r\n1,2\r\n')).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: expect.stringMatching(/"Workflow ID" \(column 1\) and "workflow_id" \(column 2\)/),
    });
  });

  it('has no current view without a key, says so in check and schema, and builds one from the override', async () => {
    const other: EntityName = 'wfm-payroll';
    const csv =
      'Entry Ref,Worked Hours\r\n' + Array.from({ length: 5 }, (_, i) => `R${i},${i}.5\r\n`).join('');
    const loadPayroll = (keys?: Map<EntityName, (typeof ROW_KEYS)[EntityName]>) =>
      withTransaction(db.pool, async (client) => {
        const loaded = await copyWindow(client, {
          schema: STAGING,
          entity: other,
          tenantId: 'acme',
          windowStart: day(10),
          windowEnd: day(11),
          jobId: 'payroll',
          source: Readable.from([Buffer.from(csv)]),
        });
        return afterWindowLoaded(client, {
          stagingSchema: STAGING,
          reportingSchema: REPORTING,
          entity: other,
          tenantId: 'acme',
          windowStart: day(10),
          windowEnd: day(11),
          timeZone: 'UTC',
          now: day(10).getTime(),
          currentKeys: keys,
          load: loaded,
        });
      });
    expect((await loadPayroll()).view?.current).toBeNull();
    const lines = await checkCurrentKeys(db.pool, {
      stagingSchema: STAGING,
      entities: [other],
      currentKeys: new Map(),
    });
    expect(lines).toEqual([
      expect.objectContaining({
        check: 'current-keys',
        status: 'warn',
        entity: other,
        remedy: expect.stringContaining('REPORTING_CURRENT_KEYS=wfm-payroll='),
      }),
    ]);
    const { out, text } = textSink();
    const config = {
      stagingSchema: STAGING,
      reportingSchema: REPORTING,
      wfmTimeZone: 'UTC',
      currentKeys: new Map(),
    };
    await schemaCommand({ db: { pool: db.pool } as unknown as Database, config, out }, { entity: other });
    expect(text()).toMatch(
      /current: NO current-state view: no key candidate matches the columns \(tried Payroll Entry ID\)/,
    );
    expect(text()).toContain('REPORTING_CURRENT_KEYS');
    const keys = new Map([[other, { candidates: [['entry ref']], versions: [] }]]);
    expect((await loadPayroll(keys)).view?.current).toBe('created');
    const { rows } = await db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${REPORTING}.wfm_payroll_current`,
    );
    expect(rows[0]?.n).toBe(5);
  });

  it('schema shows where each type came from and sets one by hand, rebuilding the view', async () => {
    const first = textSink();
    const deps = {
      db: { pool: db.pool } as unknown as Database,
      config: {
        stagingSchema: STAGING,
        reportingSchema: REPORTING,
        wfmTimeZone: 'UTC',
        currentKeys: new Map(),
      },
      out: first.out,
    };
    await schemaCommand(deps, { entity });
    expect(first.text()).toMatch(/customer_effort\s+numeric\s+learned from 8 values/);
    expect(first.text()).toMatch(/workflowid\s+text\s+hint/);
    expect(first.text()).toContain(
      'qm_workflows_current, one row per tenant and workflowid, latest lastupdated wins',
    );
    const second = textSink();
    await schemaCommand({ ...deps, out: second.out }, { entity, set: 'Customer-Effort=text' });
    expect(second.text()).toMatch(/customer_effort\s+text\s+set by hand/);
    expect(await viewTypes(db.pool, 'qm_workflows', ['customer_effort'])).toEqual({
      customer_effort: 'text',
    });
    const { rows } = await db.pool.query<{ effort: string }>(
      `SELECT customer_effort AS effort FROM ${REPORTING}.qm_workflows WHERE workflowid = '100' ORDER BY _window_start`,
    );
    expect(rows.map((r) => r.effort)).toEqual(['1.5', 'n/a']);
  });
});
