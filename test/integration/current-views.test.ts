import { Readable } from 'node:stream';
import { withTransaction } from '../../src/db/pool.js';
import type { EntityName } from '../../src/entities/catalog.js';
import { copyWindow } from '../../src/load/index.js';
import { afterWindowLoaded, castChecksFor } from '../../src/reporting/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { startHarness, type Harness } from '../helpers/pipeline.js';

/**
 * cxone.<table>_current: one row per tenant and row key, from the latest window (ties: the latest
 * load). A re-scored evaluation comes back in a later window under the same id; the main view keeps
 * both rows, the current view the later one.
 */
const STAGING = 'cxone_staging';
const REPORTING = 'cxone';
const ENTITY: EntityName = 'qm-workflows';
const day = (d: number): Date => new Date(Date.UTC(2026, 2, d));

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.drop());

async function load(tenantId: string, start: Date, csv: string): Promise<string | null> {
  const end = new Date(start.getTime() + 86_400_000);
  return withTransaction(db.pool, async (client) => {
    const loaded = await copyWindow(client, {
      schema: STAGING,
      entity: ENTITY,
      tenantId,
      windowStart: start,
      windowEnd: end,
      jobId: `job-${tenantId}-${start.toISOString().slice(0, 10)}`,
      source: Readable.from([Buffer.from(csv)]),
      checks: castChecksFor(ENTITY),
    });
    const outcome = await afterWindowLoaded(client, {
      stagingSchema: STAGING,
      reportingSchema: REPORTING,
      entity: ENTITY,
      tenantId,
      windowStart: start,
      windowEnd: end,
      timeZone: 'UTC',
      now: Date.now(),
      load: loaded,
    });
    expect(outcome.errors).toEqual([]);
    return outcome.view?.current ?? null;
  });
}

async function current(): Promise<unknown[][]> {
  const { rows } = await db.pool.query<{ t: string; id: string; score: string; day: Date }>(
    `SELECT _tenant_id AS t, evaluation_id AS id, score::text AS score, _window_start AS day
       FROM ${REPORTING}.qm_workflows_current ORDER BY 1, 2`,
  );
  return rows.map((r) => [r.t, r.id, r.score, r.day.toISOString().slice(0, 10)]);
}

describe('current-state views', () => {
  const header = 'Evaluation ID,Score\r\n';

  it('keep one row per tenant and key, from the latest window, typed like the main view', async () => {
    expect(await load('a', day(14), `${header}E1,50\r\nE2,70\r\n,1\r\n`)).toBe('created');
    expect(await load('a', day(15), `${header}E1,90\r\nE3,10\r\n`)).toBe('unchanged');
    await load('b', day(14), `${header}E1,5\r\n`);
    expect(await current()).toEqual([
      ['a', 'E1', '90', '2026-03-15'],
      ['a', 'E2', '70', '2026-03-14'],
      ['a', 'E3', '10', '2026-03-15'],
      ['b', 'E1', '5', '2026-03-14'],
    ]);
    // The main view keeps every window's rows, the keyless one included.
    const all = await db.pool.query(`SELECT count(*)::int AS n FROM ${REPORTING}.qm_workflows`);
    expect(all.rows[0].n).toBe(6);
    const types = await db.pool.query<{ name: string; type: string }>(
      `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
        WHERE attrelid = '${REPORTING}.qm_workflows_current'::regclass AND attname IN ('score', '_window_start')
        ORDER BY attname`,
    );
    expect(types.rows).toEqual([
      { name: '_window_start', type: 'timestamp with time zone' },
      { name: 'score', type: 'numeric' },
    ]);
  });

  it('a later load of an earlier window does not win over a later window', async () => {
    // A lookback re-loads 14 March after 15 March was loaded: E1's current row stays 15 March's.
    await load('a', day(14), `${header}E1,55\r\nE2,75\r\n`);
    expect(await current()).toEqual([
      ['a', 'E1', '90', '2026-03-15'],
      ['a', 'E2', '75', '2026-03-14'],
      ['a', 'E3', '10', '2026-03-15'],
      ['b', 'E1', '5', '2026-03-14'],
    ]);
  });

  it('gains the columns the main view gains (drift)', async () => {
    expect(await load('a', day(16), `Evaluation ID,Score,Calibrated\r\nE3,12,Yes\r\n`)).toBe('replaced');
    const { rows } = await db.pool.query(
      `SELECT evaluation_id, score::text AS score, calibrated FROM ${REPORTING}.qm_workflows_current
        WHERE _tenant_id = 'a' AND evaluation_id = 'E3'`,
    );
    expect(rows).toEqual([{ evaluation_id: 'E3', score: '12', calibrated: 'Yes' }]);
  });
});

describe('current-state views on simulator data with re-scored evaluations', () => {
  let h: Harness;
  afterAll(() => h?.close());

  it('have exactly one row per key, carrying the latest submission', async () => {
    h = await startHarness({
      env: { EXTRACT_ENTITIES: 'qm-workflows,qm-questions,qm-evaluation-comment-entity' },
    });
    const run = await h.run();
    expect(run.summary.failed).toBe(0);
    for (const [table, key] of [
      ['qm_workflows', 'workflow_id'],
      ['qm_questions', '(workflow_instance_id, question_id)'],
      ['qm_evaluation_comment_entity', 'comment_id'],
    ] as const) {
      const { rows } = await h.db.pool.query<{ all: string; keys: string; current: string; dup: string }>(
        `SELECT (SELECT count(*) FROM ${REPORTING}.${table})::text AS all,
                (SELECT count(DISTINCT (_tenant_id, ${key})) FROM ${REPORTING}.${table})::text AS keys,
                (SELECT count(*) FROM ${REPORTING}.${table}_current)::text AS current,
                (SELECT count(*) FROM (SELECT 1 FROM ${REPORTING}.${table}_current
                                        GROUP BY _tenant_id, ${key} HAVING count(*) > 1) d)::text AS dup`,
      );
      const r = rows[0];
      // The data needs the view: some keys come back in a later window.
      expect(Number(r?.all)).toBeGreaterThan(Number(r?.keys));
      expect([table, r?.current, r?.dup]).toEqual([table, r?.keys, '0']);
    }
    // Each re-scored evaluation's current row is its later update, with the later score.
    const { rows: wrong } = await h.db.pool.query(
      `SELECT c.workflow_id FROM ${REPORTING}.qm_workflows_current c
         JOIN ${REPORTING}.qm_workflows a USING (_tenant_id, workflow_id)
        WHERE a.last_updated > c.last_updated
           OR (a.last_updated = c.last_updated AND a.score IS DISTINCT FROM c.score)`,
    );
    expect(wrong).toEqual([]);
    const { rows: revised } = await h.db.pool.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM ${REPORTING}.qm_workflows_current WHERE workflow_state = 'Closed'
          AND workflow_id IN (SELECT workflow_id FROM ${REPORTING}.qm_workflows
                               WHERE workflow_status = 'Disputed' GROUP BY 1)`,
    );
    expect(Number(revised[0]?.n)).toBeGreaterThan(0);
  });
});
