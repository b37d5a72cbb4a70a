/**
 * Token issue and verification. Access tokens are HS256 JWTs carrying `tenantId` (the contract: the
 * tenant id is a claim in the token), `sub`, `iat` and `exp`; refresh tokens are opaque and kept here.
 * The key is random per simulator unless given, so a token from another instance is refused with 401.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../lib/clock.js';

export interface TokenClaims {
  tenantId: string;
  sub: string;
  iat: number;
  /** Seconds since the epoch; fractional when timeScale makes the lifetime a fraction of a second. */
  exp: number;
  iss: string;
  [key: string]: unknown;
}

export interface IssuedTokens {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  id_token: string;
  refresh_token: string;
  /** Only for the simulator's bookkeeping; stripped before the response. */
  claims: TokenClaims;
}

export type VerifyResult = { ok: true; claims: TokenClaims } | { ok: false; reason: string };

interface RefreshGrant {
  tenantId: string;
  sub: string;
  clientId?: string;
}

export class TokenService {
  private readonly key: Buffer;
  private readonly refreshGrants = new Map<string, RefreshGrant>();
  /** Access and id tokens handed out, for the suite's secret scan (refresh tokens are refreshGrants' keys). */
  private readonly issuedTokens: string[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly issuer: string,
    secret?: string,
  ) {
    this.key = secret === undefined ? randomBytes(32) : Buffer.from(secret, 'utf8');
  }

  issue(grant: RefreshGrant, ttlMs: number): IssuedTokens {
    const nowMs = this.clock.now();
    const claims: TokenClaims = {
      iss: this.issuer,
      sub: grant.sub,
      tenantId: grant.tenantId,
      iat: Math.floor(nowMs / 1000),
      exp: (nowMs + ttlMs) / 1000,
    };
    const refreshToken = randomBytes(24).toString('base64url');
    this.refreshGrants.set(refreshToken, grant);
    const idToken = this.sign({ ...claims, aud: grant.clientId ?? 'cxone', name: grant.sub });
    const accessToken = this.sign(claims);
    this.issuedTokens.push(accessToken, idToken);
    return {
      access_token: accessToken,
      token_type: 'Bearer',
      // At least 1 so a client never sees "already expired"; the exp claim carries the exact time.
      expires_in: Math.max(1, Math.round(ttlMs / 1000)),
      id_token: idToken,
      refresh_token: refreshToken,
      claims,
    };
  }

  /**
   * Refresh tokens stay valid (no rotation): no source says CXone rotates them, and a worker that
   * refreshes from two places at once should not be punished for a behaviour nobody has seen.
   */
  redeemRefreshToken(token: string, clientId: string | undefined): RefreshGrant | undefined {
    const grant = this.refreshGrants.get(token);
    if (!grant) return undefined;
    if (clientId !== undefined && grant.clientId !== undefined && clientId !== grant.clientId)
      return undefined;
    return grant;
  }

  /** Every token issued so far: access, id and refresh tokens. */
  issued(): string[] {
    return [...this.issuedTokens, ...this.refreshGrants.keys()];
  }

  verify(token: string): VerifyResult {
    const parts = token.split('.');
    if (parts.length !== 3) return { ok: false, reason: 'malformed token' };
    const [header, payload, signature] = parts as [string, string, string];
    const expected = this.signature(`${header}.${payload}`);
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return { ok: false, reason: 'invalid token signature' };
    }
    let claims: TokenClaims;
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as TokenClaims;
    } catch {
      return { ok: false, reason: 'malformed token' };
    }
    if (typeof claims.exp !== 'number' || this.clock.now() >= claims.exp * 1000) {
      return { ok: false, reason: 'token expired' };
    }
    return { ok: true, claims };
  }

  private sign(claims: Record<string, unknown>): string {
    const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return `${header}.${payload}.${this.signature(`${header}.${payload}`).toString('base64url')}`;
  }

  private signature(input: string): Buffer {
    return createHmac('sha256', this.key).update(input).digest();
  }
}
