/**
 * The daemon's timer: fires `runOnce` on a cron schedule, one run at a time, following pg-boss's
 * Worker: explicit states, `while (!stopping)`, an abortable sleep that `stop()` cuts short, errors
 * reported (never thrown out of the loop), and `stop()` that awaits the loop and the run in progress.
 *
 * Our own loop over the pure cron math in lib/cron-schedule.ts, rather than node-cron's timers, because
 * every wait goes through the injected Clock: tests drive the daemon with a ManualClock and never sleep.
 * node-cron still validates the expression and expands its fields.
 */
import { isValidTimeZone } from '../config.js';
import type { Clock } from '../lib/clock.js';
import { EtlError } from '../lib/errors.js';
import { missedFireTimes, nextFireTime, validateCron, type MissedFires } from '../lib/cron-schedule.js';

export type RunTrigger = 'schedule' | 'startup' | 'catch-up' | 'manual';

export type SchedulerState = 'created' | 'running' | 'stopping' | 'stopped';

/** 60 s: /healthz calls the loop stuck when it has not ticked for longer than this (plus slack). */
export const HEARTBEAT_MS = 60_000;
/** After an unexpected error in the loop itself, wait this long instead of spinning. */
const ERROR_BACKOFF_MS = 60_000;

export interface SkipInfo {
  readonly trigger: RunTrigger;
  /** 'overlap': a run was still going; 'stopping': stop() had been called. */
  readonly reason: 'overlap' | 'stopping';
  /** The cron time that fired, for 'schedule' ticks. */
  readonly scheduledAt?: number;
  readonly running?: { readonly trigger: RunTrigger; readonly startedAt: number };
}

export interface CatchUpInfo extends MissedFires {
  readonly lastRunAt: number;
}

export interface SchedulerOptions {
  readonly cron: string;
  readonly timeZone: string;
  readonly clock: Clock;
  /** One run; its own shutdown signal is the caller's business: stop() waits for it, never aborts it. */
  readonly runOnce: (trigger: RunTrigger) => Promise<void>;
  /** When the last run started (run history); decides whether a tick was missed while we were down. */
  readonly lastRunAt?: () => Promise<number | undefined>;
  readonly onSkip?: (info: SkipInfo) => void;
  readonly onError?: (err: Error) => void;
  /** Called at least every HEARTBEAT_MS of clock time while the loop waits: the liveness signal. */
  readonly onTick?: () => void;
  /** Called before a catch-up run, with what was missed, for the log. */
  readonly onCatchUp?: (info: CatchUpInfo) => void;
}

interface ActiveRun {
  readonly trigger: RunTrigger;
  readonly startedAt: number;
  promise: Promise<void>;
}

export class Scheduler {
  readonly #opts: SchedulerOptions;
  readonly #abort = new AbortController();
  #state: SchedulerState = 'created';
  #loop: Promise<void> | undefined;
  #stopped: Promise<void> | undefined;
  #current: ActiveRun | undefined;
  #nextFireAt: number | undefined;
  #lastFiredAt = Number.NEGATIVE_INFINITY;

  constructor(opts: SchedulerOptions) {
    const problem = validateCron(opts.cron);
    if (problem !== undefined) throw new EtlError('CONFIG', `SCHEDULE_CRON: ${problem}`);
    if (!isValidTimeZone(opts.timeZone)) {
      throw new EtlError('CONFIG', `SCHEDULE_TZ: ${JSON.stringify(opts.timeZone)} is not an IANA time zone`);
    }
    this.#opts = opts;
  }

  get state(): SchedulerState {
    return this.#state;
  }

  /** True while a run is in progress. */
  get busy(): boolean {
    return this.#current !== undefined;
  }

  /** The cron time the loop is waiting for, when it is waiting. */
  get nextFireAt(): number | undefined {
    return this.#nextFireAt;
  }

  /**
   * Starts the loop. Resolves once the start-up decision is made: with `runNow`, a 'startup' run has
   * begun; otherwise a 'catch-up' run has begun if a tick was missed while the service was down. The
   * run itself continues in the background (await `stop()` or use `triggerNow` to wait for one).
   */
  start(opts: { runNow?: boolean } = {}): Promise<void> {
    if (this.#state !== 'created')
      throw new EtlError('INTERNAL', `scheduler cannot start when ${this.#state}`);
    this.#state = 'running';
    // The loop starts at once, not after lastRunAt(): a slow query must not hold up the heartbeat or stop().
    this.#loop = this.#runLoop();
    return this.#startup(opts.runNow === true);
  }

  /**
   * Runs once now unless a run is in progress (then onSkip, and false). Resolves true when the run has
   * finished; its failure goes to onError.
   */
  async triggerNow(trigger: RunTrigger = 'manual'): Promise<boolean> {
    const run = this.#fire(trigger);
    if (!run) return false;
    await run.promise;
    return true;
  }

  /** Stops the loop, cuts its wait short, and waits for the run in progress (which it does not abort). */
  stop(): Promise<void> {
    this.#stopped ??= this.#shutdown();
    return this.#stopped;
  }

  async #shutdown(): Promise<void> {
    this.#state = 'stopping';
    this.#abort.abort(new EtlError('ABORTED', 'scheduler stopped'));
    await this.#loop;
    await this.#current?.promise;
    this.#state = 'stopped';
  }

