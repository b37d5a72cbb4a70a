import type { Clock } from '../../src/lib/clock.js';

/**
 * A clock for end-to-end tests whose sleeps take no wall time: each sleep is queued, and the earliest
 * one is woken on the next macrotask with the clock jumped to its wake time. The worker and the
 * simulator share it, so the API's 30-s rule, job durations and URL lifetimes all hold in clock time
 * while a night's run finishes in a second of real time. Real I/O (Postgres, HTTP) still runs for real.
 */
export class WarpClock implements Clock {
  private current: number;
  private queue: { at: number; seq: number; resolve: () => void }[] = [];
  private seq = 0;
  private scheduled = false;
  private bound: { at: number; onPass: () => void } | undefined;

  constructor(start: number | Date = Date.UTC(2026, 2, 15, 2, 0, 0)) {
    this.current = typeof start === 'number' ? start : start.getTime();
  }

  now(): number {
    return this.current;
  }

  /** Moves time forward by hand (e.g. "the next night"). */
  advance(ms: number): void {
    this.current += ms;
  }

  set(time: number | Date): void {
    this.current = typeof time === 'number' ? time : time.getTime();
  }

  /**
   * Bounds a test in clock time: the first wake-up that would move the clock past `at` calls `onPass`
   * instead (a test aborts its run there), so a run that never ends fails instead of warping forever.
   */
  bind(at: number, onPass: () => void): void {
    this.bound = { at, onPass };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
        return;
      }
      const onAbort = (): void => {
        this.queue = this.queue.filter((e) => e !== entry);
        reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
      };
      const entry = {
        at: this.current + Math.max(0, ms),
        seq: this.seq++,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      this.queue.push(entry);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // A real (1 ms) timer between wake-ups lets in-flight I/O of other actors move on first.
    setTimeout(() => {
      this.scheduled = false;
      this.queue.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const first = this.queue[0];
      if (first && this.bound && first.at > this.bound.at) {
        const { onPass } = this.bound;
        this.bound = undefined;
        onPass();
        if (this.queue.length > 0) this.schedule();
        return;
      }
      const next = this.queue.shift();
      if (!next) return;
      this.current = Math.max(this.current, next.at);
      next.resolve();
      if (this.queue.length > 0) this.schedule();
    }, 1);
  }
}
