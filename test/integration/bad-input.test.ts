/**
 * The bad-input corpus: files under test/fixtures/bad/ plus generated bodies, served
 * by the simulator in place of a job's file (`faults.bodyOverride`), bad answers from the API, and bad
 * configuration given to the real CLI. A body that cannot be loaded must fail its window with an error
 * naming tenant, entity, window and job, and leave the rows that window held untouched (two headers that
 * read as one column among them); the documented oddities (empty header names, header-only and empty
 * files, SQL in a header) load as documented (contract "CSV files": columns from the header, names capped).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { getCheckpoint } from '../../src/extract/checkpoints.repository.js';
import type { WindowReport } from '../../src/extract/types.js';
import { DEFAULT_TENANT } from '../../src/simulator/index.js';
import { REPO_ROOT, runCli, suiteLogDir } from '../helpers/cli-process.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { recordFigures } from '../helpers/figures.js';
import { canonicalRows, startHarness, type Harness } from '../helpers/pipeline.js';
import { readLogDir, scanForSecrets } from '../helpers/secrets.js';

const TENANT = DEFAULT_TENANT.id;
const DAY = 86_400_000;
/** The window every failing case re-extracts (a backfill of a loaded day): its rows must survive. */
const BASE_DAY = Date.UTC(2026, 2, 14);
const BASE_CONTEXT =
  /^\[tenant=tenant-demo entity=qm-workflows window=2026-03-14\.\.2026-03-15 job=[0-9a-f-]{36}\] /;
const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'bad');
const HEADER = 'Workflow ID,Workflow Name,Submission Date';

type Row = Record<string, string | null>;

interface FailingCase {
  name: string;
  body: () => Buffer | Readable;
  /** The error after the context prefix. */
  error: RegExp;
}

interface LoadingCase {
  name: string;
  body: () => Buffer | Readable;
  /** Checks the rows of the case's window (and anything else the case promises). */
  check: (rows: Row[], h: Harness) => Promise<void> | void;
}

const fixture = (file: string) => (): Buffer => readFileSync(path.join(FIXTURES, file));
const text = (s: string) => (): Buffer => Buffer.from(s, 'utf8');

function header(n: number): string {
  return Array.from({ length: n }, (_, i) => `Column ${i + 1}`).join(',');
}

