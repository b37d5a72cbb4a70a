/** The run's CXone API client: the tenant's persisted rate gate around every jobs call. */
import type pg from 'pg';
import { requireCredentials, type Config } from '../config.js';
import { createCxoneClient, type CxoneClient } from '../cxone/client.js';
import { busyRetryAfterMs } from '../cxone/http-errors.js';
import type { OnCall } from '../cxone/types.js';
import { createRateGate } from '../db/rate-gate.js';
import type { Clock } from '../lib/clock.js';

export function buildClient(
  pool: pg.Pool,
  config: Config,
  clock: Clock,
  onCall?: OnCall,
  opts: { retry?: Parameters<typeof createCxoneClient>[0]['retry'] } = {},
): CxoneClient {
  return createCxoneClient({
    config: config.cxone,
    credentials: requireCredentials(config),
    clock,
    gate: (tenantId) =>
      createRateGate({
        pool,
        tenantId,
        minIntervalMs: config.cxone.minCallIntervalMs,
        clock,
        scope: config.cxone.gateScope,
        busyRetryAfterMs,
      }),
    ...(onCall ? { onCall } : {}),
    ...(opts.retry ? { retry: opts.retry } : {}),
  });
}
