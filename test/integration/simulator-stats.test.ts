/**
 * What the simulator reports about a run (`stats()` and `GET /__sim/stats`): the numbers end-to-end
 * tests assert on, such as POSTs per window, violations and bytes served.
 */
import { ManualClock } from '../helpers/manual-clock.js';
import {
  DEFAULT_SIMULATOR_OPTIONS,
  STRICT_SIMULATOR_OPTIONS,
  startSimulator,
  type Simulator,
} from '../../src/simulator/index.js';

const NOW = Date.UTC(2026, 1, 1);
let sim: Simulator;
let clock: ManualClock;

beforeEach(async () => {
  clock = new ManualClock(NOW);
  // The strict scope: the scenario's quick status call is its violation.
  sim = await startSimulator({ clock, minCallIntervalMs: 30_000, rateLimitScope: 'all' });
});
afterEach(() => sim.stop());

async function scenario(): Promise<string> {
  const auth = await fetch(`${sim.url}/authentication/v1/token/access-key`, {
    method: 'POST',
    body: JSON.stringify({ accessKeyId: 'demo-key', accessKeySecret: 'demo-secret' }),
  });
  const headers = {
    authorization: `Bearer ${((await auth.json()) as { access_token: string }).access_token}`,
  };
  const jobs = `${sim.url}/data-extraction/v1/jobs`;
  const body = JSON.stringify({
    entityName: 'wfm-payroll',
    version: '1',
    startDate: '2026-01-10',
    endDate: '2026-01-12',
  });
  const jobId = (await (await fetch(jobs, { method: 'POST', headers, body })).json()) as string;
  await fetch(`${jobs}/${jobId}`, { headers }); // inside 30 s: a violation
  await clock.advance(30_000);
  const status = (await (await fetch(`${jobs}/${jobId}`, { headers })).json()) as {
    jobStatus: { result: { url: string } };
  };
  await (await fetch(status.jobStatus.result.url)).arrayBuffer();
  await clock.advance(30_000);
  await fetch(jobs, { headers });
  return jobId;
}

it('counts calls, violations, jobs and bytes, the same over HTTP', async () => {
  const jobId = await scenario();
  const stats = sim.stats();
  expect(stats.calls).toEqual({
    total: 6,
    byEndpoint: { token: 1, 'POST /jobs': 1, 'GET /jobs/:id': 2, download: 1, 'GET /jobs': 1 },
  });
  expect(stats.callsByTenant['tenant-demo']?.total).toBe(6);
  expect(stats.violations).toMatchObject({
    total: 1,
    byTenant: { 'tenant-demo': 1 },
    byKind: { interval: 1 },
    recent: [{ tenant: 'tenant-demo', kind: 'interval', endpoint: 'GET /jobs/:id', at: NOW, status: 403 }],
  });
  expect(stats.jobs).toEqual({
    total: 1,
    byStatus: { SUCCEEDED: 1 },
    created: [
      {
        id: jobId,
        tenant: 'tenant-demo',
        entity: 'wfm-payroll',
        version: '1',
        startDate: '2026-01-10',
        endDate: '2026-01-12',
        startMs: Date.UTC(2026, 0, 10),
        endMs: Date.UTC(2026, 0, 12),
        createdAt: NOW,
        sync: false,
      },
    ],
  });
  expect(stats.downloads).toEqual({ total: 1, served: 1, expired: 0, refused: 0, faulted: 0 });
  expect(stats.bytesServed).toBeGreaterThan(100);
  expect(stats.tokensIssued).toBe(1);
  expect(stats.downloadsWithAuthHeader).toBe(0);

  const overHttp = await (await fetch(`${sim.url}/__sim/stats`)).json();
  expect(overHttp).toEqual(stats);
  expect(sim.stats().calls.total).toBe(6); // the stats endpoint itself is not an API call
});

it('hands out copies, and forgets everything on reset', async () => {
  await scenario();
  const copy = sim.stats();
  copy.calls.total = 999;
  expect(sim.stats().calls.total).toBe(6);

  const reply = await fetch(`${sim.url}/__sim/reset`, { method: 'POST' });
  expect(reply.status).toBe(200);
  const stats = sim.stats();
  expect(stats.calls.total).toBe(0);
  expect(stats.jobs).toEqual({ total: 0, byStatus: {}, created: [] });
  expect(stats.violations.total).toBe(0);
});

it('exposes the options in force and the defaults', () => {
  expect(sim.options.minCallIntervalMs).toBe(30_000);
  expect(DEFAULT_SIMULATOR_OPTIONS).toMatchObject({
    timeScale: 1,
    minCallIntervalMs: 30_000,
    violationResponse: 403,
    urlTtlMs: 30_000,
    fileTtlMs: 86_400_000,
    maxWindowMs: 14 * 86_400_000,
    tokenTtlMs: 3_600_000,
    // Defaults that follow public clients (docs/SIMULATOR.md); STRICT_SIMULATOR_OPTIONS has the letter.
    rateLimitScope: 'create-only',
    passwordGrantAccessKeys: true,
    clientAuthMethods: ['basic', 'form'],
    equalDates: 'empty',
    domain: 'localhost',
  });
  expect(DEFAULT_SIMULATOR_OPTIONS.supportedVersions['recording-interaction-metadata']).toEqual([
    '7',
    '8',
    '9',
    '10',
  ]);
  expect(STRICT_SIMULATOR_OPTIONS).toMatchObject({
    rateLimitScope: 'all',
    passwordGrantAccessKeys: false,
    equalDates: 'reject',
  });
  expect(STRICT_SIMULATOR_OPTIONS.supportedVersions?.['recording-interaction-metadata']).toEqual(['10']);
  expect(() => sim.setOptions({ clientAuthMethods: [] })).toThrow(/clientAuthMethods/);
  sim.setOptions({ maxWindowMs: Infinity });
  expect(sim.options.maxWindowMs).toBe(Infinity);
  sim.setOptions({ violationResponse: 429 });
  expect(sim.options.violationResponse).toBe(429);
  expect(() => sim.setOptions({ timeScale: 0 })).toThrow(/timeScale/);
});