const FAILING: FailingCase[] = [
  {
    // Headers match ignoring case, spacing and punctuation: four spellings of one column, never merged.
    name: 'duplicate header names',
    body: fixture('duplicate-header-names.csv'),
    error:
      /two columns that read as one staging column agent_name: "Agent Name" \(column 1\) and "Agent Name" \(column 2\)/,
  },
  { name: 'unterminated quote', body: fixture('unterminated-quote.csv'), error: /unterminated quoted field/ },
  {
    name: 'stray quote inside a field',
    body: fixture('stray-quote.csv'),
    error: /unterminated quoted field/,
  },
  {
    name: 'ragged row (too few fields)',
    body: fixture('ragged-short-row.csv'),
    error: /the CSV is malformed.*at line 3 of the file.*missing data/,
  },
  {
    name: 'ragged row (too many fields)',
    body: fixture('ragged-long-row.csv'),
    error: /the CSV is malformed.*at line 2 of the file.*extra data/,
  },
  { name: 'blank line between records', body: fixture('blank-line.csv'), error: /a blank line/ },
  {
    name: 'mixed CRLF and LF line ends',
    body: fixture('mixed-line-endings.csv'),
    error: /the CSV is malformed/,
  },
  { name: 'bare CR line ends', body: fixture('bare-cr-line-endings.csv'), error: /bare carriage return/ },
  {
    name: 'end-of-data marker \\. in the body',
    body: fixture('end-of-data-marker.csv'),
    error: /only "\\\."/,
  },
  { name: 'empty first line', body: fixture('empty-first-line.csv'), error: /the first line is empty/ },
  {
    name: 'HTML page served as text/csv',
    body: fixture('html-error-page.csv'),
    error: /an HTML page, not CSV/,
  },
  {
    name: 'S3 XML error served as text/csv',
    body: fixture('s3-xml-error.csv'),
    error: /an XML document.*AccessDenied/,
  },
  { name: 'JSON body', body: fixture('json-error.csv'), error: /the download is JSON/ },
  {
    name: 'invalid UTF-8 in the header',
    body: () =>
      Buffer.concat([Buffer.from('Workflow ID,R'), Buffer.from([0xe9]), Buffer.from('sum\r\n1,x\r\n')]),
    error: /header line is not valid UTF-8/,
  },
  {
    name: 'invalid UTF-8 in a field',
    body: () =>
      Buffer.concat([Buffer.from(`${HEADER}\r\n1,Caf`), Buffer.from([0xe9]), Buffer.from(',x\r\n')]),
    error: /not valid UTF-8/,
  },
  {
    name: 'UTF-16 LE with BOM',
    body: () => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`${HEADER}\r\n1,a,b\r\n`, 'utf16le')]),
    error: /UTF-16/,
  },
  {
    name: 'UTF-16 BE with BOM',
    body: () => {
      const le = Buffer.from(`${HEADER}\r\n1,a,b\r\n`, 'utf16le');
      return Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(le).swap16()]);
    },
    error: /UTF-16/,
  },
  {
    name: 'UTF-16 LE without BOM',
    body: () => Buffer.from(`${HEADER}\r\n1,a,b\r\n`, 'utf16le'),
    error: /NUL byte/,
  },
  {
    name: 'NUL byte in a field',
    body: () => Buffer.concat([Buffer.from(`${HEADER}\r\n1,a`), Buffer.from([0]), Buffer.from('b,c\r\n')]),
    error: /NUL byte/,
  },
  {
    name: 'a header of 2,000 columns',
    body: text(`${header(2000)}\r\n`),
    error: /the header has 2000 columns/,
  },
  {
    name: 'columns the table cannot add (drift past 1,600)',
    body: text(`${header(1590)}\r\n`),
    error: /more than 1,600 columns/,
  },
  {
    name: 'gzip body labelled text/csv',
    body: () => gzipSync(Buffer.from(`${HEADER}\r\n1,a,b\r\n`)),
    error: /gzip-compressed/,
  },
  {
    name: 'zip archive',
    body: () => Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.alloc(600, 1)]),
    error: /zip archive/,
  },
  {
    name: 'a first line over 1 MiB (no header)',
    body: () => Buffer.alloc(1.5 * 1024 * 1024, 'x'),
    error: /longer than 1 MiB/,
  },
];

