/**
 * Waiting for a state in a test: on an event, never on a sleep, and failing with the name of the state
 * when it does not come.
 */
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';

/**
 * 10 s of real time: how long a test waits for a state before it fails saying which. Far beyond any
 * Postgres round trip or local HTTP call on a loaded machine; far below jest's 60 s test timeout, so the
 * failure names the state instead of "exceeded timeout".
 */
export const STATE_DEADLINE_MS = 10_000;

/** `promise`, or a failure naming `what` when it has not settled within `ms` (STATE_DEADLINE_MS). */
export function withDeadline<T>(promise: Promise<T>, what: string, ms = STATE_DEADLINE_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`waited ${ms} ms for ${what}; it never came`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/**
 * Something that says "the state may have changed": a test emits `change` on every event it can see
 * (a log line written, a NOTIFY from a trigger), and `until` re-checks on each.
 */
export class Changes extends EventEmitter {
  changed(): void {
    this.emit('change');
  }
}

/**
 * The probe's first defined value: checked at once and again after each change, never on a timer.
 * Fails naming `what` when no change made it true within `ms`.
 */
export function until<T>(
  changes: Changes,
  probe: () => Promise<T | undefined>,
  what: string,
  ms = STATE_DEADLINE_MS,
): Promise<T> {
  let onChange: (() => void) | undefined;
  const found = new Promise<T>((resolve, reject) => {
    let checking = false;
    let again = false;
    const check = async (): Promise<void> => {
      if (checking) {
        again = true;
        return;
      }
      checking = true;
      try {
        do {
          again = false;
          const value = await probe();
          if (value !== undefined) {
            resolve(value);
            return;
          }
        } while (again);
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      } finally {
        checking = false;
      }
    };
    onChange = () => void check();
    changes.on('change', onChange);
    void check();
  });
  return withDeadline(found, what, ms).finally(() => {
    if (onChange) changes.off('change', onChange);
  });
}

/**
 * Resolves once `check` holds, for state that sends no event: one that lives in Postgres (a session
 * waiting on a lock). Each look is one round trip, and no look is a sleep. Fails naming the state when it
 * has not come within `ms`.
 */
export async function untilState(
  what: string,
  check: () => Promise<boolean>,
  ms = STATE_DEADLINE_MS,
): Promise<void> {
  let gaveUp = false;
  const look = async (): Promise<void> => {
    while (!gaveUp && !(await check()));
  };
  await withDeadline(look(), what, ms).finally(() => {
    gaveUp = true;
  });
}

/**
 * `until`, re-checked on each call the simulator sees or chunk it serves (its onChange) and when the
 * child process exits, so a test can wait for a worker's progress and fail at once if it dies.
 */
export async function untilActivity<T>(
  sources: { sim: { onChange(listener: () => void): () => void }; child: ChildProcess },
  probe: () => Promise<T | undefined>,
  what: string,
  ms = STATE_DEADLINE_MS,
): Promise<T> {
  const changes = new Changes();
  const stopWatching = sources.sim.onChange(() => changes.changed());
  sources.child.once('exit', () => changes.changed());
  try {
    return await until(changes, probe, what, ms);
  } finally {
    stopWatching();
  }
}
