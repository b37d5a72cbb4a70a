/**
 * How many jobs the engine keeps in flight for a tenant, and what the API's answers teach about it.
 * The contract assumes a tenant runs one job at a time and no source forbids two ("one caller" speaks
 * of callers), so the answers to POSTs made beside jobs of ours are read, one rule for runs and for
 * `check --entities` alike:
 *
 * - accepted beside them: the tenant runs one more, but only once one of those jobs answers RUNNING
 *   after it (it may have ended unseen just before the POST);
 * - busy (403, 409, 429) beside them: the tenant runs no more than ours. A 409 or 429 is busy for
 *   certain; a 403 may also be a missing permission for that window's entity (contract "Limits"), so
 *   the limit is lowered at once but saved only when that window's own POST is accepted, and given back
 *   if the window fails for permission.
 *
 * What is learned is saved per tenant (jobs-limit.repository.ts), so `auto` spends a busy answer once
 * per tenant, not once per run.
 */
import type pg from 'pg';
import type { Clock } from '../lib/clock.js';
import type { EtlError } from '../lib/errors.js';
import { saveLearnedJobsLimit } from './jobs-limit.repository.js';

export interface JobsLimit {
  /** Jobs allowed in flight now. */
  readonly limit: number;
  /** A POST for `window` was accepted as job `jobId` while the jobs `others` of ours were in flight. */
  accepted(window: string, jobId: string, others: readonly string[]): Promise<void>;
  /** A POST for `window` was answered busy while `others` jobs of ours were in flight. */
  busy(window: string, others: number, thrown: EtlError): Promise<void>;
  /** A status (a job's own, or a listing's) of one of our jobs. */
  answered(jobId: string, status: string): Promise<void>;
  /** `window` failed for permission: a 403 it met beside our jobs was that, not the tenant's limit. */
  permissionDenied(window: string): void;
}

export interface JobsLimitDeps {
  pool: pg.Pool;
  clock: Clock;
  tenantId: string;
  /** Allowed at the start. */
  limit: number;
  /** What was saved for the tenant before (cxone_etl.tenant_jobs_limit), if anything. */
  learned: number | undefined;
  /** Who learns, in the saved reason (`check --probe`); a run: unset. */
  learnedBy?: string | undefined;
  onLearned?: ((info: { limit: number; reason: string }) => void) | undefined;
}

export function createJobsLimit(deps: JobsLimitDeps): JobsLimit {
  let limit = deps.limit;
  let learned = deps.learned;
  /** An accepted POST awaiting proof: one of `others` answering RUNNING after it. */
  let proving: { limit: number; jobId: string; others: Set<string> } | undefined;
  /** Windows whose POST met a 403 beside our jobs, until their own POST is accepted. */
  const busyBeside = new Map<string, { limit: number; before: number; reason: string }>();

  const learn = async (value: number, reason: string): Promise<void> => {
    learned = value;
    const saved = deps.learnedBy ? `${deps.learnedBy}: ${reason}` : reason;
    await saveLearnedJobsLimit(deps.pool, deps.tenantId, value, saved, deps.clock.now());
    deps.onLearned?.({ limit: value, reason });
  };

  return {
    get limit() {
      return limit;
    },
    async accepted(window, jobId, others) {
      const pending = busyBeside.get(window);
      if (pending) {
        busyBeside.delete(window);
        await learn(pending.limit, pending.reason);
      }
      if (others.length > 0 && (learned === undefined || learned < others.length + 1)) {
        proving = { limit: others.length + 1, jobId, others: new Set(others) };
      }
    },
    async busy(window, others, thrown) {
      const reason =
        `POST /jobs answered busy (${String(thrown.context.status ?? '')}) while ${others} job(s) of ours ` +
        `ran: the tenant allows ${others} at a time`;
      if (thrown.context.status !== 403) await learn(others, reason);
      else if (!busyBeside.has(window)) busyBeside.set(window, { limit: others, before: limit, reason });
      limit = others;
    },
    async answered(jobId, status) {
      if (!proving?.others.has(jobId)) return;
      if (status === 'RUNNING') {
        const { limit: proved, jobId: beside } = proving;
        proving = undefined;
        await learn(proved, `job ${beside} was accepted while job ${jobId} ran`);
        return;
      }
      proving.others.delete(jobId);
      if (proving.others.size === 0) proving = undefined;
    },
    permissionDenied(window) {
      const pending = busyBeside.get(window);
      if (!pending) return;
      busyBeside.delete(window);
      limit = Math.max(limit, pending.before);
    },
  };
}
