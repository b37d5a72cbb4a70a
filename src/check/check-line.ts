/**
 * One line of `cxone-etl check`: what was checked, how it went and, when it did not, what to do. The
 * same lines go to stdout (text or --json) and, from the daemon, to the log; none ever holds a secret.
 */
import type pg from 'pg';
import type { Config } from '../config.js';
import type { Clock } from '../lib/clock.js';

export interface TenantCheckDeps {
  pool: pg.Pool;
  /** The tenant's effective config (configForTenant). */
  config: Config;
  clock: Clock;
  signal: AbortSignal;
  /** The tenant's label in the lines. */
  tenant: string;
  onLine: OnCheckLine;
}

export type CheckStatus = 'ok' | 'info' | 'warn' | 'fail';

export type CheckName =
  | 'config'
  | 'postgres'
  | 'privileges'
  | 'migrations'
  | 'current-keys'
  | 'token'
  | 'api'
  | 'jobs'
  | 'probe'
  | 'jobs-limit';

export interface CheckLine {
  check: CheckName;
  status: CheckStatus;
  /** The tenant's label (TENANTS_FILE name, or "default"); absent for config and database lines. */
  tenant?: string;
  entity?: string;
  message: string;
  /** What to do about a warning or failure. */
  remedy?: string;
  /** A failure that stops every check after it. */
  hard?: boolean;
  /** Machine-readable facts (versions, lifetimes, ids), for --json. */
  details?: Record<string, unknown>;
}

export type OnCheckLine = (line: CheckLine) => void;

/** A failure that stops every check after it. */
export function hardFailure(check: CheckName, message: string, remedy: string): CheckLine {
  return { check, status: 'fail', hard: true, message, remedy };
}

const LABEL: Record<CheckStatus, string> = { ok: 'ok', info: '..', warn: 'WARN', fail: 'FAIL' };

/** `FAIL  tenant default  token: CXone refused ... | fix: ...`, one line. */
export function formatCheckLine(line: CheckLine): string {
  const scope = line.tenant === undefined ? '' : `tenant ${line.tenant}  `;
  const what = line.entity === undefined ? line.check : `${line.check} ${line.entity}`;
  const fix = line.remedy === undefined ? '' : ` | fix: ${line.remedy}`;
  return `${LABEL[line.status].padEnd(4)}  ${scope}${what}: ${line.message}${fix}`;
}

/** 0 all good (warnings allowed), 1 a check failed, 2 the configuration (or usage) is wrong. */
export function checkExitCode(lines: readonly CheckLine[]): 0 | 1 | 2 {
  if (lines.some((l) => l.check === 'config' && l.status === 'fail')) return 2;
  return lines.some((l) => l.status === 'fail') ? 1 : 0;
}
