/**
 * Conformance: clients that behave as the public ones do (public-clients.ts says what each does and
 * why) run end to end against the simulator with its defaults only. At time scale 0.01 a client's 5 s
 * between polls is 50 ms, so no test waits real seconds. If a default changes so that one of these
 * fails, the simulator has stopped answering the way the real API evidently does.
 */
import {
  DEFAULT_TENANT,
  startSimulator,
  STRICT_SIMULATOR_OPTIONS,
  type Simulator,
} from '../../src/simulator/index.js';
import {
  FatalStatus,
  fivePollScript,
  fixtureStrictClient,
  generatedSpecClient,
  nodeServiceDiscovery,
  productionScript,
  secondScript,
  ShapeRejected,
  type ClientResult,
  type PasswordLogin,
} from './public-clients.js';

const TIME_SCALE = 0.01;
const scale = { timeScale: TIME_SCALE };
const key = {
  id: DEFAULT_TENANT.accessKeyId,
  secret: DEFAULT_TENANT.accessKeySecret,
  tenantId: DEFAULT_TENANT.id,
};

let sim: Simulator;
beforeEach(async () => {
  // Defaults only; the time scale is what lets a 30-s world run in milliseconds.
  sim = await startSimulator({ timeScale: TIME_SCALE });
});
afterEach(() => sim.stop());

/** Today and tomorrow, as every public client writes one day. */
function oneDay(offsetDays = -1): { startDate: string; endDate: string } {
  const day = Math.floor(Date.now() / 86_400_000) + offsetDays;
  const iso = (d: number) => new Date(d * 86_400_000).toISOString().slice(0, 10);
  return { startDate: iso(day), endDate: iso(day + 1) };
}

function login(overrides: Partial<PasswordLogin>): PasswordLogin {
  return {
    issuer: sim.url,
    clientId: DEFAULT_TENANT.clientId ?? '',
    clientSecret: DEFAULT_TENANT.clientSecret ?? '',
    username: DEFAULT_TENANT.accessKeyId,
    password: DEFAULT_TENANT.accessKeySecret,
    clientAuth: 'basic',
    ...overrides,
  };
}

function polls(result: ClientResult): number {
  return result.calls.filter((c) => c.method === 'GET' && c.path.includes('/data-extraction/v1/jobs/'))
    .length;
}

function expectNoViolation(): void {
  expect(sim.stats().violations.total).toBe(0);
}

it('the production script: key pair through the password grant, Basic client auth, v7, any non-200 fatal', async () => {
  const result = await productionScript(
    login({ clientAuth: 'basic' }),
    { entityName: 'recording-interaction-metadata', version: '7', ...oneDay() },
    scale,
  );
  expect(result.status).toBe('SUCCEEDED');
  expect(result.header).toEqual(
    expect.arrayContaining(['ACD Call ID', 'Agent 1 Contact Number', 'ANI', 'DNIS']),
  );
  expect(result.rows).toBeGreaterThan(0);
  // It polled at once after the POST (and then every 5 s) and never saw anything but 200.
  const post = result.calls.findIndex((c) => c.method === 'POST' && c.path === '/data-extraction/v1/jobs');
  expect(result.calls[post + 1]).toMatchObject({ method: 'GET', status: 200 });
  expect(polls(result)).toBeGreaterThan(1);
  expect(result.calls.find((c) => c.path === '/auth/token')).toMatchObject({
    authorization: 'basic',
    status: 200,
  });
  expect(result.calls.at(-1)).toMatchObject({ authorization: 'none', status: 200 });
  expectNoViolation();
});

it('the generated spec client: access key, polls at once and every 5 s, downloads without Authorization', async () => {
  const result = await generatedSpecClient(
    sim.url,
    key,
    { entityName: 'recording-interaction-metadata', version: '7', ...oneDay() },
    scale,
  );
  expect(result.status).toBe('SUCCEEDED');
  expect(result.calls.every((c) => c.status === 200 || c.status === 202)).toBe(true);
  expect(sim.stats().downloadsWithAuthHeader).toBe(0);
  expectNoViolation();
});