const LOADING: LoadingCase[] = [
  {
    name: 'an empty header name becomes column_<n>',
    body: fixture('empty-header-name.csv'),
    check: (rows) => expect(rows.map((r) => r.column_2)).toEqual(['x']),
  },
  {
    name: 'header-only file loads 0 rows',
    body: fixture('header-only.csv'),
    check: (rows) => expect(rows).toEqual([]),
  },
  { name: 'zero bytes load 0 rows', body: () => Buffer.alloc(0), check: (rows) => expect(rows).toEqual([]) },
  {
    name: 'a lone BOM loads 0 rows',
    body: fixture('bom-only.csv'),
    check: (rows) => expect(rows).toEqual([]),
  },
  {
    name: 'a header crafted as SQL is only a column name',
    body: fixture('header-sql-injection.csv'),
    check: async (rows, h) => {
      expect(rows.map((r) => [r.drop_table_x, r.name])).toEqual([
        ['1; DELETE FROM cxone_etl.windows', "'); DROP TABLE x; --"],
      ]);
      const { rows: x } = await h.db.pool.query<{ n: string }>('SELECT count(*) AS n FROM public.x');
      expect(x[0]?.n).toBe('1');
    },
  },
  {
    name: 'headers named like metadata or system columns',
    body: fixture('header-metadata-and-system-names.csv'),
    check: (rows) => {
      expect(rows.map((r) => [r._tenant_id, r.tenant_id, r.job_id, r.c_xmin, r.c_ctid])).toEqual([
        [TENANT, 't', 'j', 'x', 'c'],
      ]);
    },
  },
  {
    name: 'Korean header names',
    body: fixture('header-korean.csv'),
    check: (rows) =>
      expect(rows.map((r) => [r['상담원_이름'], r['평가_점수']])).toEqual([['김민준', '91.4']]),
  },
  {
    name: 'header names over 63 bytes are capped and stay distinct',
    body: fixture('header-long-names.csv'),
    check: (rows) => {
      const capped = Object.keys(rows[0] ?? {}).filter((k) => k.startsWith('aaaa'));
      expect(capped).toHaveLength(2);
      for (const c of capped) expect(Buffer.byteLength(c)).toBeLessThanOrEqual(63);
    },
  },
  {
    name: 'quoted newlines and doubled quotes',
    body: fixture('quoted-newlines-and-quotes.csv'),
    check: (rows) =>
      expect(rows.map((r) => r.workflow_name)).toEqual(['Line one\r\nline two, with "quotes"']),
  },
  {
    name: 'a header of only commas',
    body: fixture('header-only-commas.csv'),
    check: (rows) => expect(rows.map((r) => [r.column_1, r.column_2, r.column_3])).toEqual([['1', '2', '3']]),
  },
  {
    name: 'UTF-8 BOM and LF line ends',
    body: fixture('utf8-bom-lf.csv'),
    check: (rows) => expect(rows.map((r) => r.workflow_id)).toEqual(['1']),
  },
  {
    name: 'a 10 MB field',
    body: () =>
      Readable.from(
        (function* () {
          yield Buffer.from(`${HEADER}\r\n1,"`);
          for (let i = 0; i < 10; i++) yield Buffer.alloc(1024 * 1024, 'y');
          yield Buffer.from('",2026-03-14 10:00:00\r\n');
        })(),
        { objectMode: false },
      ),
    check: (rows) => expect(rows.map((r) => r.workflow_name?.length)).toEqual([10 * 1024 * 1024]),
  },
];

let h: Harness;
let proxy: FaultProxy;
const results: { name: string; expected: string; outcome: string }[] = [];

beforeAll(async () => {
  h = await startHarness({
    env: { EXTRACT_ENTITIES: 'qm-workflows', EXTRACT_START_DATE: '2026-03-14', EXTRACT_LOOKBACK: '0s' },
  });
  proxy = await startFaultProxy(h.sim.url);
  await h.db.pool.query('CREATE TABLE public.x (id int); INSERT INTO public.x VALUES (1)');
  const { summary } = await h.run();
  expect(summary.failed).toBe(0);
});

afterAll(async () => {
  const hits = scanForSecrets([{ source: 'bad-input.test.ts', text: h.logs() }], h.sim.issuedSecrets());
  recordFigures('bad-input', 'summary', {
    cases: results.length,
    failedAsExpected: results.filter((r) => r.expected === 'fails' && r.outcome.startsWith('failed')).length,
    loadedAsDocumented: results.filter((r) => r.expected === 'loads' && r.outcome.startsWith('loaded'))
      .length,
    exitedWithCode2: results.filter((r) => r.expected === 'exit 2' && r.outcome === 'exit 2').length,
    list: results,
  });
  recordFigures('secrets', 'bad-input.test.ts in-process logs', { secretHits: hits.length });
  await proxy.stop();
  await h.close();
  expect(hits).toEqual([]);
});

/** Rows of loaded windows, by window, over the columns the base load had. */
async function snapshot(): Promise<Map<string, string[]>> {
  const rows = await h.stagingRows('qm-workflows');
  const columns = ['workflow_id', 'workflow_name', 'submission_date'];
  const byWindow = new Map<string, Row[]>();
  for (const r of rows) {
    const key = new Date(r._window_start as unknown as string).toISOString();
    byWindow.set(key, [...(byWindow.get(key) ?? []), r]);
  }
  return new Map([...byWindow].map(([k, v]) => [k, canonicalRows(v, columns)]));
}

function serve(day: number, body: () => Buffer | Readable): void {
  h.sim.setOptions({ faults: { bodyOverride: (job) => (job.startMs === day ? body() : undefined) } });
}

