/**
 * What the simulator saw, for tests and the demo: calls per endpoint and tenant, rate-limit violations
 * (the number the worker promises to keep at zero), jobs created per window (to prove a restarted worker
 * did not POST again), bytes served, and whether any download carried the bearer token.
 */
import { EventEmitter } from 'node:events';

export type EndpointKey =
  'POST /jobs' | 'GET /jobs/:id' | 'GET /jobs' | 'POST /jobs/sync' | 'token' | 'discovery' | 'download';

/**
 * `in-flight`: a second call while one is running; `interval`: under minCallIntervalMs since the last
 * start. Both break the API's rate rule. `job-running`: a POST while the tenant already runs as many jobs
 * as it may (maxRunningJobs); it is refused the same way, but it is no breach of "one caller, one call
 * per 30 s": the call kept the interval. EXTRACT_MAX_JOBS_IN_FLIGHT=auto spends one such POST to learn
 * a tenant's limit. So it is listed by kind, never counted in `total` or `byTenant`.
 */
export type ViolationKind = 'in-flight' | 'interval' | 'job-running';

/** The kinds that break the rate rule: the number the worker promises to keep at zero. */
export function breaksRateRule(kind: ViolationKind): boolean {
  return kind !== 'job-running';
}

export interface ViolationDetail {
  tenant: string;
  kind: ViolationKind;
  endpoint: EndpointKey;
  /** Simulator clock, ms since the epoch. */
  at: number;
  /** Time since the previous call started, when there was one. */
  sinceLastCallMs?: number;
  status: number;
}

export interface CreatedJob {
  id: string;
  tenant: string;
  entity: string;
  version: string;
  startDate: string;
  endDate: string;
  /** The half-open window [startMs, endMs) the job covers. */
  startMs: number;
  endMs: number;
  createdAt: number;
  sync: boolean;
}

export interface CallCounts {
  total: number;
  byEndpoint: Partial<Record<EndpointKey, number>>;
}

export interface SimulatorStats {
  calls: CallCounts;
  callsByTenant: Record<string, CallCounts>;
  violations: {
    /** Breaches of the rate rule (`in-flight`, `interval`); `job-running` refusals are not counted. */
    total: number;
    /** Breaches of the rate rule per tenant. */
    byTenant: Record<string, number>;
    /** Every refusal by kind, `job-running` included. */
    byKind: Partial<Record<ViolationKind, number>>;
    /** The last few breaches of the rate rule, newest last. */
    recent: ViolationDetail[];
  };
  jobs: { total: number; byStatus: Record<string, number>; created: CreatedJob[] };
  downloads: { total: number; served: number; expired: number; refused: number; faulted: number };
  bytesServed: number;
  tokensIssued: number;
  downloadsWithAuthHeader: number;
  /** Injected faults by name (http5xx, jobOutcome:FAILED, download:html, ...). */
  faultsInjected: Record<string, number>;
}

const RECENT_VIOLATIONS = 20;

/**
 * The counts, and a `change` event after each, so a test waits on the simulator's activity (its first
 * POST, bytes streaming) instead of polling on a timer.
 */
export class StatsRecorder extends EventEmitter {
  private data = emptyStats();

  call(endpoint: EndpointKey, tenant?: string): void {
    bump(this.data.calls, endpoint);
    if (tenant !== undefined) {
      const perTenant = (this.data.callsByTenant[tenant] ??= { total: 0, byEndpoint: {} });
      bump(perTenant, endpoint);
    }
    this.emit('change');
  }

  violation(detail: ViolationDetail): void {
    const v = this.data.violations;
    v.byKind[detail.kind] = (v.byKind[detail.kind] ?? 0) + 1;
    if (!breaksRateRule(detail.kind)) return;
    v.total += 1;
    v.byTenant[detail.tenant] = (v.byTenant[detail.tenant] ?? 0) + 1;
    v.recent.push(detail);
    if (v.recent.length > RECENT_VIOLATIONS) v.recent.shift();
  }

  jobCreated(job: CreatedJob): void {
    this.data.jobs.created.push(job);
    this.emit('change');
  }

  tokenIssued(): void {
    this.data.tokensIssued += 1;
  }

  download(outcome: 'served' | 'expired' | 'refused' | 'faulted', withAuthHeader: boolean): void {
    this.data.downloads.total += 1;
    this.data.downloads[outcome] += 1;
    if (withAuthHeader) this.data.downloadsWithAuthHeader += 1;
  }

  bytes(n: number): void {
    this.data.bytesServed += n;
    this.emit('change');
  }

  fault(name: string): void {
    this.data.faultsInjected[name] = (this.data.faultsInjected[name] ?? 0) + 1;
  }

  /** A deep copy, with job counts by status computed by the caller at this instant. */
  snapshot(byStatus: Record<string, number>): SimulatorStats {
    const copy = structuredClone(this.data);
    copy.jobs.byStatus = byStatus;
    copy.jobs.total = copy.jobs.created.length;
    return copy;
  }

  reset(): void {
    this.data = emptyStats();
  }
}

function bump(counts: CallCounts, endpoint: EndpointKey): void {
  counts.total += 1;
  counts.byEndpoint[endpoint] = (counts.byEndpoint[endpoint] ?? 0) + 1;
}

function emptyStats(): SimulatorStats {
  return {
    calls: { total: 0, byEndpoint: {} },
    callsByTenant: {},
    violations: { total: 0, byTenant: {}, byKind: {}, recent: [] },
    jobs: { total: 0, byStatus: {}, created: [] },
    downloads: { total: 0, served: 0, expired: 0, refused: 0, faulted: 0 },
    bytesServed: 0,
    tokensIssued: 0,
    downloadsWithAuthHeader: 0,
    faultsInjected: {},
  };
}
