/**
 * The bearer token (contract "Authentication"): access-key or password-grant login, cached, renewed
 * at 80% of its lifetime so a long poll never sends an expiring token, and dropped by `invalidate()`
 * when the API answers 401 (the client does that once per call, never in a loop). Concurrent callers
 * share one login. The tenant id is the token's `tenantId` claim.
 */
import type { ClientAuthSetting, Config, Credentials } from '../config.js';
import { crashPoint } from '../lib/crash-points.js';
import { EtlError } from '../lib/errors.js';
import { retry } from '../lib/retry.js';
import { safeUrl } from '../logger.js';
import { discoverTokenEndpoint } from './discovery.js';
import { classifyForRetry, errorFromAnswer, responseMessage } from './http-errors.js';
import { parseJson, send, type HttpDeps } from './http.js';
import type { RetryPolicy } from './types.js';

export interface TokenProvider {
  /** A valid access token; logs in or refreshes when needed. */
  token(signal?: AbortSignal): Promise<string>;
  /** The tenant the credentials belong to (logs in if needed). */
  tenantId(signal?: AbortSignal): Promise<string>;
  /** Forget the cached token: the API refused it (401). */
  invalidate(): void;
  stats(): { logins: number; refreshes: number };
  /** How the current token was obtained, for `cxone-etl check`; never the token itself. */
  session(): TokenSession | undefined;
}

export interface TokenSession {
  flow: 'access-key' | 'password';
  /** Password grant only: how the client id and secret were sent. */
  clientAuth?: 'basic' | 'form';
  /** The lifetime the server gave (expires_in). */
  expiresInS: number;
  tenantId: string;
}

export interface TokenProviderOptions extends HttpDeps {
  config: Pick<Config['cxone'], 'issuerUrl' | 'authBaseUrl' | 'tenantId'> &
    Partial<Pick<Config['cxone'], 'clientAuth'>>;
  credentials: Credentials;
  retryPolicy: RetryPolicy;
}

/** Renew at 80% of expires_in: early enough that a token never expires mid-call, late enough to be rare. */
export const REFRESH_AT_FRACTION = 0.8;
/** "Tokens last about an hour" (portal FAQ): used when an answer leaves out expires_in. */
const DEFAULT_EXPIRES_IN_S = 3600;

interface CachedToken {
  accessToken: string;
  expiresInS: number;
  clientAuth?: 'basic' | 'form';
  refreshToken: string | undefined;
  tenantId: string;
  refreshAt: number;
  expiresAt: number;
}

interface TokenAnswer {
  access_token: string;
  expires_in: number;
  refresh_token?: string;
}

