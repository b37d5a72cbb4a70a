/**
 * One logical jobs call: the one `retry()` helper around the tenant's rate gate, so each attempt is a
 * new gated call that waits out the interval again (STYLE 8). Busy answers and transient failures
 * are retried; a 401 re-authenticates once; a 403 that outlives the retries becomes PERMISSION.
 */
import { EtlError, type EtlErrorContext } from '../lib/errors.js';
import { retry } from '../lib/retry.js';
import {
  classifyForRetry,
  errorFromAnswer,
  isBusy,
  isUnauthorized,
  postMayHaveLanded,
  type HttpAnswer,
} from './http-errors.js';
import { send, type HttpDeps } from './http.js';
import type { TokenProvider } from './token-provider.js';
import type { CallContext, CallKind, Endpoint, Gate, RetryPolicy } from './types.js';

export interface JobsEndpointCall<T> {
  kind: CallKind;
  endpoint: Endpoint;
  method: 'GET' | 'POST';
  /** Under the API base, e.g. /data-extraction/v1/jobs. */
  path: string;
  json?: unknown;
  timeoutMs: number;
  parse: (answer: HttpAnswer, what: string, context: EtlErrorContext) => T;
}

export interface JobsCallDeps extends HttpDeps {
  tokens: TokenProvider;
  gate: Gate;
  tenantId: string;
  apiBase: string;
  policy: RetryPolicy;
}

export async function callJobsEndpoint<T>(
  deps: JobsCallDeps,
  call: JobsEndpointCall<T>,
  ctx: CallContext,
): Promise<T> {
  const { signal } = ctx;
  const context = callContext(deps.tenantId, ctx);
  const what = `${call.method} ${call.path}`;
  const creates = call.kind === 'create' || call.kind === 'sync';
  let reauthenticated = false;

  const attemptOnce = async (attempt: number): Promise<T> => {
    // Before the gate: a login is not a jobs call, and should not hold the tenant's gate lock.
    const token = await deps.tokens.token(signal);
    return deps.gate(
      call.kind,
      async () => {
        const answer = await send(deps.http, {
          endpoint: call.endpoint,
          what,
          method: call.method,
          url: `${deps.apiBase}${call.path}`,
          ...(call.json === undefined ? {} : { json: call.json }),
          headers: { authorization: `Bearer ${token}` },
          timeoutMs: call.timeoutMs,
          connectMs: deps.timeouts.connectMs,
          attempt,
          context,
          ...(signal ? { signal } : {}),
          ...(deps.onCall ? { onCall: deps.onCall } : {}),
        });
        const failure = errorFromAnswer(answer, { scope: 'jobs', what, now: deps.clock.now(), context });
        if (failure) throw failure;
        return call.parse(answer, what, context);
      },
      signal,
    );
  };

  try {
    return await retry(attemptOnce, {
      ...deps.policy,
      clock: deps.clock,
      ...(signal ? { signal } : {}),
      classify: (error) => {
        if (isUnauthorized(error)) {
          // Once per call, never in a loop: a second 401 means the credentials lost their rights.
          if (reauthenticated) return { retry: false };
          reauthenticated = true;
          deps.tokens.invalidate();
          return { retry: true, afterMs: 0 };
        }
        // A job POST that may have landed is not re-sent here: it could create a second job. The caller
        // looks for the job with GET /jobs before posting again (src/extract/post-job.ts).
        if (creates && postMayHaveLanded(error)) return { retry: false };
        if (creates && ctx.busyIsFinal && isBusy(error)) return { retry: false };
        return classifyForRetry(error);
      },
    });
  } catch (error) {
    if (signal?.aborted) {
      // Not a verdict on the API: the last answer may have been "busy", but we stopped asking.
      throw error instanceof EtlError && error.code === 'ABORTED'
        ? error
        : new EtlError('ABORTED', `${what} aborted`, { cause: error, context });
    }
    // The caller asked for the busy answer itself: another of its jobs runs (types.ts `busyIsFinal`).
    if (creates && ctx.busyIsFinal && isBusy(error)) throw error;
    throw finalError(error, what, context, deps.policy.attempts);
  }
}

export function callContext(tenantId: string | undefined, ctx: CallContext): EtlErrorContext {
  const context: EtlErrorContext = {};
  if (tenantId !== undefined) context.tenant = tenantId;
  if (ctx.entity !== undefined) context.entity = ctx.entity;
  if (ctx.window !== undefined) context.window = ctx.window;
  if (ctx.jobId !== undefined) context.jobId = ctx.jobId;
  return context;
}

/**
 * After the retries: a 403 that never turned into an answer is read as a missing permission (the
 * contract's "busy or missing permission" ambiguity, resolved by persistence); other busy answers
 * stay RATE_LIMITED.
 */
function finalError(error: unknown, what: string, context: EtlErrorContext, attempts: number): unknown {
  if (!isBusy(error)) return error;
  if (error.context.status === 403) {
    const entity = context.entity ?? 'this endpoint';
    return new EtlError(
      'PERMISSION',
      `${what} kept answering 403 after ${attempts} attempts: the API user lacks permission for ${entity}? ` +
        `Check the API user's role (Data Extraction for this entity) in CXone; if another program calls the ` +
        `API for this tenant, it may only have been busy.`,
      { cause: error, context: { ...context, status: 403 } },
    );
  }
  return new EtlError(
    'RATE_LIMITED',
    `${what} still busy (${error.context.status}) after ${attempts} attempts`,
    {
      cause: error,
      retryable: true,
      context: error.context,
    },
  );
}
