/**
 * SQL for cxone_etl.windows, the window ledger (migrations/0002_pipeline.sql). Every state change of a
 * window goes through here, so the ledger always says what the worker knows: in particular the job id
 * is stored as soon as the API returns it, before any polling, so a restart resumes that job.
 */
import type { Queryable } from '../db/pool.js';
import { knownJobIds, rememberJobs, type JobSource } from './jobs-seen.repository.js';
import type { LedgerState, LedgerWindow } from './plan-windows.js';

export interface WindowKey {
  tenantId: string;
  entity: string;
  start: number;
  end: number;
}

export interface LedgerRow extends LedgerWindow {
  jobId: string | null;
  jobStatus: string | null;
  attempts: number;
  error: string | null;
  requestedAt: number | null;
  readyAt: number | null;
  loadedAt: number | null;
  rowsLoaded: number | null;
  bytesLoaded: number | null;
  previousRows: number | null;
  apiCalls: number;
  polls: number;
  /** posted | adopted (after a POST whose answer was lost); null for jobs from before the recovery migration. */
  jobOrigin: string | null;
  postNote: string | null;
  /** A POST was sent and no answer came back: the next attempt looks for its job first (post-job.ts). */
  postUncertain: boolean;
  lookbackSkippedAt: number | null;
  lookbackSkipReason: string | null;
}

const KEY = 'tenant_id = $1 AND entity = $2 AND window_start = $3 AND window_end = $4';

function keyParams(k: WindowKey): unknown[] {
  return [k.tenantId, k.entity, new Date(k.start), new Date(k.end)];
}

const ms = (v: Date | null): number | null => (v === null ? null : v.getTime());
const num = (v: string | number | null): number | null => (v === null ? null : Number(v));

function toRow(r: Record<string, unknown>): LedgerRow {
  return {
    start: (r.window_start as Date).getTime(),
    end: (r.window_end as Date).getTime(),
    state: r.state as LedgerState,
    jobId: (r.job_id as string | null) ?? null,
    jobStatus: (r.job_status as string | null) ?? null,
    attempts: Number(r.attempts),
    error: (r.error as string | null) ?? null,
    requestedAt: ms(r.requested_at as Date | null),
    readyAt: ms(r.ready_at as Date | null),
    loadedAt: ms(r.loaded_at as Date | null),
    rowsLoaded: num(r.rows_loaded as string | null),
    bytesLoaded: num(r.bytes_loaded as string | null),
    previousRows: num(r.previous_rows as string | null),
    apiCalls: Number(r.api_calls),
    polls: Number(r.polls),
    jobOrigin: (r.job_origin as string | null | undefined) ?? null,
    postNote: (r.post_note as string | null | undefined) ?? null,
    postUncertain: r.post_uncertain === true,
    lookbackSkippedAt: ms((r.lookback_skipped_at as Date | null | undefined) ?? null),
    lookbackSkipReason: (r.lookback_skip_reason as string | null | undefined) ?? null,
  };
}

export async function listWindows(db: Queryable, tenantId: string, entity: string): Promise<LedgerRow[]> {
  const { rows } = await db.query(
    'SELECT * FROM cxone_etl.windows WHERE tenant_id = $1 AND entity = $2 ORDER BY window_start',
    [tenantId, entity],
  );
  return rows.map(toRow);
}

export async function getWindow(db: Queryable, key: WindowKey): Promise<LedgerRow | undefined> {
  const { rows } = await db.query(`SELECT * FROM cxone_etl.windows WHERE ${KEY}`, keyParams(key));
  return rows[0] ? toRow(rows[0]) : undefined;
}

/**
 * Starts a new pass over a window (new, lookback, retry or deferred): attempts restart from 0.
 * A loaded window keeps its rows and counts until the new load replaces them.
 */
export async function startPass(db: Queryable, key: WindowKey, now: number): Promise<void> {
  await db.query(
    `INSERT INTO cxone_etl.windows (tenant_id, entity, window_start, window_end, state, attempts, updated_at)
     VALUES ($1, $2, $3, $4, 'planned', 0, $5)
     ON CONFLICT (tenant_id, entity, window_start, window_end)
     DO UPDATE SET state = 'planned', attempts = 0, error = NULL, job_id = NULL, job_status = NULL,
                   job_origin = NULL, post_note = NULL, updated_at = $5`,
    [...keyParams(key), new Date(now)],
  );
}

