import { eraseCommand } from '../../src/commands/erase.js';
import { schemaCommand } from '../../src/commands/schema.js';
import { statusCommand } from '../../src/commands/status.js';
import { hashText } from '../../src/load/index.js';
import { Secret } from '../../src/lib/secret.js';
import { DEFAULT_TENANT } from '../../src/simulator/index.js';
import { databaseText } from '../helpers/database-text.js';
import { canonicalRows, startHarness, type Harness } from '../helpers/pipeline.js';
import { textSink } from '../helpers/text-sink.js';

const KEY = 'test-pii-key-0123456789abcdef';
const RECORDINGS = 'recording-interaction-metadata';
const POLICY = [
  '*.ani=hash',
  '*.dnis=hash',
  `${RECORDINGS}.customer_name=hash`,
  `${RECORDINGS}.agent_notes=drop`,
  `${RECORDINGS}.agent_1_name=hash`,
  `${RECORDINGS}.agent_1_acd_id=hash`,
  // The QM files name the agent by the same ACD id (the Singer tap's `agentId`, docs/API.md).
  'qm-workflows.agent_id=hash',
].join(';');
const ENV = {
  EXTRACT_ENTITIES: `${RECORDINGS},qm-workflows`,
  COLUMN_POLICY: POLICY,
  PII_HASH_KEY: KEY,
};
const HEX64 = /^[0-9a-f]{64}$/;
const hash = (value: string): string => hashText(new Secret(KEY), value);

/**
 * Raw values of the policy's recording columns that appear in no other column of any loaded entity
 * (an agent's name also sits in `agent_2_name`, which stays clear), at least 4 characters long.
 */
async function protectedValues(h: Harness): Promise<string[]> {
  const rows = [...(await h.expectedRows(RECORDINGS)), ...(await h.expectedRows('qm-workflows'))];
  const policyColumns = new Set([
    'ani',
    'dnis',
    'customer_name',
    'agent_notes',
    'agent_1_name',
    'agent_1_acd_id',
    'agent_id',
  ]);
  const inPolicy = new Set<string>();
  const elsewhere = new Set<string>();
  for (const row of rows) {
    for (const [column, value] of Object.entries(row))
      (policyColumns.has(column) ? inPolicy : elsewhere).add(value);
  }
  return [...inPolicy].filter((v) => v.length >= 4 && !elsewhere.has(v));
}

async function columnsOf(h: Harness, schema: string, table: string): Promise<string[]> {
  const { rows } = await h.db.pool.query<{ name: string }>(
    `SELECT attname::text AS name FROM pg_attribute
      WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped`,
    [`${schema}.${table}`],
  );
  return rows.map((r) => r.name);
}

