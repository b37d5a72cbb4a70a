/**
 * The one retry helper: capped exponential backoff with full jitter, honouring a server's
 * Retry-After, retrying only what the caller classifies as retryable. Waits go through the injected
 * clock and the abort signal, so tests advance time instead of sleeping and shutdown cuts waits short.
 */
import type { Clock } from './clock.js';

export interface RetryDecision {
  retry: boolean;
  /** A server-given minimum wait (Retry-After), in ms. */
  afterMs?: number;
}

export interface RetryOptions {
  attempts: number;
  baseMs: number;
  maxMs: number;
  clock: Clock;
  signal?: AbortSignal;
  classify: (error: unknown, attempt: number) => RetryDecision;
  onRetry?: (info: { error: unknown; attempt: number; attempts: number; waitMs: number }) => void;
  /** Injectable randomness for jitter; tests pass () => 1 for the deterministic upper bound. */
  random?: () => number;
}

export function backoffMs(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  // Full jitter, but never less than half the step, so retries of several replicas spread out
  // without collapsing to zero.
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      const decision = options.classify(error, attempt);
      if (!decision.retry || attempt >= options.attempts || options.signal?.aborted) throw error;
      const waitMs = Math.max(
        backoffMs(attempt, options.baseMs, options.maxMs, options.random),
        decision.afterMs ?? 0,
      );
      options.onRetry?.({ error, attempt, attempts: options.attempts, waitMs });
      await options.clock.sleep(waitMs, options.signal);
    }
  }
}

/** Retry-After is seconds or an HTTP date (RFC 9110 §10.2.3); returns ms from `now`, or undefined. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
