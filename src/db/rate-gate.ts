/**
 * The per-tenant rate gate, persisted in Postgres: "one caller per tenant at a time; one API call per
 * 30 seconds" (Data Extraction API help page, contract "Limits") must hold across processes, replicas
 * and restarts, so the state is a row in `cxone_etl.rate_gate`, not a timer in memory.
 *
 * A gated call, on a dedicated connection: take the tenant's advisory lock (other processes queue on
 * it; Postgres releases it if this process dies), wait on the injected clock until `next_allowed_at`,
 * write a reservation (the interval from this call's start, committed before the call goes out, so a
 * process killed mid-call leaves it behind), make the call while still holding the lock, record it,
 * unlock. A call that failed or was answered "busy" is recorded too: the API counts it against the
 * limit all the same.
 *
 * The next call is allowed `minIntervalMs` after this call *ended*, not after it started. The server
 * sees the call arrive somewhere between our start and our end, and the next request's transit may be
 * shorter than this one's, so an interval measured from our start can be under the limit on the
 * server's clock; measuring from the end cannot. `last_call_at` still records the start.
 *
 * Scope 'create-only' (CXONE_GATE_SCOPE, the lenient reading where status polls are not limited):
 * status and list calls skip the lock and the interval, but an in-process mutex still keeps them
 * from overlapping any other call of this process. Across processes they may overlap another replica's
 * call: that is what choosing the lenient reading means (the simulator's 'create-only' rule agrees).
 *
 * Limits of the design: replicas' clocks must agree (NTP); a skew shortens the interval by that much.
 * A process killed mid-call leaves only the reservation, measured from the call's start.
 */
import type pg from 'pg';
import type { Clock } from '../lib/clock.js';
import { crashPoint } from '../lib/crash-points.js';
import { abortedWhileWaiting, unlessAborted } from '../lib/abortable.js';
import { toError, type EtlError } from '../lib/errors.js';
import { withSessionAdvisoryLock, type SessionLock } from './advisory-lock.js';
import { rateGateLock } from './lock-keys.js';
import { gateRow, recordGateCall, reserveGateCall } from './rate-gate.repository.js';

/**
 * The API call a gated function makes: creating a job ('create', 'sync') or reading ('status', 'list').
 * The API client's call kinds (cxone/types.ts CallKind); its `Gate` type is checked against this gate
 * where the client is built.
 */
export type GateCallKind = 'create' | 'sync' | 'status' | 'list';

/** What waits on the gate are called in ABORTED errors. */
const GATE = 'the CXone rate gate';

export interface RateGateStats {
  /** Calls made through this gate instance, gated or not. */
  calls: number;
  gatedCalls: number;
  /** Clock time spent waiting for next_allowed_at. */
  waitMs: number;
  busyAnswers: number;
  /** Calls whose record could not be written (Postgres failed after the API answered). */
  recordErrors: number;
}

export interface RateGate {
  call<T>(kind: GateCallKind, fn: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  stats(): RateGateStats;
}

export interface RateGateOptions {
  pool: pg.Pool;
  tenantId: string;
  minIntervalMs: number;
  clock: Clock;
  scope: 'all' | 'create-only';
  /**
   * How long a failed call asks us to stay away when it was a busy answer (0 without Retry-After),
   * undefined for any other failure: the API's answers are the client's to read (cxone/http-errors.ts).
   */
  busyRetryAfterMs: (error: unknown) => number | undefined;
}

export function createRateGate(options: RateGateOptions): RateGate {
  const { pool, tenantId, minIntervalMs, clock } = options;
  const busyAfter = options.busyRetryAfterMs;
  // Gated calls of this process queue here rather than each holding a connection while blocked on the lock.
  const gatedQueue = createMutex();
  // No two API calls of this process overlap, gated or not ("one caller per tenant").
  const inFlight = createMutex();
  // Floor for the next call if recording in Postgres failed: this process at least keeps the interval.
  let localNextAllowed = -Infinity;
  const stats: RateGateStats = { calls: 0, gatedCalls: 0, waitMs: 0, busyAnswers: 0, recordErrors: 0 };

  const isGated = (kind: GateCallKind): boolean =>
    options.scope === 'all' || kind === 'create' || kind === 'sync';

  async function gated<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return withSessionAdvisoryLock(
      pool,
      rateGateLock(tenantId),
      (lock) => gatedCall(lock, fn, signal),
      signal,
    );
  }

  /** Under the gate lock: wait out the interval, reserve, call, record. */
  async function gatedCall<T>(lock: SessionLock, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const { client } = lock;
    const row = await gateRow(client, tenantId);
    const nextAllowed = Math.max(row.nextAllowedMs ?? -Infinity, localNextAllowed);
    // A loop, not one sleep: a timer may fire a little early (ms rounding), and early is a violation.
    for (let waitMs = nextAllowed - clock.now(); waitMs > 0; waitMs = nextAllowed - clock.now()) {
      const before = clock.now();
      try {
        await clock.sleep(waitMs, signal);
      } catch (error) {
        throw signal?.aborted ? abortError(signal) : error;
      } finally {
        stats.waitMs += clock.now() - before;
      }
    }
    throwIfAborted(signal);

    const startedMs = clock.now();
    await reserveGateCall(client, tenantId, { startedMs, nextAllowedMs: startedMs + minIntervalMs });
    let outcome: { ok: true; value: T } | { ok: false; error: unknown };
    try {
      outcome = { ok: true, value: await inFlight.run(fn) };
    } catch (error) {
      outcome = { ok: false, error };
    }
    crashPoint('gate');
    stats.calls++;
    stats.gatedCalls++;
    const endedMs = clock.now();
    const busyMs = outcome.ok ? undefined : busyAfter(outcome.error);
    if (busyMs !== undefined) stats.busyAnswers++;
    const nextAllowedMs = Math.max(
      endedMs + minIntervalMs,
      busyMs === undefined ? -Infinity : endedMs + busyMs,
    );
    localNextAllowed = Math.max(localNextAllowed, nextAllowedMs);

    try {
      await recordGateCall(client, tenantId, { startedMs, nextAllowedMs, busy: busyMs !== undefined });
    } catch (recordError) {
      // The API call happened: losing its answer (a job id) would be worse than a missing record,
      // and the reservation and localNextAllowed still keep the interval. The connection is in an
      // unknown state: it is destroyed rather than unlocked (Postgres then drops the lock).
      stats.recordErrors++;
      lock.discard(toError(recordError));
    }
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  return {
    async call<T>(kind: GateCallKind, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
      throwIfAborted(signal);
      if (isGated(kind)) return gatedQueue.run(() => gated(fn, signal), signal);
      const result = await inFlight.run(fn, signal);
      stats.calls++;
      return result;
    },
    stats: () => ({ ...stats }),
  };
}

interface Mutex {
  run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T>;
}

/** A FIFO lock for async work; a waiter that is aborted leaves the queue without running. */
function createMutex(): Mutex {
  let tail: Promise<void> = Promise.resolve();
  return {
    async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
      const previous = tail;
      let release!: () => void;
      const mine = new Promise<void>((resolve) => {
        release = resolve;
      });
      tail = previous.then(() => mine);
      try {
        await unlessAborted(previous, signal, abortError);
        return await fn();
      } finally {
        release();
      }
    },
  };
}

function abortError(signal: AbortSignal): EtlError {
  return abortedWhileWaiting(GATE, signal);
}

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw abortError(signal);
}
