/**
 * `cxone-etl check` against the simulator (at 1/1000 time scale, so the 30-s rule is 30 ms of real
 * time and no test waits seconds) and real Postgres: the all-good path, then one test per failure
 * class with its line and exit code. Every output and log is searched for the secrets in play.
 */
import { Writable } from 'node:stream';
import { checkCommand } from '../../src/commands/check.js';
import { ConfigError, parseConfig, type Env } from '../../src/config.js';
import { systemClock } from '../../src/lib/clock.js';
import { createLogger } from '../../src/logger.js';
import {
  DEFAULT_TENANT,
  startSimulator,
  type Simulator,
  type SimulatorOptions,
} from '../../src/simulator/index.js';
import {
  adminQuery,
  createEmptyTestDatabase,
  createTestDatabase,
  type TestDatabase,
} from '../helpers/database.js';
import { scanForSecrets } from '../helpers/secrets.js';
import { getLearnedJobsLimit, saveLearnedJobsLimit } from '../../src/extract/jobs-limit.repository.js';

const TIME_SCALE = 0.001;

let db: TestDatabase;
const sims: Simulator[] = [];
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());
beforeEach(async () => {
  await db.pool.query('DELETE FROM cxone_etl.rate_gate');
});
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.stop()));
});

async function simulator(options: Partial<SimulatorOptions> = {}): Promise<Simulator> {
  const sim = await startSimulator({ timeScale: TIME_SCALE, ...options });
  sims.push(sim);
  return sim;
}

interface Checked {
  code: number;
  out: string;
  logs: string;
  json?: { ok: boolean; exitCode: number; checks: Record<string, unknown>[] };
}

function envFor(sim: Simulator, extra: Env = {}): Env {
  return {
    DATABASE_URL: db.url,
    CXONE_ISSUER_URL: sim.url,
    CXONE_ACCESS_KEY_ID: DEFAULT_TENANT.accessKeyId,
    CXONE_ACCESS_KEY_SECRET: DEFAULT_TENANT.accessKeySecret,
    CXONE_MIN_CALL_INTERVAL_MS: String(sim.options.minCallIntervalMs * TIME_SCALE),
    ...extra,
  };
}

async function check(
  env: Env,
  opts: { json?: boolean; probe?: boolean; sim?: Simulator } = {},
): Promise<Checked> {
  const out: string[] = [];
  const logs: string[] = [];
  const sink = (into: string[]) =>
    new Writable({
      write(chunk: Buffer, _e, cb) {
        into.push(chunk.toString());
        cb();
      },
    });
  let config;
  let configError: ConfigError | undefined;
  try {
    config = parseConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    configError = error;
    config = parseConfig({});
  }
  const code = await checkCommand(
    {
      config,
      configError,
      env,
      log: createLogger({ level: 'debug', format: 'json', destination: sink(logs) }),
      clock: systemClock,
      signal: new AbortController().signal,
      out: sink(out),
    },
    { json: opts.json ?? false, probe: opts.probe ?? false },
  );
  const text = out.join('');
  const secrets = [
    ...(opts.sim?.issuedSecrets() ?? []),
    DEFAULT_TENANT.accessKeySecret,
    'wrong-secret-value',
  ];
  expect(
    scanForSecrets(
      [
        { source: 'out', text },
        { source: 'logs', text: logs.join('') },
      ],
      secrets,
    ),
  ).toEqual([]);
  return {
    code,
    out: text,
    logs: logs.join(''),
    ...(opts.json ? { json: JSON.parse(text) as Checked['json'] } : {}),
  };
}

/** The line of a check, by its name (and entity), from the text output. */
function line(out: string, what: string): string {
  const found = out.split('\n').find((l) => new RegExp(`^\\S+\\s+(tenant \\S+\\s+)?${what}:`).test(l));
  if (!found) throw new Error(`no "${what}" line in:\n${out}`);
  return found;
}

