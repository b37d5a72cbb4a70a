import { ManualClock } from '../helpers/manual-clock.js';
import type { JobState } from '../../src/cxone/types.js';
import {
  MAX_POLL_WAIT_MS,
  expectedJobMs,
  firstPollDelay,
  nextPollDelay,
  waitForJob,
} from '../../src/extract/poll-job.js';

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
      postedHere: true,
      expectedMs: 60_000,
      minIntervalMs: 30_000,
      deadline: 3_600_000,
      context: {},
    });
    await clock.advance(200_000);
    // Polls at 60 s (RUNNING) and 90 s (SUCCEEDED): learned 75 s.
    expect(await result).toEqual({ state: { id: 'j', status: 'SUCCEEDED' }, jobMs: 75_000, polls: 2 });
  });

  it('learns less than the wait when the first poll already finds the job done, so estimates can shrink', async () => {
    const clock = new ManualClock(0);
    const result = waitForJob({
      getJob: async () => ({ id: 'j', status: 'SUCCEEDED' }),
      clock,
      postedAt: 0,
      postedHere: true,
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
      postedHere: true,
      expectedMs: undefined,
      minIntervalMs: 30_000,
      deadline: 100_000,
      context: { entity: 'qm-workflows' },
    }).catch((e: Error) => e.message);
    await clock.advance(200_000);
    expect(await result).toMatch(
      /job still RUNNING after 100 s and \d+ status answers \(EXTRACT_JOB_TIMEOUT\)/,
    );
  });

  it('asks once before failing a deadline that passed while the worker was down, and learns nothing from a resumed job', async () => {
    // Posted at 0, timeout 60 s, resumed at 10 min: the job is long done, its file still there.
    const clock = new ManualClock(600_000);
    let polls = 0;
    const result = await waitForJob({
      getJob: async () => {
        polls++;
        return { id: 'j', status: 'SUCCEEDED' };
      },
      clock,
      postedAt: 0,
      postedHere: false,
      expectedMs: 3_000,
      minIntervalMs: 30_000,
      deadline: 60_000,
      context: {},
    });
    expect(polls).toBe(1);
    expect(result.jobMs).toBeUndefined();
  });

  it('a resumed job still RUNNING past its deadline fails after one status answer, not before', async () => {
    const clock = new ManualClock(600_000);
    let polls = 0;
    const message = await waitForJob({
      getJob: async () => {
        polls++;
        return { id: 'j', status: 'RUNNING' };
      },
      clock,
      postedAt: 0,
      postedHere: false,
      expectedMs: undefined,
      minIntervalMs: 30_000,
      deadline: 60_000,
      context: {},
    }).catch((e: Error) => e.message);
    expect(polls).toBe(1);
    expect(message).toMatch(/after 600 s and 1 status answers/);
  });

  it('a stale huge estimate waits at most the poll cap, then polls at the deadline instead of failing before it', async () => {
    const clock = new ManualClock(0);
    const polledAt: number[] = [];
    const result = waitForJob({
      getJob: async () => {
        polledAt.push(clock.now());
        return { id: 'j', status: 'SUCCEEDED' };
      },
      clock,
      postedAt: 0,
      postedHere: true,
      expectedMs: 10 * 3_600_000,
      minIntervalMs: 30_000,
      deadline: 7 * 3_600_000,
      context: {},
    });
    await clock.advance(3_600_000);
    expect(await result).toMatchObject({ state: { status: 'SUCCEEDED' }, polls: 1 });
    expect(polledAt).toEqual([MAX_POLL_WAIT_MS]);
    // And with a deadline shorter than the cap, the one poll comes at the deadline.
    const clock2 = new ManualClock(0);
    const at: number[] = [];
    const short = waitForJob({
      getJob: async () => {
        at.push(clock2.now());
        return { id: 'j', status: 'SUCCEEDED' };
      },
      clock: clock2,
      postedAt: 0,
      postedHere: true,
      expectedMs: 10 * 3_600_000,
      minIntervalMs: 30_000,
      deadline: 60_000,
      context: {},
    });
    await clock2.advance(3_600_000);
    await short;
    expect(at).toEqual([60_000]);
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
    expect(firstPollDelay(0, 0, 10 * 3_600_000)).toBe(MAX_POLL_WAIT_MS);
    expect(nextPollDelay(0, 30_000, 10 * 3_600_000)).toBe(MAX_POLL_WAIT_MS);
  });
});
