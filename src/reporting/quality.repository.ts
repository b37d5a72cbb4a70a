/**
 * Data-quality signals per loaded window: gathers the facts quality-rules.ts judges
 * from cxone_etl.window_profiles, records this window's profile and replaces its flags in
 * cxone_etl.quality_flags (migrations/0004_reporting.sql). Three queries whatever the window's size:
 * it reads no staging rows.
 */
import type { WindowRef } from './cast-problems.repository.js';
import { zoneOf } from './cast-sql.js';
import { judgeWindow, QUALITY_THRESHOLDS, type QualityFlagKind } from './quality-rules.js';
import type { Queryable } from '../db/pool.js';

export interface QualityInput extends Omit<WindowRef, 'stagingSchema'> {
  /** Rows the load put in the window (CopyWindowResult.rows). */
  rows: number;
  /** Staging columns of the file (CopyWindowResult.columns); null or [] with no header (zero-byte file). */
  columns: readonly string[] | null;
  /** Columns COLUMN_POLICY drops: not "missing" when an earlier load (before the rule) had them. */
  policyDropped?: readonly string[];
}

export interface QualityFlag {
  tenantId: string;
  entity: string;
  windowStart: number;
  windowEnd: number;
  kind: QualityFlagKind;
  rows: number;
  /** Baseline average rows (volume flags), else null. */
  baseline: number | null;
  missingColumns: string[] | null;
  detail: string;
  flaggedAt: number;
}

/**
 * Judges the window against the same window in earlier weeks, the nearest earlier window and the
 * previous load's columns, then records it: windows inside [start, end) are replaced (their profiles
 * and flags go), as the load replaced their rows. Returns the flags raised for this window.
 */
export async function assessWindowQuality(client: Queryable, input: QualityInput): Promise<QualityFlag[]> {
  const start = new Date(input.windowStart);
  const end = new Date(input.windowEnd);
  const columns = input.columns === null || input.columns.length === 0 ? null : [...input.columns];
  const gathered = await gatherFacts(client, input, start, end);
  const dropped = new Set(input.policyDropped ?? []);
  const facts = {
    ...gathered,
    previousColumns: gathered.previousColumns?.filter((c) => !dropped.has(c)) ?? null,
  };
  const verdicts = judgeWindow({ rows: input.rows, columns, ...facts });
  const key = [input.tenantId, input.entity, start, end];
  await client.query(
    `WITH gone AS (
       DELETE FROM cxone_etl.window_profiles
        WHERE tenant_id = $1 AND entity = $2 AND window_start >= $3 AND window_end <= $4)
     DELETE FROM cxone_etl.quality_flags
      WHERE tenant_id = $1 AND entity = $2 AND window_start >= $3 AND window_end <= $4`,
    key,
  );
  await client.query(
    `INSERT INTO cxone_etl.window_profiles (tenant_id, entity, window_start, window_end, rows_loaded, columns, assessed_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [...key, input.rows, columns, new Date(input.now)],
  );
  const flags = verdicts.map((v): QualityFlag => ({
    tenantId: input.tenantId,
    entity: input.entity,
    windowStart: start.getTime(),
    windowEnd: end.getTime(),
    kind: v.kind,
    rows: input.rows,
    baseline: v.baseline,
    missingColumns: v.missingColumns,
    detail: v.detail,
    flaggedAt: input.now,
  }));
  // At most one flag per kind: a statement each is simpler than arrays of arrays.
  for (const f of flags) {
    await client.query(
      `INSERT INTO cxone_etl.quality_flags
         (tenant_id, entity, window_start, window_end, kind, rows_loaded, baseline, missing_columns, detail, flagged_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [...key, f.kind, f.rows, f.baseline, f.missingColumns, f.detail, new Date(f.flaggedAt)],
    );
  }
  return flags;
}

interface Facts {
  baseline: number[];
  previousRows: number | null;
  previousColumns: string[] | null;
}

/**
 * One round trip. "The same window k weeks earlier" shifts the local start and end by k weeks in the
 * entity's zone, so a payroll day stays a local day across a DST change; only windows with exactly
 * those bounds count (a merged backfill window has no weekly twin and is not volume-judged).
 */
async function gatherFacts(client: Queryable, input: QualityInput, start: Date, end: Date): Promise<Facts> {
  const t = QUALITY_THRESHOLDS;
  const { rows } = await client.query<{
    baseline: string[];
    previous_rows: string | null;
    previous_columns: string[] | null;
  }>(
    `SELECT
       ARRAY(SELECT p.rows_loaded::text
               FROM generate_series(1, $6::int) AS k
               JOIN cxone_etl.window_profiles p
                 ON p.tenant_id = $1 AND p.entity = $2
                AND p.window_start = timezone($5, timezone($5, $3::timestamptz) - make_interval(weeks => k))
                AND p.window_end = timezone($5, timezone($5, $4::timestamptz) - make_interval(weeks => k))
              ORDER BY k
              LIMIT $7) AS baseline,
       (SELECT p.rows_loaded::text FROM cxone_etl.window_profiles p
         WHERE p.tenant_id = $1 AND p.entity = $2 AND p.window_end <= $3
         ORDER BY p.window_start DESC LIMIT 1) AS previous_rows,
       (SELECT p.columns FROM cxone_etl.window_profiles p
         WHERE p.tenant_id = $1 AND p.entity = $2 AND p.window_start <= $3 AND p.columns IS NOT NULL
         ORDER BY p.seq DESC LIMIT 1) AS previous_columns`,
    [
      input.tenantId,
      input.entity,
      start,
      end,
      zoneOf(input.entity, input.timeZone),
      t.baselineWeeksBack,
      t.baselineWindows,
    ],
  );
  const row = rows[0];
  return {
    baseline: (row?.baseline ?? []).map(Number),
    previousRows: row?.previous_rows == null ? null : Number(row.previous_rows),
    previousColumns: row?.previous_columns ?? null,
  };
}

/** Flags of windows ending after `since` (all when omitted), newest window first, for `status` and metrics. */
export async function qualityFlags(
  pool: Queryable,
  opts: { since?: number; tenantId?: string } = {},
): Promise<QualityFlag[]> {
  const { rows } = await pool.query<{
    tenant_id: string;
    entity: string;
    window_start: Date;
    window_end: Date;
    kind: QualityFlagKind;
    rows_loaded: string;
    baseline: string | null;
    missing_columns: string[] | null;
    detail: string;
    flagged_at: Date;
  }>(
    `SELECT * FROM cxone_etl.quality_flags
      WHERE ($1::timestamptz IS NULL OR window_end > $1) AND ($2::text IS NULL OR tenant_id = $2)
      ORDER BY window_start DESC, tenant_id, entity, kind`,
    [opts.since === undefined ? null : new Date(opts.since), opts.tenantId ?? null],
  );
  return rows.map((r) => ({
    tenantId: r.tenant_id,
    entity: r.entity,
    windowStart: r.window_start.getTime(),
    windowEnd: r.window_end.getTime(),
    kind: r.kind,
    rows: Number(r.rows_loaded),
    baseline: r.baseline === null ? null : Number(r.baseline),
    missingColumns: r.missing_columns,
    detail: r.detail,
    flaggedAt: r.flagged_at.getTime(),
  }));
}
