/**
 * Simulator jobs API (contract "Jobs"): validation, the RUNNING → SUCCEEDED → EXPIRED lifecycle on the
 * clock, the one-job-per-tenant rule, listing, tenancy, response variants, /sync, and job faults.
 */
import { ManualClock } from '../helpers/manual-clock.js';
import { csvHeader } from '../../src/simulator/csv/index.js';
import {
  STRICT_SIMULATOR_OPTIONS,
  startSimulator,
  type Simulator,
  type SimulatorOptions,
} from '../../src/simulator/index.js';

const NOW = Date.UTC(2026, 1, 1);
const DAY = 86_400_000;
const sims: Simulator[] = [];
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.stop()));
});

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

interface StatusBody {
  jobStatus: Record<string, unknown> & { status: string; result: Record<string, unknown> };
}

class Api {
  constructor(
    readonly sim: Simulator,
    readonly clock: ManualClock,
    private token = '',
  ) {}

  async login(): Promise<this> {
    const res = await fetch(`${this.sim.url}/authentication/v1/token/access-key`, {
      method: 'POST',
      body: JSON.stringify({ accessKeyId: 'demo-key', accessKeySecret: 'demo-secret' }),
    });
    this.token = ((await res.json()) as { access_token: string }).access_token;
    return this;
  }