describe('COLUMN_POLICY end to end (simulator + real Postgres)', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  it('a dump of the whole database and the logs hold no raw value of a hashed or dropped column', async () => {
    h = await startHarness({ env: ENV });
    const { summary } = await h.run();
    expect(summary.failed).toBe(0);
    const raw = await protectedValues(h);
    expect(raw.length).toBeGreaterThan(50);
    const { text } = await databaseText(h.db.pool, h.db.url);
    const leaked = raw.filter((v) => text.includes(v) || h.logs().includes(v));
    expect(leaked).toEqual([]);
    // The check can fail: unhashed columns' values are in the same text.
    const kept = (await h.expectedRows(RECORDINGS)).map((r) => r.segment_id).filter((v) => v !== '');
    expect(kept.every((v) => text.includes(v as string))).toBe(true);

    const staging = await h.stagingRows(RECORDINGS);
    expect(staging.length).toBeGreaterThan(0);
    expect(staging.every((r) => r.ani === '' || HEX64.test(r.ani ?? ''))).toBe(true);
    expect(await columnsOf(h, 'cxone_staging', 'recording_interaction_metadata')).not.toContain(
      'agent_notes',
    );
    expect(await columnsOf(h, 'cxone', 'recording_interaction_metadata')).not.toContain('agent_notes');
    expect(await columnsOf(h, 'cxone', 'recording_interaction_metadata')).toContain('ani');
  });

  it('one value gives one hash across two entities and two runs', async () => {
    h = await startHarness({ env: ENV });
    await h.run();
    const expected = await h.expectedRows(RECORDINGS);
    const staging = await h.stagingRows(RECORDINGS);
    const bySegment = new Map(staging.map((r) => [r.segment_id, r]));
    for (const row of expected) {
      const loaded = bySegment.get(row.segment_id);
      expect(loaded?.agent_1_name).toBe(row.agent_1_name === '' ? '' : hash(row.agent_1_name as string));
      expect(loaded?.ani).toBe(row.ani === '' ? '' : hash(row.ani as string));
    }
    const recordingAgents = new Set(staging.map((r) => r.agent_1_acd_id));
    const qmAgents = new Set((await h.stagingRows('qm-workflows')).map((r) => r.agent_id).filter((v) => v));
    expect(qmAgents.size).toBeGreaterThan(3);
    // The same agents, hashed in another entity's column, join: every QM agent is a recordings agent.
    expect([...qmAgents].filter((a) => !recordingAgents.has(a))).toEqual([]);

    h.clock.set(Date.UTC(2026, 2, 17, 2, 0, 0));
    const { summary } = await h.run();
    expect(summary.windows.some((w) => w.reason === 'new')).toBe(true);
    const later = await h.stagingRows(RECORDINGS);
    const newRows = later.filter((r) => String(r._window_start) >= String(new Date(Date.UTC(2026, 2, 15))));
    expect(newRows.length).toBeGreaterThan(0);
    expect(newRows.filter((r) => r.agent_1_acd_id !== '' && !recordingAgents.has(r.agent_1_acd_id))).toEqual(
      [],
    );
  });

  it('dropping a column that a view used rebuilds the views without it', async () => {
    h = await startHarness({ env: { EXTRACT_ENTITIES: RECORDINGS } });
    await h.run();
    expect(await columnsOf(h, 'cxone', 'recording_interaction_metadata')).toContain('agent_notes');
    expect(await columnsOf(h, 'cxone', 'recording_interaction_metadata_current')).toContain('agent_notes');
    const notes = (await h.expectedRows(RECORDINGS))
      .map((r) => r.agent_notes ?? '')
      .filter((v) => v.length > 20);
    expect(notes.length).toBeGreaterThan(0);

    h.clock.set(Date.UTC(2026, 2, 16, 2, 0, 0));
    const { summary } = await h.run(
      { mode: 'run' },
      { env: { EXTRACT_ENTITIES: RECORDINGS, COLUMN_POLICY: `${RECORDINGS}.agent_notes=drop` } },
    );
    expect(summary.failed).toBe(0);
    expect(await columnsOf(h, 'cxone_staging', 'recording_interaction_metadata')).not.toContain(
      'agent_notes',
    );
    expect(await columnsOf(h, 'cxone', 'recording_interaction_metadata')).not.toContain('agent_notes');
    expect(await columnsOf(h, 'cxone', 'recording_interaction_metadata_current')).not.toContain(
      'agent_notes',
    );
    const { rows } = await h.db.pool.query(
      'SELECT count(*)::int AS n FROM cxone.recording_interaction_metadata',
    );
    expect(rows[0].n).toBeGreaterThan(0);
    const { text } = await databaseText(h.db.pool, h.db.url);
    expect(notes.filter((n) => text.includes(n))).toEqual([]);
    // A column the policy drops is not reported missing from the files after it.
    const { rows: flags } = await h.db.pool.query(
      "SELECT missing_columns FROM cxone_etl.quality_flags WHERE kind = 'columns-missing'",
    );
    expect(flags).toEqual([]);
  });

  it('a policy change followed by reload replaces the old raw rows', async () => {
    h = await startHarness({ env: { EXTRACT_ENTITIES: RECORDINGS } });
    await h.run();
    const before = await h.stagingRows(RECORDINGS);
    const day = before.filter((r) => new Date(r._window_start as unknown as string).getUTCDate() === 14);
    expect(day.length).toBeGreaterThan(0);
    expect(day.every((r) => r.ani === '' || !HEX64.test(r.ani ?? ''))).toBe(true);

    const { summary } = await h.run(
      { mode: 'backfill', entities: [RECORDINGS], from: '2026-03-14', to: '2026-03-15' },
      { env: { EXTRACT_ENTITIES: RECORDINGS, COLUMN_POLICY: '*.ani=hash', PII_HASH_KEY: KEY } },
    );
    expect(summary.failed).toBe(0);
    const after = await h.stagingRows(RECORDINGS);
    const reloaded = after.filter((r) => new Date(r._window_start as unknown as string).getUTCDate() === 14);
    expect(reloaded.length).toBe(day.length);
    expect(reloaded.every((r) => r.ani === '' || HEX64.test(r.ani ?? ''))).toBe(true);
    const rawAnis = new Set(day.map((r) => r.ani).filter((a) => a !== ''));
    expect(after.filter((r) => rawAnis.has(r.ani) && reloaded.includes(r))).toEqual([]);
    expect(new Set(reloaded.map((r) => r.ani))).toEqual(
      new Set(day.map((r) => (r.ani === '' ? '' : hash(r.ani as string)))),
    );
    expect(DEFAULT_TENANT.id).toBeTruthy();
  });
});

