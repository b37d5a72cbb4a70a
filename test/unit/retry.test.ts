import { ManualClock } from '../helpers/manual-clock.js';
import { backoffMs, parseRetryAfter, retry } from '../../src/lib/retry.js';

describe('backoffMs', () => {
  it('doubles per attempt up to the cap, with jitter between half and the full step', () => {
    expect(backoffMs(1, 1000, 60_000, () => 1)).toBe(1000);
    expect(backoffMs(3, 1000, 60_000, () => 1)).toBe(4000);
    expect(backoffMs(3, 1000, 60_000, () => 0)).toBe(2000);
    expect(backoffMs(20, 1000, 60_000, () => 1)).toBe(60_000);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('3', 0)).toBe(3000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
  });
});

describe('retry', () => {
  it('retries what is classified retryable, waiting at least Retry-After on the injected clock', async () => {
    const clock = new ManualClock(0);
    const waits: number[] = [];
    let calls = 0;
    const done = retry(
      async () => {
        calls++;
        if (calls < 3) throw new Error('busy');
        return 'ok';
      },
      {
        attempts: 5,
        baseMs: 100,
        maxMs: 1000,
        clock,
        random: () => 1,
        classify: () => ({ retry: true, afterMs: 5000 }),
        onRetry: ({ waitMs }) => waits.push(waitMs),
      },
    );
    await clock.advance(20_000);
    await expect(done).resolves.toBe('ok');
    expect(calls).toBe(3);
    expect(waits).toEqual([5000, 5000]);
    expect(clock.now()).toBe(20_000);
  });

  it('gives up at once on a fatal error and after the last attempt on a retryable one', async () => {
    const clock = new ManualClock(0);
    let calls = 0;
    await expect(
      retry(
        async () => {
          calls++;
          throw new Error('fatal');
        },
        { attempts: 5, baseMs: 1, maxMs: 1, clock, classify: () => ({ retry: false }) },
      ),
    ).rejects.toThrow('fatal');
    expect(calls).toBe(1);

    calls = 0;
    const p = retry(
      async () => {
        calls++;
        throw new Error('still busy');
      },
      { attempts: 3, baseMs: 10, maxMs: 10, clock, classify: () => ({ retry: true }) },
    );
    const settled = p.catch((e: Error) => e.message);
    await clock.advance(1000);
    expect(await settled).toBe('still busy');
    expect(calls).toBe(3);
  });

  it('stops waiting when the signal aborts', async () => {
    const clock = new ManualClock(0);
    const ac = new AbortController();
    const p = retry(
      async () => {
        throw new Error('busy');
      },
      {
        attempts: 5,
        baseMs: 10_000,
        maxMs: 10_000,
        clock,
        signal: ac.signal,
        classify: () => ({ retry: true }),
      },
    );
    const settled = p.catch((e: Error) => e.message);
    await clock.advance(0);
    ac.abort(new Error('shutting down'));
    expect(await settled).toBe('shutting down');
  });
});
