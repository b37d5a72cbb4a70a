/** A run's limits (RUN_DEADLINE or --until, RUN_MAX_API_CALLS or --max-api-calls) as the planner's budget. */
import type { Config } from '../config.js';
import type { RunBudget } from '../extract/types.js';
import { nextClockTime } from '../extract/time-grid.js';
import type { RunLimits } from './run-request.js';

/** No budget when neither limit is set; the deadline is the next HH:MM in SCHEDULE_TZ after the start. */
export function runBudget(
  config: Config,
  limits: RunLimits,
  runStarted: number,
  apiCalls: () => number,
): RunBudget | undefined {
  const deadlineAt = limits.until ?? config.run.deadline;
  const maxApiCalls = limits.maxApiCalls ?? config.run.maxApiCalls;
  if (deadlineAt === undefined && maxApiCalls === undefined) return undefined;
  return {
    ...(deadlineAt !== undefined
      ? { deadline: nextClockTime(runStarted, deadlineAt, config.schedule.timeZone) }
      : {}),
    ...(maxApiCalls !== undefined ? { maxApiCalls } : {}),
    apiCalls,
    minCallsPerWindow: config.cxone.useSyncEndpoint ? 1 : 2,
    minCallIntervalMs: config.cxone.minCallIntervalMs,
  };
}