export function createTokenProvider(options: TokenProviderOptions): TokenProvider {
  const { clock, credentials } = options;
  let cached: CachedToken | undefined;
  let pending: Promise<CachedToken> | undefined;
  let tokenEndpoint: { url: string; clientAuth: 'basic' | 'form' } | undefined;
  let logins = 0;
  let refreshes = 0;

  const hint = credentialHint(credentials);

  async function obtain(signal?: AbortSignal): Promise<CachedToken> {
    const previous = cached;
    // The password grant can renew with its refresh token; the access-key flow has no documented
    // refresh call, and a fresh access-key login costs the same, so it logs in again.
    if (previous?.refreshToken !== undefined && credentials.kind === 'password') {
      try {
        const renewed = await passwordFlow(signal, { refreshToken: previous.refreshToken });
        refreshes++;
        return renewed;
      } catch (error) {
        // A refused refresh token (expired, revoked) falls back to a login; anything else is reported,
        // unless the current token still has time left.
        if (!(error instanceof EtlError && error.code === 'AUTH')) {
          if (clock.now() < previous.expiresAt) return previous;
          throw error;
        }
      }
    }
    const fresh =
      credentials.kind === 'access-key' ? await accessKeyFlow(signal) : await passwordFlow(signal);
    logins++;
    return fresh;
  }

  async function current(signal?: AbortSignal): Promise<CachedToken> {
    if (cached && clock.now() < cached.refreshAt) return cached;
    // One login for all concurrent callers; it runs under the first caller's signal, which in the
    // worker is the run's shutdown signal shared by every caller anyway.
    pending ??= (async () => {
      try {
        cached = await obtain(signal);
        return cached;
      } finally {
        pending = undefined;
      }
    })();
    return pending;
  }

  async function accessKeyFlow(signal?: AbortSignal): Promise<CachedToken> {
    if (credentials.kind !== 'access-key') throw new Error('unreachable');
    const url = `${options.config.authBaseUrl}/authentication/v1/token/access-key`;
    return request(url, signal, {
      json: { accessKeyId: credentials.accessKeyId, accessKeySecret: credentials.accessKeySecret.reveal() },
    });
  }

  async function passwordFlow(signal?: AbortSignal, grant?: { refreshToken: string }): Promise<CachedToken> {
    if (credentials.kind !== 'password') throw new Error('unreachable');
    if (!tokenEndpoint) {
      const found = await discoverTokenEndpoint(options, options.retryPolicy, options.config, signal);
      tokenEndpoint = {
        url: found.url,
        clientAuth: chooseClientAuth(options.config.clientAuth, found.authMethods),
      };
    }
    const basic = tokenEndpoint.clientAuth === 'basic';
    const client: Record<string, string> = basic
      ? {}
      : { client_id: credentials.clientId, client_secret: credentials.clientSecret.reveal() };
    const form = grant
      ? { grant_type: 'refresh_token', refresh_token: grant.refreshToken, ...client }
      : {
          grant_type: 'password',
          username: credentials.username,
          password: credentials.password.reveal(),
          ...client,
        };
    const headers = basic
      ? { authorization: basicAuthorization(credentials.clientId, credentials.clientSecret.reveal()) }
      : undefined;
    const answer = await request(
      tokenEndpoint.url,
      signal,
      { form, ...(headers ? { headers } : {}) },
      grant !== undefined,
    );
    return { ...answer, clientAuth: tokenEndpoint.clientAuth };
  }

  async function request(
    url: string,
    signal: AbortSignal | undefined,
    body: { json?: unknown; form?: Record<string, string>; headers?: Record<string, string> },
    isRefresh = false,
  ): Promise<CachedToken> {
    const what = `POST ${safeUrl(url)}`;
    const answer = await retry(
      async (attempt) => {
        const reply = await send(options.http, {
          endpoint: 'token',
          what,
          method: 'POST',
          url,
          ...body,
          timeoutMs: options.timeouts.requestMs,
          connectMs: options.timeouts.connectMs,
          attempt,
          ...(signal ? { signal } : {}),
          ...(options.onCall ? { onCall: options.onCall } : {}),
        });
        const failure = errorFromAnswer(reply, { scope: 'auth', what, now: clock.now() });
        if (failure && failure.retryable) throw failure;
        return reply;
      },
      { ...options.retryPolicy, clock, classify: classifyForRetry, ...(signal ? { signal } : {}) },
    );
    if (answer.statusCode < 200 || answer.statusCode >= 300) {
      const said = `${what} answered ${answer.statusCode}: ${responseMessage(answer.body, answer.headers['content-type'])}`;
      const check = isRefresh
        ? 'the refresh token was refused'
        : `check ${hint(answer.statusCode, answer.body)}`;
      throw new EtlError('AUTH', `CXone refused the credentials (${said}); ${check}`, {
        // Not `status`: a 401 here is about the credentials, not a token the API refused (isUnauthorized).
        context: { authStatus: answer.statusCode },
      });
    }
    crashPoint('token');
    return toCached(readTokenAnswer(parseJson(answer, what, undefined, false), what));
  }

  function toCached(answer: TokenAnswer): CachedToken {
    const tenantId = tenantIdFromToken(answer.access_token) ?? options.config.tenantId;
    if (tenantId === undefined) {
      throw new EtlError(
        'AUTH',
        'the access token has no tenantId claim and CXONE_TENANT_ID is not set: set CXONE_TENANT_ID',
      );
    }
    const now = clock.now();
    return {
      accessToken: answer.access_token,
      expiresInS: answer.expires_in,
      refreshToken: answer.refresh_token,
      tenantId,
      refreshAt: now + answer.expires_in * 1000 * REFRESH_AT_FRACTION,
      expiresAt: now + answer.expires_in * 1000,
    };
  }

  return {
    token: async (signal) => (await current(signal)).accessToken,
    tenantId: async (signal) => (await current(signal)).tenantId,
    invalidate() {
      // Keep the refresh token: "refresh once on a 401" (contract) can use it instead of a new login.
      if (cached) cached = { ...cached, refreshAt: -Infinity, expiresAt: -Infinity };
    },
    stats: () => ({ logins, refreshes }),
    session: () =>
      cached && {
        flow: credentials.kind,
        ...(cached.clientAuth ? { clientAuth: cached.clientAuth } : {}),
        expiresInS: cached.expiresInS,
        tenantId: cached.tenantId,
      },
  };
}

