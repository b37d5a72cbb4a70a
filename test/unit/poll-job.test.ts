import {
  MAX_POLL_WAIT_MS,
  estimateJobMs,
  expectedJobMs,
  learn,
  learnedJobMs,
  nextPollAfterRunning,
  onSlot,
  pickPoll,
  scheduleFlight,
  type DurationBook,
  type PollCandidate,
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

function flight(over: Partial<PollCandidate> = {}): PollCandidate {
  return {
    entity: 'a',
    postedAt: 0,
    nextPollAt: 0,
    expectedMs: undefined,
    lastRunningAt: undefined,
    ended: false,
    windowMs: DAY,
    ...over,
  };
}

describe('estimateJobMs', () => {
  it('knows nothing without any sample', () => {
    expect(estimateJobMs(new Map(), 'a', DAY)).toBeUndefined();
  });

  it("starts an entity without history from another entity's fit", () => {
    const book: DurationBook = new Map();
    learn(book, 'a', { jobMs: 30_000, windowMs: DAY });
    learn(book, 'a', { jobMs: 150_000, windowMs: 13 * DAY });
    expect(estimateJobMs(book, 'b', 13 * DAY)).toBe(150_000);
    expect(estimateJobMs(book, 'b', 7 * DAY)).toBe(90_000);
  });

  it('starts an entity without history from the least of the other entities, not their pooled fit', () => {
    const book: DurationBook = new Map();
    learn(book, 'qm', { jobMs: 45_000, windowMs: 13 * DAY });
    learn(book, 'rec', { jobMs: 90_000, windowMs: 13 * DAY });
    learn(book, 'payroll', { jobMs: 22_000, windowMs: 13 * DAY });
    expect(estimateJobMs(book, 'new', 13 * DAY)).toBe(22_000);
  });

  it('scales up one window length between flat and in proportion (the geometric middle)', () => {
    const book: DurationBook = new Map([['a', [{ jobMs: 30_000, windowMs: DAY }]]]);
    // Flat would say 30 s, in proportion 390 s; the job of the simulator takes 150 s.
    expect(estimateJobMs(book, 'a', 13 * DAY)).toBe(Math.round(30_000 * Math.sqrt(13)));
    expect(estimateJobMs(book, 'a', DAY)).toBe(30_000);
  });

  it("takes the others' shape at this entity's level when its own samples have one window length", () => {
    const book: DurationBook = new Map();
    learn(book, 'a', { jobMs: 30_000, windowMs: DAY });
    learn(book, 'a', { jobMs: 150_000, windowMs: 13 * DAY });
    learn(book, 'rec', { jobMs: 60_000, windowMs: DAY });
    expect(estimateJobMs(book, 'rec', 13 * DAY)).toBe(300_000);
  });

  it('keeps the newest 9 samples of an entity', () => {
    const book: DurationBook = new Map();
    for (let i = 0; i < 12; i++) learn(book, 'a', { jobMs: i, windowMs: DAY });
    expect(book.get('a')?.map((s) => s.jobMs)).toEqual([11, 10, 9, 8, 7, 6, 5, 4, 3]);
  });
});

describe('nextPollAfterRunning', () => {
  it('waits a quarter of the time the job has run, at least an interval, at most 5 min', () => {
    expect(nextPollAfterRunning(0, 40_000, undefined, 30_000)).toBe(70_000);
    expect(nextPollAfterRunning(0, 200_000, undefined, 30_000)).toBe(250_000);
    expect(nextPollAfterRunning(0, 2_000_000, undefined, 30_000)).toBe(2_300_000);
  });

  it('waits for the estimate when that is later', () => {
    expect(nextPollAfterRunning(0, 60_000, 300_000, 30_000)).toBe(300_000);
  });

  it('comes back to the slot before a wait that ends less than half an interval past it', () => {
    // 1.25 × 240 s: 60 s after the RUNNING answer, on a slot; 1.25 × 260 s: 65 s, 5 s past one.
    expect(nextPollAfterRunning(0, 240_000, undefined, 30_000)).toBe(300_000);
    expect(nextPollAfterRunning(0, 260_000, undefined, 30_000)).toBe(320_000);
  });
});

describe('onSlot', () => {
  it('brings a wanted time less than half an interval past a slot back to it, and keeps it otherwise', () => {
    expect(onSlot(0, 10_000, 30_000)).toBe(10_000); // before the first slot: the gate holds it there
    expect(onSlot(0, 33_750, 30_000)).toBe(30_000);
    expect(onSlot(0, 45_000, 30_000)).toBe(45_000); // a bracket's midpoint: the earlier slot ran
    expect(onSlot(0, 85_000, 30_000)).toBe(85_000);
    expect(onSlot(100_000, 160_000, 30_000)).toBe(160_000);
  });

  it('never calls later than wanted', () => {
    for (let at = 0; at < 200_000; at += 2_500) expect(onSlot(0, at, 30_000)).toBeLessThanOrEqual(at);
  });
});

describe('scheduleFlight', () => {
  it("does not ask a job of an entity without history before another's job of the same window proved to run", () => {
    const book: DurationBook = new Map([['a', [{ jobMs: 30_000, windowMs: DAY }]]]);
    const running = flight({ entity: 'a', windowMs: 13 * DAY, postedAt: 0, lastRunningAt: 120_000 });
    const fresh = flight({ entity: 'b', windowMs: 13 * DAY, postedAt: 90_000 });
    scheduleFlight(book, fresh, [running, fresh], 120_000, 30_000);
    expect(fresh.expectedMs).toBe(120_000);
    expect(fresh.nextPollAt).toBe(210_000);
  });
});

describe('pickPoll', () => {
  it('asks nothing before a job is due', () => {
    expect(pickPoll([flight({ nextPollAt: 10 })], 5)).toBeUndefined();
  });

  it('asks the shorter window alone when two due jobs have no estimate', () => {
    const long = flight({ windowMs: 13 * DAY });
    const short = flight({ windowMs: DAY, nextPollAt: 1 });
    expect(pickPoll([long, short], 10)).toEqual({ one: short });
  });

  it('lists when due guesses are alike, and asks an ended one first', () => {
    const a = flight();
    const b = flight({ nextPollAt: 1 });
    expect(pickPoll([a, b], 10)).toEqual({ listing: [a, b] });
    const ended = flight({ ended: true, nextPollAt: 5 });
    expect(pickPoll([a, b, ended], 10)).toEqual({ one: ended });
  });
});
