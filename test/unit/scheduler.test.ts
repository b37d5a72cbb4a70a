import { jest } from '@jest/globals';
import { flushMicrotasks, ManualClock } from '../helpers/manual-clock.js';
import {
  Scheduler,
  type CatchUpInfo,
  type RunTrigger,
  type SchedulerOptions,
  type SkipInfo,
} from '../../src/schedule/scheduler.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const START = Date.parse('2026-01-01T00:00:00Z');

/** A scheduler on a ManualClock whose runs record their trigger and, with `hold`, wait to be released. */
function harness(overrides: Partial<SchedulerOptions> = {}, hold = false) {
  const clock = new ManualClock(START);
  const runs: { trigger: RunTrigger; at: number }[] = [];
  const skips: SkipInfo[] = [];
  const errors: Error[] = [];
  const catchUps: CatchUpInfo[] = [];
  const ticks: number[] = [];
  const releases: (() => void)[] = [];
  const scheduler = new Scheduler({
    cron: '0 2 * * *',
    timeZone: 'UTC',
    clock,
    runOnce: async (trigger) => {
      runs.push({ trigger, at: clock.now() });
      if (hold) await new Promise<void>((resolve) => releases.push(resolve));
    },
    onSkip: (info) => skips.push(info),
    onError: (err) => errors.push(err),
    onTick: () => ticks.push(clock.now()),
    onCatchUp: (info) => catchUps.push(info),
    ...overrides,
  });
  const releaseAll = async (): Promise<void> => {
    for (const release of releases.splice(0)) release();
    await flushMicrotasks();
  };
  return { clock, scheduler, runs, skips, errors, catchUps, ticks, releaseAll };
}

