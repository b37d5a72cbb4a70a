import { MAX_POLL_WAIT_MS, expectedJobMs, learnedJobMs, scheduleFlight } from '../../src/extract/poll-job.js';

const DAY = 86_400_000;

describe('expectedJobMs', () => {
  it('fits base + per-window-length from jobs of different lengths', () => {
    // 20 s + 10 s per day, as the simulator's defaults.
    const samples = [
      { jobMs: 150_000, windowMs: 13 * DAY },
      { jobMs: 30_000, windowMs: DAY },
    ];
    expect(expectedJobMs(samples, DAY)).toBe(30_000);
    expect(expectedJobMs(samples, 7 * DAY)).toBe(90_000);
  });

  it('scales the median when every sample has the same length, and knows nothing without samples', () => {
    expect(
      expectedJobMs(
        [
          { jobMs: 40_000, windowMs: DAY },
          { jobMs: 60_000, windowMs: DAY },
          { jobMs: 50_000, windowMs: DAY },
        ],
        2 * DAY,
      ),
    ).toBe(100_000);
    expect(expectedJobMs([], DAY)).toBeUndefined();
  });
});

describe('what a job teaches', () => {
  it('learns the midpoint between the last RUNNING and the first SUCCEEDED answer', () => {
    // Polls at 60 s (RUNNING) and 90 s (SUCCEEDED): learned 75 s.
    expect(learnedJobMs({ postedAt: 0, postedHere: true }, 'SUCCEEDED', 60_000, 90_000)).toBe(75_000);
  });

  it('learns less than the wait when the first poll already finds the job done, so estimates can shrink', () => {
    expect(learnedJobMs({ postedAt: 0, postedHere: true }, 'SUCCEEDED', undefined, 100_000)).toBe(75_000);
  });

  it('learns nothing from a resumed job or one that did not succeed', () => {
    expect(learnedJobMs({ postedAt: 0, postedHere: false }, 'SUCCEEDED', undefined, 100_000)).toBeUndefined();
    expect(learnedJobMs({ postedAt: 0, postedHere: true }, 'FAILED', 60_000, 90_000)).toBeUndefined();
  });
});

describe('robust estimate', () => {
  it('a stale huge sample among good ones is outvoted', () => {
    const good = [3_000, 3_500, 2_800].map((jobMs) => ({ jobMs, windowMs: DAY }));
    const bad = { jobMs: 3_600_000, windowMs: DAY };
    expect(expectedJobMs([bad, ...good], DAY)).toBe(3_000);
    // Even one good sample against one bad one: the lower median.
    expect(expectedJobMs([bad, { jobMs: 3_000, windowMs: DAY }], DAY)).toBe(3_000);
    // Mixed window lengths: the pairwise-slope median ignores the one bad line.
    const mixed = [
      { jobMs: 30_000, windowMs: DAY },
      { jobMs: 40_000, windowMs: 2 * DAY },
      { jobMs: 50_000, windowMs: 3 * DAY },
      { jobMs: 5_000_000, windowMs: 4 * DAY },
    ];
    expect(expectedJobMs(mixed, 5 * DAY)).toBe(70_000);
  });

  it('caps the first wait like every later one', () => {
    const flight = {
      entity: 'qm-workflows',
      postedAt: 0,
      nextPollAt: 0,
      expectedMs: undefined,
      lastRunningAt: undefined as number | undefined,
      ended: false,
      windowMs: DAY,
    };
    const book = new Map([['qm-workflows', [{ jobMs: 10 * 3_600_000, windowMs: DAY }]]]);
    scheduleFlight(book, flight, [], 0, 30_000);
    expect(flight.nextPollAt).toBe(MAX_POLL_WAIT_MS);
    flight.lastRunningAt = MAX_POLL_WAIT_MS;
    scheduleFlight(book, flight, [], MAX_POLL_WAIT_MS, 30_000);
    expect(flight.nextPollAt).toBe(2 * MAX_POLL_WAIT_MS);
  });
});
