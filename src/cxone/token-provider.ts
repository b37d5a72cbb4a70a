/**
 * The bearer token (contract "Authentication"): access-key or password-grant login (token-flows.ts),
 * cached, renewed at 80% of its lifetime so a long poll never sends an expiring token, and dropped by
 * `invalidate()` when the API answers 401 (the client does that once per call, never in a loop).
 * Concurrent callers share one login. The tenant id is the token's `tenantId` claim.
 */
import type { Config } from '../config.js';
import { EtlError } from '../lib/errors.js';
import { tenantIdFromToken } from './jwt.js';
import { tokenFlows, type ObtainedToken, type TokenFlowOptions, type TokenFlows } from './token-flows.js';

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

export type TokenProviderOptions = TokenFlowOptions;

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

export function createTokenProvider(options: TokenProviderOptions): TokenProvider {
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