it('all good: one ok line per check, in order, exit 0; --json says the same', async () => {
  const sim = await simulator();
  const result = await check(envFor(sim), { sim });
  expect(result.code).toBe(0);
  const order = result.out
    .split('\n')
    .filter((l) => /^(ok|WARN|FAIL|\.\.)\s/.test(l))
    .map((l) => /^\S+\s+(?:tenant \S+\s+)?([a-z]+)/.exec(l)?.[1]);
  expect(order).toEqual(['config', 'config', 'postgres', 'privileges', 'migrations', 'token', 'api', 'jobs']);
  expect(line(result.out, 'token')).toMatch(
    /^ok .*access-key login: a token for tenant tenant-demo, valid \d+ s/,
  );
  expect(line(result.out, 'api')).toContain(sim.url);
  expect(line(result.out, 'jobs')).toMatch(/none running/);
  expect(sim.stats().calls.byEndpoint['GET /jobs']).toBe(1);
  expect(sim.stats().jobs.total).toBe(0);

  const json = await check(envFor(sim), { sim, json: true });
  expect(json.code).toBe(0);
  expect(json.json).toMatchObject({ ok: true, exitCode: 0 });
  expect(json.json?.checks.find((c) => c.check === 'token')).toMatchObject({
    status: 'ok',
    tenant: 'default',
    details: { flow: 'access-key', tenantId: 'tenant-demo' },
  });
});

it('reports the password grant with its client auth, and the access-key pair through it', async () => {
  const sim = await simulator({ clientAuthMethods: ['form'] });
  const { CXONE_ACCESS_KEY_ID: _id, CXONE_ACCESS_KEY_SECRET: _secret, ...rest } = envFor(sim);
  const result = await check(
    {
      ...rest,
      CXONE_CLIENT_ID: DEFAULT_TENANT.clientId,
      CXONE_CLIENT_SECRET: DEFAULT_TENANT.clientSecret,
      CXONE_USERNAME: DEFAULT_TENANT.accessKeyId,
      CXONE_PASSWORD: DEFAULT_TENANT.accessKeySecret,
    },
    { sim },
  );
  expect(result.code).toBe(0);
  expect(line(result.out, 'token')).toMatch(/OpenID password grant \(client id and secret by form fields\)/);
});

it('--entities: announces the calls and time, proves each entity with a tiny job, leaves no ledger row', async () => {
  const sim = await simulator();
  const result = await check(
    envFor(sim, { EXTRACT_ENTITIES: 'qm-workflows,recording-interaction-metadata' }),
    {
      sim,
      probe: true,
    },
  );
  expect(result.code).toBe(0);
  const announce = result.out.split('\n').findIndex((l) => /^\.\.\s+tenant default\s+probe:/.test(l));
  expect(announce).toBeGreaterThan(0);
  expect(result.out.split('\n')[announce]).toMatch(/2 tiny job\(s\).*at least 4 jobs API calls/);
  expect(line(result.out, 'probe qm-workflows')).toMatch(/^ok .*permission confirmed: job \S+ .*SUCCEEDED/);
  expect(line(result.out, 'probe recording-interaction-metadata')).toMatch(/\d{2}:00:00\.\.\S+ 01:00:00/);
  const created = sim.stats().jobs.created;
  expect(created.map((j) => j.entity)).toEqual(['qm-workflows', 'recording-interaction-metadata']);
  expect(created[1]!.endMs - created[1]!.startMs).toBe(3_600_000);
  expect(created[0]!.endMs - created[0]!.startMs).toBe(86_400_000);
  const ledger = await db.pool.query('SELECT count(*)::int AS n FROM cxone_etl.windows');
  expect(ledger.rows[0].n).toBe(0);
  expect(sim.stats().violations.total).toBe(0);
});

