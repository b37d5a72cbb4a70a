/**
 * What the client derives from its options (HTTP deps, timeouts, retry policies) and its lazy start:
 * the first jobs call logs in, reads the tenant id from the token, discovers the API base and only
 * then gets the tenant's gate, which needs the tenant id.
 */
import type { Got } from 'got';
import type { Config, Credentials } from '../config.js';
import type { Clock } from '../lib/clock.js';
import { discoverApiBase } from './discovery.js';
import { createHttp, defaultTimeouts, type HttpDeps, type HttpTimeouts } from './http.js';
import type { JobsCallDeps } from './jobs-call.js';
import type { TokenProvider } from './token-provider.js';
import type { OnCall, RetryPolicy, TenantGate } from './types.js';

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

/**
 * Jobs calls: 6 attempts (a busy 403 has to be retried before it may be read as "no permission",
 * contract "Limits"), backoff starting at one call interval and capped at 2 min, so a persistent 403
 * becomes PERMISSION after roughly 4-8 minutes at the API's 30 s rule.
 */
const JOBS_ATTEMPTS = 6;
const JOBS_MAX_BACKOFF_MS = 120_000;
/** Token and discovery: a few quick tries; these endpoints are not rate-limited. */
const AUTH_RETRY: RetryPolicy = { attempts: 3, baseMs: 1000, maxMs: 10_000 };

export interface ClientSettings {
  deps: HttpDeps;
  timeouts: HttpTimeouts;
  /** Token and discovery calls. */
  authPolicy: RetryPolicy;
  /** Jobs calls. */
  policy: RetryPolicy;
}

export function clientSettings(options: CxoneClientOptions): ClientSettings {
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
  return { deps, timeouts, authPolicy, policy };
}

export interface JobsSession {
  /** What a jobs call needs; starts the session on first use. */
  open(signal?: AbortSignal): Promise<JobsCallDeps>;
  /** Whether a start has been asked for (and not failed). */
  started(): boolean;
  /** The tenant's gate, once there is one. */
  gate(): TenantGate | undefined;
}

export function jobsSession(
  options: Pick<CxoneClientOptions, 'config' | 'gate'>,
  settings: ClientSettings,
  tokens: TokenProvider,
): JobsSession {
  const { deps, authPolicy, policy } = settings;
  let gate: TenantGate | undefined = typeof options.gate === 'function' ? undefined : options.gate;
  let ready: Promise<JobsCallDeps> | undefined;
  return {
    open(signal) {
      ready ??= (async () => {
        const tenantId = await tokens.tenantId(signal);
        const apiBase = await discoverApiBase(deps, authPolicy, options.config, tenantId, signal);
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
    },
    started: () => ready !== undefined,
    gate: () => gate,
  };
}
