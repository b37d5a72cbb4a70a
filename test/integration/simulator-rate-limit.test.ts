/**
 * The simulator's per-tenant rate rule (contract "Limits"): one call in flight, one call per 30 s,
 * the configured violation answer (403 by default, 429 with Retry-After, 400), and the counts.
 */
import { ManualClock } from '../helpers/manual-clock.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js';

const NOW = Date.UTC(2026, 1, 1);
const sims: Simulator[] = [];
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.stop()));
});

const TENANTS = [
  { id: 'tenant-a', accessKeyId: 'key-a', accessKeySecret: 'secret-a' },
  { id: 'tenant-b', accessKeyId: 'key-b', accessKeySecret: 'secret-b' },
];

/**
 * These tests read the rule on GET /jobs, so they ask for the strict scope (every jobs call); the
 * default, job creation only, has its own test below.
 */
async function start(options: Partial<SimulatorOptions> = {}) {
  const clock = new ManualClock(NOW);
  const sim = await startSimulator({ clock, tenants: TENANTS, rateLimitScope: 'all', ...options });
  sims.push(sim);
  return { sim, clock };
}

async function login(sim: Simulator, tenant: 'a' | 'b' = 'a'): Promise<string> {
  const res = await fetch(`${sim.url}/authentication/v1/token/access-key`, {
    method: 'POST',
    body: JSON.stringify({ accessKeyId: `key-${tenant}`, accessKeySecret: `secret-${tenant}` }),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

async function list(
  sim: Simulator,
  token: string,
): Promise<{ status: number; headers: Headers; error?: string }> {
  const res = await fetch(`${sim.url}/data-extraction/v1/jobs`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const body = (await res.json()) as { error?: string };
  return {
    status: res.status,
    headers: res.headers,
    ...(body.error === undefined ? {} : { error: body.error }),
  };
}

function create(sim: Simulator, token: string, startDate = '2026-01-10', endDate = '2026-01-11') {
  return fetch(`${sim.url}/data-extraction/v1/jobs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: JSON.stringify({ entityName: 'qm-workflows', version: '4', startDate, endDate }),
  });
}

describe('one call per interval', () => {
  it('refuses a second call inside 30 s with 403 JSON by default, and counts it', async () => {
    const { sim, clock } = await start();
    const token = await login(sim);
    expect((await list(sim, token)).status).toBe(200);
    await clock.advance(10_000);
    const refused = await list(sim, token);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toMatch(/^application\/json/);
    expect(refused.error).toMatch(/30 seconds/);
    expect(refused.headers.get('retry-after')).toBeNull();

    const { violations } = sim.stats();
    expect(violations.total).toBe(1);
    expect(violations.byTenant).toEqual({ 'tenant-a': 1 });
    expect(violations.recent[0]).toMatchObject({
      tenant: 'tenant-a',
      kind: 'interval',
      endpoint: 'GET /jobs',
      sinceLastCallMs: 10_000,
      status: 403,
    });
  });

  it('counts a refused call as a call (default): the interval restarts from it', async () => {
    const { sim, clock } = await start();
    const token = await login(sim);
    await list(sim, token);
    await clock.advance(10_000);
    expect((await list(sim, token)).status).toBe(403);
    await clock.advance(20_000);
    expect((await list(sim, token)).status).toBe(403);
    await clock.advance(30_000);
    expect((await list(sim, token)).status).toBe(200);
    expect(sim.stats().violations.total).toBe(2);
  });

  it('measures from the last accepted call when violationCountsAsCall is off', async () => {
    const { sim, clock } = await start({ violationCountsAsCall: false });
    const token = await login(sim);
    await list(sim, token);
    await clock.advance(10_000);
    expect((await list(sim, token)).status).toBe(403);
    await clock.advance(20_000);
    expect((await list(sim, token)).status).toBe(200);
  });

  it('answers 429 with Retry-After in whole seconds when configured', async () => {
    const { sim, clock } = await start({ violationResponse: 429, violationCountsAsCall: false });
    const token = await login(sim);
    await list(sim, token);
    await clock.advance(10_500);
    const refused = await list(sim, token);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('20');
  });

  it('scales the interval and Retry-After with timeScale, rounding up', async () => {
    const { sim, clock } = await start({ violationResponse: 429, timeScale: 0.01 });
    const token = await login(sim);
    await list(sim, token);
    await clock.advance(100);
    const refused = await list(sim, token);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    await clock.advance(300);
    expect((await list(sim, token)).status).toBe(200);
  });

  it('forgives intervalToleranceMs of jitter', async () => {
    const { sim, clock } = await start({ intervalToleranceMs: 50 });
    const token = await login(sim);
    await list(sim, token);
    await clock.advance(29_950);
    expect((await list(sim, token)).status).toBe(200);
    await clock.advance(29_949);
    expect((await list(sim, token)).status).toBe(403);
  });

  it('answers 400 when configured', async () => {
    const { sim } = await start({ violationResponse: 400 });
    const token = await login(sim);
    await list(sim, token);
    expect((await list(sim, token)).status).toBe(400);
    expect(sim.stats().violations.total).toBe(1);
  });

  it('gates job creation and status calls alike with scope all, only creation with create-only', async () => {
    const strict = await start();
    const token = await login(strict.sim);
    expect((await create(strict.sim, token)).status).toBe(202);
    expect((await list(strict.sim, token)).status).toBe(403);

    const lenient = await start({ rateLimitScope: 'create-only', allowConcurrentJobs: true });
    const token2 = await login(lenient.sim);
    expect((await create(lenient.sim, token2)).status).toBe(202);
    expect((await list(lenient.sim, token2)).status).toBe(200);
    expect((await list(lenient.sim, token2)).status).toBe(200);
    expect((await create(lenient.sim, token2, '2026-01-11', '2026-01-12')).status).toBe(403);
    await lenient.clock.advance(30_000);
    expect((await create(lenient.sim, token2, '2026-01-11', '2026-01-12')).status).toBe(202);
    expect(lenient.sim.stats().violations.total).toBe(1);
  });

  it('limits only job creation by default: polls right after the POST are answered (public clients)', async () => {
    const clock = new ManualClock(NOW);
    const sim = await startSimulator({ clock, tenants: TENANTS });
    sims.push(sim);
    expect(sim.options.rateLimitScope).toBe('create-only');
    const token = await login(sim);
    expect((await create(sim, token)).status).toBe(202);
    for (let i = 0; i < 3; i++) expect((await list(sim, token)).status).toBe(200);
    await clock.advance(5_000);
    expect((await create(sim, token, '2026-01-11', '2026-01-12')).status).toBe(403);
    expect(sim.stats().violations.total).toBe(1);
  });

  it('keeps tenants apart', async () => {
    const { sim } = await start();
    const a = await login(sim, 'a');
    const b = await login(sim, 'b');
    expect((await list(sim, a)).status).toBe(200);
    expect((await list(sim, b)).status).toBe(200);
    expect(sim.stats().violations.total).toBe(0);
    expect(sim.stats().callsByTenant['tenant-b']?.byEndpoint['GET /jobs']).toBe(1);
  });
});

describe('one call in flight', () => {
  it('refuses a call while another of the tenant is still being answered', async () => {
    const { sim, clock } = await start({ minCallIntervalMs: 0, faults: { slowMs: 5_000 } });
    const token = await login(sim);
    const first = list(sim, token);
    // The first call is parked on the clock inside the simulator: it is in flight.
    while (clock.pending === 0) await new Promise((r) => setImmediate(r));
    const second = await list(sim, token);
    expect(second.status).toBe(403);
    expect(second.error).toMatch(/in progress/);

    await clock.advance(5_000);
    expect((await first).status).toBe(200);
    sim.setOptions({ faults: { slowMs: 0 } });
    expect((await list(sim, token)).status).toBe(200);
    expect(sim.stats().violations.byKind).toEqual({ 'in-flight': 1 });
  });

  it('lets another tenant through meanwhile', async () => {
    const { sim, clock } = await start({ minCallIntervalMs: 0, faults: { slowMs: 5_000 } });
    const a = await login(sim, 'a');
    const b = await login(sim, 'b');
    const first = list(sim, a);
    while (clock.pending === 0) await new Promise((r) => setImmediate(r));
    const other = list(sim, b);
    while (clock.pending < 2) await new Promise((r) => setImmediate(r));
    await clock.advance(5_000);
    expect((await first).status).toBe(200);
    expect((await other).status).toBe(200);
    expect(sim.stats().violations.total).toBe(0);
  });
});
