/**
 * The two ways to a token (contract "Authentication"): an access-key login, or the OpenID password
 * grant (token endpoint found by discovery; renewable with its refresh token).
 */
import type { ClientAuthSetting, Config, Credentials } from '../config.js';
import { discoverTokenEndpoint } from './discovery.js';
import { requestToken, type TokenAnswer, type TokenRequestDeps } from './token-request.js';

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