/**
 * Records that a job is about to be requested, before the POST: if the process dies between the POST
 * and `setJobId`, the ledger shows a requested window without a job id, which the next run requests
 * again as a counted attempt (the job list has no window to match an orphan job by).
 */
export async function beginRequest(db: Queryable, key: WindowKey, now: number): Promise<number> {
  const { rows } = await db.query(
    `UPDATE cxone_etl.windows
        SET state = 'requested', job_id = NULL, job_status = NULL, attempts = attempts + 1,
            requested_at = $5, ready_at = NULL, updated_at = $5, post_uncertain = true
      WHERE ${KEY} RETURNING attempts`,
    [...keyParams(key), new Date(now)],
  );
  return Number(rows[0]?.attempts ?? 0);
}

/**
 * The job the window now waits for, with how it was obtained: its POST's answer (posted) or a GET /jobs
 * listing after a POST whose answer was lost (adopted; `note` says so). The id goes into jobs_seen in
 * the same statement, so no crash can leave an id in the ledger that the next reconciliation reads as new.
 */
export async function setJobId(
  db: Queryable,
  key: WindowKey,
  jobId: string,
  now: number,
  origin: { source: 'posted' | 'adopted'; note?: string } = { source: 'posted' },
): Promise<void> {
  await db.query(
    `WITH seen AS (
       INSERT INTO cxone_etl.jobs_seen (tenant_id, job_id, source, seen_at) VALUES ($1, $5, $7, $6)
       ON CONFLICT (tenant_id, job_id) DO UPDATE SET source = EXCLUDED.source
        WHERE cxone_etl.jobs_seen.source = 'listed')
     UPDATE cxone_etl.windows SET job_id = $5, job_status = 'RUNNING', api_calls = api_calls + 1, updated_at = $6,
            posted_at = $6, job_ms = NULL, job_origin = $7, post_note = COALESCE($8, post_note),
            post_uncertain = false
      WHERE ${KEY}`,
    [...keyParams(key), jobId, new Date(now), origin.source, origin.note ?? null],
  );
}

/** The POST was refused outright (400, busy to the end, permission): it created nothing. */
export async function clearPostUncertain(db: Queryable, key: WindowKey): Promise<void> {
  await db.query(`UPDATE cxone_etl.windows SET post_uncertain = false WHERE ${KEY}`, keyParams(key));
}

/** Why the worker posted again after a POST whose answer was lost (shown by `status`). */
export async function recordPostNote(
  db: Queryable,
  key: WindowKey,
  note: string,
  now: number,
): Promise<void> {
  await db.query(`UPDATE cxone_etl.windows SET post_note = $5, updated_at = $6 WHERE ${KEY}`, [
    ...keyParams(key),
    note.slice(0, 1000),
    new Date(now),
  ]);
}

/** A run left this loaded window's lookback out (src/extract/lookback-rule.ts says why). */
export async function markLookbackSkipped(
  db: Queryable,
  key: WindowKey,
  reason: string,
  now: number,
): Promise<void> {
  await db.query(
    `UPDATE cxone_etl.windows SET lookback_skipped_at = $5, lookback_skip_reason = $6 WHERE ${KEY}`,
    [...keyParams(key), new Date(now), reason],
  );
}

export async function recordPoll(db: Queryable, key: WindowKey, status: string, now: number): Promise<void> {
  await db.query(
    `UPDATE cxone_etl.windows SET job_status = $5, polls = polls + 1, api_calls = api_calls + 1, updated_at = $6
      WHERE ${KEY}`,
    [...keyParams(key), status, new Date(now)],
  );
}

/**
 * A status seen in a GET /jobs listing (engine.ts): one call covers several windows, so it is
 * counted as a poll of each but as an API call of none (the run's history counts it once).
 */
export async function recordListed(
  db: Queryable,
  key: WindowKey,
  status: string,
  now: number,
): Promise<void> {
  await db.query(
    `UPDATE cxone_etl.windows SET job_status = $5, polls = polls + 1, updated_at = $6 WHERE ${KEY}`,
    [...keyParams(key), status, new Date(now)],
  );
}

