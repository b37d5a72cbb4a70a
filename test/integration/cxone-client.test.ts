/**
 * The CXone client against the simulator and real Postgres (the gate). Simulator and client share one
 * ManualClock, so the API's 30 s rule, job durations, URL and token lifetimes all run on virtual time:
 * `drive` moves the clock whenever something is waiting on it, and nothing sleeps on the wall clock.
 */
import type { Readable } from 'node:stream';
import type { Config, Credentials } from '../../src/config.js';
import { createCxoneClient, type CxoneClient, type CxoneClientOptions } from '../../src/cxone/client.js';
import { discoverApiBase } from '../../src/cxone/discovery.js';
import { busyRetryAfterMs } from '../../src/cxone/http-errors.js';
import { createHttp } from '../../src/cxone/http.js';
import type { CallInfo, JobRequest, JobState } from '../../src/cxone/types.js';
import { createRateGate } from '../../src/db/rate-gate.js';
import { drive, ManualClock } from '../helpers/manual-clock.js';
import { EtlError } from '../../src/lib/errors.js';
import { Secret } from '../../src/lib/secret.js';
import {
  DEFAULT_TENANT,
  STRICT_SIMULATOR_OPTIONS,
  startSimulator,
  type Simulator,
  type SimulatorOptions,
} from '../../src/simulator/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

const NOW = Date.UTC(2026, 1, 1);
const INTERVAL = 30_000;

const accessKey: Credentials = {
  kind: 'access-key',
  accessKeyId: 'demo-key',
  accessKeySecret: new Secret('demo-secret'),
};
const password: Credentials = {
  kind: 'password',
  clientId: 'demo-client',
  clientSecret: new Secret('demo-client-secret'),
  username: 'demo@example.com',
  password: new Secret('demo-password'),
};
const workflowsDay: JobRequest = {
  entityName: 'qm-workflows',
  version: '4',
  startDate: '2026-01-20',
  endDate: '2026-01-21',
};

let db: TestDatabase;
const sims: Simulator[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());
beforeEach(async () => {
  // Each test starts a fresh simulator and clock; the gate's row must not carry another test's time.
  await db.pool.query('DELETE FROM cxone_etl.rate_gate');
});
afterEach(async () => {
  for (const sim of sims) {
    // The promise this client keeps: never a call inside the interval, never two at once.
    const { byKind } = sim.stats().violations;
    expect(byKind.interval ?? 0).toBe(0);
    expect(byKind['in-flight'] ?? 0).toBe(0);
  }
  await Promise.all(sims.splice(0).map((s) => s.stop()));
});

interface Setup {
  sim: Simulator;
  clock: ManualClock;
  client: CxoneClient;
  calls: CallInfo[];
}

async function setup(
  simOptions: Partial<SimulatorOptions> = {},
  options: {
    config?: Partial<Config['cxone']>;
    client?: Partial<CxoneClientOptions>;
    clock?: ManualClock;
  } = {},
): Promise<Setup> {
  const clock = options.clock ?? new ManualClock(NOW);
  const sim = await startSimulator({ clock, ...simulatorMode, ...simOptions });
  sims.push(sim);
  const calls: CallInfo[] = [];
  const client = createCxoneClient({
    config: cxoneConfig(sim.url, options.config),
    credentials: accessKey,
    clock,
    gate: (tenantId) =>
      createRateGate({
        pool: db.pool,
        tenantId,
        minIntervalMs: INTERVAL,
        clock,
        scope: 'all',
        busyRetryAfterMs,
      }),
    httpTimeouts: {
      connectMs: 2000,
      requestMs: 5000,
      syncMs: 5000,
      downloadResponseMs: 5000,
      downloadIdleMs: 300,
    },
    onCall: (info) => calls.push(info),
    ...options.client,
  });
  return { sim, clock, client, calls };
}

