/**
 * The windows of an overlapped run (run-overlapped.ts) and what each may cost: the queue in the order
 * jobs are requested, and the budget check that counts the jobs in flight.
 */
import type { CallContext, JobRequest } from '../cxone/types.js';
import { apiDates, windowLabel } from './api-dates.js';
import type { PlannedWindow } from './plan-windows.js';
import type { PlannedEntity, RunBudget, RunDeps } from './run-extraction.js';
import type { WindowKey } from './windows.repository.js';
import { zoneFor } from '../entities/catalog.js';

/** A window of the run, from the plan until its outcome. */
export interface Task {
  plan: PlannedEntity;
  window: PlannedWindow;
  label: string;
  key: WindowKey;
  ctx: CallContext;
  request: JobRequest;
  started?: number;
  /** Jobs of this window that ended FAILED / CANCELLED / EXPIRED in this run (EXTRACT_MAX_ATTEMPTS). */
  failedJobs: number;
  /** startPass done (or not needed: a resumed job); a retry after a failed job does not start a pass. */
  passStarted: boolean;
  lostPost: boolean;
  /** Not before (a retry after a failed job waits, as extract-window.ts's retry does). */
  notBefore: number;
}

/** Windows in plan order, resumed jobs first: they are running already and need no POST. */
export function buildQueue(
  deps: RunDeps,
  run: { tenantId: string; plans: readonly PlannedEntity[] },
): Task[] {
  const tasks: Task[] = [];
  for (const plan of run.plans) {
    const zone = zoneFor(plan.entity.timeBasis, deps.planning.wfmTimeZone);
    for (const window of plan.windows) {
      const label = windowLabel(window, zone);
      tasks.push({
        plan,
        window,
        label,
        key: { tenantId: run.tenantId, entity: plan.entity.name, start: window.start, end: window.end },
        ctx: { entity: plan.entity.name, window: label, ...(deps.signal ? { signal: deps.signal } : {}) },
        request: {
          entityName: plan.entity.name,
          version: plan.entity.version,
          ...apiDates(window, plan.entity, plan.entity.timeBasis, deps.settings.wfmTimeZone),
        },
        failedJobs: 0,
        passStarted: false,
        lostPost: false,
        notBefore: -Infinity,
      });
    }
  }
  const resumed = (t: Task): boolean => t.window.reason === 'resume' && t.window.jobId !== undefined;
  return [...tasks.filter(resumed), ...tasks.filter((t) => !resumed(t))];
}

/** The fewest calls a window still needs: a resumed job one status call, a new one a POST and a status. */
export function costOf(deps: RunDeps, task: Task): number {
  if (task.window.reason === 'resume' && task.window.jobId && !task.passStarted) return 1;
  return deps.budget?.minCallsPerWindow ?? 2;
}

/**
 * Like run-extraction.ts's `budgetStop`, with the jobs in flight counted: each still needs at least one
 * status call (its URL), so a new window starts only if those and its own fewest calls fit.
 */
export function overlapBudgetStop(
  budget: RunBudget | undefined,
  now: number,
  inFlight: number,
  cost: number,
): string | undefined {
  if (!budget) return undefined;
  const needed = inFlight + cost;
  if (budget.maxApiCalls !== undefined && budget.apiCalls() + needed > budget.maxApiCalls) {
    return `the API-call budget (${budget.maxApiCalls}) would be passed`;
  }
  if (budget.deadline !== undefined && now + needed * budget.minCallIntervalMs > budget.deadline) {
    return `the deadline ${new Date(budget.deadline).toISOString()} would be passed`;
  }
  return undefined;
}