  async #startup(runNow: boolean): Promise<void> {
    // With --run-now the start-up run covers any missed tick too: windows are planned from checkpoints.
    if (runNow) {
      this.#fire('startup');
      return;
    }
    if (!this.#opts.lastRunAt) return;
    try {
      const lastRunAt = await this.#opts.lastRunAt();
      // No history means a first start, not downtime: wait for the schedule.
      if (lastRunAt === undefined || this.#state !== 'running') return;
      const { cron, timeZone, clock } = this.#opts;
      const missed = missedFireTimes(cron, timeZone, lastRunAt, clock.now());
      if (missed.count === 0) return;
      this.#opts.onCatchUp?.({ ...missed, lastRunAt });
      // One run for all missed ticks, not one per tick.
      this.#fire('catch-up', missed.last);
    } catch (err) {
      this.#report(err);
    }
  }

  async #runLoop(): Promise<void> {
    const { cron, timeZone, clock } = this.#opts;
    while (this.#state === 'running') {
      try {
        // Never before the last fire: a clock stepped back (NTP) must not fire the same tick twice.
        const next = nextFireTime(cron, timeZone, Math.max(clock.now(), this.#lastFiredAt));
        this.#nextFireAt = next;
        if (!(await this.#sleepUntil(next))) break;
        this.#lastFiredAt = next;
        this.#fire('schedule', next);
      } catch (err) {
        this.#report(err);
        // A clock whose sleep itself fails cannot drive the loop: report it and end (the heartbeat stops).
        const waited = await this.#sleepUntil(clock.now() + ERROR_BACKOFF_MS).catch((e: unknown) => {
          this.#report(e);
          return false;
        });
        if (!waited) break;
      }
    }
    this.#nextFireAt = undefined;
  }

  /** Waits in steps of at most HEARTBEAT_MS, ticking between them. False when stop() cut it short. */
  async #sleepUntil(at: number): Promise<boolean> {
    for (;;) {
      this.#tick();
      const remaining = at - this.#opts.clock.now();
      if (remaining <= 0) return true;
      if (!(await this.#pause(Math.min(remaining, HEARTBEAT_MS)))) return false;
    }
  }

  async #pause(ms: number): Promise<boolean> {
    const stopping = this.#abort.signal;
    if (stopping.aborted) return false;
    // A fresh signal per step: a Clock may keep its listener until the signal aborts (ManualClock does),
    // and the loop's own signal lives as long as the daemon, so listeners would pile up on it.
    const step = new AbortController();
    const relay = (): void => step.abort(stopping.reason);
    stopping.addEventListener('abort', relay, { once: true });
    try {
      await this.#opts.clock.sleep(ms, step.signal);
      return true;
    } catch (err) {
      if (stopping.aborted) return false;
      throw err;
    } finally {
      stopping.removeEventListener('abort', relay);
    }
  }

  /** Starts a run unless one is in progress or we are stopping; never throws. */
  #fire(trigger: RunTrigger, scheduledAt?: number): ActiveRun | undefined {
    if (this.#state === 'stopping' || this.#state === 'stopped') {
      this.#skip({ trigger, reason: 'stopping', scheduledAt });
      return undefined;
    }
    const current = this.#current;
    if (current) {
      const running = { trigger: current.trigger, startedAt: current.startedAt };
      this.#skip({ trigger, reason: 'overlap', scheduledAt, running });
      return undefined;
    }
    const run: ActiveRun = { trigger, startedAt: this.#opts.clock.now(), promise: Promise.resolve() };
    // Marked busy before runOnce is called, so even a runOnce that throws synchronously clears it after.
    this.#current = run;
    run.promise = (async () => {
      try {
        await this.#opts.runOnce(trigger);
      } catch (err) {
        this.#report(err);
      } finally {
        if (this.#current === run) this.#current = undefined;
      }
    })();
    return run;
  }

  #skip(info: SkipInfo): void {
    try {
      this.#opts.onSkip?.(info);
    } catch (err) {
      this.#report(err);
    }
  }

  #tick(): void {
    try {
      this.#opts.onTick?.();
    } catch (err) {
      this.#report(err);
    }
  }

  #report(err: unknown): void {
    try {
      this.#opts.onError?.(err instanceof Error ? err : new Error(String(err)));
    } catch {
      // A failing error callback has nowhere left to report to; the loop must keep going.
    }
  }
}
