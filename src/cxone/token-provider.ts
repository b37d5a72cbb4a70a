/**
 * The bearer token (contract "Authentication"), the whole flow in one place: the two ways to a token
 * (an access-key login, or the OpenID password grant, its token endpoint found by discovery and
 * renewable with its refresh token), each one POST to a token endpoint retried while the answer is
 * retryable (429, 5xx, network), a refusal turned into AUTH naming what to check. The token is cached,
 * renewed at 80% of its lifetime so a long poll never sends an expiring token, and dropped by
 * `invalidate()` when the API answers 401 (the client does that once per call, never in a loop).
 * Concurrent callers share one login. The tenant id is the token's `tenantId` claim (CXone's tokens are
 * JWTs).
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

/** Renew at 80% of expires_in: early enough that a token never expires mid-call, late enough to be rare. */
export const REFRESH_AT_FRACTION = 0.8;

interface CachedToken {
  accessToken: string;
  expiresInS: number;
  clientAuth?: 'basic' | 'form';
  refreshToken: string | undefined;
  tenantId: string;
  refreshAt: number;
  expiresAt: number;
}

export function createTokenProvider(options: TokenFlowOptions): TokenProvider {
  const { clock } = options;
  const flows = tokenFlows(options);
  let cached: CachedToken | undefined;
  let pending: Promise<CachedToken> | undefined;
  const counts = { logins: 0, refreshes: 0 };
  const cache = (obtained: ObtainedToken): CachedToken =>
    cachedToken(obtained, clock.now(), options.config.tenantId);

  async function current(signal?: AbortSignal): Promise<CachedToken> {
    if (cached && clock.now() < cached.refreshAt) return cached;
    // One login for all concurrent callers; it runs under the first caller's signal, which in the
    // worker is the run's shutdown signal shared by every caller anyway.
    pending ??= (async () => {
      try {
        cached = await obtain(flows, cached, cache, counts, () => clock.now(), signal);
        return cached;
      } finally {
        pending = undefined;
      }
    })();
    return pending;
  }

  return {
    token: async (signal) => (await current(signal)).accessToken,
    tenantId: async (signal) => (await current(signal)).tenantId,
    invalidate() {
      // Keep the refresh token: "refresh once on a 401" (contract) can use it instead of a new login.
      if (cached) cached = { ...cached, refreshAt: -Infinity, expiresAt: -Infinity };
    },
    stats: () => ({ ...counts }),
    session: () =>
      cached && {
        flow: options.credentials.kind,
        ...(cached.clientAuth ? { clientAuth: cached.clientAuth } : {}),
        expiresInS: cached.expiresInS,
        tenantId: cached.tenantId,
      },
  };
}

/** A renewal with the refresh token where the flow has one, else (or when it is refused) a login. */
async function obtain(
  flows: TokenFlows,
  previous: CachedToken | undefined,
  cache: (obtained: ObtainedToken) => CachedToken,
  counts: { logins: number; refreshes: number },
  now: () => number,
  signal?: AbortSignal,
): Promise<CachedToken> {
  if (previous?.refreshToken !== undefined && flows.refresh) {
    try {
      const renewed = cache(await flows.refresh(previous.refreshToken, signal));
      counts.refreshes++;
      return renewed;
    } catch (error) {
      // A refused refresh token (expired, revoked) falls back to a login; anything else is reported,
      // unless the current token still has time left.
      if (!(error instanceof EtlError && error.code === 'AUTH')) {
        if (now() < previous.expiresAt) return previous;
        throw error;
      }
    }
  }
  const fresh = cache(await flows.login(signal));
  counts.logins++;
  return fresh;
}

/** The answer with its tenant (the token's claim, else CXONE_TENANT_ID) and its renewal times. */
function cachedToken(
  { answer, clientAuth }: ObtainedToken,
  now: number,
  configuredTenantId: Config['cxone']['tenantId'],
): CachedToken {
  const tenantId = tenantIdFromToken(answer.access_token) ?? configuredTenantId;
  if (tenantId === undefined) {
    throw new EtlError(
      'AUTH',
      'the access token has no tenantId claim and CXONE_TENANT_ID is not set: set CXONE_TENANT_ID',
    );
  }
  return {
    accessToken: answer.access_token,
    expiresInS: answer.expires_in,
    ...(clientAuth ? { clientAuth } : {}),
    refreshToken: answer.refresh_token,
    tenantId,
    refreshAt: now + answer.expires_in * 1000 * REFRESH_AT_FRACTION,
    expiresAt: now + answer.expires_in * 1000,
  };
}

export interface TokenFlowOptions extends TokenRequestDeps {
  config: Pick<Config['cxone'], 'issuerUrl' | 'authBaseUrl' | 'tenantId'> &
    Partial<Pick<Config['cxone'], 'clientAuth'>>;
  credentials: Credentials;
}

export interface ObtainedToken {
  answer: TokenAnswer;
  /** Password grant only: how the client id and secret were sent. */
  clientAuth?: 'basic' | 'form';
}

