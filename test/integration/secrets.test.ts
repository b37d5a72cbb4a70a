/**
 * Secrets. Real CLI processes with distinctive credentials of both kinds, debug
 * logging in JSON and pretty form, and faults that put URLs and error answers into messages: their
 * whole output, the error texts they store in the database and `status --json` are searched for every
 * secret the test used or the simulator handed out (credentials, tokens, URL signatures, the database
 * password). While a worker runs, the process list must not show a secret either (secrets come from
 * the environment, never argv). And TLS verification is never turned off anywhere in src/.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { startSimulator, type Simulator, type SimulatorTenant } from '../../src/simulator/index.js';
import { REPO_ROOT, runCli, startCli, suiteLogDir } from '../helpers/cli-process.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { recordFigures } from '../helpers/figures.js';
import { untilActivity } from '../helpers/wait.js';
import { REAL_TIME_SIMULATOR, stableDates } from '../helpers/real-time.js';
import { readLogDir, scanForSecrets, urlPassword, type LogText } from '../helpers/secrets.js';

const run = promisify(execFile);
const secret = (label: string): string => `${label}-${randomBytes(12).toString('hex')}`;
const DATES = stableDates(Date.now(), 2);

const TENANT: SimulatorTenant = {
  id: 'tenant-secrets',
  accessKeyId: 'secrets-key-id',
  accessKeySecret: secret('aks'),
  username: 'etl@example.com',
  password: secret('pwd'),
  clientId: 'secrets-client',
  clientSecret: secret('cs'),
};
/** COLUMN_POLICY's key: a secret like the credentials (never logged or stored). */
const PII_KEY = secret('pii-hash-key');
/** Given to one worker on purpose: a refused secret is still a secret. */
const WRONG_SECRET = secret('wrong-aks');

let sim: Simulator;
let db: TestDatabase;
const logDir = suiteLogDir('secrets');

beforeAll(async () => {
  sim = await startSimulator({ ...REAL_TIME_SIMULATOR, tenants: [TENANT] });
  db = await createTestDatabase();
});

afterAll(async () => {
  await sim.stop();
  await db.drop();
});

function baseEnv(): Record<string, string> {
  return {
    DATABASE_URL: db.url,
    CXONE_ISSUER_URL: sim.url,
    CXONE_MIN_CALL_INTERVAL_MS: '350',
    EXTRACT_ENTITIES: 'qm-workflows,qm-questions',
    EXTRACT_START_DATE: DATES.startDate,
    EXTRACT_SETTLE_DELAY: String(DATES.settleMs),
    EXTRACT_BACKFILL_WINDOW: '1d',
    LOG_LEVEL: 'trace',
    COLUMN_POLICY: '*.agent_name=hash',
    PII_HASH_KEY: PII_KEY,
  };
}

const passwordGrant = {
  CXONE_CLIENT_ID: TENANT.clientId ?? '',
  CXONE_CLIENT_SECRET: TENANT.clientSecret ?? '',
  CXONE_USERNAME: TENANT.username ?? '',
  CXONE_PASSWORD: TENANT.password ?? '',
};
const accessKey = {
  CXONE_ACCESS_KEY_ID: TENANT.accessKeyId,
  CXONE_ACCESS_KEY_SECRET: TENANT.accessKeySecret,
};

function allSecrets(): string[] {
  return [...sim.issuedSecrets(), WRONG_SECRET, PII_KEY, ...urlPassword(db.url)];
}

