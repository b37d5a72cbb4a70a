/**
 * The Data Extraction API client: typed jobs calls (jobs-endpoints.ts), each through the tenant's rate
 * gate (jobs-call.ts), and the download. Construction is lazy because the gate needs the tenant id and
 * the tenant id comes from the token: the first call logs in, reads the `tenantId` claim, discovers
 * the API base and asks `gate` (a factory) for that tenant's gate (client-session.ts). Library-like: it
 * reports through `onCall` and errors, it does not log (STYLE 13).
 */
import type { Readable } from 'node:stream';
import { EtlError } from '../lib/errors.js';
import { clientSettings, jobsSession, type CxoneClientOptions } from './client-session.js';
import { openDownload } from './download.js';
import { callContext, callJobsEndpoint, type JobsEndpointCall } from './jobs-call.js';
import { createJobCall, getJobCall, listJobsCall, syncJobCall } from './jobs-endpoints.js';
import { createTokenProvider, type TokenSession } from './token-provider.js';
import type { CallContext, GateStats, JobRequest, JobState, JobStatus } from './types.js';

export type { CxoneClientOptions } from './client-session.js';

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

export function createCxoneClient(options: CxoneClientOptions): CxoneClient {
  const settings = clientSettings(options);
  const { deps, timeouts } = settings;
  const tokens = createTokenProvider({
    ...deps,
    config: options.config,
    credentials: options.credentials,
    retryPolicy: settings.authPolicy,
  });
  const session = jobsSession(options, settings, tokens);
  const call = async <T>(request: JobsEndpointCall<T>, ctx: CallContext): Promise<T> =>
    callJobsEndpoint(await session.open(ctx.signal), request, ctx);
  const forEntity = (request: JobRequest, ctx: CallContext): CallContext => ({
    ...ctx,
    entity: ctx.entity ?? request.entityName,
  });

  return {
    tenantId: (signal) => tokens.tenantId(signal),
    requestJob: (request, ctx = {}) => call(createJobCall(request, timeouts), forEntity(request, ctx)),
    requestJobSync: (request, ctx = {}) =>
      explainMissingSync(call(syncJobCall(request, timeouts), forEntity(request, ctx))),
    getJob: (jobId, ctx = {}) => call(getJobCall(jobId, timeouts), { ...ctx, jobId }),
    listJobs: (ctx = {}) => call(listJobsCall(timeouts), ctx),
    async openDownload(url, ctx = {}) {
      // No login just for a download: the tenant is named in errors when the client already knows it.
      const tenantId = session.started() ? (await session.open(ctx.signal)).tenantId : undefined;
      return openDownload(deps, url, {
        ...(ctx.signal ? { signal: ctx.signal } : {}),
        context: callContext(tenantId, ctx),
      });
    },
    stats: () => ({ gate: session.gate()?.stats(), ...tokens.stats() }),
    tokenSession: () => tokens.session(),
    apiBase: async (signal) => (await session.open(signal)).apiBase,
  };
}

/** /jobs/sync is absent from the published spec (contract): a 404 says which setting turns it off. */
async function explainMissingSync<T>(pending: Promise<T>): Promise<T> {
  try {
    return await pending;
  } catch (error) {
    if (error instanceof EtlError && error.context.status === 404) {
      const message = `${error.message}: this API has no /jobs/sync; unset CXONE_USE_SYNC_ENDPOINT`;
      throw new EtlError('CONFIG', message, { cause: error });
    }
    throw error;
  }
}
