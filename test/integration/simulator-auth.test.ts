/**
 * Simulator authentication and discovery (contract "Authentication"): access-key and password-grant
 * tokens, refresh, OpenID and cxone-configuration discovery, and 401 once a token expires (by clock).
 */
import { ManualClock } from '../helpers/manual-clock.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js';

const NOW = Date.UTC(2026, 1, 1);
const sims: Simulator[] = [];
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.stop()));
});

async function start(
  options: Partial<SimulatorOptions> = {},
): Promise<{ sim: Simulator; clock: ManualClock }> {
  const clock = new ManualClock(NOW);
  const sim = await startSimulator({ clock, minCallIntervalMs: 0, ...options });
  sims.push(sim);
  return { sim, clock };
}

interface Reply {
  status: number;
  headers: Headers;
  json: Record<string, unknown>;
}

async function send(sim: Simulator, method: string, path: string, init: RequestInit = {}): Promise<Reply> {
  const res = await fetch(`${sim.url}${path}`, { method, ...init });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    json: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

function accessKey(
  sim: Simulator,
  accessKeyId = 'demo-key',
  accessKeySecret = 'demo-secret',
): Promise<Reply> {
  return send(sim, 'POST', '/authentication/v1/token/access-key', {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ accessKeyId, accessKeySecret }),
  });
}

