/**
 * RETENTION (docs/OPERATIONS.md, "Personal data"): each run removes the loads of windows that ended
 * before now minus the entity's retention. First, in one short transaction per entity, the loads and
 * the facts kept of their windows (./retention.repository.ts) go, so views and `status` stop showing
 * them at once; then their staging rows go in batches of their own transactions, each waiting at most
 * RETENTION_LOCK_TIMEOUT for a lock (a load adding a column holds one): a batch never makes a load
 * wait longer than one batch, and what a busy table leaves is removed by the next run. The plan never
 * extracts those windows again (src/extract/plan-windows.ts, `retainFrom`).
 */
import type pg from 'pg';
import type { Config } from '../config.js';
import { withTransaction } from '../db/pool.js';
import { pgErrorCode } from '../db/sqlstate.js';
import type { EntityName } from '../entities/catalog.js';
import type { Clock } from '../lib/clock.js';
import { crashPoint } from '../lib/crash-points.js';
import { toError } from '../lib/errors.js';
import type { Logger } from '../logger.js';
import {
  deleteExpiredRows,
  expireLoads,
  forgetExpiredLoad,
  pendingExpiredLoads,
  recordRetention,
} from './retention.repository.js';
import type { RunObserver } from './run-observer.js';

/** Staging rows per delete: about a tenth of a second of work, so a load behind it barely waits. */
export const RETENTION_BATCH_ROWS = 10_000;

/** How long a batch waits for a lock before leaving the rest to the next run. */
const RETENTION_LOCK_TIMEOUT = '1s';

/** lock_not_available: the batch's lock_timeout passed. */
const LOCK_NOT_AVAILABLE = '55P03';

export interface RetentionDeps {
  pool: pg.Pool;
  clock: Clock;
  stagingSchema: string;
  /** RETENTION per entity; entities not in it are kept. */
  retentionMs: ReadonlyMap<EntityName, number>;
  batchRows?: number;
}

export interface RetentionResult {
  /** Loads expired by this run, per entity. */
  loads: Map<EntityName, number>;
  /** Staging rows deleted by this run, per entity (of this run's loads or an interrupted run's). */
  rows: Map<EntityName, number>;
  /** Set when a busy table left rows for the next run. */
  deferred: string | undefined;
}

/** The end of the newest window retention removes; undefined when the entity is kept forever. */
export function retainFrom(
  retentionMs: ReadonlyMap<EntityName, number>,
  entity: EntityName,
  now: number,
): number | undefined {
  const ms = retentionMs.get(entity);
  return ms === undefined ? undefined : now - ms;
}

export async function removeExpired(
  deps: RetentionDeps,
  tenantId: string,
  entities: readonly EntityName[],
): Promise<RetentionResult> {
  const result: RetentionResult = { loads: new Map(), rows: new Map(), deferred: undefined };
  const now = deps.clock.now();
  for (const entity of entities) {
    const endedBy = retainFrom(deps.retentionMs, entity, now);
    if (endedBy === undefined) continue;
    const key = { stagingSchema: deps.stagingSchema, tenantId, entity, endedBy };
    const expired = await withTransaction(deps.pool, (client) => expireLoads(client, key, now));
    if (expired > 0) result.loads.set(entity, expired);
  }
  const batch = deps.batchRows ?? RETENTION_BATCH_ROWS;
  for (const load of await pendingExpiredLoads(deps.pool, deps.stagingSchema)) {
    for (;;) {
      let deleted: number;
      try {
        deleted = await withTransaction(deps.pool, async (client) => {
          await client.query(`SET LOCAL lock_timeout = '${RETENTION_LOCK_TIMEOUT}'`);
          const n = await deleteExpiredRows(client, load, batch);
          if (n < batch) await forgetExpiredLoad(client, load.loadId);
          return n;
        });
      } catch (err) {
        if (pgErrorCode(err) !== LOCK_NOT_AVAILABLE) throw err;
        result.deferred = `${load.entity}: the staging table was locked by a load; the next run carries on`;
        return result;
      }
      crashPoint('retention');
      result.rows.set(load.entity, (result.rows.get(load.entity) ?? 0) + deleted);
      if (deleted < batch) break;
    }
  }
  return result;
}

export function totalOf(counts: ReadonlyMap<EntityName, number>): number {
  let total = 0;
  for (const n of counts.values()) total += n;
  return total;
}

export interface ApplyRetentionDeps {
  config: Pick<Config, 'stagingSchema' | 'privacy'>;
  db: { pool: pg.Pool };
  clock: Clock;
  log: Logger;
  observer?: RunObserver | undefined;
}

/**
 * A run's retention step, after its windows: removes what RETENTION says, records the counts in the
 * run's row and tells the observer (the daemon's metrics). A failure is logged, not thrown: the
 * windows are loaded, and the next run removes what this one could not.
 */
export async function applyRetention(
  deps: ApplyRetentionDeps,
  tenantId: string,
  entities: readonly { name: EntityName }[],
  runId: number,
): Promise<void> {
  const { config } = deps;
  if (config.privacy.retentionMs.size === 0) return;
  try {
    const result = await removeExpired(
      {
        pool: deps.db.pool,
        clock: deps.clock,
        stagingSchema: config.stagingSchema,
        retentionMs: config.privacy.retentionMs,
      },
      tenantId,
      entities.map((e) => e.name),
    );
    const removed = [...new Set([...result.loads.keys(), ...result.rows.keys()])].map((entity) => ({
      entity,
      loads: result.loads.get(entity) ?? 0,
      rows: result.rows.get(entity) ?? 0,
    }));
    const totals = { loads: totalOf(result.loads), rows: totalOf(result.rows) };
    await recordRetention(deps.db.pool, runId, totals);
    deps.observer?.retention?.(tenantId, removed);
    if (totals.loads + totals.rows > 0 || result.deferred) {
      deps.log.info({ ...totals, deferred: result.deferred }, 'retention removed expired windows');
    }
  } catch (err) {
    deps.log.warn(
      { err: toError(err) },
      'retention could not remove expired windows; the next run tries again',
    );
  }
}