it('the second script: form client fields, the user password, equal dates for a data-derived day', async () => {
  const day = oneDay().startDate;
  const result = await secondScript(
    login({
      clientAuth: 'form',
      username: DEFAULT_TENANT.username ?? '',
      password: DEFAULT_TENANT.password ?? '',
    }),
    { entityName: 'recording-interaction-metadata', version: '7', startDate: day, endDate: day },
    scale,
  );
  // Accepted (the contract: what the API answers is ASSUMED; the default reads it as an empty range).
  expect(result.status).toBe('SUCCEEDED');
  expect(result.header[0]).toBe('ACD Call ID');
  expect(result.calls.find((c) => c.path === '/auth/token')).toMatchObject({
    authorization: 'none',
    status: 200,
  });
  expectNoViolation();
});

it('decodes a file with a BOM: the first header is still ACD Call ID', async () => {
  sim.setOptions({ bom: true });
  const result = await generatedSpecClient(
    sim.url,
    key,
    { entityName: 'recording-interaction-metadata', version: '10', ...oneDay() },
    scale,
  );
  expect(result.header[0]).toBe('ACD Call ID');
});

it('the Node service: cxone-configuration has every field, and every one leads back to the simulator', async () => {
  const { base, doc } = await nodeServiceDiscovery(sim.url, key);
  expect(base).toBe(sim.url);
  for (const field of [
    'area',
    'domain',
    'api_endpoint',
    'cluster',
    'acdDomain',
    'uhDomain',
    'ui_endpoint',
    'auth_endpoint',
  ]) {
    expect(typeof doc[field]).toBe('string');
  }
  expect(typeof doc.private).toBe('boolean');
  expect([doc.api_endpoint, doc.ui_endpoint, doc.auth_endpoint]).toEqual([sim.url, sim.url, sim.url]);
  // A client that builds https://api-{area}.{domain} stays on this machine, never a real CXone host.
  expect(new URL(`https://api-${String(doc.area)}.${String(doc.domain)}`).hostname).toMatch(/\.localhost$/);
});

it('under the strict option the production script fails at its first poll: why the default is lenient', async () => {
  sim.setOptions({ rateLimitScope: 'all' });
  await expect(
    productionScript(
      login({ clientAuth: 'basic' }),
      { entityName: 'recording-interaction-metadata', version: '10', ...oneDay() },
      scale,
    ),
  ).rejects.toThrow(FatalStatus);
  expect(sim.stats().violations.total).toBe(1);
});

describe('the five-poll script at real time (time scale 1, every other setting a default)', () => {
  let realTime: Simulator;
  beforeEach(async () => {
    realTime = await startSimulator();
  });
  afterEach(() => realTime.stop());

  // Up to 50 s of real waiting: the give-up script sleeps 10 s before each of its five polls.
  it('gets a one-day recording file before it gives up', async () => {
    const started = Date.now();
    const result = await fivePollScript(
      realTime.url,
      key,
      { entityName: 'recording-interaction-metadata', version: '7', ...oneDay() },
      { timeScale: 1 },
    );
    expect(result.status).toBe('SUCCEEDED');
    expect(result.rows).toBeGreaterThan(0);
    expect(polls(result)).toBeLessThanOrEqual(5);
    expect(Date.now() - started).toBeLessThan(45_000);
    expect(realTime.stats().violations.total).toBe(0);
  }, 90_000);
});

it('the TypeScript client parses every status answer as strictly as its captured fixture, and succeeds', async () => {
  const result = await fixtureStrictClient(
    sim.url,
    key,
    { entityName: 'qm-workflows', version: '4', ...oneDay() },
    scale,
  );
  expect(result.status).toBe('SUCCEEDED');
  // It saw RUNNING answers (url and messageError null) before the SUCCEEDED one, and parsed them all.
  expect(polls(result)).toBeGreaterThan(1);
  expectNoViolation();
});

it("under the spec's letter (errorMessage, keys only when set) the strict TypeScript client rejects the first answer", async () => {
  sim.setOptions({
    errorKey: STRICT_SIMULATOR_OPTIONS.errorKey,
    resultKeys: STRICT_SIMULATOR_OPTIONS.resultKeys,
  });
  await expect(
    fixtureStrictClient(sim.url, key, { entityName: 'qm-workflows', version: '4', ...oneDay() }, scale),
  ).rejects.toThrow(ShapeRejected);
});
