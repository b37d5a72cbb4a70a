/**
 * The job store. A job's fate (ready time, outcome, file expiry) is fixed when it is created and its
 * status is computed from the clock when asked: no timers, so a ManualClock drives the whole lifecycle
 * and a stopped simulator leaves nothing scheduled.
 */
import { randomUUID } from 'node:crypto';
import type { EntityName } from '../entities/catalog.js';
import type { CsvSpec } from './csv/index.js';
import type { JobFaultOutcome } from './options.js';

export type JobStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED' | 'EXPIRED';

export interface Job {
  id: string;
  tenantId: string;
  entity: EntityName;
  version: string;
  startDate: string;
  endDate: string;
  startMs: number;
  endMs: number;
  createdAt: number;
  /** When RUNNING ends. */
  readyAt: number;
  /** When a SUCCEEDED job's file is gone and the job reads EXPIRED. */
  fileExpiresAt: number;
  outcome: 'SUCCEEDED' | JobFaultOutcome;
  errorMessage: string | undefined;
  /** The file's content is a snapshot of what was visible at creation (late-arriving rows). */
  csv: CsvSpec;
  sync: boolean;
}

export type NewJob = Omit<Job, 'id' | 'readyAt' | 'fileExpiresAt'> & {
  durationMs: number;
  fileTtlMs: number;
};

export class JobStore {
  private jobs = new Map<string, Job>();

  create(input: NewJob): Job {
    const { durationMs, fileTtlMs, ...rest } = input;
    const readyAt = input.createdAt + durationMs;
    const job: Job = { ...rest, id: randomUUID(), readyAt, fileExpiresAt: readyAt + fileTtlMs };
    this.jobs.set(job.id, job);
    return job;
  }

  /** A job belongs to its tenant: another tenant's id reads as unknown (404), never as forbidden. */
  get(tenantId: string, id: string): Job | undefined {
    const job = this.jobs.get(id);
    return job && job.tenantId === tenantId ? job : undefined;
  }

  /** For the test hook `jobSpec`, which knows only the id. */
  tenantOf(id: string): string | undefined {
    return this.jobs.get(id)?.tenantId;
  }

  list(tenantId: string): Job[] {
    return [...this.jobs.values()].filter((j) => j.tenantId === tenantId);
  }

  hasRunning(tenantId: string, now: number): boolean {
    return this.runningCount(tenantId, now) > 0;
  }

  runningCount(tenantId: string, now: number): number {
    return this.list(tenantId).filter((j) => statusAt(j, now) === 'RUNNING').length;
  }

  countByStatus(now: number): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const job of this.jobs.values()) {
      const status = statusAt(job, now);
      counts[status] = (counts[status] ?? 0) + 1;
    }
    return counts;
  }

  reset(): void {
    this.jobs = new Map();
  }
}

export function statusAt(job: Job, now: number): JobStatus {
  if (now < job.readyAt) return 'RUNNING';
  if (job.outcome !== 'SUCCEEDED') return job.outcome;
  return now < job.fileExpiresAt ? 'SUCCEEDED' : 'EXPIRED';
}

export function csvSpecOf(job: Job): CsvSpec {
  return { ...job.csv };
}
