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

/**
 * The OIDC token endpoint: form-encoded password and refresh_token grants (RFC 6749 error shapes). The
 * password grant takes the user's name and password or, by default, the tenant's access-key pair
 * (CONFIRMED in clients); the client id and secret come as HTTP Basic or form fields (both CONFIRMED),
 * as `clientAuthMethods` allows.
 */
export async function oidcToken(ctx: SimContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const form = await readForm(req);
  const client = clientCredentials(ctx, req, form);

  if (form.grant_type === 'password') {
    const { options } = ctx;
    // A tenant without a user has no password login: undefined must not match a missing field.
    const byPassword = options.tenants.find(
      (t) => t.username !== undefined && t.username === form.username && t.password === form.password,
    );
    const byKey = options.passwordGrantAccessKeys
      ? options.tenants.find((t) => t.accessKeyId === form.username && t.accessKeySecret === form.password)
      : undefined;
    const tenant = byPassword ?? byKey;
    ctx.stats.call('token', tenant?.id);
    if (!tenant) {
      oauthError(res, 400, 'invalid_grant', 'Invalid username or password');
      return;
    }
    if (client === 'refused') {
      oauthError(
        res,
        401,
        'invalid_client',
        `Client authentication by ${refusedMethod(ctx)} is not supported`,
      );
      return;
    }
    if (
      tenant.clientId !== undefined &&
      !(
        client !== undefined &&
        client.ids.includes(tenant.clientId) &&
        client.secrets.includes(tenant.clientSecret ?? '')
      )
    ) {
      oauthError(res, 401, 'invalid_client', 'Invalid client id or client secret');
      return;
    }
    const clientId = client === undefined ? undefined : tenant.clientId;
    const sub = byPassword ? (tenant.username ?? tenant.id) : tenant.accessKeyId;
    sendTokens(ctx, res, issueFor(ctx, tenant, sub, clientId));
    return;
  }
  if (form.grant_type === 'refresh_token') {
    const clientId = client === undefined || client === 'refused' ? undefined : client.ids[0];
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

/**
 * The client id and secret as sent, in each reading (a Basic value raw, as public clients send it, and
 * form-decoded, as RFC 6749 2.3.1 asks); 'refused' when sent only by a method not in clientAuthMethods.
 */
function clientCredentials(
  ctx: SimContext,
  req: IncomingMessage,
  form: Record<string, string | undefined>,
): { ids: string[]; secrets: string[] } | 'refused' | undefined {
  const methods = ctx.options.clientAuthMethods;
  const basic = basicCredentials(req);
  const inForm =
    form.client_id !== undefined ? { id: form.client_id, secret: form.client_secret ?? '' } : undefined;
  const usable = [
    ...(basic && methods.includes('basic') ? [basic] : []),
    ...(inForm && methods.includes('form') ? [{ ids: [inForm.id], secrets: [inForm.secret] }] : []),
  ];
  if (usable.length > 0) {
    return { ids: usable.flatMap((c) => c.ids), secrets: usable.flatMap((c) => c.secrets) };
  }
  return basic || inForm ? 'refused' : undefined;
}

function refusedMethod(ctx: SimContext): string {
  return ctx.options.clientAuthMethods.includes('basic') ? 'form fields' : 'HTTP Basic';
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
    token_endpoint_auth_methods_supported: ctx.options.clientAuthMethods.map((m) =>
      m === 'basic' ? 'client_secret_basic' : 'client_secret_post',
    ),
    scopes_supported: ['openid'],
  });
}

/**
 * A flat object with the fields the vendor's agent SDK reads and the spec marks required (CONFIRMED);
 * every URL in it is this simulator, and `domain` defaults to localhost (options.ts), so no field leads
 * a client to a real host. `api_endpoint` can be left out to test the area/domain fallback.
 */
export function cxoneConfiguration(ctx: SimContext, req: IncomingMessage, res: ServerResponse): void {
  const tenantId = new URL(req.url ?? '/', ctx.url).searchParams.get('tenantId');
  ctx.stats.call('discovery', tenantId ?? undefined);
  if (!tenantId) throw new HttpError(400, 'Query parameter "tenantId" is required');
  if (!findTenant(ctx, tenantId)) throw new HttpError(404, `Unknown tenant "${tenantId}"`);
  const { area, domain } = ctx.options;
  sendJson(res, 200, {
    private: false,
    area,
    cluster: `${area.toUpperCase()}-C1`,
    domain,
    acdDomain: domain,
    uhDomain: domain,
    ...(ctx.options.discoveryApiEndpoint ? { api_endpoint: ctx.url } : {}),
    ui_endpoint: ctx.url,
    auth_endpoint: ctx.url,
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

function basicCredentials(req: IncomingMessage): { ids: string[]; secrets: string[] } | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const id = decoded.slice(0, colon);
  const secret = decoded.slice(colon + 1);
  // RFC 6749 2.3.1 form-urlencodes id and secret before Basic encoding; clients send them raw too.
  return { ids: [id, formDecode(id)], secrets: [secret, formDecode(secret)] };
}

function formDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    // URIError: not form-encoded after all, so the raw text is the candidate.
    return text;
  }
}