/** The job is done; `jobMs` is its duration as the polls bracket it (see poll-job.ts), when known. */
export async function markReady(db: Queryable, key: WindowKey, now: number, jobMs?: number): Promise<void> {
  await db.query(
    `UPDATE cxone_etl.windows SET state = 'ready', job_status = 'SUCCEEDED', ready_at = $5, updated_at = $5,
            job_ms = COALESCE($6, job_ms)
      WHERE ${KEY}`,
    [...keyParams(key), new Date(now), jobMs === undefined ? null : Math.round(jobMs)],
  );
}

/** When the window's current job was accepted by the API (its POST answered), if known. */
export async function postedAt(db: Queryable, key: WindowKey): Promise<number | undefined> {
  const { rows } = await db.query(
    `SELECT posted_at, requested_at FROM cxone_etl.windows WHERE ${KEY}`,
    keyParams(key),
  );
  const r = rows[0] as { posted_at: Date | null; requested_at: Date | null } | undefined;
  return (r?.posted_at ?? r?.requested_at)?.getTime();
}

/**
 * Inside the load transaction: the window is loaded, and ledger windows it contains (replaced by this
 * load) are removed, so loaded windows never overlap.
 */
export async function markLoaded(
  db: Queryable,
  key: WindowKey,
  result: { rows: number; bytes: number },
  now: number,
): Promise<void> {
  await db.query(
    `DELETE FROM cxone_etl.windows
      WHERE tenant_id = $1 AND entity = $2 AND window_start >= $3 AND window_end <= $4
        AND NOT (window_start = $3 AND window_end = $4)`,
    keyParams(key),
  );
  await db.query(
    `UPDATE cxone_etl.windows
        SET state = 'loaded', previous_rows = rows_loaded, rows_loaded = $5, bytes_loaded = $6,
            loaded_at = $7, error = NULL, updated_at = $7
      WHERE ${KEY}`,
    [...keyParams(key), result.rows, result.bytes, new Date(now)],
  );
}

export async function markFailed(db: Queryable, key: WindowKey, error: string, now: number): Promise<void> {
  await db.query(`UPDATE cxone_etl.windows SET state = 'failed', error = $5, updated_at = $6 WHERE ${KEY}`, [
    ...keyParams(key),
    error.slice(0, 4000),
    new Date(now),
  ]);
}

/** A job that ended FAILED/CANCELLED/EXPIRED: forget its id so the next attempt requests a new one. */
export async function markJobEnded(
  db: Queryable,
  key: WindowKey,
  status: string,
  error: string,
  now: number,
): Promise<void> {
  await db.query(
    `UPDATE cxone_etl.windows SET state = 'planned', job_id = NULL, job_status = $5, error = $6, updated_at = $7
      WHERE ${KEY}`,
    [...keyParams(key), status, error.slice(0, 4000), new Date(now)],
  );
}

export async function markDeferred(db: Queryable, key: WindowKey, now: number): Promise<void> {
  await db.query(
    `INSERT INTO cxone_etl.windows (tenant_id, entity, window_start, window_end, state, updated_at)
     VALUES ($1, $2, $3, $4, 'deferred', $5)
     ON CONFLICT (tenant_id, entity, window_start, window_end)
     DO UPDATE SET state = CASE WHEN cxone_etl.windows.state = 'loaded' THEN 'loaded' ELSE 'deferred' END,
                   updated_at = $5`,
    [...keyParams(key), new Date(now)],
  );
}

/** How many recent job durations the poll model reads per entity (and an overlapped run keeps). */
export const RECENT_JOB_SAMPLES = 9;

/**
 * Recent job durations of this entity with their window lengths, newest first (the poll model's input).
 * Samples age out twice over: only the newest `limit`, and none older than `since`, so a bad one stops
 * counting once newer jobs outvote it or time passes.
 */
export async function recentJobDurations(
  db: Queryable,
  tenantId: string,
  entity: string,
  since: number,
  limit = RECENT_JOB_SAMPLES,
): Promise<{ jobMs: number; windowMs: number }[]> {
  const { rows } = await db.query(
    `SELECT job_ms, extract(epoch FROM window_end - window_start) * 1000 AS window_ms FROM cxone_etl.windows
      WHERE tenant_id = $1 AND entity = $2 AND job_ms IS NOT NULL AND ready_at >= $4
      ORDER BY ready_at DESC LIMIT $3`,
    [tenantId, entity, limit, new Date(since)],
  );
  return rows.map((r: { job_ms: string; window_ms: string }) => ({
    jobMs: Number(r.job_ms),
    windowMs: Number(r.window_ms),
  }));
}

