import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { startRunRecord } from '../../src/run/run-record.js';
import { ManualClock } from '../helpers/manual-clock.js';

describe('run record', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => {
    await db.drop();
  });

  it('records a run that threw as failed, with its error', async () => {
    const warnings: unknown[][] = [];
    const record = await startRunRecord(
      db.pool,
      new ManualClock(0),
      { warn: (...a: unknown[]) => void warnings.push(a) },
      't1',
      'cli',
    );
    await record.fail(new Error('token refused'));
    const { rows } = await db.pool.query('SELECT outcome, error FROM cxone_etl.runs WHERE id = $1', [
      record.runId,
    ]);
    expect(rows[0]).toEqual({ outcome: 'failed', error: 'token refused' });
    expect(warnings).toEqual([]);
  });

  it('logs, and does not throw, when the failed run cannot be recorded', async () => {
    const warnings: { obj: { err?: { message?: string }; runId?: number }; msg: string }[] = [];
    const log = { warn: (obj: object, msg: string) => void warnings.push({ obj, msg }) };
    const record = await startRunRecord(db.pool, new ManualClock(0), log as never, 't1', 'cli');
    // Any write of the outcome fails, as it would on a database that went read-only mid-run.
    await db.pool.query(`
      CREATE FUNCTION refuse_update() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'runs is read-only' USING ERRCODE = '25006'; END $$;
      CREATE TRIGGER refuse BEFORE UPDATE ON cxone_etl.runs FOR EACH ROW EXECUTE FUNCTION refuse_update();`);
    await expect(record.fail(new Error('token refused'))).resolves.toBeUndefined();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.obj.runId).toBe(record.runId);
    expect(warnings[0]?.obj.err?.message).toBe('runs is read-only');
    expect(warnings[0]?.msg).toMatch(`run ${record.runId} failed and its outcome could not be recorded`);
    const { rows } = await db.pool.query('SELECT outcome FROM cxone_etl.runs WHERE id = $1', [record.runId]);
    expect(rows[0]?.outcome).toBe('running');
  });
});