function cxoneConfig(url: string, patch: Partial<Config['cxone']> = {}): Config['cxone'] {
  return {
    issuerUrl: url,
    authBaseUrl: url,
    apiBaseUrl: undefined,
    credentials: undefined,
    tenantId: undefined,
    minCallIntervalMs: INTERVAL,
    gateScope: 'all',
    clientAuth: 'auto',
    useSyncEndpoint: false,
    requestTimeoutMs: 5000,
    syncTimeoutMs: 5000,
    downloadIdleTimeoutMs: 60_000,
    ...patch,
  };
}

async function failure(clock: ManualClock, promise: Promise<unknown>): Promise<EtlError> {
  const error = await drive(clock, promise).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EtlError);
  return error as EtlError;
}

async function untilDone(s: Setup, jobId: string): Promise<JobState> {
  for (;;) {
    const state = await drive(s.clock, s.client.getJob(jobId));
    if (state.status !== 'RUNNING') return state;
  }
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function posts(sim: Simulator): number {
  return sim.stats().calls.byEndpoint['POST /jobs'] ?? 0;
}

/**
 * Every test runs twice: against the simulator's defaults (what public clients get away with) and its
 * strict options (the help page's letter); the client must keep its promises under both.
 */
let simulatorMode: Partial<SimulatorOptions> = {};

describe.each([
  ['default', {}],
  ['strict', STRICT_SIMULATOR_OPTIONS],
] as const)('CXone client against the %s simulator', (_mode, modeOptions) => {
  beforeAll(() => {
    simulatorMode = modeOptions;
  });

  it('authenticates with an access key, discovers the API, runs a job and downloads without the token', async () => {
    const s = await setup();
    expect(await s.client.tenantId()).toBe('tenant-demo');
    const jobId = await drive(s.clock, s.client.requestJob(workflowsDay));
    expect(jobId).toMatch(/\S/);

    const done = await untilDone(s, jobId);
    expect(done).toMatchObject({ id: jobId, status: 'SUCCEEDED' });
    expect(done.url).toContain('X-Amz-Signature');
    const csv = await readAll(await s.client.openDownload(done.url as string));
    expect(csv.split(/\r?\n/)[0]).toMatch(/,/);

    const listed = await drive(s.clock, s.client.listJobs());
    expect(listed).toContainEqual({ id: jobId, status: 'SUCCEEDED' });

    const stats = s.sim.stats();
    expect(stats.downloadsWithAuthHeader).toBe(0);
    expect(stats.downloads.served).toBe(1);
    expect(stats.tokensIssued).toBe(1);
    expect(stats.violations.total).toBe(0);
    expect(stats.calls.byEndpoint.discovery).toBe(1);
    expect(s.calls.map((c) => c.endpoint)).toEqual(
      expect.arrayContaining(['token', 'discovery', 'POST /jobs', 'GET /jobs/:id', 'GET /jobs', 'download']),
    );
    expect(s.client.stats().gate?.gatedCalls).toBe(stats.calls.total - 3); // token, discovery, download
  });

  it('logs in with the password grant through OpenID discovery; a set API base skips API discovery', async () => {
    const s = await setup({}, { client: { credentials: password } });
    expect(await drive(s.clock, s.client.listJobs())).toEqual([]);
    expect(s.sim.stats().calls.byEndpoint.discovery).toBe(2); // openid-configuration, cxone-configuration

    // CXONE_API_BASE_URL set, and a ready-made gate instead of a factory.
    const direct = createCxoneClient({
      config: cxoneConfig(s.sim.url, { apiBaseUrl: `${s.sim.url}/` }),
      credentials: password,
      clock: s.clock,
      gate: createRateGate({
        pool: db.pool,
        tenantId: 'tenant-demo',
        minIntervalMs: INTERVAL,
        clock: s.clock,
        scope: 'all',
        busyRetryAfterMs,
      }),
    });
    expect(await drive(s.clock, direct.listJobs())).toEqual([]);
    const stats = s.sim.stats();
    expect(stats.calls.byEndpoint.discovery).toBe(3); // only openid-configuration again
    expect(stats.tokensIssued).toBe(2);
    expect(stats.calls.byEndpoint['GET /jobs']).toBe(2);
  });

  it('sends the client id and secret by HTTP Basic when the issuer lists it, else as form fields', async () => {
    const s = await setup({}, { client: { credentials: password } });
    await drive(s.clock, s.client.listJobs());
    expect(s.client.stats().logins).toBe(1);
    // The simulator lists both; the client picks Basic.
    expect(tokenSessionOf(s.client)).toMatchObject({ flow: 'password', clientAuth: 'basic' });

    const formOnly = await setup({ clientAuthMethods: ['form'] }, { client: { credentials: password } });
    await drive(formOnly.clock, formOnly.client.listJobs());
    expect(tokenSessionOf(formOnly.client)).toMatchObject({ clientAuth: 'form' });

    // The setting overrides discovery: Basic against an issuer that takes only form fields is refused.
    const forced = await setup(
      { clientAuthMethods: ['form'] },
      { client: { credentials: password }, config: { clientAuth: 'basic' } },
    );
    const error = await failure(forced.clock, forced.client.listJobs());
    expect(error.code).toBe('AUTH');
    expect(error.message).toMatch(/invalid_client|CXONE_CLIENT_ID/);
  });

  it('logs in with the access-key pair as username and password of the password grant', async () => {
    const keyPair: Credentials = {
      ...password,
      username: 'demo-key',
      password: new Secret('demo-secret'),
    };
    const s = await setup({ passwordGrantAccessKeys: true }, { client: { credentials: keyPair } });
    expect(await drive(s.clock, s.client.listJobs())).toEqual([]);
    expect(tokenSessionOf(s.client)).toMatchObject({ flow: 'password', tenantId: 'tenant-demo' });
  });

  it('falls back to https://api-{area}.{domain} when cxone-configuration has no api_endpoint', async () => {
    const clock = new ManualClock(NOW);
    const sim = await startSimulator({
      clock,
      discoveryApiEndpoint: false,
      area: 'eu1',
      domain: 'example.net',
    });
    sims.push(sim);
    const deps = { http: createHttp(), clock, timeouts: cxoneTimeouts() };
    const policy = { attempts: 1, baseMs: 1, maxMs: 1 };
    const config = { issuerUrl: sim.url, apiBaseUrl: undefined };
    await expect(discoverApiBase(deps, policy, config, 'tenant-demo')).resolves.toBe(
      'https://api-eu1.example.net',
    );
    sim.setOptions({ discoveryApiEndpoint: true });
    await expect(discoverApiBase(deps, policy, config, 'tenant-demo')).resolves.toBe(sim.url);
    const unknown = await discoverApiBase(deps, policy, config, 'no-such-tenant').catch((e: unknown) => e);
    expect(unknown).toMatchObject({ code: 'CONFIG' });
    expect((unknown as Error).message).toMatch(/CXONE_API_BASE_URL/);
  });

  it('refuses bad credentials with AUTH naming the variables', async () => {
    const s = await setup(
      {},
      {
        client: {
          credentials: {
            kind: 'access-key',
            accessKeyId: 'demo-key',
            accessKeySecret: new Secret('wrong-secret'),
          },
        },
      },
    );
    const error = await failure(s.clock, s.client.listJobs());
    expect(error.code).toBe('AUTH');
    expect(error.message).toMatch(/CXONE_ACCESS_KEY_ID and CXONE_ACCESS_KEY_SECRET/);
    expect(error.message).not.toContain('wrong-secret');
    expect(s.sim.stats().calls.byEndpoint['GET /jobs'] ?? 0).toBe(0);
  });

  it('accepts every response variant: {jobId}, jobId key, lower case, null url while running, messageError', async () => {
    const s = await setup({
      jobBaseMs: 120_000,
      jobIdResponse: 'object',
      idKey: 'jobId',
      statusCase: 'lower',
      urlWhileRunning: 'null',
      errorKey: 'messageError',
      faults: { jobOutcome: { outcome: 'FAILED', count: 1, errorMessage: 'extraction broke' } },
    });
    const failed = await drive(s.clock, s.client.requestJob(workflowsDay));
    const running = await drive(s.clock, s.client.getJob(failed));
    expect(running).toEqual({ id: failed, status: 'RUNNING' });
    expect(await untilDone(s, failed)).toEqual({
      id: failed,
      status: 'FAILED',
      errorMessage: 'extraction broke',
    });

    s.sim.setOptions({ urlWhileRunning: 'empty' });
    const ok = await drive(s.clock, s.client.requestJob(workflowsDay));
    expect(await drive(s.clock, s.client.getJob(ok))).toEqual({ id: ok, status: 'RUNNING' });
    expect(await untilDone(s, ok)).toMatchObject({ id: ok, status: 'SUCCEEDED', url: expect.any(String) });
    const listed = await drive(s.clock, s.client.listJobs());
    expect(listed).toEqual(
      expect.arrayContaining([
        { id: failed, status: 'FAILED' },
        { id: ok, status: 'SUCCEEDED' },
      ]),
    );
  });

  it('reports malformed JSON and unknown statuses as API_CONTRACT, naming what was wrong', async () => {
    const s = await setup({ jobBaseMs: 300_000, faults: { malformedStatusJson: { count: 1 } } });
    const jobId = await drive(s.clock, s.client.requestJob(workflowsDay));
    const malformed = await failure(s.clock, s.client.getJob(jobId));
    expect(malformed.code).toBe('API_CONTRACT');
    expect(malformed.message).toMatch(/malformed JSON/);
    expect(malformed.context.jobId).toBe(jobId);

    s.sim.setOptions({ faults: { unknownStatus: 'PENDING' } });
    const unknown = await failure(s.clock, s.client.getJob(jobId));
    expect(unknown.code).toBe('API_CONTRACT');
    expect(unknown.message).toContain('unknown job status "PENDING"');
  });

  it('retries a 429 with Retry-After inside the gate until the API accepts', async () => {
    const s = await setup({ violationResponse: 429, jobBaseMs: 120_000, jobPerDayMs: 10_000 });
    const first = await drive(s.clock, s.client.requestJob(workflowsDay));
    const firstCreated = s.sim.stats().jobs.created[0]!.createdAt;
    const second = await drive(
      s.clock,
      s.client.requestJob({ ...workflowsDay, startDate: '2026-01-21', endDate: '2026-01-22' }),
    );
    expect(second).not.toBe(first);
    const stats = s.sim.stats();
    expect(stats.violations.byKind['job-running']).toBeGreaterThanOrEqual(1); // the busy answers, on purpose
    expect(posts(s.sim)).toBe(2 + (stats.violations.byKind['job-running'] ?? 0));
    // Accepted only once the first job's 130 s (120 s base + 10 s for one day) were over.
    expect(stats.jobs.created[1]!.createdAt).toBeGreaterThanOrEqual(firstCreated + 130_000);
    expect(s.client.stats().gate?.busyAnswers).toBe(stats.violations.byKind['job-running']);
  });

  it('retries a busy 403 and succeeds once the tenant is free', async () => {
    const s = await setup({ jobBaseMs: 90_000 });
    await drive(s.clock, s.client.requestJob(workflowsDay));
    const second = await drive(
      s.clock,
      s.client.requestJob({ ...workflowsDay, startDate: '2026-01-21', endDate: '2026-01-22' }),
    );
    expect(second).toMatch(/\S/);
    expect(s.sim.stats().violations.byKind['job-running']).toBeGreaterThanOrEqual(1);
    expect(s.sim.stats().jobs.total).toBe(2);
  });

  it('turns a 403 that outlives the busy retries into PERMISSION for that entity', async () => {
    const s = await setup({ tenants: [{ ...DEFAULT_TENANT, entities: ['qm-questions'] }] });
    const error = await failure(s.clock, s.client.requestJob(workflowsDay, { window: '2026-01-20' }));
    expect(error.code).toBe('PERMISSION');
    expect(error.message).toContain('lacks permission for qm-workflows');
    expect(error.message).toContain("API user's role");
    expect(error.context).toMatchObject({
      tenant: 'tenant-demo',
      entity: 'qm-workflows',
      window: '2026-01-20',
    });
    expect(posts(s.sim)).toBe(6);
    // Another entity of the same tenant is not affected.
    const ok = await drive(
      s.clock,
      s.client.requestJob({
        entityName: 'qm-questions',
        version: '2',
        startDate: '2026-01-20',
        endDate: '2026-01-21',
      }),
    );
    expect(ok).toMatch(/\S/);
  });

  it('does not retry a 400 and quotes its message', async () => {
    const s = await setup();
    const error = await failure(s.clock, s.client.requestJob({ ...workflowsDay, version: '99' }));
    expect(error.code).toBe('HTTP');
    expect(error.context.status).toBe(400);
    expect(error.message).toContain('version "99" is not supported');
    expect(posts(s.sim)).toBe(1);
  });

  it('retries 5xx answers, each attempt through the gate', async () => {
    const s = await setup({ faults: { http5xx: { count: 2, html: true } } });
    expect(await drive(s.clock, s.client.listJobs())).toEqual([]);
    expect(s.sim.stats().calls.byEndpoint['GET /jobs']).toBe(3);
    expect(s.calls.filter((c) => c.endpoint === 'GET /jobs').map((c) => [c.status, c.attempt])).toEqual([
      [503, 1],
      [503, 2],
      [200, 3],
    ]);
  });

  it('does not re-send a job POST that timed out after reaching the API (it may have created a job)', async () => {
    // The simulator holds the answer for a day of clock time; nothing advances it, so got's real
    // 200 ms request timeout fires. The first call of a fresh gate does not wait, so no driving.
    const s = await setup(
      { faults: { slowMs: 86_400_000 } },
      { client: { httpTimeouts: { connectMs: 2000, requestMs: 200, syncMs: 200 } } },
    );
    const error = await s.client.requestJob(workflowsDay).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'NETWORK', retryable: true });
    expect((error as Error).message).toMatch(/timed out/);
    expect(posts(s.sim)).toBe(1);
  });

  it('renews an expired token exactly once', async () => {
    const s = await setup();
    await drive(s.clock, s.client.listJobs());
    expect(s.sim.stats().tokensIssued).toBe(1);
    await s.clock.advance(3_600_000);
    await drive(s.clock, s.client.listJobs());
    await drive(s.clock, s.client.listJobs());
    expect(s.sim.stats().tokensIssued).toBe(2);
  });

  it('on a 401 logs in again once and repeats the call', async () => {
    const s = await setup();
    await drive(s.clock, s.client.listJobs());
    // A new simulator on the same port signs with a new key: the cached token is now refused.
    const { port } = s.sim;
    await s.sim.stop();
    sims.splice(sims.indexOf(s.sim), 1);
    const replacement = await startSimulator({ clock: s.clock, port });
    sims.push(replacement);
    await drive(s.clock, s.client.listJobs());
    expect(replacement.stats().tokensIssued).toBe(1);
    expect(replacement.stats().calls.byEndpoint['GET /jobs']).toBe(2);
    expect(s.calls.filter((c) => c.endpoint === 'GET /jobs').map((c) => c.status)).toEqual([200, 401, 200]);
    expect(s.client.stats().logins).toBe(2);
  });

  it('uses /jobs/sync when the API has it, and names the setting when it does not', async () => {
    const s = await setup({ syncEndpoint: true });
    const state = await drive(s.clock, s.client.requestJobSync(workflowsDay));
    expect(state).toMatchObject({ status: 'SUCCEEDED', url: expect.stringContaining('X-Amz-Signature') });
    expect(await readAll(await s.client.openDownload(state.url as string))).toMatch(/,/);

    s.sim.setOptions({ syncEndpoint: false });
    const error = await failure(s.clock, s.client.requestJobSync(workflowsDay));
    expect(error.code).toBe('CONFIG');
    expect(error.message).toMatch(/CXONE_USE_SYNC_ENDPOINT/);
  });

  describe('downloads', () => {
    async function succeeded(s: Setup): Promise<JobState> {
      const jobId = await drive(s.clock, s.client.requestJob(workflowsDay));
      return untilDone(s, jobId);
    }

    it('answers URL_EXPIRED for a URL past its 30 s, and a fresh status call gives a working one', async () => {
      const s = await setup();
      const done = await succeeded(s);
      await s.clock.advance(31_000);
      const error = await s.client
        .openDownload(done.url as string, { jobId: done.id })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'URL_EXPIRED' });
      expect((error as Error).message).not.toContain('X-Amz-Signature');
      const fresh = await drive(s.clock, s.client.getJob(done.id));
      expect(await readAll(await s.client.openDownload(fresh.url as string))).toMatch(/,/);
      expect(s.sim.stats().downloads).toMatchObject({ expired: 1, served: 1 });
    });

    it.each(['html', 'xml'] as const)('refuses a 200 %s page as BAD_INPUT', async (mode) => {
      const s = await setup();
      const done = await succeeded(s);
      s.sim.setOptions({ faults: { download: mode } });
      const error = await s.client.openDownload(done.url as string).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'BAD_INPUT' });
      expect((error as Error).message).toMatch(mode === 'html' ? /expected CSV, got an HTML page/ : /XML/);
      expect((error as Error).message).not.toContain('X-Amz-Signature');
    });

    it('makes a body cut short of its Content-Length fail the stream', async () => {
      const s = await setup();
      const done = await succeeded(s);
      s.sim.setOptions({ faults: { download: 'truncate' } });
      const stream = await s.client.openDownload(done.url as string);
      const error = await readAll(stream).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'DOWNLOAD', retryable: true });
    });

    it('fails a stalled download after the idle timeout', async () => {
      const s = await setup();
      const done = await succeeded(s);
      s.sim.setOptions({ faults: { download: 'stall' } });
      const stream = await s.client.openDownload(done.url as string);
      const error = await readAll(stream).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'DOWNLOAD' });
      expect((error as Error).message).toMatch(/timed out/);
    });

    it('reports a reset connection as a retryable DOWNLOAD error', async () => {
      const s = await setup();
      const done = await succeeded(s);
      s.sim.setOptions({ faults: { download: 'reset' } });
      const error = await s.client.openDownload(done.url as string).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'DOWNLOAD', retryable: true });
    });
  });

  it('gives up a gate wait on abort', async () => {
    const s = await setup();
    await drive(s.clock, s.client.listJobs());
    const controller = new AbortController();
    const waiting = s.client.listJobs({ signal: controller.signal });
    await s.clock.untilPending(1, 'the listJobs call waiting on the gate');
    controller.abort(new Error('shutdown'));
    await expect(waiting).rejects.toMatchObject({ code: 'ABORTED' });
    expect(s.sim.stats().calls.byEndpoint['GET /jobs']).toBe(1);
  });
});

function tokenSessionOf(client: CxoneClient) {
  return client.tokenSession();
}

function cxoneTimeouts() {
  return { connectMs: 2000, requestMs: 5000, syncMs: 5000, downloadResponseMs: 5000, downloadIdleMs: 300 };
}
