/**
 * The Data Extraction API client: typed jobs calls, each through the tenant's rate gate (jobs-call.ts),
 * and the download. Construction is lazy because the gate needs the tenant id and the tenant id comes
 * from the token: the first call logs in, reads the `tenantId` claim, discovers the API base and asks
 * `gate` (a factory) for that tenant's gate. Library-like: it reports through `onCall` and errors, it
 * does not log (STYLE 13).
 */
import type { Readable } from 'node:stream';
import type { Got } from 'got';
import type { Config, Credentials } from '../config.js';
import type { Clock } from '../lib/clock.js';
import { EtlError } from '../lib/errors.js';
import { discoverApiBase } from './discovery.js';
import { openDownload } from './download.js';
import { createHttp, defaultTimeouts, parseJson, type HttpDeps, type HttpTimeouts } from './http.js';
import { callContext, callJobsEndpoint, type JobsCallDeps, type JobsEndpointCall } from './jobs-call.js';
import { readJobId, readJobList, readJobState } from './job-responses.js';
import { createTokenProvider, type TokenSession } from './token-provider.js';
import type {
  CallContext,
  GateStats,
  JobRequest,
  JobState,
  JobStatus,
  OnCall,
  RetryPolicy,
  TenantGate,
} from './types.js';

export interface CxoneClient {
  tenantId(signal?: AbortSignal): Promise<string>;
  requestJob(request: JobRequest, ctx?: CallContext): Promise<string>;
  requestJobSync(request: JobRequest, ctx?: CallContext): Promise<JobState>;
  getJob(jobId: string, ctx?: CallContext): Promise<JobState>;
  listJobs(ctx?: CallContext): Promise<{ id: string; status: JobStatus }[]>;
  /** Not gated, no token; rejects URL_EXPIRED (403), BAD_INPUT (not CSV) or DOWNLOAD. */
  openDownload(url: string, ctx?: CallContext): Promise<Readable>;
  stats(): { gate: GateStats | undefined; logins: number; refreshes: number };
  /** How the current token was obtained (flow, client auth, lifetime, tenant); never the token. */
  tokenSession(): TokenSession | undefined;
  /** The API base in use, once discovered (logs in and discovers if needed). */
  apiBase(signal?: AbortSignal): Promise<string>;
}

export type GateFactory = (tenantId: string) => TenantGate;

export interface CxoneClientOptions {
  config: Config['cxone'];
  credentials: Credentials;
  clock: Clock;
  /** The tenant's gate, or a factory called once with the tenant id read from the token. */
  gate: TenantGate | GateFactory;
  httpTimeouts?: Partial<HttpTimeouts>;
  retry?: { jobs?: Partial<RetryPolicy>; auth?: Partial<RetryPolicy> };
  onCall?: OnCall;
  /** A got instance to use instead of the default one (tests). */
  http?: Got;
}

const JOBS_PATH = '/data-extraction/v1/jobs';

/**
 * Jobs calls: 6 attempts (a busy 403 has to be retried before it may be read as "no permission",
 * contract "Limits"), backoff starting at one call interval and capped at 2 min, so a persistent 403
 * becomes PERMISSION after roughly 4-8 minutes at the API's 30 s rule.
 */
const JOBS_ATTEMPTS = 6;
const JOBS_MAX_BACKOFF_MS = 120_000;
/** Token and discovery: a few quick tries; these endpoints are not rate-limited. */
const AUTH_RETRY: RetryPolicy = { attempts: 3, baseMs: 1000, maxMs: 10_000 };