export interface TokenFlows {
  login(signal?: AbortSignal): Promise<ObtainedToken>;
  /**
   * Renews with a refresh token: the password grant only. The access-key flow has no documented
   * refresh call, and a fresh access-key login costs the same, so it logs in again.
   */
  refresh?: (refreshToken: string, signal?: AbortSignal) => Promise<ObtainedToken>;
}

export function tokenFlows(options: TokenFlowOptions): TokenFlows {
  const { credentials } = options;
  const hint = credentialHint(credentials);
  const refused = (status: number, body: string): string => `check ${hint(status, body)}`;
  if (credentials.kind === 'access-key') {
    const url = `${options.config.authBaseUrl}/authentication/v1/token/access-key`;
    return {
      login: async (signal) => {
        const json = {
          accessKeyId: credentials.accessKeyId,
          accessKeySecret: credentials.accessKeySecret.reveal(),
        };
        return { answer: await requestToken(options, { url, body: { json }, refused }, signal) };
      },
    };
  }
  const grant = passwordGrant(options, credentials);
  return {
    login: (signal) =>
      grant(
        { grant_type: 'password', username: credentials.username, password: credentials.password.reveal() },
        refused,
        signal,
      ),
    refresh: (refreshToken, signal) =>
      grant(
        { grant_type: 'refresh_token', refresh_token: refreshToken },
        () => 'the refresh token was refused',
        signal,
      ),
  };
}

type PasswordCredentials = Extract<Credentials, { kind: 'password' }>;

/** Posts a grant to the discovered token endpoint (found once), with the client authentication it takes. */
function passwordGrant(
  options: TokenFlowOptions,
  credentials: PasswordCredentials,
): (
  grant: Record<string, string>,
  refused: (status: number, body: string) => string,
  signal?: AbortSignal,
) => Promise<ObtainedToken> {
  let endpoint: { url: string; clientAuth: 'basic' | 'form' } | undefined;
  return async (grant, refused, signal) => {
    if (!endpoint) {
      const found = await discoverTokenEndpoint(options, options.retryPolicy, options.config, signal);
      endpoint = {
        url: found.url,
        clientAuth: chooseClientAuth(options.config.clientAuth, found.authMethods),
      };
    }
    const basic = endpoint.clientAuth === 'basic';
    const client: Record<string, string> = basic
      ? {}
      : { client_id: credentials.clientId, client_secret: credentials.clientSecret.reveal() };
    const headers = basic
      ? { authorization: basicAuthorization(credentials.clientId, credentials.clientSecret.reveal()) }
      : undefined;
    const body = { form: { ...grant, ...client }, ...(headers ? { headers } : {}) };
    const answer = await requestToken(options, { url: endpoint.url, body, refused }, signal);
    return { answer, clientAuth: endpoint.clientAuth };
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

export interface TokenAnswer {
  access_token: string;
  expires_in: number;
  refresh_token?: string;
}

export interface TokenRequest {
  url: string;
  body: { json?: unknown; form?: Record<string, string>; headers?: Record<string, string> };
  /** What to say after "CXone refused the credentials (…);", given the refusal's status and body. */
  refused: (status: number, body: string) => string;
}

export type TokenRequestDeps = HttpDeps & { retryPolicy: RetryPolicy };

/** "Tokens last about an hour" (portal FAQ): used when an answer leaves out expires_in. */
const DEFAULT_EXPIRES_IN_S = 3600;

export async function requestToken(
  deps: TokenRequestDeps,
  request: TokenRequest,
  signal?: AbortSignal,
): Promise<TokenAnswer> {
  const { url } = request;
  const what = `POST ${safeUrl(url)}`;
  const answer = await retry(
    async (attempt) => {
      const reply = await send(deps.http, {
        endpoint: 'token',
        what,
        method: 'POST',
        url,
        ...request.body,
        timeoutMs: deps.timeouts.requestMs,
        connectMs: deps.timeouts.connectMs,
        attempt,
        ...(signal ? { signal } : {}),
        ...(deps.onCall ? { onCall: deps.onCall } : {}),
      });
      const failure = errorFromAnswer(reply, { scope: 'auth', what, now: deps.clock.now() });
      if (failure && failure.retryable) throw failure;
      return reply;
    },
    { ...deps.retryPolicy, clock: deps.clock, classify: classifyForRetry, ...(signal ? { signal } : {}) },
  );
  if (answer.statusCode < 200 || answer.statusCode >= 300) {
    const said = `${what} answered ${answer.statusCode}: ${responseMessage(answer.body, answer.headers['content-type'])}`;
    throw new EtlError(
      'AUTH',
      `CXone refused the credentials (${said}); ${request.refused(answer.statusCode, answer.body)}`,
      {
        // Not `status`: a 401 here is about the credentials, not a token the API refused (isUnauthorized).
        context: { authStatus: answer.statusCode },
      },
    );
  }
  crashPoint('token');
  return readTokenAnswer(parseJson(answer, what, undefined, false), what);
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