export interface EntityStatusRow {
  tenantId: string;
  entity: string;
  loadedUntil: number | null;
  lastJobId: string | null;
  lastJobStatus: string | null;
  lastState: string | null;
  lastUpdatedAt: number | null;
  failedWindows: { start: number; end: number; error: string | null }[];
  inFlight: number;
}

/** Per tenant and entity: the checkpoint, the most recently touched window, and the failed ones. */
export async function entityStatus(db: Queryable): Promise<EntityStatusRow[]> {
  const { rows } = await db.query(`
    WITH keys AS (
      SELECT tenant_id, entity FROM cxone_etl.checkpoints
      UNION SELECT DISTINCT tenant_id, entity FROM cxone_etl.windows
    )
    SELECT k.tenant_id, k.entity, c.loaded_until,
           last.job_id, last.job_status, last.state, last.updated_at,
           COALESCE((SELECT json_agg(json_build_object('start', w.window_start, 'end', w.window_end, 'error', w.error)
                                     ORDER BY w.window_start)
                       FROM cxone_etl.windows w
                      WHERE w.tenant_id = k.tenant_id AND w.entity = k.entity AND w.state = 'failed'), '[]') AS failed,
           (SELECT count(*) FROM cxone_etl.windows w
             WHERE w.tenant_id = k.tenant_id AND w.entity = k.entity AND w.state IN ('requested', 'ready')) AS in_flight
      FROM keys k
      LEFT JOIN cxone_etl.checkpoints c USING (tenant_id, entity)
      LEFT JOIN LATERAL (
        SELECT job_id, job_status, state, updated_at FROM cxone_etl.windows w
         WHERE w.tenant_id = k.tenant_id AND w.entity = k.entity
         ORDER BY updated_at DESC LIMIT 1) last ON true
     ORDER BY k.tenant_id, k.entity`);
  return rows.map((r: Record<string, unknown>) => ({
    tenantId: r.tenant_id as string,
    entity: r.entity as string,
    loadedUntil: ms(r.loaded_until as Date | null),
    lastJobId: (r.job_id as string | null) ?? null,
    lastJobStatus: (r.job_status as string | null) ?? null,
    lastState: (r.state as string | null) ?? null,
    lastUpdatedAt: ms((r.updated_at as Date | null) ?? null),
    failedWindows: (r.failed as { start: string; end: string; error: string | null }[]).map((f) => ({
      start: Date.parse(f.start),
      end: Date.parse(f.end),
      error: f.error,
    })),
    inFlight: Number(r.in_flight),
  }));
}

export interface WindowNote {
  tenantId: string;
  entity: string;
  start: number;
  end: number;
  at: number;
  note: string;
}

/**
 * For `status`: loaded windows whose lookback was left out since their last load (and why), and
 * windows whose job was adopted or re-posted after a POST whose answer was lost, newest first.
 */
export async function recoveryNotes(
  db: Queryable,
  limit = 20,
): Promise<{ lookbackSkips: WindowNote[]; postNotes: WindowNote[] }> {
  const toNote = (r: Record<string, unknown>): WindowNote => ({
    tenantId: r.tenant_id as string,
    entity: r.entity as string,
    start: (r.window_start as Date).getTime(),
    end: (r.window_end as Date).getTime(),
    at: (r.at as Date).getTime(),
    note: r.note as string,
  });
  const skips = await db.query(
    `SELECT tenant_id, entity, window_start, window_end, lookback_skipped_at AS at, lookback_skip_reason AS note
       FROM cxone_etl.windows
      WHERE state = 'loaded' AND lookback_skipped_at IS NOT NULL AND lookback_skipped_at >= loaded_at
      ORDER BY lookback_skipped_at DESC, window_start LIMIT $1`,
    [limit],
  );
  const posts = await db.query(
    `SELECT tenant_id, entity, window_start, window_end, updated_at AS at, post_note AS note
       FROM cxone_etl.windows WHERE post_note IS NOT NULL ORDER BY updated_at DESC LIMIT $1`,
    [limit],
  );
  return { lookbackSkips: skips.rows.map(toNote), postNotes: posts.rows.map(toNote) };
}