export function createCxoneClient(options: CxoneClientOptions): CxoneClient {
  const { config, clock } = options;
  const timeouts: HttpTimeouts = { ...defaultTimeouts(config), ...options.httpTimeouts };
  const deps: HttpDeps = {
    http: options.http ?? createHttp(),
    clock,
    timeouts,
    ...(options.onCall ? { onCall: options.onCall } : {}),
  };
  const authPolicy: RetryPolicy = { ...AUTH_RETRY, ...options.retry?.auth };
  const policy: RetryPolicy = {
    attempts: JOBS_ATTEMPTS,
    baseMs: Math.max(1000, config.minCallIntervalMs),
    maxMs: Math.max(JOBS_MAX_BACKOFF_MS, config.minCallIntervalMs),
    ...options.retry?.jobs,
  };
  const tokens = createTokenProvider({
    ...deps,
    config,
    credentials: options.credentials,
    retryPolicy: authPolicy,
  });
  let gate: TenantGate | undefined = typeof options.gate === 'function' ? undefined : options.gate;
  let ready: Promise<JobsCallDeps> | undefined;

  function prepare(signal?: AbortSignal): Promise<JobsCallDeps> {
    ready ??= (async () => {
      const tenantId = await tokens.tenantId(signal);
      const apiBase = await discoverApiBase(deps, authPolicy, config, tenantId, signal);
      const tenantGate = (gate ??= (options.gate as GateFactory)(tenantId));
      return {
        ...deps,
        tokens,
        gate: (kind, fn, s) => tenantGate.call(kind, fn, s),
        tenantId,
        apiBase,
        policy,
      };
    })();
    // A failed start (network, abort) is not remembered: the next call tries again.
    ready.catch(() => {
      ready = undefined;
    });
    return ready;
  }

  async function call<T>(request: JobsEndpointCall<T>, ctx: CallContext): Promise<T> {
    return callJobsEndpoint(await prepare(ctx.signal), request, ctx);
  }

  function post(kind: 'create' | 'sync', request: JobRequest) {
    const sync = kind === 'sync';
    return {
      kind,
      endpoint: sync ? ('POST /jobs/sync' as const) : ('POST /jobs' as const),
      method: 'POST' as const,
      path: sync ? `${JOBS_PATH}/sync` : JOBS_PATH,
      json: { ...request },
      // /jobs/sync blocks until the data is ready (contract): the long timeout.
      timeoutMs: sync ? timeouts.syncMs : timeouts.requestMs,
    };
  }

  return {
    tenantId: (signal) => tokens.tenantId(signal),

    requestJob: (request, ctx = {}) =>
      call(
        {
          ...post('create', request),
          parse: (answer, what, context) => readJobId(parseJson(answer, what, context), what, context),
        },
        { ...ctx, entity: ctx.entity ?? request.entityName },
      ),

    async requestJobSync(request, ctx = {}) {
      try {
        return await call(
          {
            ...post('sync', request),
            parse: (answer, what, context) =>
              readJobState(parseJson(answer, what, context), what, undefined, context),
          },
          { ...ctx, entity: ctx.entity ?? request.entityName },
        );
      } catch (error) {
        // Absent from the published spec (contract): say which setting turns it off.
        if (error instanceof EtlError && error.context.status === 404) {
          const message = `${error.message}: this API has no /jobs/sync; unset CXONE_USE_SYNC_ENDPOINT`;
          throw new EtlError('CONFIG', message, { cause: error });
        }
        throw error;
      }
    },

    getJob: (jobId, ctx = {}) =>
      call(
        {
          kind: 'status',
          endpoint: 'GET /jobs/:id',
          method: 'GET',
          path: `${JOBS_PATH}/${encodeURIComponent(jobId)}`,
          timeoutMs: timeouts.requestMs,
          parse: (answer, what, context) =>
            readJobState(parseJson(answer, what, context), what, jobId, context),
        },
        { ...ctx, jobId },
      ),

    listJobs: (ctx = {}) =>
      call(
        {
          kind: 'list',
          endpoint: 'GET /jobs',
          method: 'GET',
          path: JOBS_PATH,
          timeoutMs: timeouts.requestMs,
          parse: (answer, what, context) => readJobList(parseJson(answer, what, context), what, context),
        },
        ctx,
      ),

    async openDownload(url, ctx = {}) {
      // No login just for a download: the tenant is named in errors when the client already knows it.
      const tenantId = ready ? (await prepare(ctx.signal)).tenantId : undefined;
      return openDownload(deps, url, {
        ...(ctx.signal ? { signal: ctx.signal } : {}),
        context: callContext(tenantId, ctx),
      });
    },

    stats: () => ({ gate: gate?.stats(), ...tokens.stats() }),
    tokenSession: () => tokens.session(),
    apiBase: async (signal) => (await prepare(signal)).apiBase,
  };
}