describe('--entities learns the jobs limit (EXTRACT_MAX_JOBS_IN_FLIGHT=auto): the second probe goes in while the first runs', () => {
  const TENANT_ID = 'tenant-demo';
  const ENTITIES = { EXTRACT_ENTITIES: 'qm-workflows,qm-questions' };
  // Probe jobs of ten minutes (0.6 s at this time scale): the second POST, one interval later, meets
  // the first still running, and so does the next answer about it, even on a loaded machine (at two
  // minutes a loaded machine saw both jobs end before that answer).
  const SLOW_JOBS = { jobBaseMs: 600_000, jobPerDayMs: 0 };

  it('a tenant that runs one job at a time: one refused POST, limit 1 saved, the same jobs as without it', async () => {
    await db.pool.query('DELETE FROM cxone_etl.tenant_jobs_limit');
    const sim = await simulator(SLOW_JOBS);
    const result = await check(envFor(sim, ENTITIES), { sim, probe: true });
    expect(result.code).toBe(0);
    expect(line(result.out, 'jobs-limit')).toMatch(/^ok .*one job at a time .*runs keep 1 in flight/);
    expect(line(result.out, 'probe qm-questions')).toMatch(/^ok .*permission confirmed/);
    expect((await getLearnedJobsLimit(db.pool, TENANT_ID))?.maxJobsInFlight).toBe(1);
    expect(sim.stats().jobs.created.map((j) => j.entity)).toEqual(['qm-workflows', 'qm-questions']);
    expect(sim.stats().violations.byKind).toEqual({ 'job-running': 1 });
    expect(sim.stats().violations.total).toBe(0);
  });

  it('a tenant that runs two: a learned limit of 1 is raised to 2, with no extra job', async () => {
    await saveLearnedJobsLimit(db.pool, TENANT_ID, 1, 'a run met a busy answer', Date.now());
    const sim = await simulator({ ...SLOW_JOBS, maxRunningJobs: 2 });
    const result = await check(envFor(sim, ENTITIES), { sim, probe: true });
    expect(result.code).toBe(0);
    expect(line(result.out, 'jobs-limit')).toMatch(/^ok .*runs 2 jobs at once .*runs keep 2 in flight/);
    expect(line(result.out, 'probe qm-workflows')).toMatch(/^ok .*SUCCEEDED/);
    expect(line(result.out, 'probe qm-questions')).toMatch(/^ok .*SUCCEEDED/);
    const learned = await getLearnedJobsLimit(db.pool, TENANT_ID);
    expect(learned?.maxJobsInFlight).toBe(2);
    expect(learned?.reason).toMatch(/^check --probe: job \S+ was accepted while job \S+ ran/);
    expect(sim.stats().jobs.created.map((j) => j.entity)).toEqual(['qm-workflows', 'qm-questions']);
    expect(sim.stats().violations.byKind).toEqual({});
  });

  it('a second POST accepted after the first job ended proves nothing: no limit saved, the line says so', async () => {
    await db.pool.query('DELETE FROM cxone_etl.tenant_jobs_limit');
    // The simulator's own durations: a one-day probe job ends well before the next call slot.
    const sim = await simulator();
    const result = await check(envFor(sim, ENTITIES), { sim, probe: true });
    expect(result.code).toBe(0);
    expect(line(result.out, 'jobs-limit')).toMatch(/^\.\. .*not settled/);
    expect(await getLearnedJobsLimit(db.pool, TENANT_ID)).toBeUndefined();
    const created = sim.stats().jobs.created;
    expect(created.map((j) => j.entity)).toEqual(['qm-workflows', 'qm-questions']);
    expect(sim.stats().violations.byKind).toEqual({});
    // The probe jobs' ids are known from now on: a run's lost-POST check never adopts one.
    const seen = await db.pool.query<{ source: string }>(
      'SELECT source FROM cxone_etl.jobs_seen WHERE job_id = ANY($1::text[])',
      [created.map((j) => j.id)],
    );
    expect(seen.rows.map((r) => r.source)).toEqual(['posted', 'posted']);
  });

  it('a 403 beside the first job from an entity without permission is not read as a limit of 1', async () => {
    await db.pool.query('DELETE FROM cxone_etl.tenant_jobs_limit');
    const sim = await simulator({
      ...SLOW_JOBS,
      maxRunningJobs: 2,
      tenants: [{ ...DEFAULT_TENANT, entities: ['qm-workflows'] }],
    });
    const result = await check(envFor(sim, ENTITIES), { sim, probe: true });
    expect(result.code).toBe(1);
    expect(line(result.out, 'probe qm-workflows')).toMatch(/^ok .*SUCCEEDED/);
    expect(line(result.out, 'probe qm-questions')).toMatch(/^FAIL .*\| fix: give the API user's role/);
    expect(await getLearnedJobsLimit(db.pool, TENANT_ID)).toBeUndefined();
    expect(result.out).not.toMatch(/one job at a time/);
  });

  it('a probe job still running at the timeout: a WARN naming it, the entities after it left unprobed, exit 0', async () => {
    // 20-min jobs (1.2 s here) against EXTRACT_JOB_TIMEOUT=1s, the probe's timeout when shorter than 15 min.
    const sim = await simulator({ jobBaseMs: 1_200_000, jobPerDayMs: 0 });
    const result = await check(
      envFor(sim, { ...ENTITIES, EXTRACT_MAX_JOBS_IN_FLIGHT: '1', EXTRACT_JOB_TIMEOUT: '1s' }),
      { sim, probe: true },
    );
    expect(result.code).toBe(0);
    expect(line(result.out, 'probe qm-workflows')).toMatch(
      /^WARN .*version 4 accepted \(job \S+\), still RUNNING after 1 s \| fix: the permission is there/,
    );
    expect(line(result.out, 'probe')).toMatch(/^\.\. /);
    expect(result.out).toMatch(/WARN .*probe: not probed while that job runs: qm-questions/);
    // No POST went in beside the running job, so none was refused as busy.
    expect(sim.stats().jobs.created.map((j) => j.entity)).toEqual(['qm-workflows']);
    expect(sim.stats().violations.byKind).toEqual({});
  });

  it('an explicit EXTRACT_MAX_JOBS_IN_FLIGHT: nothing probed beside, nothing saved', async () => {
    await db.pool.query('DELETE FROM cxone_etl.tenant_jobs_limit');
    const sim = await simulator(SLOW_JOBS);
    const result = await check(envFor(sim, { ...ENTITIES, EXTRACT_MAX_JOBS_IN_FLIGHT: '1' }), {
      sim,
      probe: true,
    });
    expect(result.code).toBe(0);
    expect(result.out).not.toMatch(/jobs-limit/);
    expect(await getLearnedJobsLimit(db.pool, TENANT_ID)).toBeUndefined();
    expect(sim.stats().violations.byKind).toEqual({});
  });
});

it('an empty database: the migrations line applies what is pending, like every command that opens it', async () => {
  const sim = await simulator();
  const empty = await createEmptyTestDatabase();
  try {
    const result = await check(envFor(sim, { DATABASE_URL: empty.url }), { sim });
    expect(result.code).toBe(0);
    expect(line(result.out, 'migrations')).toMatch(
      /^ok\s+migrations: applied \d+ pending \(1 control_schema, /,
    );
    const again = await check(envFor(sim, { DATABASE_URL: empty.url }), { sim });
    expect(line(again.out, 'migrations')).toMatch(/^ok\s+migrations: up to date: \d+ applied/);
  } finally {
    await empty.drop();
  }
});

describe('each failure class: its line and exit code', () => {
  it('bad config: exit 2, the variable named, nothing else checked', async () => {
    const sim = await simulator();
    const result = await check(envFor(sim, { EXTRACT_WINDOW: 'tomorrow' }), { sim });
    expect(result.code).toBe(2);
    expect(line(result.out, 'config')).toMatch(
      /^FAIL\s+config: EXTRACT_WINDOW: expected .*got "tomorrow" \| fix: /,
    );
    expect(result.out).not.toMatch(/postgres:/);

    const noCredentials = await check(
      { DATABASE_URL: db.url, CXONE_ISSUER_URL: sim.url },
      { json: true, sim },
    );
    expect(noCredentials.code).toBe(2);
    expect(noCredentials.json?.checks).toEqual([
      expect.objectContaining({
        check: 'config',
        status: 'fail',
        message: expect.stringMatching(/CXONE_ACCESS_KEY_ID/),
      }),
    ]);
    expect(sim.stats().calls.total).toBe(0);
  });

  it('database down: exit 1 at the postgres line, no CXone call', async () => {
    const sim = await simulator();
    const result = await check(
      envFor(sim, { DATABASE_URL: 'postgres://cxone:hunter2-db-pass@127.0.0.1:1/nowhere' }),
      {
        sim,
      },
    );
    expect(result.code).toBe(1);
    expect(line(result.out, 'postgres')).toMatch(
      /^FAIL\s+postgres: cannot reach postgres:\/\/cxone:\*+@127\.0\.0\.1:1\/nowhere: .*ECONNREFUSED.* \| fix: check DATABASE_URL/,
    );
    expect(result.out).not.toContain('hunter2-db-pass');
    expect(result.out).not.toMatch(/token:/);
    expect(sim.stats().calls.total).toBe(0);
  });

  it('missing grants: exit 1, the statements that would grant them', async () => {
    const sim = await simulator();
    const role = `check_ro_${process.pid}`;
    await adminQuery(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
    // A password, for servers that ask for one (the embedded path); trust auth ignores it.
    await adminQuery(`CREATE ROLE ${role} LOGIN PASSWORD 'check-ro-password'`);
    try {
      const url = new URL(db.url);
      url.username = role;
      url.password = 'check-ro-password';
      const result = await check(envFor(sim, { DATABASE_URL: url.toString() }), { sim, json: true });
      expect(result.code).toBe(1);
      const privileges = result.json?.checks.find((c) => c.check === 'privileges');
      expect(privileges).toMatchObject({ status: 'fail', hard: true });
      const missing = (privileges?.details as { missing: string[] }).missing;
      expect(missing).toContain(`GRANT USAGE, CREATE ON SCHEMA "cxone_etl" TO "${role}"`);
      expect(missing).toContain(`ALTER TABLE "cxone_etl"."windows" OWNER TO "${role}"`);
      expect(missing).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^GRANT DELETE, INSERT, SELECT, UPDATE ON cxone_etl\."rate_gate"/),
        ]),
      );
      expect(result.json?.checks.map((c) => c.check)).toEqual(['config', 'config', 'postgres', 'privileges']);
      expect(sim.stats().calls.total).toBe(0);
    } finally {
      await adminQuery(`DROP OWNED BY ${role}`).catch(() => undefined);
      await adminQuery(`DROP ROLE IF EXISTS ${role}`);
    }
  });

  it('bad access key: exit 1 at the token line, naming the variables, never the value', async () => {
    const sim = await simulator();
    const result = await check(envFor(sim, { CXONE_ACCESS_KEY_SECRET: 'wrong-secret-value' }), { sim });
    expect(result.code).toBe(1);
    expect(line(result.out, 'token')).toMatch(
      /^FAIL\s+tenant default\s+token: .*CXONE_ACCESS_KEY_ID and CXONE_ACCESS_KEY_SECRET.* \| fix: use the access key/,
    );
    expect(result.out).not.toMatch(/api:|jobs:/);
    expect(sim.stats().calls.byEndpoint['GET /jobs'] ?? 0).toBe(0);
  });

  it('403 on one entity: that probe fails with the permission remedy, the others pass, exit 1', async () => {
    const sim = await simulator({
      tenants: [{ ...DEFAULT_TENANT, entities: ['qm-workflows', 'qm-questions'] }],
    });
    // One job in flight: the POST count below is the permission probes' alone (under auto the second
    // probe also goes in once beside the first, and its busy 403 waits for its own probe to decide).
    const result = await check(
      envFor(sim, {
        EXTRACT_ENTITIES: 'qm-workflows,wfm-payroll,qm-questions',
        EXTRACT_MAX_JOBS_IN_FLIGHT: '1',
      }),
      { sim, probe: true },
    );
    expect(result.code).toBe(1);
    expect(line(result.out, 'probe qm-workflows')).toMatch(/^ok /);
    expect(line(result.out, 'probe wfm-payroll')).toMatch(
      /^FAIL .*403 after 3 attempts.*\| fix: give the API user's role the Data Extraction permission for wfm-payroll/,
    );
    // Not a hard failure: the entity after it is still probed.
    expect(line(result.out, 'probe qm-questions')).toMatch(/^ok /);
    expect(sim.stats().calls.byEndpoint['POST /jobs']).toBe(2 + 3);
  });

  /** Starts a job as another caller would (its own token, straight to the API); returns its id. */
  async function foreignJob(sim: Simulator): Promise<string> {
    const token = (await (
      await fetch(`${sim.url}/authentication/v1/token/access-key`, {
        method: 'POST',
        body: JSON.stringify({ accessKeyId: 'demo-key', accessKeySecret: 'demo-secret' }),
      })
    ).json()) as { access_token: string };
    const foreign = await fetch(`${sim.url}/data-extraction/v1/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token.access_token}` },
      body: JSON.stringify({
        entityName: 'qm-workflows',
        version: '4',
        startDate: '2026-01-01',
        endDate: '2026-01-02',
      }),
    });
    return (await foreign.json()) as string;
  }

  it('busy tenant: another caller has a job running: a WARN line naming it, exit 0', async () => {
    const sim = await simulator({ jobBaseMs: 3_600_000 });
    const jobId = await foreignJob(sim);
    const result = await check(envFor(sim), { sim });
    expect(result.code).toBe(0);
    expect(line(result.out, 'jobs')).toMatch(
      new RegExp(
        `^WARN .*the tenant is busy, 1 job\\(s\\) RUNNING \\(${jobId}\\); a run waits for the tenant`,
      ),
    );
    expect(result.out).toMatch(/^All checks passed/m);
    expect(sim.stats().jobs.total).toBe(1);

    const json = await check(envFor(sim), { sim, json: true });
    expect(json.code).toBe(0);
    expect(json.json?.checks.find((c) => c.check === 'jobs')).toMatchObject({
      status: 'warn',
      details: { running: 1, runningJobs: [jobId] },
    });
  });

  it('busy tenant with --entities: the probe is not run (a WARN line says why), exit 0, no job posted', async () => {
    const sim = await simulator({ jobBaseMs: 3_600_000 });
    await foreignJob(sim);
    const result = await check(envFor(sim), { sim, probe: true });
    expect(result.code).toBe(0);
    expect(line(result.out, 'jobs')).toMatch(/^WARN /);
    expect(line(result.out, 'probe')).toMatch(
      /^WARN .*probe: not run: the tenant is busy .*\| fix: run cxone-etl check --entities again/,
    );
    expect(result.out).not.toMatch(/probe qm-/);
    expect(sim.stats().jobs.total).toBe(1);
  });
});
