/**
 * Authentication and discovery endpoints (contract "Authentication"): the access-key token endpoint,
 * OpenID discovery with a password / refresh-token grant, and cxone-configuration for the API host.
 * None of them is rate-limited and none needs a token.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { IssuedTokens } from './auth.js';
import { findTenant, scaledMs, type SimContext } from './context.js';
import type { SimulatorTenant } from './options.js';
import { HttpError, readForm, readJson, sendJson, sendJsonError } from './respond.js';

export const TOKEN_PATH = '/auth/token';

export async function accessKeyToken(
  ctx: SimContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const body = await readJson(req);
  const fields = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const tenant = ctx.options.tenants.find(
    (t) => t.accessKeyId === fields.accessKeyId && t.accessKeySecret === fields.accessKeySecret,
  );
  ctx.stats.call('token', tenant?.id);
  if (!tenant) {
    sendJsonError(res, 401, 'Invalid access key id or secret');
    return;
  }
  sendTokens(ctx, res, issueFor(ctx, tenant, tenant.accessKeyId, undefined));
}

/** The OIDC token endpoint: form-encoded password and refresh_token grants (RFC 6749 error shapes). */
export async function oidcToken(ctx: SimContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const form = await readForm(req);
  const basic = basicCredentials(req);
  const clientId = form.client_id ?? basic?.id;
  const clientSecret = form.client_secret ?? basic?.secret;

  if (form.grant_type === 'password') {
    const tenant = ctx.options.tenants.find(
      (t) => t.username === form.username && t.password === form.password,
    );
    ctx.stats.call('token', tenant?.id);
    if (!tenant) {
      oauthError(res, 400, 'invalid_grant', 'Invalid username or password');
      return;
    }
    if (
      tenant.clientId !== undefined &&
      (clientId !== tenant.clientId || clientSecret !== tenant.clientSecret)
    ) {
      oauthError(res, 401, 'invalid_client', 'Invalid client id or client secret');
      return;
    }
    sendTokens(ctx, res, issueFor(ctx, tenant, tenant.username ?? tenant.id, clientId));
    return;
  }
  if (form.grant_type === 'refresh_token') {
    const grant = form.refresh_token
      ? ctx.tokens.redeemRefreshToken(form.refresh_token, clientId)
      : undefined;
    const tenant = grant ? findTenant(ctx, grant.tenantId) : undefined;
    ctx.stats.call('token', tenant?.id);
    if (!grant || !tenant) {
      oauthError(res, 400, 'invalid_grant', 'Invalid or unknown refresh token');
      return;
    }
    sendTokens(ctx, res, issueFor(ctx, tenant, grant.sub, grant.clientId));
    return;
  }
  ctx.stats.call('token');
  oauthError(res, 400, 'unsupported_grant_type', `Unsupported grant_type "${form.grant_type ?? ''}"`);
}

export function openidConfiguration(ctx: SimContext, _req: IncomingMessage, res: ServerResponse): void {
  ctx.stats.call('discovery');
  sendJson(res, 200, {
    issuer: ctx.url,
    token_endpoint: `${ctx.url}${TOKEN_PATH}`,
    authorization_endpoint: `${ctx.url}/auth/authorize`,
    jwks_uri: `${ctx.url}/auth/jwks`,
    grant_types_supported: ['password', 'refresh_token'],
    response_types_supported: ['token', 'id_token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['HS256'],
    token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
    scopes_supported: ['openid'],
  });
}

/** A flat object (CONFIRMED in the vendor's agent SDK); `api_endpoint` can be left out to test the fallback. */
export function cxoneConfiguration(ctx: SimContext, req: IncomingMessage, res: ServerResponse): void {
  const tenantId = new URL(req.url ?? '/', ctx.url).searchParams.get('tenantId');
  ctx.stats.call('discovery', tenantId ?? undefined);
  if (!tenantId) throw new HttpError(400, 'Query parameter "tenantId" is required');
  if (!findTenant(ctx, tenantId)) throw new HttpError(404, `Unknown tenant "${tenantId}"`);
  const { area, domain } = ctx.options;
  sendJson(res, 200, {
    area,
    domain,
    ...(ctx.options.discoveryApiEndpoint ? { api_endpoint: ctx.url } : {}),
    cluster: `${area.toUpperCase()}-C1`,
    acdDomain: domain,
    uhDomain: domain,
  });
}

function issueFor(
  ctx: SimContext,
  tenant: SimulatorTenant,
  sub: string,
  clientId: string | undefined,
): IssuedTokens {
  const grant =
    clientId === undefined ? { tenantId: tenant.id, sub } : { tenantId: tenant.id, sub, clientId };
  return ctx.tokens.issue(grant, scaledMs(ctx, ctx.options.tokenTtlMs));
}

function sendTokens(ctx: SimContext, res: ServerResponse, tokens: IssuedTokens): void {
  ctx.stats.tokenIssued();
  const { claims: _claims, ...body } = tokens;
  sendJson(res, 200, body, { 'cache-control': 'no-store' });
}

function oauthError(res: ServerResponse, status: number, error: string, description: string): void {
  sendJson(res, status, { error, error_description: description }, { 'cache-control': 'no-store' });
}

function basicCredentials(req: IncomingMessage): { id: string; secret: string } | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  // RFC 6749 2.3.1: client id and secret are form-urlencoded before Basic encoding.
  return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
}

function formDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}
