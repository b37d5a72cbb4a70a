/**
 * Counts a run's jobs calls per entity (the summary's "API calls" and the API-call budget) and the rate
 * gate's wait per window; passes every call, token and download included, to the observer.
 */
import type { OnCall } from '../cxone/types.js';
import type { RunObserver } from './run-observer.js';

export interface CallCounts {
  calls: number;
  gateWaitMs: number;
}

export interface CallCounter {
  onCall: OnCall;
  /** Jobs calls and gate wait per entity; calls before the first window count under '(start)'. */
  readonly byEntity: Map<string, CallCounts>;
  /** The tenant id the observer is told, once the token has named it. */
  setTenant(tenantId: string): void;
  /** A window of this entity starts; `gateWaitMs` is the gate's total wait so far. */
  windowStart(entity: string, gateWaitMs: number): void;
  /** The window ends; returns the gate wait since its start, also added to the entity. */
  windowEnd(entity: string, gateWaitMs: number): number;
  /** Jobs calls made so far in this run. */
  total(): number;
}

export function createCallCounter(tenantId: string, observer?: RunObserver): CallCounter {
  const byEntity = new Map<string, CallCounts>();
  const countsOf = (entity: string): CallCounts => {
    const c = byEntity.get(entity) ?? { calls: 0, gateWaitMs: 0 };
    byEntity.set(entity, c);
    return c;
  };
  let tenant = tenantId;
  let currentEntity = '(start)';
  let gateWaitBefore = 0;
  return {
    byEntity,
    onCall: (info) => {
      observer?.apiCall?.(tenant, info);
      if (info.endpoint === 'token' || info.endpoint === 'discovery' || info.endpoint === 'download') return;
      countsOf(currentEntity).calls++;
    },
    setTenant: (id) => {
      tenant = id;
    },
    windowStart: (entity, gateWaitMs) => {
      currentEntity = entity;
      gateWaitBefore = gateWaitMs;
    },
    windowEnd: (entity, gateWaitMs) => {
      const waited = gateWaitMs - gateWaitBefore;
      countsOf(entity).gateWaitMs += waited;
      return waited;
    },
    total: () => [...byEntity.values()].reduce((n, c) => n + c.calls, 0),
  };
}
