/**
 * Time as a dependency. Production uses the system clock; tests inject a manual clock and move it,
 * so nothing in the test suite waits on wall time (DEVELOPERS.md: no sleeps to wait for state).
 */
export interface Clock {
  now(): number;
  /** Resolves after `ms` of this clock's time, or rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => abortableTimeout(ms, signal),
};

/** A setTimeout that an AbortSignal cuts short; the timer never keeps the process alive after abort. */
export function abortableTimeout(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortReason(signal as AbortSignal));
    };
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error('aborted');
}

/**
 * A clock that only moves when told to. `advance(ms)` fires every sleeper whose time has come,
 * in order, and lets their continuations run before it returns.
 */
export class ManualClock implements Clock {
  private current: number;
  private sleepers: { at: number; resolve: () => void; reject: (e: Error) => void; seq: number }[] = [];
  private seq = 0;

  constructor(start: number | Date = Date.UTC(2026, 0, 1)) {
    this.current = typeof start === 'number' ? start : start.getTime();
  }

  now(): number {
    return this.current;
  }

  /** How many sleepers are waiting: lets a test wait until the code under test has parked itself. */
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
      const entry = {
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
}

export async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise<void>((r) => setImmediate(r));
}

/** Resolves once the signal aborts (at once if it already has): "run until Ctrl-C" for long-lived commands. */
export function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
