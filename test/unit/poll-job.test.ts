import { ManualClock } from '../../src/lib/clock.js';
import type { JobState } from '../../src/cxone/types.js';
import { expectedJobMs, firstPollDelay, nextPollDelay, waitForJob } from '../../src/extract/poll-job.js';

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

describe('poll timing', () => {
  it('waits from the POST for the expected duration, then backs off from the call interval', () => {
    expect(firstPollDelay(10_000, 0, 60_000)).toBe(50_000);
    expect(firstPollDelay(10_000, 0, undefined)).toBe(0);
    expect(nextPollDelay(0, 30_000, 60_000)).toBe(30_000);
    expect(nextPollDelay(30_000, 30_000, 60_000)).toBe(45_000);
    expect(nextPollDelay(400_000, 30_000, 60_000)).toBe(300_000);
  });

  it('learns the midpoint between the last RUNNING and the first SUCCEEDED answer', async () => {
    const clock = new ManualClock(0);
    const answers: JobState['status'][] = ['RUNNING', 'SUCCEEDED'];
    const result = waitForJob({
      getJob: async () => ({ id: 'j', status: answers.shift() ?? 'SUCCEEDED' }),
      clock,
      postedAt: 0,
      expectedMs: 60_000,
      minIntervalMs: 30_000,
      deadline: 3_600_000,
      context: {},
    });
    await clock.advance(200_000);
    // Polls at 60 s (RUNNING) and 90 s (SUCCEEDED): learned 75 s.
    expect(await result).toEqual({ state: { id: 'j', status: 'SUCCEEDED' }, jobMs: 75_000 });
  });

  it('learns less than the wait when the first poll already finds the job done, so estimates can shrink', async () => {
    const clock = new ManualClock(0);
    const result = waitForJob({
      getJob: async () => ({ id: 'j', status: 'SUCCEEDED' }),
      clock,
      postedAt: 0,
      expectedMs: 100_000,
      minIntervalMs: 30_000,
      deadline: 3_600_000,
      context: {},
    });
    await clock.advance(200_000);
    expect((await result).jobMs).toBe(75_000);
  });

  it('fails a job still RUNNING at its deadline', async () => {
    const clock = new ManualClock(0);
    const result = waitForJob({
      getJob: async () => ({ id: 'j', status: 'RUNNING' }),
      clock,
      postedAt: 0,
      expectedMs: undefined,
      minIntervalMs: 30_000,
      deadline: 100_000,
      context: { entity: 'qm-workflows' },
    }).catch((e: Error) => e.message);
    await clock.advance(200_000);
    expect(await result).toMatch(/job still RUNNING after \d+ s \(EXTRACT_JOB_TIMEOUT\)/);
  });
});