it('no secret in any output of workers that log at trace level through failures, nor in the database', async () => {
  // Retries, an error page for a download (its URL goes into the error), a refused login, a run in
  // pretty format, then `status --json`.
  sim.setOptions({ faults: { http5xx: { status: 503, count: 2 }, download: { mode: 'xml', count: 1 } } });
  const first = await runCli(['run'], {
    env: { ...baseEnv(), ...passwordGrant, LOG_FORMAT: 'json' },
    deadlineMs: 120_000,
    logFile: path.join(logDir, 'password-grant.log'),
  });
  expect(first.code).toBe(1); // the XML "file" failed its window
  expect(first.stdout).toMatch(/an XML document/);

  const refused = await runCli(['run'], {
    env: { ...baseEnv(), ...accessKey, CXONE_ACCESS_KEY_SECRET: WRONG_SECRET, LOG_FORMAT: 'json' },
    deadlineMs: 60_000,
    logFile: path.join(logDir, 'refused.log'),
  });
  expect(refused.code).toBe(1);
  expect(refused.stdout + refused.stderr).toMatch(/CXone refused the credentials/);

  sim.setOptions({ faults: { http5xx: undefined, download: undefined } });
  const pretty = await runCli(['run'], {
    env: { ...baseEnv(), ...accessKey, LOG_FORMAT: 'pretty' },
    deadlineMs: 120_000,
    logFile: path.join(logDir, 'access-key-pretty.log'),
  });
  expect(pretty.code).toBe(0);
  const status = await runCli(['status', '--json'], {
    env: { ...baseEnv(), ...accessKey },
    deadlineMs: 60_000,
    logFile: path.join(logDir, 'status.log'),
  });
  expect(status.code).toBe(0);

  const stored = await db.pool.query<{ text: string }>(
    `SELECT coalesce(error, '') AS text FROM cxone_etl.windows
     UNION ALL SELECT coalesce(error, '') FROM cxone_etl.runs`,
  );
  const texts: LogText[] = [
    ...readLogDir(logDir),
    { source: 'cxone_etl.windows/runs errors', text: stored.rows.map((r) => r.text).join('\n') },
  ];
  expect(sim.stats().tokensIssued).toBeGreaterThan(1);
  const hits = scanForSecrets(texts, allSecrets());
  recordFigures('secrets', 'CLI workers (trace logs, failures, status, stored errors)', {
    logFiles: texts.length - 1,
    bytesSearched: texts.reduce((n, t) => n + t.text.length, 0),
    secretsSearched: allSecrets().length,
    secretHits: hits.length,
  });
  expect(hits).toEqual([]);
}, 300_000);

it('the process list of a running worker shows no secret', async () => {
  await db.pool.query('DELETE FROM cxone_etl.windows; DELETE FROM cxone_etl.checkpoints');
  const posts = (): number => sim.stats().calls.byEndpoint['POST /jobs'] ?? 0;
  const postsBefore = posts();
  const worker = startCli(['run'], {
    env: { ...baseEnv(), ...passwordGrant, LOG_FORMAT: 'json' },
    deadlineMs: 120_000,
    logFile: path.join(logDir, 'ps-worker.log'),
  });
  let listing = '';
  try {
    // Until the worker is demonstrably at work (its first POST), then read the process list: checked on
    // each call the simulator sees, failing if the worker exits first or the POST never comes.
    await untilActivity(
      { sim, child: worker.child },
      async () => (posts() > postsBefore || worker.child.exitCode !== null ? true : undefined),
      "the worker's first POST",
      60_000,
    );
    expect(posts()).toBeGreaterThan(postsBefore);
    expect(worker.child.exitCode).toBeNull();
    listing = (await run('ps', ['-eo', 'pid,args'], { maxBuffer: 16 * 1024 * 1024 })).stdout;
    expect(listing).toContain(String(worker.pid));
  } finally {
    worker.child.kill('SIGTERM');
    await worker.done.catch(() => undefined);
  }
  const hits = scanForSecrets([{ source: 'ps -eo args', text: listing }], allSecrets());
  recordFigures('secrets', 'process list while a worker runs', { secretHits: hits.length });
  expect(hits).toEqual([]);
}, 180_000);

it('TLS verification is never turned off in src/', () => {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (full.endsWith('.ts')) files.push(full);
    }
  };
  walk(path.join(REPO_ROOT, 'src'));
  const offending = files.filter((f) =>
    /rejectUnauthorized\s*:\s*false|NODE_TLS_REJECT_UNAUTHORIZED|checkServerIdentity|insecureHTTPParser/.test(
      readFileSync(f, 'utf8'),
    ),
  );
  const http = readFileSync(path.join(REPO_ROOT, 'src', 'cxone', 'http.ts'), 'utf8');
  recordFigures('secrets', 'TLS verification', { filesSearched: files.length, turnedOff: offending.length });
  expect(offending).toEqual([]);
  expect(http).toMatch(/https: \{ rejectUnauthorized: true \}/);
});
