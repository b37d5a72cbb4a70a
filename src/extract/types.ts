/**
 * The window engine's shared types (engine.ts, run-extraction.ts, load-job.ts, poll-job.ts and the
 * run's observers), in one file below all of them so that no two of them import each other.
 */
import type { Readable } from 'node:stream';
import type pg from 'pg';
import type { EntitySettings } from '../config.js';
import type { CallContext, JobRequest, JobState, JobStatus } from '../cxone/types.js';
import type { EntityName, TimeBasis } from '../entities/catalog.js';
import type { RowKeySpec } from '../entities/row-keys.js';
import type { Clock } from '../lib/clock.js';
import type { EtlError } from '../lib/errors.js';
import type { ColumnPolicy } from '../load/index.js';
import type { ReportingOutcome } from '../reporting/index.js';
import type { PlannedWindow, SkippedLookback } from './plan-windows.js';

/** What the extraction needs from the API client (src/cxone/client.ts satisfies it). */
export interface JobsApi {
  requestJob(req: JobRequest, ctx: CallContext): Promise<string>;
  requestJobSync(req: JobRequest, ctx: CallContext): Promise<JobState>;
  getJob(jobId: string, ctx: CallContext): Promise<JobState>;
  listJobs(ctx: CallContext): Promise<{ id: string; status: JobStatus }[]>;
  openDownload(url: string, ctx: CallContext): Promise<Readable>;
}

export interface ExtractSettings {
  stagingSchema: string;
  /** Schema of the typed views (REPORTING_SCHEMA), refreshed in the load transaction. */
  reportingSchema: string;
  /** REPORTING_CURRENT_KEYS: per-entity keys of the current-state views. */
  currentKeys?: ReadonlyMap<EntityName, RowKeySpec>;
  wfmTimeZone: string;
  maxAttempts: number;
  useSyncEndpoint: boolean;
  jobTimeoutMs: number;
  /** The gate's interval: no status call can come sooner, so polling plans around it. */
  minCallIntervalMs: number;
  /** Wait between a FAILED job and the next request for the same window. */
  jobRetryBaseMs: number;
  /** COLUMN_POLICY and its key, applied to every load (so `reload` and `backfill` re-apply it). */
  columnPolicy?: ColumnPolicy;
}

export interface ExtractDeps {
  pool: pg.Pool;
  api: JobsApi;
  clock: Clock;
  settings: ExtractSettings;
  signal?: AbortSignal;
  onEvent?: (event: WindowEvent) => void;
}

export type WindowEvent =
  | { type: 'requested'; jobId: string; attempt: number }
  | { type: 'resumed'; jobId: string }
  /** A POST's answer was lost and GET /jobs showed its job (post-job.ts). */
  | { type: 'adopted'; jobId: string; note: string }
  | { type: 'polled'; jobId: string; status: JobStatus }
  | { type: 'job-ended'; jobId: string; status: JobStatus; message: string }
  | { type: 'url-refreshed'; jobId: string; reason: string }
  /** A wait that can last: what it waits for and until when at the latest (logged at debug). */
  | { type: 'waiting'; for: string; until: number; jobId?: string }
  | {
      type: 'loaded';
      jobId: string;
      rows: number;
      bytes: number;
      addedColumns: string[];
      reporting: ReportingOutcome;
    };

export type EntityWithBasis = EntitySettings & { timeBasis: TimeBasis };

export type WindowOutcome =
  | {
      status: 'loaded';
      rows: number;
      bytes: number;
      jobId: string;
      durationMs: number;
      replaced: number;
      /** Wall time of the load transaction (first byte read to COMMIT) and of its reporting step. */
      loadMs: number;
      reportingMs: number;
    }
  | { status: 'failed'; error: EtlError; durationMs: number };

export interface PlanningSettings {
  windowMs: number;
  backfillWindowMs: number;
  lookbackMs: number;
  settleDelayMs: number;
  wfmTimeZone: string;
  /** yyyy-mm-dd: where a first run starts; default one backfill window before the horizon. */
  startDate: string | undefined;
  /** RETENTION per entity: nothing it removes is planned (plan-windows.ts, `retainFrom`). */
  retentionMs?: ReadonlyMap<EntityName, number>;
}

export type RunRequest =
  | { mode: 'run'; freshSince?: number }
  | { mode: 'backfill'; from: number; to: number }
  | { mode: 'reload'; from: number; to: number };

export interface PlannedEntity {
  entity: EntityWithBasis;
  windows: PlannedWindow[];
  /** Loaded windows the lookback rule leaves out of this run (src/extract/lookback-rule.ts). */
  skippedLookbacks: SkippedLookback[];
}

export interface WindowReport {
  entity: string;
  window: string;
  reason: PlannedWindow['reason'];
  outcome: WindowOutcome;
}

export interface EntitySummary {
  entity: string;
  windows: number;
  loaded: number;
  failed: number;
  rows: number;
  bytes: number;
  seconds: number;
  errors: string[];
}

export interface RunSummary {
  tenantId: string;
  entities: EntitySummary[];
  windows: WindowReport[];
  failed: number;
  /** Windows left for the next run because the deadline or the API-call budget would be passed. */
  deferred: number;
  deferReason?: string;
  aborted: boolean;
  /** Lookbacks left out by the rule, per entity (also recorded in the ledger for `status` and `gaps`). */
  skippedLookbacks: (SkippedLookback & { entity: string })[];
}

/**
 * Limits of one run (RUN_DEADLINE / --until, RUN_MAX_API_CALLS). A window starts only if it can finish
 * within them at the least cost the API allows; otherwise it and every later window are deferred.
 */
export interface RunBudget {
  deadline?: number;
  maxApiCalls?: number;
  /** Jobs calls made so far in this run. */
  apiCalls: () => number;
  /** The fewest calls one window costs: 2 (POST + a status that says SUCCEEDED), 1 with /jobs/sync. */
  minCallsPerWindow: number;
  minCallIntervalMs: number;
}

export interface RunDeps extends ExtractDeps {
  planning: PlanningSettings;
  budget?: RunBudget;
  /** EXTRACT_MAX_JOBS_IN_FLIGHT; absent: 1, one window at a time. */
  maxJobsInFlight?: 'auto' | number;
  /** A busy answer (or an accepted POST beside running jobs) showed the tenant's jobs limit (saved). */
  onJobsLimit?: (info: { limit: number; reason: string }) => void;
  onWindowStart?: (info: {
    entity: string;
    window: string;
    reason: string;
    index: number;
    total: number;
  }) => void;
  onWindowEnd?: (report: WindowReport) => void;
  onWindowEvent?: (entity: string, window: string, event: WindowEvent) => void;
}
