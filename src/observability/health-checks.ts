import type pg from 'pg';
import { ping } from '../db/pool.js';
import { errorCode, toError } from '../lib/errors.js';

/**
 * The checks behind /healthz and /readyz. Liveness asks "should this process be restarted?" and so
 * looks only inside the process; readiness asks "can it do its work now?" and so looks at Postgres.
 * A database outage must never fail liveness, or the orchestrator would restart a healthy worker in a
 * loop while the database is down (Kubernetes docs, "Configure Liveness, Readiness and Startup Probes").
 */

export interface CheckResult {
  ok: boolean;
  detail: Record<string, unknown>;
}

/**
 * 3 min: the scheduler beats at least once a minute, so this tolerates two missed beats (a long GC
 * pause, a busy event loop during a large COPY) before declaring the process stuck.
 */
export const DEFAULT_MAX_SILENCE_MS = 3 * 60_000;

/**
 * The scheduler's side of liveness. It calls `tick()` from its own timer, independent of runs, so a
 * run lasting hours does not look like a hang while a blocked event loop or a dead scheduler does.
 */
export interface Heartbeat {
  tick(): void;
  lastTickAt(): number | undefined;
}

export function createHeartbeat(now: () => number): Heartbeat {
  let last: number | undefined;
  return {
    tick: () => {
      last = now();
    },
    lastTickAt: () => last,
  };
}

export interface LivenessOptions {
  lastTickAt: () => number | undefined;
  /** Before the first beat the silence is measured from here, so a starting process gets a grace period. */
  startedAt: number;
  maxSilenceMs?: number;
  now: () => number;
}

/** Alive while the scheduler has beaten within `maxSilenceMs`. */
export function schedulerLiveness(opts: LivenessOptions): () => CheckResult {
  const maxSilenceMs = opts.maxSilenceMs ?? DEFAULT_MAX_SILENCE_MS;
  return () => {
    const last = opts.lastTickAt();
    const silentForMs = Math.max(0, opts.now() - (last ?? opts.startedAt));
    const ok = silentForMs <= maxSilenceMs;
    return {
      ok,
      detail: {
        scheduler: ok ? 'ticking' : 'silent',
        lastTickAt: last === undefined ? null : new Date(last).toISOString(),
        silentForMs,
        maxSilenceMs,
      },
    };
  };
}

/** Ready when Postgres answers and the schema is exactly at this build's latest migration. */
export function databaseReadiness(
  pool: pg.Pool,
  isMigrated: (pool: pg.Pool) => Promise<boolean>,
): () => Promise<CheckResult> {
  return async () => {
    try {
      await ping(pool);
    } catch (thrown) {
      return { ok: false, detail: { database: 'unreachable', error: describe(thrown) } };
    }
    try {
      const migrated = await isMigrated(pool);
      // Pending (run `cxone-etl migrate`) or unknown (a newer build migrated this database): either way
      // this build's SQL does not match the tables.
      return migrated
        ? { ok: true, detail: { database: 'up', migrations: 'current' } }
        : { ok: false, detail: { database: 'up', migrations: 'not current: run cxone-etl migrate' } };
    } catch (thrown) {
      return { ok: false, detail: { database: 'up', migrations: 'unknown', error: describe(thrown) } };
    }
  };
}

/** The message plus pg's SQLSTATE or Node's errno code; pg errors never include the password. */
function describe(thrown: unknown): string {
  const error = toError(thrown);
  const code = errorCode(error);
  // Node 20 reports a refused "localhost" (tried on ::1 and 127.0.0.1) as an AggregateError with no message.
  const message = error.message || error.name;
  return code === undefined ? message : `${code}: ${message}`;
}
