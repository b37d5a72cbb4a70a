import { abortableTimeout, type Clock } from '../../src/lib/clock.js';

/**
 * Real time, sped up: `factor` clock milliseconds pass per real millisecond, for every actor at once.
 * Used where several loops run side by side (the daemon's scheduler heartbeat next to a run), which a
 * WarpClock would let jump ahead of each other. Sleeps are real timers of ms / factor.
 */
export class ScaledClock implements Clock {
  private readonly realStart = Date.now();

  constructor(
    private readonly start: number,
    private readonly factor: number,
  ) {}

  now(): number {
    return this.start + Math.round((Date.now() - this.realStart) * this.factor);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    // Rounded up: Node truncates a fractional delay, which would wake a sleeper before its time.
    return abortableTimeout(Math.ceil(ms / this.factor), signal);
  }
}
