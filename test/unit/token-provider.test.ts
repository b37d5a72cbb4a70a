import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Credentials } from '../../src/config.js';
import { createHttp, type HttpTimeouts } from '../../src/cxone/http.js';
import {
  chooseClientAuth,
  createTokenProvider,
  decodeJwtPayload,
  tenantIdFromToken,
  type TokenProvider,
} from '../../src/cxone/token-provider.js';
import { EtlError } from '../../src/lib/errors.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { Secret } from '../../src/lib/secret.js';

function jwt(claims: Record<string, unknown>): string {
  const part = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}.c2lnbmF0dXJl`;
}

describe('client authentication of the password grant', () => {
  it('auto: Basic when the issuer lists client_secret_basic, else form fields; a setting wins', () => {
    expect(chooseClientAuth('auto', ['client_secret_post', 'client_secret_basic'])).toBe('basic');
    expect(chooseClientAuth('auto', ['client_secret_post'])).toBe('form');
    expect(chooseClientAuth('auto', [])).toBe('form');
    expect(chooseClientAuth(undefined, ['client_secret_basic'])).toBe('basic');
    expect(chooseClientAuth('form', ['client_secret_basic'])).toBe('form');
    expect(chooseClientAuth('basic', [])).toBe('basic');
  });
});

describe('JWT tenant claim', () => {
  it('reads tenantId from the payload without verifying', () => {
    const token = jwt({ tenantId: 'tenant-42', sub: 'u', exp: 1 });
    expect(decodeJwtPayload(token)).toMatchObject({ tenantId: 'tenant-42', sub: 'u' });
    expect(tenantIdFromToken(token)).toBe('tenant-42');
    expect(tenantIdFromToken(jwt({ tenantId: 17 }))).toBe('17');
  });

  it('gives undefined for tokens without the claim or not JWTs at all', () => {
    expect(tenantIdFromToken(jwt({ sub: 'u' }))).toBeUndefined();
    expect(tenantIdFromToken('opaque-token')).toBeUndefined();
    expect(tenantIdFromToken('a.!!!not-base64-json.c')).toBeUndefined();
    expect(decodeJwtPayload(`x.${Buffer.from('[1]').toString('base64url')}.y`)).toBeUndefined();
  });
});

interface Exchange {
  method: string;
  path: string;
  body: string;
}

/** A stand-in for the CXone auth endpoints; each test sets `reply`. */
let server: http.Server;
let base: string;
let seen: Exchange[];
let reply: (ex: Exchange) => { status: number; body: unknown };

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const ex = { method: req.method ?? '', path: req.url ?? '', body };
      seen.push(ex);
      const { status, body: out } = reply(ex);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(out));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  seen = [];
});

const timeouts: HttpTimeouts = {
  connectMs: 2000,
  requestMs: 2000,
  syncMs: 2000,
  downloadResponseMs: 2000,
  downloadIdleMs: 2000,
};

const accessKey: Credentials = {
  kind: 'access-key',
  accessKeyId: 'key-id',
  accessKeySecret: new Secret('very-secret-key'),
};
const password: Credentials = {
  kind: 'password',
  clientId: 'client-1',
  clientSecret: new Secret('client-secret-value'),
  username: 'user@example.com',
  password: new Secret('hunter2-password'),
};

function provider(credentials: Credentials, clock: ManualClock, tenantId?: string): TokenProvider {
  return createTokenProvider({
    http: createHttp(),
    clock,
    timeouts,
    config: { issuerUrl: base, authBaseUrl: base, tenantId },
    credentials,
    retryPolicy: { attempts: 3, baseMs: 1, maxMs: 1 },
  });
}

let issued = 0;
function tokens(claims: Record<string, unknown> = { tenantId: 'tenant-1' }, expiresIn = 3600) {
  issued++;
  return {
    access_token: jwt({ ...claims, n: issued }),
    token_type: 'Bearer',
    expires_in: expiresIn,
    refresh_token: `refresh-${issued}`,
  };
}

describe('access-key flow', () => {
  it('logs in once, caches, and renews at 80% of expires_in', async () => {
    const clock = new ManualClock(0);
    reply = () => ({ status: 200, body: tokens() });
    const p = provider(accessKey, clock);
    const [a, b] = await Promise.all([p.token(), p.token()]);
    expect(a).toBe(b);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.path).toBe('/authentication/v1/token/access-key');
    expect(JSON.parse(seen[0]?.body ?? '{}')).toEqual({
      accessKeyId: 'key-id',
      accessKeySecret: 'very-secret-key',
    });
    expect(await p.tenantId()).toBe('tenant-1');

    await clock.advance(2_879_999);
    expect(await p.token()).toBe(a);
    expect(seen).toHaveLength(1);
    await clock.advance(1);
    const c = await p.token();
    expect(c).not.toBe(a);
    expect(seen).toHaveLength(2);
    expect(p.stats()).toEqual({ logins: 2, refreshes: 0 });
  });

  it('logs in again after invalidate()', async () => {
    const clock = new ManualClock(0);
    reply = () => ({ status: 200, body: tokens() });
    const p = provider(accessKey, clock);
    const first = await p.token();
    p.invalidate();
    expect(await p.token()).not.toBe(first);
    expect(seen).toHaveLength(2);
  });

  it('refuses bad credentials with AUTH naming the variables, never the values', async () => {
    reply = () => ({ status: 401, body: { error: 'Invalid access key id or secret' } });
    const error = await provider(accessKey, new ManualClock(0))
      .token()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EtlError);
    expect((error as EtlError).code).toBe('AUTH');
    expect((error as EtlError).message).toContain('CXONE_ACCESS_KEY_ID and CXONE_ACCESS_KEY_SECRET');
    expect((error as EtlError).message).not.toContain('very-secret-key');
    expect(seen).toHaveLength(1);
  });

  it('retries a 503 from the token endpoint', async () => {
    let n = 0;
    reply = () => (++n === 1 ? { status: 503, body: { error: 'down' } } : { status: 200, body: tokens() });
    const clock = new ManualClock(0);
    const p = provider(accessKey, clock);
    const token = p.token();
    while (seen.length < 2) await clock.advance(1);
    await expect(token).resolves.toMatch(/\./);
  });

  it('falls back to CXONE_TENANT_ID without a claim, and says to set it when both are missing', async () => {
    reply = () => ({ status: 200, body: tokens({ sub: 'x' }) });
    expect(await provider(accessKey, new ManualClock(0), 'from-config').tenantId()).toBe('from-config');
    await expect(provider(accessKey, new ManualClock(0)).tenantId()).rejects.toThrow(/CXONE_TENANT_ID/);
  });
});

describe('password grant', () => {
  function oidc(ex: Exchange, token: () => { status: number; body: unknown }) {
    if (ex.path === '/.well-known/openid-configuration') {
      return { status: 200, body: { token_endpoint: `${base}/oauth/token` } };
    }
    return token();
  }

  it('discovers the token endpoint, posts the form, and renews with the refresh token', async () => {
    const clock = new ManualClock(0);
    reply = (ex) => oidc(ex, () => ({ status: 200, body: tokens() }));
    const p = provider(password, clock);
    await p.token();
    const login = new URLSearchParams(seen[1]?.body);
    expect(seen.map((s) => s.path)).toEqual(['/.well-known/openid-configuration', '/oauth/token']);
    expect(Object.fromEntries(login)).toEqual({
      grant_type: 'password',
      username: 'user@example.com',
      password: 'hunter2-password',
      client_id: 'client-1',
      client_secret: 'client-secret-value',
    });

    await clock.advance(2_880_000);
    await p.token();
    const refresh = new URLSearchParams(seen[2]?.body);
    expect(refresh.get('grant_type')).toBe('refresh_token');
    expect(refresh.get('refresh_token')).toMatch(/^refresh-/);
    expect(seen).toHaveLength(3); // the token endpoint is remembered
    expect(p.stats()).toEqual({ logins: 1, refreshes: 1 });
  });

  it('logs in again when the refresh token is refused', async () => {
    const clock = new ManualClock(0);
    reply = (ex) =>
      oidc(ex, () =>
        new URLSearchParams(ex.body).get('grant_type') === 'refresh_token'
          ? { status: 400, body: { error: 'invalid_grant', error_description: 'expired refresh token' } }
          : { status: 200, body: tokens() },
      );
    const p = provider(password, clock);
    await p.token();
    p.invalidate();
    await p.token();
    expect(seen.map((s) => new URLSearchParams(s.body).get('grant_type'))).toEqual([
      null,
      'password',
      'refresh_token',
      'password',
    ]);
  });

  it('names the variables to check by the OAuth error', async () => {
    reply = (ex) =>
      oidc(ex, () => ({ status: 400, body: { error: 'invalid_grant', error_description: 'bad' } }));
    await expect(provider(password, new ManualClock(0)).token()).rejects.toThrow(
      /CXONE_USERNAME and CXONE_PASSWORD/,
    );
    reply = (ex) => oidc(ex, () => ({ status: 401, body: { error: 'invalid_client' } }));
    const error = (await provider(password, new ManualClock(0))
      .token()
      .catch((e: unknown) => e)) as EtlError;
    expect(error.message).toMatch(/CXONE_CLIENT_ID and CXONE_CLIENT_SECRET/);
    for (const secret of ['hunter2-password', 'client-secret-value'])
      expect(error.message).not.toContain(secret);
  });
});
