/**
 * Several jobs in flight for one tenant (EXTRACT_MAX_JOBS_IN_FLIGHT ≥ 2). Calls are the scarce
 * resource (one per 30 s per tenant), and a serial run spends most of its time waiting on jobs: here,
 * while a job runs, the next window's job is requested in the next gated slot, up to the limit. The
 * contract assumes a tenant runs one job at a time and no source forbids two ("one caller" speaks of
 * callers), so a busy answer to a POST while one of ours runs is the tenant's limit: it lowers the
 * limit (saved for the tenant, jobs-limit.repository.ts) and the window waits for a free place; it is
 * not a failure.
 *
 * Polling: one due job is asked with GET /jobs/{id} (its answer carries the URL); several at once with
 * one GET /jobs listing, then GET /jobs/{id} for each that ended, downloaded at once (the URL lives 30 s).
 * Loads stay one window per transaction, in whatever order jobs end; the checkpoint is the end of the
 * contiguous loaded prefix (checkpoints.repository.ts `advanceCheckpointContiguous`). The ledger holds
 * each job id before it is polled (post-job.ts), so a crash resumes every job in flight. The budget
 * counts the calls in-flight jobs still need before a new POST: a job, once requested, is always
 * polled and loaded, even past the budget, never stranded.
 */
import { isEtlError } from '../lib/errors.js';
import { costOf, overlapBudgetStop } from './overlap-queue.js';
import { poll } from './overlap-poll.js';
import { deferRest, start } from './overlap-start.js';
import { createOverlapState, entitySummary, sortReports, type OverlapRun } from './overlap-state.js';
import type { RunDeps } from './run-extraction.js';

export type { OverlapRun } from './overlap-state.js';

export async function runOverlapped(deps: RunDeps, run: OverlapRun): Promise<void> {
  const { clock } = deps;
  const { summary } = run;
  const state = await createOverlapState(deps, run);
  const { queue, flying } = state;
  try {
    while (queue.length > 0 || flying.length > 0) {
      if (deps.signal?.aborted) {
        summary.aborted = true;
        return;
      }
      const next = queue[0];
      if (next && flying.length < state.limit && next.notBefore <= clock.now()) {
        const stop = overlapBudgetStop(deps.budget, clock.now(), flying.length, costOf(deps, next));
        if (stop) {
          await deferRest(state, stop);
          continue;
        }
        queue.shift();
        await start(state, next);
        continue;
      }
      const wakeAt = Math.min(
        ...flying.map((f) => f.nextPollAt),
        next && flying.length < state.limit ? next.notBefore : Infinity,
      );
      if (wakeAt > clock.now()) await clock.sleep(wakeAt - clock.now(), deps.signal);
      await poll(state);
    }
  } catch (thrown) {
    // Only ABORTED escapes: stop the whole run, the ledger keeps every in-flight job for the next one.
    if (!isEtlError(thrown, 'ABORTED') && !deps.signal?.aborted) throw thrown;
    summary.aborted = true;
    const first = flying[0]?.task ?? queue[0];
    if (first) entitySummary(state, first).errors.push((thrown as Error).message);
  } finally {
    sortReports(state);
  }
}
