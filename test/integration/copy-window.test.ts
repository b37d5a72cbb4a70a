import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import pg from 'pg';
import { withClient, withTransaction } from '../../src/db/pool.js';
import type { EntityName } from '../../src/entities/catalog.js';
import { EtlError } from '../../src/lib/errors.js';
import {
  copyWindow,
  ensureStagingTable,
  type ColumnAction,
  type CopyWindowInput,
} from '../../src/load/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { stagingRowsSql } from '../helpers/staging-rows.js';

const ENTITY: EntityName = 'recording-interaction-metadata';
const TABLE = 'recording_interaction_metadata';
const DAY1 = new Date('2024-03-01T00:00:00Z');
const NOON1 = new Date('2024-03-01T12:00:00Z');
const DAY2 = new Date('2024-03-02T00:00:00Z');
const DAY3 = new Date('2024-03-03T00:00:00Z');

let db: TestDatabase;
let schema: string;
let schemas = 0;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());
// A schema per test: each starts without a staging table.
beforeEach(() => {
  schema = `staging_${++schemas}`;
});

// ---------- helpers ----------

/** The bytes in chunks of `size`, so headers and records straddle chunk boundaries. */
async function* chunked(bytes: Buffer, size = 13): AsyncGenerator<Buffer> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

function input(csv: string | Buffer, overrides: Partial<CopyWindowInput> = {}): CopyWindowInput {
  const bytes = typeof csv === 'string' ? Buffer.from(csv, 'utf8') : csv;
  return {
    schema,
    entity: ENTITY,
    tenantId: 't1',
    windowStart: DAY1,
    windowEnd: DAY2,
    jobId: 'job-1',
    source: chunked(bytes),
    ...overrides,
  };
}

function load(csv: string | Buffer, overrides: Partial<CopyWindowInput> = {}) {
  return withTransaction(db.pool, (client) => copyWindow(client, input(csv, overrides)));
}

async function loadError(csv: string | Buffer, overrides: Partial<CopyWindowInput> = {}): Promise<EtlError> {
  try {
    await load(csv, overrides);
  } catch (err) {
    expect(err).toBeInstanceOf(EtlError);
    return err as EtlError;
  }
  throw new Error('expected the load to fail');
}

async function select(columns: string[], where = 'TRUE'): Promise<Array<Array<string | null>>> {
  const list = columns.map((c) => pg.escapeIdentifier(c)).join(', ');
  const result = await db.pool.query({
    text: `SELECT ${list} FROM (${stagingRowsSql(`${pg.escapeIdentifier(schema)}.${TABLE}`)}) r WHERE ${where}`,
    rowMode: 'array',
  });
  return result.rows as Array<Array<string | null>>;
}

async function count(where = 'TRUE'): Promise<number> {
  const result = await db.pool.query(
    `SELECT count(*)::int AS n FROM (${stagingRowsSql(`${pg.escapeIdentifier(schema)}.${TABLE}`)}) r WHERE ${where}`,
  );
  return result.rows[0].n;
}

async function tableExists(name = `${schema}.${TABLE}`): Promise<boolean> {
  const result = await db.pool.query('SELECT to_regclass($1) IS NOT NULL AS found', [name]);
  return result.rows[0].found;
}

const sorted = (rows: unknown[][]): string[] => rows.map((r) => JSON.stringify(r)).sort();

// ---------- loading ----------

