/**
 * SQL for `cxone_etl.rate_gate` (migrations/0002_pipeline.sql), one row per tenant. Times travel as
 * epoch milliseconds from the injected clock and are stored as timestamptz, so the gate's arithmetic
 * is the same in tests (manual clock) and production (system clock).
 */
import type { Queryable } from './pool.js';

export interface GateRow {
  tenantId: string;
  /** Undefined while the row holds its '-infinity' default: no call recorded yet. */
  nextAllowedMs: number | undefined;
  lastCallMs: number | undefined;
  calls: number;
  busyAnswers: number;
}

const COLUMNS = `
  tenant_id,
  CASE WHEN isfinite(next_allowed_at) THEN round(extract(epoch FROM next_allowed_at) * 1000)::float8 END AS next_allowed_ms,
  CASE WHEN isfinite(last_call_at) THEN round(extract(epoch FROM last_call_at) * 1000)::float8 END AS last_call_ms,
  calls::float8 AS calls,
  busy_answers::float8 AS busy_answers`;

interface RawRow {
  tenant_id: string;
  next_allowed_ms: number | null;
  last_call_ms: number | null;
  calls: number;
  busy_answers: number;
}

function toRow(raw: RawRow): GateRow {
  return {
    tenantId: raw.tenant_id,
    nextAllowedMs: raw.next_allowed_ms ?? undefined,
    lastCallMs: raw.last_call_ms ?? undefined,
    calls: raw.calls,
    busyAnswers: raw.busy_answers,
  };
}

/** The tenant's row, created on first use; read under the gate lock. */
export async function gateRow(client: Queryable, tenantId: string): Promise<GateRow> {
  await client.query(
    'INSERT INTO cxone_etl.rate_gate (tenant_id) VALUES ($1) ON CONFLICT (tenant_id) DO NOTHING',
    [tenantId],
  );
  const row = await readGateRow(client, tenantId);
  if (!row) throw new Error(`rate_gate row for tenant ${tenantId} vanished after its insert`);
  return row;
}

/**
 * Written just before a call goes out: the interval from its start. If the process dies during the
 * call, before `recordGateCall`, a restart still waits (found by the crash suite: a SIGKILL mid-call
 * lost the whole record and the restarted worker called again 0.3 s later).
 */
export async function reserveGateCall(
  client: Queryable,
  tenantId: string,
  call: { startedMs: number; nextAllowedMs: number },
): Promise<void> {
  await client.query(
    `UPDATE cxone_etl.rate_gate
        SET last_call_at = to_timestamp($2::float8 / 1000),
            next_allowed_at = GREATEST(next_allowed_at, to_timestamp($3::float8 / 1000))
      WHERE tenant_id = $1`,
    [tenantId, call.startedMs, call.nextAllowedMs],
  );
}

export async function recordGateCall(
  client: Queryable,
  tenantId: string,
  call: { startedMs: number; nextAllowedMs: number; busy: boolean },
): Promise<void> {
  await client.query(
    `UPDATE cxone_etl.rate_gate
        SET last_call_at = to_timestamp($2::float8 / 1000),
            next_allowed_at = to_timestamp($3::float8 / 1000),
            calls = calls + 1,
            busy_answers = busy_answers + CASE WHEN $4::boolean THEN 1 ELSE 0 END
      WHERE tenant_id = $1`,
    [tenantId, call.startedMs, call.nextAllowedMs, call.busy],
  );
}

/** For status output and tests; no lock. */
export async function readGateRow(db: Queryable, tenantId: string): Promise<GateRow | undefined> {
  const result = await db.query<RawRow>(`SELECT ${COLUMNS} FROM cxone_etl.rate_gate WHERE tenant_id = $1`, [
    tenantId,
  ]);
  const raw = result.rows[0];
  return raw ? toRow(raw) : undefined;
}
