import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import pg from 'pg';
import { migrate } from '../../src/db/migrate.js';
import { withTransaction } from '../../src/db/pool.js';
import { ENTITY_NAMES, stagingTableName } from '../../src/entities/catalog.js';
import { copyWindow } from '../../src/load/index.js';
import { refreshViewsAfterMigrate } from '../../src/reporting/index.js';
import { createEmptyTestDatabase, type TestDatabase } from '../helpers/database.js';
import { stagingRows } from '../helpers/staging-rows.js';

/**
 * Migration 0006 (lean staging rows) on a database the previous release filled: the fixture is a
 * pg_dump --inserts of `npm run demo -- --days 2` run by v0.1 (10 windows, 1,891 rows, the five
 * per-row metadata columns, typed views over them). Every staging row, ledger row and checkpoint must
 * read the same afterwards, and a re-load must replace exactly its window.
 */
const FIXTURE = path.join(import.meta.dirname, '..', 'fixtures', 'v0.1-demo-2days.sql.gz');
const STAGING = 'cxone_staging';
const REPORTING = 'cxone';
const TENANT = 'tenant-demo';

/** An empty database filled from the fixture. */
async function restoredFixture(): Promise<TestDatabase> {
  const restored = await createEmptyTestDatabase();
  const dump = gunzipSync(await readFile(FIXTURE)).toString('utf8');
  // The dump sets search_path to '' for its session: a client of its own, ended after.
  const client = new pg.Client({ connectionString: restored.url });
  await client.connect();
  try {
    await client.query(dump);
  } finally {
    await client.end();
  }
  return restored;
}

let db: TestDatabase;
beforeAll(async () => {
  db = await restoredFixture();
});
afterAll(() => db?.drop());

/** Rows as comparable text: every column but `_load_id` (new), sorted. */
function canonical(rows: Record<string, unknown>[]): string[] {
  return rows
    .map((r) => {
      const entries = Object.entries(r)
        .filter(([k]) => k !== '_load_id')
        .map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v] as const)
        .sort(([a], [b]) => a.localeCompare(b));
      return JSON.stringify(entries);
    })
    .sort();
}

async function ledger(): Promise<{ windows: unknown[]; checkpoints: unknown[] }> {
  const windows = await db.pool.query(
    'SELECT * FROM cxone_etl.windows ORDER BY tenant_id, entity, window_start, window_end',
  );
  const checkpoints = await db.pool.query('SELECT * FROM cxone_etl.checkpoints ORDER BY tenant_id, entity');
  return { windows: windows.rows, checkpoints: checkpoints.rows };
}