describe('copyWindow', () => {
  it('loads quoting, embedded newlines and Korean exactly as csv-parse reads the same bytes', async () => {
    const csv =
      '\uFEFFACD Call ID,Agent 1 Name,Agent Notes,Tags,Empty\r\n' +
      '1001,"Kim, Min-su","Line 1: greeting OK\r\nLine 2: verification skipped",a,\r\n' +
      '1001,김민수,"상담 요약:\r\n- ""환불"" 요청\r\n- 처리 완료",,""\r\n' +
      '1002,"O\'Brien ""Bob""","Summary:\nrefund approved\nemail sent",😊,x\r\n' +
      '1003,plain,"ends with newline\n","a,b,c",\r\n' +
      '1004,"""",",",   spaced   ,"\\N"\r\n';
    const bytes = Buffer.from(csv, 'utf8');
    const result = await load(bytes);

    const [header, ...expected] = parse(bytes, { bom: true }) as string[][];
    expect(result.header).toEqual(header);
    expect(result.columns).toEqual(['acd_call_id', 'agent_1_name', 'agent_notes', 'tags', 'empty']);
    expect(result).toMatchObject({
      rows: 5,
      records: 5,
      bytes: bytes.length,
      createdTable: true,
      deleted: 0,
    });
    expect(sorted(await select(result.columns))).toEqual(sorted(expected));
  });

  it('loads a larger random file in 64 KiB chunks with the same content as csv-parse', async () => {
    const pieces = ['plain', 'a,b', 'say "hi"', 'x\ny', 'x\r\ny', '고객 불만 접수', '', '👍🎉', '\\.', ' '];
    const lines = ['Segment ID,Start Date,Agent Notes,Customer Name'];
    for (let i = 0; i < 5000; i++) {
      const fields = [String(i), `2024-03-01 00:${String(i % 60).padStart(2, '0')}:00`];
      fields.push(pieces[i % pieces.length] as string, pieces[(i * 7) % pieces.length] as string);
      lines.push(
        fields.map((f) => (/[",\r\n\\]/.test(f) || f === '' ? `"${f.replace(/"/g, '""')}"` : f)).join(','),
      );
    }
    const bytes = Buffer.from(lines.join('\r\n') + '\r\n', 'utf8');
    const result = await load(bytes, { source: chunked(bytes, 65536) });
    const [, ...expected] = parse(bytes) as string[][];
    expect(result).toMatchObject({ rows: 5000, records: 5000 });
    expect(sorted(await select(result.columns))).toEqual(sorted(expected));
  });

  it("applies column actions: a dropped column is not in the table, a replaced one holds the hook's text", async () => {
    const csv =
      'ACD Call ID,ANI,Agent Notes,Customer Name\r\n' +
      '1,010-1234,"note, with comma",김민수\r\n' +
      '2,"010-""9""","multi\r\nline",\r\n';
    const bytes = Buffer.from(csv, 'utf8');
    const columnActions = new Map<number, ColumnAction>([
      [1, { kind: 'replace', replace: (v) => `masked "${v.length}"` }],
      [3, { kind: 'drop' }],
    ]);
    const result = await load(bytes, { columnActions, source: chunked(bytes, 7) });
    expect(result).toMatchObject({ rows: 2, records: 2, bytes: bytes.length });
    expect(result.header).toEqual(['ACD Call ID', 'ANI', 'Agent Notes', 'Customer Name']);
    expect(result.columns).toEqual(['acd_call_id', 'ani', 'agent_notes']);
    const live = await db.pool.query(
      `SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped`,
      [`${schema}.${TABLE}`],
    );
    expect(live.rows.map((r) => r.attname)).not.toContain('customer_name');
    expect(sorted(await select(result.columns))).toEqual(
      sorted([
        ['1', 'masked "8"', 'note, with comma'],
        ['2', 'masked "7"', 'multi\r\nline'],
      ]),
    );
  });

  describe('reconciliation against triggers someone added to the staging table', () => {
    async function addTrigger(body: string): Promise<void> {
      await load('A\n0\n');
      await db.pool.query(
        `CREATE OR REPLACE FUNCTION ${schema}.t() RETURNS trigger LANGUAGE plpgsql AS $$ ${body} $$`,
      );
      await db.pool.query(
        `CREATE TRIGGER t BEFORE INSERT ON ${schema}.${TABLE} FOR EACH ROW EXECUTE FUNCTION ${schema}.t()`,
      );
    }

    it("a row a trigger skipped is missing from COPY's own count", async () => {
      await addTrigger(`BEGIN IF NEW.a = 'skip' THEN RETURN NULL; END IF; RETURN NEW; END`);
      const err = await loadError('A\n1\nskip\n2\n');
      expect(err.message).toMatch(/COPY loaded 2 rows but the file has 3 records/);
    });

    it('a row a trigger moved to another load is caught by counting the table', async () => {
      await addTrigger(`BEGIN IF NEW.a = 'move' THEN NEW._load_id := 0; END IF; RETURN NEW; END`);
      const err = await loadError('A\n1\nmove\n2\n');
      expect(err.message).toMatch(/COPY loaded 3 rows but the table holds 2 for this window and job/);
    });
  });

  it('accepts a Readable as the source', async () => {
    const result = await load('', {
      source: Readable.from([Buffer.from('A,B\n1,2\n'), Buffer.from('3,4\n')]),
    });
    expect(result.rows).toBe(2);
  });

  it('fills the metadata columns from the window, without touching the CSV bytes', async () => {
    const loadedAt = await withTransaction(db.pool, async (client) => {
      await copyWindow(client, input('ACD Call ID\n1\n2\n', { tenantId: 'tenant-a', jobId: 'job-42' }));
      return (await client.query('SELECT now() AS now')).rows[0].now as Date;
    });
    const rows = await select([
      '_tenant_id',
      '_window_start',
      '_window_end',
      '_job_id',
      '_loaded_at',
      'acd_call_id',
    ]);
    expect(rows).toHaveLength(2);
    for (const [tenant, start, end, job, at] of rows) {
      expect(tenant).toBe('tenant-a');
      expect(start).toEqual(DAY1);
      expect(end).toEqual(DAY2);
      expect(job).toBe('job-42');
      expect(at).toEqual(loadedAt);
    }
  });

  it('refuses a stray INSERT that does not say which tenant and window a row belongs to', async () => {
    await load('A\n1\n');
    await expect(db.pool.query(`INSERT INTO ${schema}.${TABLE} (a) VALUES ('x')`)).rejects.toMatchObject({
      code: '23502',
    });
  });

  it('reading the window again replaces its rows, leaving other tenants and windows alone', async () => {
    await load('A,B\n1,old\n2,old\n');
    await load('A,B\n9,other tenant\n', { tenantId: 't2' });
    await load('A,B\n8,next day\n', { windowStart: DAY2, windowEnd: DAY3 });
    const again = await load('A,B\n1,new\n2,new\n3,new\n');
    expect(again).toMatchObject({ rows: 3, deleted: 2, createdTable: false });
    expect(
      sorted(await select(['a', 'b'], `_tenant_id = 't1' AND _window_start = '${DAY1.toISOString()}'`)),
    ).toEqual(
      sorted([
        ['1', 'new'],
        ['2', 'new'],
        ['3', 'new'],
      ]),
    );
    expect(await count(`_tenant_id = 't2'`)).toBe(1);
    expect(await count(`_window_start = '${DAY2.toISOString()}'`)).toBe(1);
  });

  it('a window containing two smaller loaded windows replaces both', async () => {
    await load('A\nmorning\n', { windowEnd: NOON1 });
    await load('A\nafternoon\nevening\n', { windowStart: NOON1 });
    await load('A\nday 2\n', { windowStart: DAY2, windowEnd: DAY3 });
    const whole = await load('A\nwhole day\n');
    expect(whole.deleted).toBe(3);
    expect(sorted(await select(['a']))).toEqual(sorted([['whole day'], ['day 2']]));
  });

  it('adds a column that appears later; earlier rows read NULL, and so do columns a file lacks', async () => {
    await load('Agent Name,Disposition\nann,ok\n');
    const later = await load('Agent Name,Sentiment Score,Disposition\nbob,0.8,fail\n', {
      windowStart: DAY2,
      windowEnd: DAY3,
    });
    expect(later.addedColumns).toEqual(['sentiment_score']);
    const fewer = await load('Disposition\nlate\n', { tenantId: 't2' });
    expect(fewer.addedColumns).toEqual([]);
    expect(sorted(await select(['agent_name', 'sentiment_score', 'disposition']))).toEqual(
      sorted([
        ['ann', null, 'ok'],
        ['bob', '0.8', 'fail'],
        [null, null, 'late'],
      ]),
    );
  });

  it('a header-only file loads zero rows and empties the window', async () => {
    await load('A,B\n1,2\n');
    const empty = await load('A,B\r\n');
    expect(empty).toMatchObject({ rows: 0, records: 0, deleted: 1, header: ['A', 'B'] });
    expect(await count()).toBe(0);
  });

  it('a zero-byte file empties the window, and is fine before the table exists', async () => {
    const first = await load('');
    expect(first).toMatchObject({ rows: 0, header: null, deleted: 0, columns: [] });
    expect(await tableExists()).toBe(false);
    await load('A\n1\n');
    const empty = await load('');
    expect(empty).toMatchObject({ rows: 0, deleted: 1 });
    expect(await count()).toBe(0);
  });

  it('makes a header crafted as SQL a harmless column', async () => {
    await db.pool.query('CREATE TABLE IF NOT EXISTS x (id int)');
    const result = await load('"""; DROP TABLE x; --",Robert\'); DROP TABLE x;--\n1,2\n');
    expect(result.header).toEqual(['"; DROP TABLE x; --', "Robert'); DROP TABLE x;--"]);
    expect(result.columns).toEqual(['drop_table_x', 'robert_drop_table_x']);
    expect(await tableExists('public.x')).toBe(true);
    expect(await select(result.columns)).toEqual([['1', '2']]);
  });

  it('takes schema names that need quoting', async () => {
    schema = 'Staging "odd"; schema';
    expect((await load('A\n1\n')).rows).toBe(1);
    expect(await count()).toBe(1);
  });
});

// ---------- bad input ----------

describe('copyWindow with bad input', () => {
  const context = { tenant: 't1', entity: ENTITY, window: '2024-03-01/2024-03-02', jobId: 'job-1' };

  /** Loads good data, then fails a load of `csv` in its own transaction: the good data must survive. */
  async function failsKeepingEarlierData(csv: string | Buffer): Promise<EtlError> {
    await load('A,B\nkeep,me\n');
    const err = await loadError(csv, { context });
    expect(err.context).toEqual(context);
    expect(err.message.startsWith('[tenant=t1 entity=recording-interaction-metadata')).toBe(true);
    expect(await select(['a', 'b'])).toEqual([['keep', 'me']]);
    return err;
  }

  it('a ragged row (extra field) fails with BAD_INPUT naming the line, and earlier data is intact', async () => {
    const err = await failsKeepingEarlierData('A,B\n1,2\n3,4,5\n6,7\n');
    expect(err.code).toBe('BAD_INPUT');
    expect(err.message).toMatch(
      /at line 3 of the file \(data line 2\): extra data after last expected column/,
    );
    expect(err.message).toContain('SQLSTATE 22P04');
    expect(err.message).not.toContain('3,4,5'); // the row itself is customer data
    expect((err.cause as { code?: string }).code).toBe('22P04');
  });

  it('a short row fails with BAD_INPUT naming the line and column', async () => {
    const err = await failsKeepingEarlierData('A,B\n1,2\n3\n');
    expect(err.message).toMatch(/at line 3 of the file \(data line 2\): missing data for column "b"/);
  });

  it('a blank line fails with BAD_INPUT saying the line is blank', async () => {
    const err = await failsKeepingEarlierData('A,B\n1,2\n\n');
    expect(err.message).toMatch(
      /at line 3 of the file \(data line 2, a blank line\): missing data for column "b"/,
    );
  });

  it('an HTML error page fails with BAD_INPUT and earlier data is intact', async () => {
    const err = await failsKeepingEarlierData('<html><head><title>403 Forbidden</title></head></html>');
    expect(err.message).toMatch(/HTML page.*403 Forbidden/);
  });

  it('a NUL byte fails with BAD_INPUT naming the record', async () => {
    const err = await failsKeepingEarlierData('A,B\n1,2\n3,"x\ny"\n5,\u0000\n');
    expect(err.message).toMatch(/NUL byte \(0x00\) in record 3/);
  });

  it('an unterminated quote fails with BAD_INPUT naming the record', async () => {
    const err = await failsKeepingEarlierData('A,B\n1,2\n3,"never closed\n5,6\n');
    expect(err.message).toMatch(/unterminated quoted field starting near record 2/);
  });

  it('invalid UTF-8 in the body fails with BAD_INPUT naming the line', async () => {
    const csv = Buffer.concat([Buffer.from('A,B\n1,2\n3,'), Buffer.from([0xc3, 0x28]), Buffer.from('\n')]);
    const err = await failsKeepingEarlierData(csv);
    expect(err.message).toMatch(/the file is not valid UTF-8 at line 3 of the file/);
    expect(err.message).toContain('SQLSTATE 22021');
  });

  it('a line holding only \\. fails instead of silently dropping the rest', async () => {
    const err = await failsKeepingEarlierData('A\n1\n\\.\n2\n');
    expect(err.message).toMatch(/record 2 is a line holding only "\\\."/);
  });

  it('a count mismatch between COPY and the stream fails (reconciliation)', async () => {
    // Bare CR line ends after an LF header: COPY reads three rows, we count one record.
    const err = await failsKeepingEarlierData('A,B\n1,2\r3,4\r5,6');
    expect(err.message).toMatch(/reconciliation failed: COPY loaded 3 rows but the file has 1 records/);
  });

  it('a row too large for Postgres fails with BAD_INPUT', async () => {
    const header = Array.from({ length: 1500 }, (_, i) => `c${i}`).join(',');
    const row = Array.from({ length: 1500 }, () => randomBytes(150).toString('hex')).join(',');
    const err = await failsKeepingEarlierData(`${header}\n${row}\n`);
    expect(err.message).toMatch(/a row is too large for Postgres.*row is too big/);
  });

  it('a header of 2,000 columns fails with a clear error before any DDL', async () => {
    const header = Array.from({ length: 2000 }, (_, i) => `Column ${i}`).join(',');
    const err = await loadError(`${header}\n`);
    expect(err.code).toBe('BAD_INPUT');
    expect(err.message).toMatch(/the header has 2000 columns; a staging table holds at most 1599/);
    expect(await tableExists()).toBe(false);
  });

  it('a header that would take the table past 1,600 columns fails with BAD_INPUT', async () => {
    const columns = (from: number): string =>
      Array.from({ length: 1000 }, (_, i) => `Column ${from + i}`).join(',');
    await load(`${columns(0)}\n`);
    const err = await loadError(`${columns(1000)}\n`, { windowStart: DAY2, windowEnd: DAY3 });
    expect(err.code).toBe('BAD_INPUT');
    expect(err.message).toMatch(/more than 1,600 columns.*SQLSTATE 54011/);
  });

  it('a download that breaks mid-stream fails with DOWNLOAD and earlier data is intact', async () => {
    async function* broken(): AsyncGenerator<Buffer> {
      yield Buffer.from('A,B\n1,2\n');
      throw new Error('socket hang up');
    }
    await load('A,B\nkeep,me\n');
    const err = await loadError('', { source: broken() });
    expect(err.code).toBe('DOWNLOAD');
    expect(err.message).toMatch(/reading the download failed: socket hang up/);
    expect(await select(['a', 'b'])).toEqual([['keep', 'me']]);
  });

  it('leaves the connection usable after a failed COPY', async () => {
    await withClient(db.pool, async (client) => {
      await client.query('BEGIN');
      await expect(copyWindow(client, input('A,B\n1,2,3\n'))).rejects.toBeInstanceOf(EtlError);
      await client.query('ROLLBACK');
      expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    });
  });

  it('refuses to run outside a transaction, before deleting anything', async () => {
    await load('A\nkeep\n');
    const err = await withClient(db.pool, (client) => copyWindow(client, input('A\nnew\n')).catch((e) => e));
    expect(err).toBeInstanceOf(EtlError);
    expect(err.code).toBe('INTERNAL');
    expect(await select(['a'])).toEqual([['keep']]);
  });
});

// ---------- concurrency ----------

describe('staging DDL under concurrency', () => {
  it('two concurrent ensureStagingTable calls on a new table both succeed', async () => {
    const results = await Promise.all(
      [0, 1].map(() =>
        withTransaction(db.pool, async (client) => {
          const result = await ensureStagingTable(client, { schema, table: 'fresh', columns: ['a', 'b'] });
          // Hold the transaction open a moment so the other call really has to wait.
          await client.query('SELECT pg_sleep(0.2)');
          return result;
        }),
      ),
    );
    expect(results.map((r) => r.created).sort()).toEqual([false, true]);
    expect(await tableExists(`${schema}.fresh`)).toBe(true);
  });

  it('two tenants loading into the same new table at once both succeed, and so does concurrent drift', async () => {
    const tenants = ['t1', 't2', 't3'];
    await Promise.all(tenants.map((tenantId) => load(`A,B\n${tenantId},1\n`, { tenantId })));
    const drift = await Promise.all(
      tenants.map((tenantId) => load(`A,New,B\n${tenantId},x,2\n`, { tenantId })),
    );
    expect(drift.flatMap((r) => r.addedColumns)).toEqual(['new']);
    expect(sorted(await select(['_tenant_id', 'a', 'new', 'b']))).toEqual(
      sorted(tenants.map((t) => [t, t, 'x', '2'])),
    );
  });
});