function reportFor(windows: WindowReport[], day: number): WindowReport | undefined {
  const label = new Date(day).toISOString().slice(0, 10);
  return windows.find((w) => w.window.startsWith(label));
}

describe('bodies that must fail their window and leave its rows as they were', () => {
  it.each(FAILING.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const before = await snapshot();
    expect(before.get(new Date(BASE_DAY).toISOString())?.length).toBeGreaterThan(0);
    const checkpoint = await getCheckpoint(h.db.pool, TENANT, 'qm-workflows');
    serve(BASE_DAY, c.body);
    const { summary } = await h.run({ mode: 'backfill', from: '2026-03-14', to: '2026-03-15' });
    const report = reportFor(summary.windows, BASE_DAY);
    expect(report?.outcome.status).toBe('failed');
    if (report?.outcome.status !== 'failed') return;
    const { code, message } = report.outcome.error;
    results.push({ name: c.name, expected: 'fails', outcome: `failed ${code}` });
    expect(code).toBe('BAD_INPUT');
    expect(message).toMatch(BASE_CONTEXT);
    expect(message.replace(BASE_CONTEXT, '')).toMatch(c.error);
    expect(await snapshot()).toEqual(before);
    expect(await getCheckpoint(h.db.pool, TENANT, 'qm-workflows')).toEqual(checkpoint);
  });
});

describe('bodies that load as documented', () => {
  it.each(LOADING.map((c, i) => [c.name, c, i] as const))('%s', async (_name, c, i) => {
    // Each case is a new day of its own; the run also retries the base window a failing case left.
    const day = BASE_DAY + (i + 1) * DAY;
    h.clock.set(day + DAY + 2 * 3_600_000);
    const before = await snapshot();
    serve(day, c.body);
    const { summary } = await h.run();
    const report = reportFor(summary.windows, day);
    expect(report?.outcome).toMatchObject({ status: 'loaded' });
    results.push({
      name: c.name,
      expected: 'loads',
      outcome: report?.outcome.status === 'loaded' ? `loaded ${report.outcome.rows} rows` : 'failed',
    });
    const all = await h.stagingRows('qm-workflows');
    await c.check(
      all.filter((r) => new Date(r._window_start as unknown as string).getTime() === day),
      h,
    );
    const after = await snapshot();
    for (const [window, rows] of before) expect(after.get(window)).toEqual(rows);
    expect((await getCheckpoint(h.db.pool, TENANT, 'qm-workflows'))?.loadedUntil).toBe(day + DAY);
  });
});

describe('bad answers from the API', () => {
  const cases: { name: string; fault: () => void; error: RegExp; code: string; job: boolean }[] = [
    {
      name: 'unknown job status',
      fault: () => h.sim.setOptions({ faults: { unknownStatus: 'QUEUED' }, jobBaseMs: 120_000 }),
      error: /unknown job status "QUEUED"/,
      code: 'API_CONTRACT',
      job: true,
    },
    {
      name: 'status answer cut off mid-JSON',
      fault: () => h.sim.setOptions({ faults: { malformedStatusJson: true } }),
      error: /answered 200 with malformed JSON/,
      code: 'API_CONTRACT',
      job: true,
    },
    {
      name: 'status answer without "status"',
      fault: () =>
        proxy.setRule((r) =>
          r.method === 'GET' && /\/jobs\/[^/]+$/.test(r.path)
            ? { kind: 'rewrite', body: (t) => t.replace(/"status":"[A-Z]+",?/, '') }
            : undefined,
        ),
      error: /unknown job status undefined/,
      code: 'API_CONTRACT',
      job: true,
    },
    {
      name: 'status answer without "jobStatus"',
      fault: () =>
        proxy.setRule((r) =>
          r.method === 'GET' && /\/jobs\/[^/]+$/.test(r.path)
            ? { kind: 'rewrite', body: () => '{"job":{}}' }
            : undefined,
        ),
      error: /no "jobStatus" object/,
      code: 'API_CONTRACT',
      job: true,
    },
    {
      name: 'job POST answered without a job id',
      fault: () =>
        proxy.setRule((r) =>
          r.method === 'POST' ? { kind: 'answer', status: 202, body: '{"accepted":true}' } : undefined,
        ),
      error: /expected the job id as a JSON string/,
      code: 'API_CONTRACT',
      job: false,
    },
  ];

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const before = await snapshot();
    c.fault();
    try {
      const { summary } = await h.run(
        { mode: 'backfill', from: '2026-03-14', to: '2026-03-15' },
        { env: { CXONE_API_BASE_URL: proxy.url } },
      );
      const report = reportFor(summary.windows, BASE_DAY);
      expect(report?.outcome.status).toBe('failed');
      if (report?.outcome.status !== 'failed') return;
      const { code, message } = report.outcome.error;
      results.push({ name: c.name, expected: 'fails', outcome: `failed ${code}` });
      expect(code).toBe(c.code);
      const context = c.job
        ? BASE_CONTEXT
        : /^\[tenant=tenant-demo entity=qm-workflows window=2026-03-14\.\.2026-03-15\] /;
      expect(message).toMatch(context);
      expect(message).toMatch(c.error);
      expect(await snapshot()).toEqual(before);
    } finally {
      proxy.setRule(undefined);
      h.sim.setOptions({
        faults: { unknownStatus: undefined, malformedStatusJson: false },
        jobBaseMs: 20_000,
      });
    }
  });
});