describe('migration 0006 on a database loaded by v0.1', () => {
  const before = new Map<string, string[]>();
  let ledgerBefore: Awaited<ReturnType<typeof ledger>>;

  it('the fixture is the old shape: five metadata columns, views over them, 0005 the last migration', async () => {
    const { rows } = await db.pool.query<{ id: number }>('SELECT max(id) AS id FROM cxone_etl.migrations');
    expect(rows[0]?.id).toBe(5);
    let total = 0;
    for (const entity of ENTITY_NAMES) {
      const table = `${STAGING}.${stagingTableName(entity)}`;
      const old = await db.pool.query(`SELECT * FROM ${table}`);
      expect(old.fields.slice(0, 5).map((f) => f.name)).toEqual([
        '_tenant_id',
        '_window_start',
        '_window_end',
        '_job_id',
        '_loaded_at',
      ]);
      before.set(entity, canonical(old.rows as Record<string, unknown>[]));
      total += old.rows.length;
    }
    expect(total).toBe(1891);
    ledgerBefore = await ledger();
    expect(ledgerBefore.windows).toHaveLength(10);
  });

  it('converts every staging table in place: same rows, same ledger and checkpoints', async () => {
    const applied = await migrate(db.pool);
    expect(applied.map((m) => m.name)).toContain('loads');
    for (const entity of ENTITY_NAMES) {
      const table = `${STAGING}.${stagingTableName(entity)}`;
      const columns = await db.pool.query(`SELECT * FROM ${table} LIMIT 0`);
      const names = columns.fields.map((f) => f.name);
      expect(names.filter((n) => n.startsWith('_'))).toEqual(['_load_id']);
      const after = await stagingRows(db.pool, table);
      expect(canonical(after)).toEqual(before.get(entity));
    }
    // Later migrations may add ledger columns (the recovery one does): the old ones keep their values.
    const after = await ledger();
    const oldColumns = Object.keys(ledgerBefore.windows[0] ?? {});
    const windowsAfter = (after.windows as Record<string, unknown>[]).map((w) =>
      Object.fromEntries(oldColumns.map((c) => [c, w[c]])),
    );
    expect({ windows: windowsAfter, checkpoints: after.checkpoints }).toEqual(ledgerBefore);
    // One load per window (each was loaded by one job), with its row count.
    const loads = await db.pool.query<{ n: string; rows: string }>(
      'SELECT count(*)::text AS n, sum(rows_loaded)::text AS rows FROM cxone_etl.loads',
    );
    expect(loads.rows[0]).toEqual({ n: '10', rows: '1891' });
  });

  it('the typed views come back over the new shape, with the same row counts', async () => {
    const missing = await db.pool.query(`SELECT to_regclass('${REPORTING}.qm_workflows') AS v`);
    expect(missing.rows[0].v).toBeNull();
    await refreshViewsAfterMigrate({ stagingSchema: STAGING, reportingSchema: REPORTING, timeZone: 'UTC' })(
      db.pool,
    );
    for (const entity of ENTITY_NAMES) {
      const table = stagingTableName(entity);
      const viewed = await db.pool.query<{ n: string; tenants: string[] }>(
        `SELECT count(*)::text AS n, array_agg(DISTINCT _tenant_id) AS tenants FROM ${REPORTING}.${table}`,
      );
      expect(viewed.rows[0]?.n).toBe(String(before.get(entity)?.length));
      expect(viewed.rows[0]?.tenants).toEqual([TENANT]);
    }
  });

  it('a re-load after the migration replaces exactly its window', async () => {
    const entity = 'qm-workflows';
    const table = `${STAGING}.${stagingTableName(entity)}`;
    const window = (ledgerBefore.windows as { entity: string; window_start: Date; window_end: Date }[]).find(
      (w) => w.entity === entity,
    );
    if (!window) throw new Error('no qm-workflows window in the fixture');
    const all = await stagingRows(db.pool, table);
    const inWindow = (r: Record<string, unknown>): boolean =>
      (r._window_start as Date).getTime() === window.window_start.getTime();
    const others = canonical(all.filter((r) => !inWindow(r)));
    expect(others.length).toBeLessThan(all.length);

    const loaded = await withTransaction(db.pool, (client) =>
      copyWindow(client, {
        schema: STAGING,
        entity,
        tenantId: TENANT,
        windowStart: window.window_start,
        windowEnd: window.window_end,
        jobId: 'reload-after-migration',
        source: Readable.from([Buffer.from('Evaluation ID,Total Score\r\nnew-1,10\r\nnew-2,20\r\n')]),
      }),
    );
    expect(loaded.deleted).toBe(all.length - others.length);
    const after = await stagingRows(db.pool, table);
    expect(canonical(after.filter((r) => !inWindow(r)))).toEqual(others);
    expect(
      after
        .filter(inWindow)
        .map((r) => [r._job_id, r.evaluation_id, r.total_score])
        .sort(),
    ).toEqual([
      ['reload-after-migration', 'new-1', '10'],
      ['reload-after-migration', 'new-2', '20'],
    ]);
  });
});

describe('migration 0006 when someone built a view on ours', () => {
  let other: TestDatabase;
  beforeAll(async () => {
    other = await restoredFixture();
  });
  afterAll(() => other?.drop());

  it('stops with a message naming the view and what to do, and changes nothing', async () => {
    await other.pool.query(
      `CREATE VIEW public.scores_by_tenant AS SELECT _tenant_id, count(*) AS n FROM ${REPORTING}.qm_workflows GROUP BY 1`,
    );
    const failed = await migrate(other.pool).catch((err: unknown) => err as Error);
    expect(failed).toBeInstanceOf(Error);
    expect((failed as Error).message).toMatch(
      /cannot convert cxone_staging\.qm_workflows .*other views depend on the typed view cxone\.qm_workflows/,
    );
    expect((failed as Error).message).toMatch(/\(hint: drop the views built on it, run the migration again/);
    const { rows } = await other.pool.query<{ id: number }>('SELECT max(id) AS id FROM cxone_etl.migrations');
    expect(rows[0]?.id).toBe(5);
    const still = await other.pool.query(`SELECT _tenant_id FROM ${STAGING}.qm_workflows LIMIT 1`);
    expect(still.rows).toHaveLength(1);
  });
});