  async send(method: string, path: string, body?: unknown, raw?: string): Promise<Reply> {
    const res = await fetch(`${this.sim.url}/data-extraction/v1/jobs${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
  }

  create(entityName: string, startDate: string, endDate: string, version?: string): Promise<Reply> {
    return this.send('POST', '', {
      entityName,
      version: version ?? defaultVersion(entityName),
      startDate,
      endDate,
    });
  }

  async status(id: string): Promise<StatusBody['jobStatus']> {
    const reply = await this.send('GET', `/${id}`);
    expect(reply.status).toBe(200);
    return (reply.json as StatusBody).jobStatus;
  }
}

function defaultVersion(entity: string): string {
  const versions: Record<string, string> = {
    'qm-workflows': '4',
    'qm-questions': '2',
    'qm-evaluation-comment-entity': '1',
    'recording-interaction-metadata': '10',
    'wfm-payroll': '1',
  };
  return versions[entity] ?? '1';
}

/** Rate limit off unless a test wants it: this file is about jobs, not the gate. */
async function start(options: Partial<SimulatorOptions> = {}): Promise<Api> {
  const clock = new ManualClock(NOW);
  const sim = await startSimulator({ clock, minCallIntervalMs: 0, ...options });
  sims.push(sim);
  return new Api(sim, clock).login();
}

describe('job request validation', () => {
  const cases: [string, unknown, RegExp][] = [
    ['a missing field', { entityName: 'qm-workflows', version: '4', startDate: '2026-01-01' }, /endDate/],
    [
      'a non-string field',
      { entityName: 'qm-workflows', version: 4, startDate: '2026-01-01', endDate: '2026-01-02' },
      /version/,
    ],
    [
      'an unknown entity',
      { entityName: 'qm-nothing', version: '1', startDate: '2026-01-01', endDate: '2026-01-02' },
      /entityName/,
    ],
    [
      'an unsupported version',
      // 3 and 4 are served (the Singer tap reads 3, docs/API.md); 2 is not.
      { entityName: 'qm-workflows', version: '2', startDate: '2026-01-01', endDate: '2026-01-02' },
      /version/,
    ],
    [
      'a datetime for a date-only entity',
      { entityName: 'qm-workflows', version: '4', startDate: '2026-01-01 00:00:00', endDate: '2026-01-02' },
      /startDate/,
    ],
    [
      'an impossible date',
      { entityName: 'qm-workflows', version: '4', startDate: '2026-02-30', endDate: '2026-03-02' },
      /startDate/,
    ],
    [
      'a wrong date form',
      { entityName: 'qm-workflows', version: '4', startDate: '01/01/2026', endDate: '2026-01-02' },
      /startDate/,
    ],
    [
      'start after end',
      { entityName: 'qm-workflows', version: '4', startDate: '2026-01-05', endDate: '2026-01-02' },
      /after/,
    ],
    [
      'an empty window',
      { entityName: 'qm-workflows', version: '4', startDate: '2026-01-05', endDate: '2026-01-05' },
      /empty/,
    ],
    [
      'a window over 14 days',
      { entityName: 'qm-workflows', version: '4', startDate: '2026-01-01', endDate: '2026-01-16' },
      /14 days/,
    ],
    ['a JSON array', [], /JSON object/],
  ];

  it.each(cases)('answers 400 with a message for %s', async (_name, body, message) => {
    // Equal dates are refused only under the strict reading (the default accepts them as empty).
    const api = await start({ equalDates: 'reject' });
    const reply = await api.send('POST', '', body);
    expect(reply.status).toBe(400);
    expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
    expect((reply.json as { error: string }).error).toMatch(message);
    expect(api.sim.stats().jobs.created).toHaveLength(0);
  });

  it('answers 400 for malformed JSON', async () => {
    const api = await start();
    const reply = await api.send('POST', '', undefined, '{"entityName": ');
    expect(reply.status).toBe(400);
    expect((reply.json as { error: string }).error).toMatch(/JSON/);
  });

  it('accepts exactly 14 days, datetimes for recordings, and the versions configured', async () => {
    const api = await start({
      allowConcurrentJobs: true,
      supportedVersions: { 'recording-interaction-metadata': ['7', '10'] },
    });
    expect((await api.create('qm-workflows', '2026-01-01', '2026-01-15')).status).toBe(202);
    expect(
      (await api.create('recording-interaction-metadata', '2026-01-01 06:00:00', '2026-01-01 18:30:00'))
        .status,
    ).toBe(202);
    expect((await api.create('recording-interaction-metadata', '2026-01-01', '2026-01-02', '7')).status).toBe(
      202,
    );
    const [, recording] = api.sim.stats().jobs.created;
    expect(recording).toMatchObject({
      startMs: Date.UTC(2026, 0, 1, 6),
      endMs: Date.UTC(2026, 0, 1, 18, 30),
    });
  });

  it('accepts equal start and end dates by default as an empty range (a header-only file)', async () => {
    const api = await start();
    const reply = await api.create('qm-workflows', '2026-01-05', '2026-01-05');
    expect(reply.status).toBe(202);
    const id = reply.json as string;
    expect(api.sim.stats().jobs.created[0]).toMatchObject({
      startMs: Date.UTC(2026, 0, 5),
      endMs: Date.UTC(2026, 0, 5),
    });
    await api.clock.advance(60_000);
    const job = await api.status(id);
    expect(job.status).toBe('SUCCEEDED');
    const body = await (await fetch(job.result.url as string)).text();
    expect(body.trimEnd().split('\r\n')).toHaveLength(1);
  });

  it('accepts recording versions 7 to 10 by default, older ones with fewer columns; strict: 10 only', async () => {
    const api = await start({ allowConcurrentJobs: true });
    const headers: Record<string, string[]> = {};
    for (const version of ['7', '8', '9', '10']) {
      const reply = await api.create('recording-interaction-metadata', '2026-01-01', '2026-01-02', version);
      expect(reply.status).toBe(202);
      headers[version] = api.sim.jobSpec(reply.json as string)
        ? csvHeader(api.sim.jobSpec(reply.json as string)!)
        : [];
    }
    expect((await api.create('recording-interaction-metadata', '2026-01-01', '2026-01-02', '6')).status).toBe(
      400,
    );
    const sizes = ['7', '8', '9', '10'].map((v) => headers[v]?.length ?? 0);
    expect(sizes).toEqual([...sizes].sort((a, b) => a - b));
    expect(new Set(sizes).size).toBe(4);
    // The columns the public v7 clients read are all there.
    expect(headers['7']).toEqual(
      expect.arrayContaining(['ACD Call ID', 'Agent 1 Contact Number', 'ANI', 'DNIS']),
    );
    expect(headers['7']).not.toContain('Agent Notes');

    const strict = await start(STRICT_SIMULATOR_OPTIONS);
    expect(
      (await strict.create('recording-interaction-metadata', '2026-01-01', '2026-01-02', '7')).status,
    ).toBe(400);
  });

  it('accepts datetimes for every entity when acceptDateTimeForAll is on', async () => {
    const api = await start({ acceptDateTimeForAll: true });
    expect((await api.create('qm-questions', '2026-01-01 00:00:00', '2026-01-02 00:00:00')).status).toBe(202);
  });

  it('reads a date-only end as inclusive when endDateInclusive is on', async () => {
    const api = await start({
      endDateInclusive: { 'qm-workflows': true },
      allowConcurrentJobs: true,
      equalDates: 'reject',
    });
    expect((await api.create('qm-workflows', '2026-01-01', '2026-01-01')).status).toBe(202);
    expect((await api.create('qm-questions', '2026-01-01', '2026-01-01')).status).toBe(400);
    expect(api.sim.stats().jobs.created[0]).toMatchObject({
      startMs: Date.UTC(2026, 0, 1),
      endMs: Date.UTC(2026, 0, 2),
    });
  });

  it('answers 403 for an entity the tenant may not extract, worded like the busy answer', async () => {
    const api = await start({
      tenants: [
        {
          id: 'tenant-demo',
          accessKeyId: 'demo-key',
          accessKeySecret: 'demo-secret',
          entities: ['qm-workflows'],
        },
      ],
    });
    const refused = await api.create('wfm-payroll', '2026-01-01', '2026-01-02');
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toMatch(/^application\/json/);
    expect(Object.keys(refused.json as object)).toEqual(['error']);
    expect((refused.json as { error: string }).error).toMatch(/permission/);
    expect((await api.create('qm-workflows', '2026-01-01', '2026-01-02')).status).toBe(202);
  });
});

describe('job lifecycle', () => {
  it('is 202 with a bare id, RUNNING for base + per-day time, then SUCCEEDED with a URL, then EXPIRED after 24 h', async () => {
    const api = await start({ tokenTtlMs: 2 * DAY });
    const created = await api.create('qm-workflows', '2026-01-10', '2026-01-12');
    expect(created.status).toBe(202);
    expect(created.text).toMatch(/^"[0-9a-f-]{36}"$/);
    const id = created.json as string;

    const running = await api.status(id);
    // url and messageError on every answer, null when absent (the default, after a public client's fixture).
    expect(running).toEqual({ id, status: 'RUNNING', result: { url: null, messageError: null } });
    await api.clock.advance(10_000 + 2 * 2_500 - 1);
    expect((await api.status(id)).status).toBe('RUNNING');
    await api.clock.advance(1);
    const done = await api.status(id);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.result.url).toMatch(new RegExp(`^${api.sim.url}/__s3/tenant-demo/${id}\\.csv\\?`));
    expect(done.result.messageError).toBeNull();

    await api.clock.advance(DAY - 1);
    expect((await api.status(id)).status).toBe('SUCCEEDED');
    await api.clock.advance(1);
    const expired = await api.status(id);
    expect(expired.status).toBe('EXPIRED');
    expect(expired.result.url).toBeNull();
    expect(expired.result.messageError).toEqual(expect.any(String));
  });

  it('takes longer for recordings and scales every duration with timeScale', async () => {
    const api = await start({ timeScale: 0.01, tokenTtlMs: 2 * DAY });
    const id = (await api.create('recording-interaction-metadata', '2026-01-10', '2026-01-11'))
      .json as string;
    // (10 s + 2.5 s/day x 1 day) x 2 for recordings, x 0.01
    await api.clock.advance(249);
    expect((await api.status(id)).status).toBe('RUNNING');
    await api.clock.advance(1);
    expect((await api.status(id)).status).toBe('SUCCEEDED');
    await api.clock.advance(DAY * 0.01);
    expect((await api.status(id)).status).toBe('EXPIRED');
  });

  it('refuses a second POST while the tenant has a RUNNING job, unless allowConcurrentJobs', async () => {
    const api = await start();
    await api.create('qm-workflows', '2026-01-10', '2026-01-11');
    const busy = await api.create('qm-questions', '2026-01-10', '2026-01-11');
    expect(busy.status).toBe(403);
    expect((busy.json as { error: string }).error).toMatch(/already running/);
    expect(api.sim.stats().violations.byKind).toEqual({ 'job-running': 1 });
    await api.clock.advance(30_000);
    expect((await api.create('qm-questions', '2026-01-10', '2026-01-11')).status).toBe(202);

    const lenient = await start({ allowConcurrentJobs: true });
    await lenient.create('qm-workflows', '2026-01-10', '2026-01-11');
    expect((await lenient.create('qm-questions', '2026-01-10', '2026-01-11')).status).toBe(202);
  });

  it('maxRunningJobs: a tenant runs that many jobs at once, and the next POST is busy until one ends', async () => {
    const api = await start({ maxRunningJobs: 2 });
    expect((await api.create('qm-workflows', '2026-01-10', '2026-01-11')).status).toBe(202);
    expect((await api.create('qm-questions', '2026-01-10', '2026-01-11')).status).toBe(202);
    const busy = await api.create('qm-workflows', '2026-01-11', '2026-01-12');
    expect(busy.status).toBe(403);
    expect(api.sim.stats().violations.byKind).toEqual({ 'job-running': 1 });
    // Both jobs take 30 s (20 s + 10 s for one day): then there is room again.
    await api.clock.advance(30_000);
    expect((await api.create('qm-workflows', '2026-01-11', '2026-01-12')).status).toBe(202);
    await expect(start({ maxRunningJobs: 0 })).rejects.toThrow(/maxRunningJobs/);
  });

  it('lists the tenant’s jobs and hides other tenants’ jobs (404)', async () => {
    const tenants = [
      { id: 'tenant-demo', accessKeyId: 'demo-key', accessKeySecret: 'demo-secret' },
      { id: 'tenant-other', accessKeyId: 'other-key', accessKeySecret: 'other-secret' },
    ];
    const api = await start({ tenants, allowConcurrentJobs: true });
    const a = (await api.create('qm-workflows', '2026-01-10', '2026-01-11')).json as string;
    await api.clock.advance(30_000);
    const b = (await api.create('wfm-payroll', '2026-01-10', '2026-01-11')).json as string;
    const list = await api.send('GET', '');
    expect(list.status).toBe(200);
    expect(list.json).toEqual({
      jobs: expect.arrayContaining([
        { id: a, status: 'SUCCEEDED' },
        { id: b, status: 'RUNNING' },
      ]) as unknown,
    });

    const res = await fetch(`${api.sim.url}/authentication/v1/token/access-key`, {
      method: 'POST',
      body: JSON.stringify({ accessKeyId: 'other-key', accessKeySecret: 'other-secret' }),
    });
    const other = new Api(api.sim, api.clock, ((await res.json()) as { access_token: string }).access_token);
    expect((await other.send('GET', `/${a}`)).status).toBe(404);
    expect((await other.send('GET', '')).json).toEqual({ jobs: [] });
    expect((await api.send('GET', '/no-such-job')).status).toBe(404);
  });
});

describe('response variants', () => {
  it('answers the job id as an object, messageError, lower-case status, jobId and a null url when asked', async () => {
    const api = await start({
      jobIdResponse: 'object',
      errorKey: 'messageError',
      statusCase: 'lower',
      idKey: 'jobId',
      urlWhileRunning: 'null',
      resultKeys: 'when-set',
      faults: { jobOutcome: { outcome: 'FAILED', errorMessage: 'boom' } },
    });
    const created = await api.create('qm-workflows', '2026-01-10', '2026-01-11');
    const { jobId } = created.json as { jobId: string };
    expect(typeof jobId).toBe('string');
    expect(await api.status(jobId)).toEqual({ jobId, status: 'running', result: { url: null } });
    await api.clock.advance(30_000);
    expect(await api.status(jobId)).toEqual({
      jobId,
      status: 'failed',
      result: { url: null, messageError: 'boom' },
    });
    expect((await api.send('GET', '')).json).toEqual({ jobs: [{ jobId, status: 'failed' }] });
  });

  it('shows an empty url while RUNNING with urlWhileRunning "empty"', async () => {
    const api = await start({ urlWhileRunning: 'empty', resultKeys: 'when-set' });
    const id = (await api.create('qm-workflows', '2026-01-10', '2026-01-11')).json as string;
    expect((await api.status(id)).result).toEqual({ url: '' });
    // With every key always there, the url is still the empty string asked for.
    api.sim.setOptions({ resultKeys: 'always' });
    expect((await api.status(id)).result).toEqual({ url: '', messageError: null });
  });
});

describe('job outcome faults', () => {
  it('fails the first n jobs of an entity with an error message, then succeeds', async () => {
    const api = await start({
      allowConcurrentJobs: true,
      errorKey: 'errorMessage',
      resultKeys: 'when-set',
      faults: {
        jobOutcome: {
          outcome: 'FAILED',
          count: 2,
          entities: ['qm-questions'],
          errorMessage: 'Extraction failed',
        },
      },
    });
    const ids: string[] = [];
    for (const entity of ['qm-questions', 'qm-workflows', 'qm-questions', 'qm-questions']) {
      ids.push((await api.create(entity, '2026-01-10', '2026-01-11')).json as string);
    }
    await api.clock.advance(60_000);
    const statuses = await Promise.all(ids.map((id) => api.status(id)));
    expect(statuses.map((s) => s.status)).toEqual(['FAILED', 'SUCCEEDED', 'FAILED', 'SUCCEEDED']);
    expect(statuses[0]?.result).toEqual({ errorMessage: 'Extraction failed' });
    expect(api.sim.stats().faultsInjected['jobOutcome:FAILED']).toBe(2);
  });

  it('reaches CANCELLED and EXPIRED through faults', async () => {
    const api = await start({
      allowConcurrentJobs: true,
      faults: {
        jobOutcome: [
          { outcome: 'CANCELLED', entities: ['wfm-payroll'] },
          { outcome: 'EXPIRED', entities: ['qm-workflows'] },
        ],
      },
    });
    const cancelled = (await api.create('wfm-payroll', '2026-01-10', '2026-01-11')).json as string;
    const expired = (await api.create('qm-workflows', '2026-01-10', '2026-01-11')).json as string;
    await api.clock.advance(60_000);
    const c = await api.status(cancelled);
    expect(c.status).toBe('CANCELLED');
    expect(c.result.messageError).toEqual(expect.any(String));
    expect((await api.status(expired)).status).toBe('EXPIRED');
  });

  it('shows an unknown status while running, and cuts status JSON short when asked', async () => {
    const api = await start({ faults: { unknownStatus: 'PENDING', malformedStatusJson: { count: 1 } } });
    const id = (await api.create('qm-workflows', '2026-01-10', '2026-01-11')).json as string;
    const broken = await api.send('GET', `/${id}`);
    expect(broken.status).toBe(200);
    expect(broken.json).toBeUndefined();
    expect((await api.status(id)).status).toBe('PENDING');
  });

  it('answers 5xx on every n-th jobs call, switched on mid-run with setOptions', async () => {
    const api = await start();
    expect((await api.send('GET', '')).status).toBe(200);
    api.sim.setOptions({ faults: { http5xx: { everyNth: 2, status: 502 } } });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await api.send('GET', '')).status);
    expect(statuses).toEqual([200, 502, 200, 502]);
    api.sim.setOptions({ faults: { http5xx: undefined } });
    expect((await api.send('GET', '')).status).toBe(200);
    expect(api.sim.stats().faultsInjected.http502).toBe(2);
  });

  it('answers 5xx with a seeded probability, the same way for the same seed', async () => {
    const run = async (): Promise<number[]> => {
      const api = await start({ seed: 'fixed', faults: { http5xx: { probability: 0.5 } } });
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) statuses.push((await api.send('GET', '')).status);
      return statuses;
    };
    const first = await run();
    expect(first).toContain(503);
    expect(first).toContain(200);
    expect(await run()).toEqual(first);
  });
});

describe('POST /jobs/sync', () => {
  it('is absent by default', async () => {
    const api = await start();
    const reply = await api.send('POST', '/sync', {
      entityName: 'qm-workflows',
      version: '4',
      startDate: '2026-01-10',
      endDate: '2026-01-11',
    });
    expect(reply.status).toBe(404);
  });

  it('blocks until the job is done, then answers 200 with the jobStatus', async () => {
    const api = await start({ syncEndpoint: true });
    const pending = api.send('POST', '/sync', {
      entityName: 'qm-workflows',
      version: '4',
      startDate: '2026-01-10',
      endDate: '2026-01-11',
    });
    while (api.clock.pending === 0) await new Promise((r) => setImmediate(r));
    await api.clock.advance(30_000);
    const reply = await pending;
    expect(reply.status).toBe(200);
    const { jobStatus } = reply.json as StatusBody;
    expect(jobStatus.status).toBe('SUCCEEDED');
    expect(jobStatus.result.url).toEqual(expect.any(String));
    expect(api.sim.stats().calls.byEndpoint['POST /jobs/sync']).toBe(1);
    expect(api.sim.stats().jobs.created[0]?.sync).toBe(true);
  });

  it('lets stop() end a waiting /sync call instead of hanging', async () => {
    const api = await start({ syncEndpoint: true });
    const pending = api.send('POST', '/sync', {
      entityName: 'qm-workflows',
      version: '4',
      startDate: '2026-01-10',
      endDate: '2026-01-11',
    });
    while (api.clock.pending === 0) await new Promise((r) => setImmediate(r));
    await api.sim.stop();
    await expect(pending).rejects.toThrow();
  });
});

describe('routing', () => {
  it('answers 404 JSON for unknown routes and 405 for a wrong method', async () => {
    const api = await start();
    const missing = await fetch(`${api.sim.url}/nothing-here`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/^application\/json/);
    const wrong = await api.send('DELETE', '');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST, GET');
  });
});