function form(sim: Simulator, path: string, fields: Record<string, string>): Promise<Reply> {
  return send(sim, 'POST', path, {
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
}

function listJobs(sim: Simulator, token: string): Promise<Reply> {
  return send(sim, 'GET', '/data-extraction/v1/jobs', { headers: { authorization: `Bearer ${token}` } });
}

function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
}

const PASSWORD_GRANT = {
  grant_type: 'password',
  username: 'demo@example.com',
  password: 'demo-password',
  client_id: 'demo-client',
  client_secret: 'demo-client-secret',
};

describe('access-key token', () => {
  it('issues a Bearer JWT carrying tenantId, valid for an hour', async () => {
    const { sim } = await start();
    const reply = await accessKey(sim);
    expect(reply.status).toBe(200);
    expect(reply.json).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    for (const key of ['access_token', 'id_token', 'refresh_token'])
      expect(typeof reply.json[key]).toBe('string');
    const claims = claimsOf(reply.json.access_token as string);
    expect(claims).toMatchObject({ tenantId: 'tenant-demo', iat: NOW / 1000, exp: NOW / 1000 + 3600 });
    expect(typeof claims.sub).toBe('string');
    expect((await listJobs(sim, reply.json.access_token as string)).status).toBe(200);
    expect(sim.stats().tokensIssued).toBe(1);
  });

  it('refuses wrong credentials with 401 JSON', async () => {
    const { sim } = await start();
    const reply = await accessKey(sim, 'demo-key', 'wrong');
    expect(reply.status).toBe(401);
    expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
    expect(reply.json.error).toEqual(expect.any(String));
    expect(sim.stats().tokensIssued).toBe(0);
  });

  it('knows each tenant by its own key', async () => {
    const { sim } = await start({
      tenants: [
        { id: 'tenant-a', accessKeyId: 'ka', accessKeySecret: 'sa' },
        { id: 'tenant-b', accessKeyId: 'kb', accessKeySecret: 'sb' },
      ],
    });
    const b = await accessKey(sim, 'kb', 'sb');
    expect(claimsOf(b.json.access_token as string).tenantId).toBe('tenant-b');
  });
});

describe('OpenID discovery and the password grant', () => {
  it('publishes a token endpoint that takes a form-encoded password grant', async () => {
    const { sim } = await start();
    const discovery = await send(sim, 'GET', '/.well-known/openid-configuration');
    expect(discovery.status).toBe(200);
    expect(discovery.json.issuer).toBe(sim.url);
    const tokenEndpoint = discovery.json.token_endpoint as string;
    expect(tokenEndpoint.startsWith(sim.url)).toBe(true);

    const reply = await form(sim, new URL(tokenEndpoint).pathname, PASSWORD_GRANT);
    expect(reply.status).toBe(200);
    expect(reply.json).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    expect(claimsOf(reply.json.access_token as string).tenantId).toBe('tenant-demo');
    expect((await listJobs(sim, reply.json.access_token as string)).status).toBe(200);
  });

  it('accepts client credentials in a Basic header too', async () => {
    const { sim } = await start();
    const { client_id: _id, client_secret: _secret, ...rest } = PASSWORD_GRANT;
    const reply = await send(sim, 'POST', '/auth/token', {
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from('demo-client:demo-client-secret').toString('base64')}`,
      },
      body: new URLSearchParams(rest).toString(),
    });
    expect(reply.status).toBe(200);
  });

  it('takes the access-key pair as username and password by default; strict: the user password only', async () => {
    const { sim } = await start();
    const keyPair = { ...PASSWORD_GRANT, username: 'demo-key', password: 'demo-secret' };
    const reply = await form(sim, '/auth/token', keyPair);
    expect(reply.status).toBe(200);
    expect(claimsOf(reply.json.access_token as string).tenantId).toBe('tenant-demo');

    const strict = await start({ passwordGrantAccessKeys: false });
    const refused = await form(strict.sim, '/auth/token', keyPair);
    expect(refused.status).toBe(400);
    expect(refused.json.error).toBe('invalid_grant');
  });

  it('lists the client auth methods it takes, and refuses the others', async () => {
    const basicOnly = await start({ clientAuthMethods: ['basic'] });
    const doc = await send(basicOnly.sim, 'GET', '/.well-known/openid-configuration');
    expect(doc.json.token_endpoint_auth_methods_supported).toEqual(['client_secret_basic']);
    const inForm = await form(basicOnly.sim, '/auth/token', PASSWORD_GRANT);
    expect(inForm.status).toBe(401);
    expect(inForm.json.error).toBe('invalid_client');

    const formOnly = await start({ clientAuthMethods: ['form'] });
    const doc2 = await send(formOnly.sim, 'GET', '/.well-known/openid-configuration');
    expect(doc2.json.token_endpoint_auth_methods_supported).toEqual(['client_secret_post']);
    expect((await form(formOnly.sim, '/auth/token', PASSWORD_GRANT)).status).toBe(200);

    const both = await start();
    const doc3 = await send(both.sim, 'GET', '/.well-known/openid-configuration');
    expect(doc3.json.token_endpoint_auth_methods_supported).toEqual([
      'client_secret_basic',
      'client_secret_post',
    ]);
  });

  it('answers invalid_grant for a wrong password and invalid_client for a wrong client', async () => {
    const { sim } = await start();
    const badPassword = await form(sim, '/auth/token', { ...PASSWORD_GRANT, password: 'nope' });
    expect(badPassword.status).toBe(400);
    expect(badPassword.json.error).toBe('invalid_grant');
    const badClient = await form(sim, '/auth/token', { ...PASSWORD_GRANT, client_secret: 'nope' });
    expect(badClient.status).toBe(401);
    expect(badClient.json.error).toBe('invalid_client');
    const badGrant = await form(sim, '/auth/token', { grant_type: 'client_credentials' });
    expect(badGrant.status).toBe(400);
    expect(badGrant.json.error).toBe('unsupported_grant_type');
  });

  it('refreshes with the refresh_token grant', async () => {
    const { sim, clock } = await start();
    const first = await form(sim, '/auth/token', PASSWORD_GRANT);
    await clock.advance(3_599_000);
    const refreshed = await form(sim, '/auth/token', {
      grant_type: 'refresh_token',
      refresh_token: first.json.refresh_token as string,
      client_id: 'demo-client',
      client_secret: 'demo-client-secret',
    });
    expect(refreshed.status).toBe(200);
    await clock.advance(10_000);
    expect((await listJobs(sim, first.json.access_token as string)).status).toBe(401);
    expect((await listJobs(sim, refreshed.json.access_token as string)).status).toBe(200);
    const unknown = await form(sim, '/auth/token', { grant_type: 'refresh_token', refresh_token: 'made-up' });
    expect(unknown.status).toBe(400);
    expect(unknown.json.error).toBe('invalid_grant');
    expect(sim.stats().tokensIssued).toBe(2);
  });
});

describe('cxone-configuration', () => {
  it('answers a flat object whose api_endpoint is the simulator', async () => {
    const { sim } = await start();
    const reply = await send(sim, 'GET', '/.well-known/cxone-configuration?tenantId=tenant-demo');
    expect(reply.status).toBe(200);
    expect(reply.json).toMatchObject({
      area: 'na1',
      domain: 'localhost',
      acdDomain: 'localhost',
      uhDomain: 'localhost',
      api_endpoint: sim.url,
      ui_endpoint: sim.url,
      auth_endpoint: sim.url,
      private: false,
    });
    expect(typeof reply.json.cluster).toBe('string');
    // No field may lead a client to a real CXone host with the simulator's token.
    expect(JSON.stringify(reply.json)).not.toMatch(/niceincontact|nice-incontact|cxone\.com/);
  });

  it('can leave api_endpoint out, and refuses a missing or unknown tenant', async () => {
    const { sim } = await start({ discoveryApiEndpoint: false, area: 'au1' });
    const reply = await send(sim, 'GET', '/.well-known/cxone-configuration?tenantId=tenant-demo');
    expect(reply.json.api_endpoint).toBeUndefined();
    expect(reply.json.area).toBe('au1');
    expect((await send(sim, 'GET', '/.well-known/cxone-configuration')).status).toBe(400);
    expect((await send(sim, 'GET', '/.well-known/cxone-configuration?tenantId=nobody')).status).toBe(404);
  });
});

describe('token validity', () => {
  it('answers 401 once the token has expired on the simulator clock', async () => {
    const { sim, clock } = await start();
    const token = (await accessKey(sim)).json.access_token as string;
    await clock.advance(3_599_999);
    expect((await listJobs(sim, token)).status).toBe(200);
    await clock.advance(1);
    const expired = await listJobs(sim, token);
    expect(expired.status).toBe(401);
    expect(expired.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(expired.json.error).toMatch(/expired/);
  });

  it('scales the lifetime with timeScale and honours tokenTtlMs', async () => {
    const { sim, clock } = await start({ timeScale: 0.01, tokenTtlMs: 600_000 });
    const reply = await accessKey(sim);
    expect(reply.json.expires_in).toBe(6);
    await clock.advance(6_000);
    expect((await listJobs(sim, reply.json.access_token as string)).status).toBe(401);
  });

  it('refuses a missing, malformed or foreign token', async () => {
    const { sim } = await start();
    const { sim: other } = await start();
    const foreign = (await accessKey(other)).json.access_token as string;
    expect((await send(sim, 'GET', '/data-extraction/v1/jobs')).status).toBe(401);
    expect((await listJobs(sim, 'not-a-jwt')).status).toBe(401);
    expect((await listJobs(sim, foreign)).status).toBe(401);
  });

  it('does not rate-limit token or discovery calls', async () => {
    const { sim } = await start({ minCallIntervalMs: 30_000 });
    for (let i = 0; i < 3; i++) {
      expect((await accessKey(sim)).status).toBe(200);
      expect((await send(sim, 'GET', '/.well-known/openid-configuration')).status).toBe(200);
    }
    expect(sim.stats().violations.total).toBe(0);
    expect(sim.stats().calls.byEndpoint).toMatchObject({ token: 3, discovery: 3 });
  });
});