describe('Scheduler', () => {
  it('fires on the schedule, and not before', async () => {
    const h = harness();
    await h.scheduler.start();
    expect(h.scheduler.nextFireAt).toBe(START + 2 * HOUR);

    await h.clock.advance(2 * HOUR - 1000);
    expect(h.runs).toEqual([]);
    await h.clock.advance(1000);
    expect(h.runs).toEqual([{ trigger: 'schedule', at: START + 2 * HOUR }]);

    await h.clock.advance(DAY);
    expect(h.runs.map((r) => r.at)).toEqual([START + 2 * HOUR, START + DAY + 2 * HOUR]);
    expect(h.errors).toEqual([]);
    await h.scheduler.stop();
  });

  it('skips a tick while a run is still going, and says so through onSkip', async () => {
    const h = harness({ cron: '*/5 * * * *' }, true);
    await h.scheduler.start();
    await h.clock.advance(5 * MINUTE);
    expect(h.runs).toHaveLength(1);
    expect(h.scheduler.busy).toBe(true);

    await h.clock.advance(10 * MINUTE);
    expect(h.runs).toHaveLength(1);
    expect(h.skips).toEqual([
      {
        trigger: 'schedule',
        reason: 'overlap',
        scheduledAt: START + 10 * MINUTE,
        running: { trigger: 'schedule', startedAt: START + 5 * MINUTE },
      },
      expect.objectContaining({ reason: 'overlap', scheduledAt: START + 15 * MINUTE }),
    ]);

    // Once the run ends, the next tick starts a new one.
    await h.releaseAll();
    expect(h.scheduler.busy).toBe(false);
    await h.clock.advance(5 * MINUTE);
    expect(h.runs.map((r) => r.at)).toEqual([START + 5 * MINUTE, START + 20 * MINUTE]);
    await h.releaseAll();
    await h.scheduler.stop();
  });

  it('refuses a manual trigger while a run is going, and resolves when its own run ends', async () => {
    const h = harness({}, true);
    await h.scheduler.start();
    const first = h.scheduler.triggerNow();
    await flushMicrotasks();
    expect(h.runs).toEqual([{ trigger: 'manual', at: START }]);
    await expect(h.scheduler.triggerNow()).resolves.toBe(false);
    expect(h.skips).toEqual([
      {
        trigger: 'manual',
        reason: 'overlap',
        scheduledAt: undefined,
        running: { trigger: 'manual', startedAt: START },
      },
    ]);
    await h.releaseAll();
    await expect(first).resolves.toBe(true);
    await h.scheduler.stop();
  });

  it('catches up once on start when a tick passed since the last run', async () => {
    const h = harness({
      lastRunAt: async () => Date.parse('2025-12-30T02:00:05Z'),
    });
    h.clock.set(Date.parse('2026-01-01T12:00:00Z'));
    await h.scheduler.start();
    // Two ticks were missed (Dec 31 and Jan 1, 02:00): one run covers both.
    expect(h.runs).toEqual([{ trigger: 'catch-up', at: Date.parse('2026-01-01T12:00:00Z') }]);
    expect(h.catchUps).toEqual([
      {
        count: 2,
        capped: false,
        last: Date.parse('2026-01-01T02:00:00Z'),
        lastRunAt: Date.parse('2025-12-30T02:00:05Z'),
      },
    ]);
    // Then back on schedule.
    await h.clock.advance(14 * HOUR);
    expect(h.runs.map((r) => r.trigger)).toEqual(['catch-up', 'schedule']);
    await h.scheduler.stop();
  });

  it('does not catch up when the last run followed the last tick, or there is no history', async () => {
    for (const last of [Date.parse('2026-01-01T02:00:01Z'), undefined]) {
      const h = harness({ lastRunAt: async () => last });
      h.clock.set(Date.parse('2026-01-01T12:00:00Z'));
      await h.scheduler.start();
      await h.clock.advance(HOUR);
      expect(h.runs).toEqual([]);
      expect(h.catchUps).toEqual([]);
      await h.scheduler.stop();
    }
  });

  it('reports a failing lastRunAt and keeps to the schedule', async () => {
    const h = harness({
      lastRunAt: async () => {
        throw new Error('database unreachable');
      },
    });
    await h.scheduler.start();
    expect(h.errors.map((e) => e.message)).toEqual(['database unreachable']);
    await h.clock.advance(2 * HOUR);
    expect(h.runs.map((r) => r.trigger)).toEqual(['schedule']);
    await h.scheduler.stop();
  });

  it('runs at once with runNow (--run-now), instead of a catch-up', async () => {
    const lastRunAt = jest.fn(async () => Date.parse('2025-12-01T00:00:00Z'));
    const h = harness({ lastRunAt });
    await h.scheduler.start({ runNow: true });
    expect(h.runs).toEqual([{ trigger: 'startup', at: START }]);
    expect(lastRunAt).not.toHaveBeenCalled();
    await h.clock.advance(2 * HOUR);
    expect(h.runs.map((r) => r.trigger)).toEqual(['startup', 'schedule']);
    await h.scheduler.stop();
  });

  it('stops promptly during the wait, without moving the clock', async () => {
    const h = harness();
    await h.scheduler.start();
    await h.clock.advance(10 * MINUTE);
    expect(h.clock.pending).toBe(1);

    await h.scheduler.stop();
    expect(h.scheduler.state).toBe('stopped');
    expect(h.clock.pending).toBe(0);
    expect(h.scheduler.nextFireAt).toBeUndefined();
    await h.clock.advance(DAY);
    expect(h.runs).toEqual([]);
    expect(h.errors).toEqual([]);
  });

  it('stop() waits for the run in progress without aborting it, then refuses new runs', async () => {
    const h = harness({}, true);
    await h.scheduler.start();
    await h.clock.advance(2 * HOUR);
    expect(h.scheduler.busy).toBe(true);

    let stopped = false;
    const stopping = h.scheduler.stop().then(() => {
      stopped = true;
    });
    await flushMicrotasks();
    expect(stopped).toBe(false);
    expect(h.scheduler.state).toBe('stopping');
    expect(h.clock.pending).toBe(0);

    await h.releaseAll();
    await stopping;
    expect(h.scheduler.state).toBe('stopped');
    await expect(h.scheduler.triggerNow()).resolves.toBe(false);
    expect(h.skips).toEqual([expect.objectContaining({ trigger: 'manual', reason: 'stopping' })]);
  });

  it('ticks the heartbeat at least every 60 s of clock time while waiting', async () => {
    const h = harness();
    await h.scheduler.start();
    await h.clock.advance(30 * MINUTE);
    const gaps = h.ticks.slice(1).map((t, i) => t - (h.ticks[i] as number));
    expect(h.ticks[0]).toBe(START);
    expect(h.ticks.at(-1)).toBe(START + 30 * MINUTE);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(60_000);
    await h.scheduler.stop();
  });

  it('reports a failed run through onError and keeps scheduling', async () => {
    let calls = 0;
    const h = harness({
      cron: '*/5 * * * *',
      runOnce: async () => {
        calls++;
        throw new Error(`run ${calls} failed`);
      },
    });
    await h.scheduler.start();
    await h.clock.advance(10 * MINUTE);
    expect(calls).toBe(2);
    expect(h.errors.map((e) => e.message)).toEqual(['run 1 failed', 'run 2 failed']);
    expect(h.scheduler.busy).toBe(false);
    await h.scheduler.stop();
  });

  it('rejects an invalid expression or time zone at construction', () => {
    expect(() => harness({ cron: '0 25 * * *' })).toThrow(
      /SCHEDULE_CRON: invalid cron expression "0 25 \* \* \*"/,
    );
    expect(() => harness({ timeZone: 'Mars/Olympus' })).toThrow(/SCHEDULE_TZ: "Mars\/Olympus"/);
  });
});
