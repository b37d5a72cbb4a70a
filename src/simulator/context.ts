/**
 * The simulator's shared state, handed to every route handler. `options` is read on every request,
 * so `setOptions` (a fault switched on mid-run) takes effect on the next call.
 */
import type { Clock } from '../lib/clock.js';
import type { TokenService } from './auth.js';
import type { UrlSigner } from './download-url.js';
import type { FaultInjector } from './faults.js';
import type { JobStore } from './jobs.js';
import type { SimulatorOptions, SimulatorTenant } from './options.js';
import type { RateGate } from './rate-limit.js';
import type { StatsRecorder } from './stats.js';

export interface SimContext {
  readonly options: SimulatorOptions;
  readonly clock: Clock;
  /** This server's base URL: the issuer, the API endpoint and the "S3" host at once. */
  readonly url: string;
  readonly stats: StatsRecorder;
  readonly tokens: TokenService;
  readonly gate: RateGate;
  readonly jobs: JobStore;
  readonly faults: FaultInjector;
  readonly urls: UrlSigner;
  /** Aborted by stop(): cuts short every clock wait (slow answers, /sync) so stop never hangs. */
  readonly shutdown: AbortSignal;
}

export function findTenant(ctx: SimContext, id: string): SimulatorTenant | undefined {
  return ctx.options.tenants.find((t) => t.id === id);
}

/** Scales an API duration by timeScale (30 s at 0.01 is 300 ms). */
export function scaledMs(ctx: SimContext, ms: number): number {
  return ms * ctx.options.timeScale;
}