/**
 * The client authentication of the password grant: HTTP Basic when the issuer lists
 * client_secret_basic (a production client and a C# client use it), else form fields, which every
 * OAuth server that lists nothing accepts (RFC 6749 2.3.1); CXONE_CLIENT_AUTH overrides.
 */
export function chooseClientAuth(
  setting: ClientAuthSetting | undefined,
  advertised: readonly string[],
): 'basic' | 'form' {
  if (setting === 'basic' || setting === 'form') return setting;
  return advertised.includes('client_secret_basic') ? 'basic' : 'form';
}

/**
 * `Basic base64(id:secret)`, the id and secret sent as they are, as the public clients do. RFC 6749
 * 2.3.1 would form-encode them first; for the characters client ids and secrets use the two agree.
 */
function basicAuthorization(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${id}:${secret}`, 'utf8').toString('base64')}`;
}

/** Which variables to check, by flow and by what the server said (never their values). */
function credentialHint(credentials: Credentials): (status: number, body: string) => string {
  if (credentials.kind === 'access-key') {
    return () =>
      'CXONE_ACCESS_KEY_ID and CXONE_ACCESS_KEY_SECRET (and CXONE_AUTH_BASE_URL for another cluster)';
  }
  return (status, body) => {
    // RFC 6749 5.2: invalid_client is the client id/secret, invalid_grant the user's name/password.
    if (status === 401 || body.includes('invalid_client')) return 'CXONE_CLIENT_ID and CXONE_CLIENT_SECRET';
    if (body.includes('invalid_grant')) return 'CXONE_USERNAME and CXONE_PASSWORD';
    return 'CXONE_CLIENT_ID, CXONE_CLIENT_SECRET, CXONE_USERNAME and CXONE_PASSWORD (and CXONE_ISSUER_URL)';
  };
}

function readTokenAnswer(body: unknown, what: string): TokenAnswer {
  const fields = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  const accessToken = fields.access_token;
  if (typeof accessToken !== 'string' || accessToken === '') {
    throw new EtlError('API_CONTRACT', `${what} answered without an access_token`);
  }
  const expiresIn = Number(fields.expires_in);
  const refreshToken = fields.refresh_token;
  return {
    access_token: accessToken,
    expires_in: Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : DEFAULT_EXPIRES_IN_S,
    ...(typeof refreshToken === 'string' && refreshToken !== '' ? { refresh_token: refreshToken } : {}),
  };
}

/** A JWT's payload, decoded without verification: we only read our own tenant id from it. */
export function decodeJwtPayload(token: string): Record<string, unknown> | undefined {
  const payload = token.split('.')[1];
  if (payload === undefined || payload === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

export function tenantIdFromToken(token: string): string | undefined {
  const claim = decodeJwtPayload(token)?.tenantId;
  if (typeof claim === 'string' && claim !== '') return claim;
  return typeof claim === 'number' ? String(claim) : undefined;
}