describe('erase, status and schema with a policy (simulator + real Postgres)', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  async function snapshot(x: Harness): Promise<Map<string, string[]>> {
    const all = new Map<string, string[]>();
    for (const entity of [RECORDINGS, 'qm-workflows'] as const) {
      all.set(entity, canonicalRows(await x.stagingRows(entity)));
    }
    return all;
  }

  it('erase removes exactly the rows holding the value (or its hash) and nothing else; without --yes nothing', async () => {
    h = await startHarness({ env: { ...ENV, COLUMN_POLICY: '*.ani=hash' } });
    await h.run();
    const recordings = await h.expectedRows(RECORDINGS);
    // A call id: the QM files carry the call as `acd_id` (the Singer tap's layout), so the erase finds
    // no `acd_call_id` column there and says so.
    const callId = recordings.map((r) => r.acd_call_id).find((c) => c) as string;
    expect(callId).toBeTruthy();
    // Of another call: the first erase must leave this one's rows for the second.
    const ani = recordings.find((r) => r.ani && r.ani.length > 6 && r.acd_call_id !== callId)?.ani as string;
    const before = await snapshot(h);

    const dry = textSink();
    await eraseCommand(
      { config: h.config, db: h.database, clock: h.clock, out: dry.out },
      { column: 'acd_call_id', value: callId, entity: undefined, yes: false, json: true },
    );
    const planned = JSON.parse(dry.text());
    const expectedRec = recordings.filter((r) => r.acd_call_id === callId).length;
    expect(planned.entities.find((e: { entity: string }) => e.entity === RECORDINGS).rows).toBe(expectedRec);
    expect(planned.entities.find((e: { entity: string }) => e.entity === 'qm-workflows')).toEqual({
      entity: 'qm-workflows',
      matched: 'no column',
      rows: 0,
    });
    expect(planned.rows).toBe(expectedRec);
    expect(await snapshot(h)).toEqual(before);

    const done = textSink();
    await eraseCommand(
      { config: h.config, db: h.database, clock: h.clock, out: done.out },
      { column: 'acd_call_id', value: callId, entity: undefined, yes: true, json: false },
    );
    expect(done.text()).not.toContain(callId);
    const after = await snapshot(h);
    for (const [entity, rows] of before) {
      const kept = rows.filter((r) => !r.includes(`["acd_call_id","${callId}"]`));
      expect([entity, after.get(entity)]).toEqual([entity, kept]);
    }
    expect(planned.rows).toBe(
      [...before.values()].reduce((n, r) => n + r.length, 0) -
        [...after.values()].reduce((n, r) => n + r.length, 0),
    );

    // A hashed column matches the value's hash; only --entity's table is touched.
    const hashedRows = (await h.stagingRows(RECORDINGS)).filter((r) => r.ani === hash(ani)).length;
    expect(hashedRows).toBeGreaterThan(0);
    const erased = textSink();
    await eraseCommand(
      { config: h.config, db: h.database, clock: h.clock, out: erased.out },
      { column: 'ani', value: ani, entity: RECORDINGS, yes: true, json: true },
    );
    expect(JSON.parse(erased.text()).entities).toEqual([
      { entity: RECORDINGS, matched: 'value or hash', rows: hashedRows },
    ]);
    expect((await h.stagingRows(RECORDINGS)).filter((r) => r.ani === hash(ani))).toEqual([]);

    const { rows: record } = await h.db.pool.query('SELECT * FROM cxone_etl.erasures ORDER BY id');
    expect(record.map((r) => [r.column_name, r.entity, Number(r.rows_deleted)])).toEqual([
      ['acd_call_id', null, planned.rows],
      ['ani', RECORDINGS, hashedRows],
    ]);
    const recordText = JSON.stringify(record);
    expect([recordText.includes(callId), recordText.includes(ani), recordText.includes(hash(ani))]).toEqual([
      false,
      false,
      false,
    ]);
    // The loads' counts still say what staging holds.
    const { rows: counts } = await h.db.pool.query(
      `SELECT (SELECT sum(rows_loaded) FROM cxone_etl.loads WHERE entity = $1)::int AS loads,
              (SELECT count(*) FROM cxone_staging.recording_interaction_metadata)::int AS staging`,
      [RECORDINGS],
    );
    expect(counts[0].loads).toBe(counts[0].staging);
  });

  it('status and schema show each column policy', async () => {
    h = await startHarness({ env: { ...ENV, RETENTION: 'qm-workflows=30d' } });
    await h.run();
    const status = textSink();
    await statusCommand(
      { db: h.database, clock: h.clock, out: status.out, config: h.config },
      { json: false },
    );
    expect(status.text()).toMatch(
      /recording-interaction-metadata +ani=hash, dnis=hash, customer_name=hash, agent_notes=drop, agent_1_name=hash, agent_1_acd_id=hash +kept/,
    );
    expect(status.text()).toMatch(/qm-workflows +ani=hash, dnis=hash, agent_id=hash +30d/);
    // `*.ani=hash` names columns QM files do not have: said, so a misspelt name does not go unnoticed.
    expect(status.text()).toMatch(/qm-workflows: no staging column ani, dnis \(not loaded yet, or misspelt/);
    expect(status.text()).not.toMatch(/recording-interaction-metadata: no staging column/);
    const schema = textSink();
    await schemaCommand({ db: h.database, out: schema.out, config: h.config }, { entity: RECORDINGS });
    expect(schema.text()).toMatch(/^ani +text .* hash /m);
    expect(schema.text()).toMatch(/^segment_id +text .* keep /m);
    expect(schema.text()).toContain('dropped by COLUMN_POLICY (never loaded): agent_notes');
  });
});
