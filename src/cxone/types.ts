/**
 * The shapes the rest of the worker sees from the Data Extraction API, after the client has absorbed
 * every response variant the contract lists (docs/API.md, "Jobs").
 */

/** The documented enum (CONFIRMED upper case); the client normalises other letter cases to this. */
export type JobStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED' | 'EXPIRED';

export const JOB_STATUSES: readonly JobStatus[] = ['RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'EXPIRED'];

export interface JobState {
  id: string;
  status: JobStatus;
  /** Only meaningful when SUCCEEDED: a pre-signed URL valid for 30 s from this answer. Never log it whole. */
  url?: string;
  /** FAILED / CANCELLED / EXPIRED: the API's message (`errorMessage` or `messageError`). */
  errorMessage?: string;
}

/** The POST body; every field is a string (CONFIRMED). */
export interface JobRequest {
  entityName: string;
  version: string;
  startDate: string;
  endDate: string;
}

/** Per call: an abort signal, and where the call belongs, so errors name the entity, window and job. */
export interface CallContext {
  signal?: AbortSignal;
  entity?: string;
  window?: string;
  jobId?: string;
  /**
   * A job POST made while another job of ours runs: a busy answer is the tenant's jobs limit speaking,
   * not a rate-limit hiccup, so it is returned at once (RATE_LIMITED, busy) instead of being retried
   * and, as a 403, read as a missing permission (src/extract/engine.ts).
   */
  busyIsFinal?: boolean;
}

/** The jobs endpoints, for the gate (kind) and for observability (endpoint). */
export type CallKind = 'create' | 'status' | 'list' | 'sync';

/**
 * Runs `fn`, one API call of `kind`, when the tenant's rate rules allow it, and returns its result.
 * Every jobs call goes through it; the one in use is the persisted rate gate (db/rate-gate.ts).
 */
export type Gate = <T>(kind: CallKind, fn: () => Promise<T>, signal?: AbortSignal) => Promise<T>;

/** What the gate has done, passed through by the client's `stats()` (the run summary's gate waits). */
export interface GateStats {
  calls: number;
  gatedCalls: number;
  waitMs: number;
  busyAnswers: number;
  recordErrors: number;
}

/** The tenant's gate as the client receives it: the gate function and its counters. */
export interface TenantGate {
  call: Gate;
  stats(): GateStats;
}

export type Endpoint =
  'POST /jobs' | 'GET /jobs/:id' | 'GET /jobs' | 'POST /jobs/sync' | 'token' | 'discovery' | 'download';

/** Told about every HTTP exchange the client makes, for metrics and logs in the caller. */
export interface CallInfo {
  endpoint: Endpoint;
  /** HTTP status, or undefined when no answer came (network error, timeout, abort). */
  status: number | undefined;
  durationMs: number;
  /** 1-based attempt of this logical call (busy and transient retries). */
  attempt: number;
}

export type OnCall = (info: CallInfo) => void;

/** Bounds for `retry()`; the client has one for jobs calls and one for auth and discovery. */
export interface RetryPolicy {
  attempts: number;
  baseMs: number;
  maxMs: number;
}
