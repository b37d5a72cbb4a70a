/**
 * Where to send requests (contract "Authentication"): the OIDC token endpoint from the issuer's
 * openid-configuration, and the API base from cxone-configuration, unless CXONE_API_BASE_URL is set.
 * Both discovery documents are public (no token) and not rate-limited.
 */
import type { Config } from '../config.js';
import { EtlError } from '../lib/errors.js';
import { retry } from '../lib/retry.js';
import { safeUrl } from '../logger.js';
import { classifyForRetry, errorFromAnswer } from './http-errors.js';
import { parseJson, send, type HttpDeps } from './http.js';
import type { RetryPolicy } from './types.js';

type DiscoveryConfig = Pick<Config['cxone'], 'issuerUrl' | 'apiBaseUrl'>;

async function getDocument(
  deps: HttpDeps,
  policy: RetryPolicy,
  url: string,
  what: string,
  signal: AbortSignal | undefined,
): Promise<Record<string, unknown>> {
  const body = await retry(
    async (attempt) => {
      const answer = await send(deps.http, {
        endpoint: 'discovery',
        what,
        method: 'GET',
        url,
        timeoutMs: deps.timeouts.requestMs,
        connectMs: deps.timeouts.connectMs,
        attempt,
        ...(signal ? { signal } : {}),
        ...(deps.onCall ? { onCall: deps.onCall } : {}),
      });
      const failure = errorFromAnswer(answer, { scope: 'discovery', what, now: deps.clock.now() });
      if (failure) throw failure;
      return parseJson(answer, what);
    },
    { ...policy, clock: deps.clock, classify: classifyForRetry, ...(signal ? { signal } : {}) },
  );
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new EtlError('API_CONTRACT', `${what} did not answer a JSON object`);
  }
  return body as Record<string, unknown>;
}

export interface TokenEndpointInfo {
  url: string;
  /** token_endpoint_auth_methods_supported, e.g. client_secret_basic, client_secret_post; [] when absent. */
  authMethods: string[];
}

/** The password grant's token endpoint, from `{issuer}/.well-known/openid-configuration`. */
export async function discoverTokenEndpoint(
  deps: HttpDeps,
  policy: RetryPolicy,
  config: Pick<Config['cxone'], 'issuerUrl'>,
  signal?: AbortSignal,
): Promise<TokenEndpointInfo> {
  const url = `${config.issuerUrl}/.well-known/openid-configuration`;
  const what = `GET ${safeUrl(url)}`;
  let doc: Record<string, unknown>;
  try {
    doc = await getDocument(deps, policy, url, what, signal);
  } catch (error) {
    throw explainIssuerFailure(error, 'CXONE_ISSUER_URL');
  }
  const endpoint = doc.token_endpoint;
  if (typeof endpoint !== 'string' || endpoint === '') {
    throw new EtlError('API_CONTRACT', `${what} has no token_endpoint: check CXONE_ISSUER_URL`);
  }
  const methods = doc.token_endpoint_auth_methods_supported;
  const authMethods = Array.isArray(methods) ? methods.filter((m): m is string => typeof m === 'string') : [];
  return { url: endpoint, authMethods };
}

/**
 * The API base: CXONE_API_BASE_URL when set; else cxone-configuration's `api_endpoint` (CONFIRMED in
 * the vendor's agent SDK), else `https://api-{area}.{domain}` (CONFIRMED in CLIENTS).
 */
export async function discoverApiBase(
  deps: HttpDeps,
  policy: RetryPolicy,
  config: DiscoveryConfig,
  tenantId: string,
  signal?: AbortSignal,
): Promise<string> {
  if (config.apiBaseUrl) return trimSlash(config.apiBaseUrl);
  const url = `${config.issuerUrl}/.well-known/cxone-configuration?tenantId=${encodeURIComponent(tenantId)}`;
  const what = `GET ${safeUrl(url)}`;
  let doc: Record<string, unknown>;
  try {
    doc = await getDocument(deps, policy, url, what, signal);
  } catch (error) {
    throw explainIssuerFailure(error, 'CXONE_ISSUER_URL, or set CXONE_API_BASE_URL');
  }
  if (typeof doc.api_endpoint === 'string' && doc.api_endpoint !== '') return trimSlash(doc.api_endpoint);
  if (
    typeof doc.area === 'string' &&
    doc.area !== '' &&
    typeof doc.domain === 'string' &&
    doc.domain !== ''
  ) {
    return `https://api-${doc.area}.${doc.domain}`;
  }
  throw new EtlError(
    'API_CONTRACT',
    `${what} has neither api_endpoint nor area and domain: set CXONE_API_BASE_URL`,
    { context: { tenant: tenantId } },
  );
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

/** A 4xx from a discovery document means the issuer URL (or tenant) is wrong: say which variable. */
function explainIssuerFailure(error: unknown, variables: string): unknown {
  if (error instanceof EtlError && !error.retryable && error.code === 'HTTP') {
    return new EtlError('CONFIG', `${error.message}: check ${variables}`, {
      cause: error,
      context: error.context,
    });
  }
  return error;
}
