/**
 * Time for tests: a clock that only moves when told to, and the waits a test needs on it. Nothing here
 * waits on wall time for a state: a wait resolves on an event (a sleeper parking, a promise settling)
 * and fails, naming what never came, when the event does not come within STATE_DEADLINE_MS (wait.ts).
 */
import type { Clock } from '../../src/lib/clock.js';
import { withDeadline } from './wait.js';

interface Sleeper {
  at: number;
  resolve: () => void;
  reject: (e: Error) => void;
  seq: number;
}

/**
 * `advance(ms)` fires every sleeper whose time has come, in order, and lets their continuations run
 * before it returns. `untilPending(n)` resolves when the code under test has parked n sleepers.
 */
export class ManualClock implements Clock {
  private current: number;
  private sleepers: Sleeper[] = [];
  private seq = 0;
  private parkWaiters: { n: number; resolve: () => void }[] = [];

  constructor(start: number | Date = Date.UTC(2026, 0, 1)) {
    this.current = typeof start === 'number' ? start : start.getTime();
  }

  now(): number {
    return this.current;
  }

  /** How many sleepers are waiting. */
  get pending(): number {
    return this.sleepers.length;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortReason(signal));
        return;
      }
      const onAbort = (): void => {
        this.sleepers = this.sleepers.filter((s) => s !== entry);
        reject(abortReason(signal as AbortSignal));
      };
      const entry: Sleeper = {
        at: this.current + Math.max(0, ms),
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject,
        seq: this.seq++,
      };
      this.sleepers.push(entry);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.wakeParkWaiters();
    });
  }

  /**
   * Resolves once at least `n` sleepers wait on this clock; fails after STATE_DEADLINE_MS saying so.
   * An abort of `cancel` resolves it at once (the caller stopped caring).
   */
  untilPending(n = 1, what = `${n} sleeper(s) on the clock`, cancel?: AbortSignal): Promise<void> {
    if (this.sleepers.length >= n || cancel?.aborted) return Promise.resolve();
    let waiter!: { n: number; resolve: () => void };
    const parked = new Promise<void>((resolve) => {
      waiter = { n, resolve };
      this.parkWaiters.push(waiter);
      cancel?.addEventListener('abort', () => resolve(), { once: true });
    });
    return withDeadline(parked, what).finally(() => {
      this.parkWaiters = this.parkWaiters.filter((w) => w !== waiter);
    });
  }

  set(time: number | Date): void {
    this.current = typeof time === 'number' ? time : time.getTime();
  }

  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      // Let pending continuations park their sleeps first, so a sleep started "now" is not missed.
      await flushMicrotasks();
      const due = this.sleepers.filter((s) => s.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.sleepers = this.sleepers.filter((s) => s !== due);
      this.current = Math.max(this.current, due.at);
      due.resolve();
    }
    this.current = target;
  }

  private wakeParkWaiters(): void {
    for (const w of this.parkWaiters) if (this.sleepers.length >= w.n) w.resolve();
  }
}

/** Runs every continuation already queued (ten turns of the event loop's check phase). */
export async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise<void>((r) => setImmediate(r));
}

/**
 * Settles `promise`, moving the clock a step each time something sleeps on it; real I/O runs in
 * between. Waits for whichever comes first, the promise or a sleeper, so it never polls; fails when
 * neither comes within STATE_DEADLINE_MS.
 */
export async function drive<T>(clock: ManualClock, promise: Promise<T>, stepMs = 1000): Promise<T> {
  let settled = false;
  const watched = promise.finally(() => {
    settled = true;
  });
  watched.catch(() => undefined);
  while (!settled) {
    if (clock.pending > 0) {
      await clock.advance(stepMs);
      continue;
    }
    const stop = new AbortController();
    const ended = watched.then(
      () => stop.abort(),
      () => stop.abort(),
    );
    await Promise.race([
      ended,
      clock.untilPending(1, 'the promise to settle or to sleep on the clock', stop.signal),
    ]);
    stop.abort();
  }
  return watched;
}

function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error('aborted');
}