describe('bad configuration', () => {
  const password = 'pw-never-printed-7c41';
  const cases: [string, string, string][] = [
    ['CXONE_MIN_CALL_INTERVAL_MS', 'abc', 'CXONE_MIN_CALL_INTERVAL_MS: expected a whole number'],
    ['EXTRACT_BACKFILL_WINDOW', '30d', 'EXTRACT_BACKFILL_WINDOW: expected'],
    ['EXTRACT_START_DATE', '2026-02-30', 'EXTRACT_START_DATE: expected a date yyyy-mm-dd'],
    ['DATABASE_URL', `postgres://etl:${password}@db:port/x`, 'DATABASE_URL: expected an absolute URL'],
    ['STAGING_SCHEMA', 'x; DROP TABLE y', 'STAGING_SCHEMA: expected a lower-case Postgres identifier'],
    ['WFM_TIMEZONE', 'Mars/Olympus', 'WFM_TIMEZONE: expected an IANA time zone'],
    ['LOG_LEVEL', 'loud', 'LOG_LEVEL: expected one of'],
    ['EXTRACT_ENTITIES', 'qm-workflows,calls', 'EXTRACT_ENTITIES: expected a comma list'],
    ['CXONE_ACCESS_KEY_SECRET', '', 'CXONE_ACCESS_KEY_SECRET: expected the access key secret (not set)'],
    ['CXONE_ETL_CRASH_AT', 'nowhere:1', 'CXONE_ETL_CRASH_AT: expected <point>:<n>'],
  ];

  it('each bad value: exit 2 and one line naming the variable, never the secret', async () => {
    const logDir = suiteLogDir('bad-config');
    const outcomes = await Promise.all(
      cases.map(async ([name, value, message]) => {
        const env: Record<string, string> = {
          CXONE_ACCESS_KEY_ID: 'key-id',
          CXONE_ACCESS_KEY_SECRET: 'aks-never-printed-91ab',
          [name]: value,
        };
        const result = await runCli(['run'], {
          env,
          deadlineMs: 60_000,
          logFile: path.join(logDir, `${name}.log`),
        });
        return { name, message, result };
      }),
    );
    for (const { name, message, result } of outcomes) {
      const lines = result.stderr.trim().split('\n');
      expect({ name, code: result.code, lines: lines.length }).toEqual({ name, code: 2, lines: 1 });
      expect(lines[0]).toContain(`cxone-etl: ${message}`);
      results.push({ name: `bad config ${name}`, expected: 'exit 2', outcome: `exit ${result.code}` });
    }
    const hits = scanForSecrets(readLogDir(logDir), [password, 'aks-never-printed-91ab']);
    expect(hits).toEqual([]);
  });
});
