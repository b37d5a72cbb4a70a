/** Waits that an AbortSignal cuts short, for promises that cannot take a signal themselves. */
import { EtlError } from './errors.js';

/** ABORTED for a wait cut short by `signal`, with the signal's reason as the cause when it is an Error. */
export function abortedWhileWaiting(what: string, signal: AbortSignal): EtlError {
  const reason: unknown = signal.reason;
  return new EtlError('ABORTED', `aborted while waiting for ${what}`, {
    ...(reason instanceof Error ? { cause: reason } : {}),
  });
}

/**
 * Resolves with `promise`, or rejects as soon as `signal` aborts with the error `onAbort` returns
 * (it may also clean up, e.g. mark a connection for destruction). The promise itself runs on; its
 * later rejection is swallowed.
 */
export function unlessAborted<T>(
  promise: Promise<T>,
  signal: AbortSignal | undefined,
  onAbort: (signal: AbortSignal) => Error,
): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(onAbort(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const abort = (): void => {
      promise.catch(() => undefined);
      reject(onAbort(signal));
    };
    signal.addEventListener('abort', abort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', abort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', abort);
        reject(error);
      },
    );
  });
}
