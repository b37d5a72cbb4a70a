/**
 * One POST to a token endpoint (access-key login, password grant or refresh): retried while the answer
 * is retryable (429, 5xx, network), a refusal turned into AUTH naming what to check, the answer read.
 */
import { crashPoint } from '../lib/crash-points.js';
import { EtlError } from '../lib/errors.js';
import { retry } from '../lib/retry.js';
import { safeUrl } from '../logger.js';
import { classifyForRetry, errorFromAnswer, responseMessage } from './http-errors.js';
import { parseJson, send, type HttpDeps } from './http.js';
import type { RetryPolicy } from './types.js';

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