/** Tenants the ledger or the checkpoints know, for commands that must not ask the API who we are. */
export async function knownTenants(db: Queryable): Promise<string[]> {
  const { rows } = await db.query(
    'SELECT tenant_id FROM cxone_etl.checkpoints UNION SELECT tenant_id FROM cxone_etl.windows ORDER BY 1',
  );
  return rows.map((r: { tenant_id: string }) => r.tenant_id);
}

/** Whether the control tables exist yet (a dry run must not migrate, and reads nothing without them). */
export async function ledgerExists(db: Queryable): Promise<boolean> {
  const { rows } = await db.query("SELECT to_regclass('cxone_etl.windows') IS NOT NULL AS ok");
  return rows[0]?.ok === true;
}

/**
 * What the window engine (engine.ts, post-job.ts) writes and reads of a window while its job moves. A run
 * keeps it in cxone_etl.windows and jobs_seen (`windowLedger`); `check --entities` drives the same engine
 * with a ledger of its own, so probe jobs never enter the window ledger (src/check/probe-entities.ts).
 */
export interface WindowLedger {
  recentJobDurations(
    tenantId: string,
    entity: string,
    since: number,
  ): Promise<{ jobMs: number; windowMs: number }[]>;
  /** A POST for this window went out and no answer came back (post-job.ts looks for its job first). */
  postUncertain(key: WindowKey): Promise<boolean>;
  postedAt(key: WindowKey): Promise<number | undefined>;
  startPass(key: WindowKey, now: number): Promise<void>;
  beginRequest(key: WindowKey, now: number): Promise<number>;
  setJobId(
    key: WindowKey,
    jobId: string,
    now: number,
    origin: { source: 'posted' | 'adopted'; note?: string },
  ): Promise<void>;
  clearPostUncertain(key: WindowKey): Promise<void>;
  recordPostNote(key: WindowKey, note: string, now: number): Promise<void>;
  recordPoll(key: WindowKey, status: string, now: number): Promise<void>;
  recordListed(key: WindowKey, status: string, now: number): Promise<void>;
  markReady(key: WindowKey, now: number, jobMs?: number): Promise<void>;
  markJobEnded(key: WindowKey, status: string, error: string, now: number): Promise<void>;
  markFailed(key: WindowKey, error: string, now: number): Promise<void>;
  markDeferred(key: WindowKey, now: number): Promise<void>;
  knownJobIds(tenantId: string, ids: readonly string[]): Promise<Set<string>>;
  rememberJobs(tenantId: string, ids: readonly string[], source: JobSource, now: number): Promise<void>;
}

/** The window ledger of runs: cxone_etl.windows and cxone_etl.jobs_seen. */
export function windowLedger(db: Queryable): WindowLedger {
  return {
    recentJobDurations: (tenantId, entity, since) => recentJobDurations(db, tenantId, entity, since),
    postUncertain: async (key) => (await getWindow(db, key))?.postUncertain === true,
    postedAt: (key) => postedAt(db, key),
    startPass: (key, now) => startPass(db, key, now),
    beginRequest: (key, now) => beginRequest(db, key, now),
    setJobId: (key, jobId, now, origin) => setJobId(db, key, jobId, now, origin),
    clearPostUncertain: (key) => clearPostUncertain(db, key),
    recordPostNote: (key, note, now) => recordPostNote(db, key, note, now),
    recordPoll: (key, status, now) => recordPoll(db, key, status, now),
    recordListed: (key, status, now) => recordListed(db, key, status, now),
    markReady: (key, now, jobMs) => markReady(db, key, now, jobMs),
    markJobEnded: (key, status, error, now) => markJobEnded(db, key, status, error, now),
    markFailed: (key, error, now) => markFailed(db, key, error, now),
    markDeferred: (key, now) => markDeferred(db, key, now),
    knownJobIds: (tenantId, ids) => knownJobIds(db, tenantId, ids),
    rememberJobs: (tenantId, ids, source, now) => rememberJobs(db, tenantId, ids, source, now),
  };
}
