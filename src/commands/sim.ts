/** `cxone-etl sim`: the CXone simulator as a standalone server, for trying the worker without credentials. */
import { untilAborted } from '../lib/clock.js';
import type { Writable } from 'node:stream';
import type { Logger } from '../logger.js';
import { DEFAULT_TENANT, startSimulator, type SimulatorOptions } from '../simulator/index.js';

export interface SimCommandOptions {
  port: number;
  host?: string;
  publicUrl?: string;
  timeScale: number;
  violationResponse?: 403 | 429 | 400;
  syncEndpoint?: boolean;
  allowConcurrentJobs?: boolean;
}

export async function simCommand(
  deps: { log: Logger; out: Writable; signal: AbortSignal },
  opts: SimCommandOptions,
): Promise<number> {
  const overrides: Partial<SimulatorOptions> = {
    port: opts.port,
    ...(opts.host ? { host: opts.host } : {}),
    ...(opts.publicUrl ? { publicUrl: opts.publicUrl } : {}),
    timeScale: opts.timeScale,
    ...(opts.violationResponse ? { violationResponse: opts.violationResponse } : {}),
    ...(opts.syncEndpoint ? { syncEndpoint: true } : {}),
    ...(opts.allowConcurrentJobs ? { allowConcurrentJobs: true } : {}),
  };
  const sim = await startSimulator(overrides);
  const interval = Math.round(sim.options.minCallIntervalMs * sim.options.timeScale);
  deps.out.write(
    [
      `CXone simulator listening on ${sim.url} (time scale ${sim.options.timeScale}: one call per ${interval} ms per tenant)`,
      '',
      'Point the worker at it:',
      `  CXONE_ISSUER_URL=${sim.url}`,
      `  CXONE_API_BASE_URL=${sim.url}`,
      `  CXONE_ACCESS_KEY_ID=${DEFAULT_TENANT.accessKeyId}`,
      `  CXONE_ACCESS_KEY_SECRET=${DEFAULT_TENANT.accessKeySecret}`,
      `  CXONE_MIN_CALL_INTERVAL_MS=${interval}`,
      '',
      `Statistics: curl ${sim.url}/__sim/stats     Stop: Ctrl-C`,
      '',
    ].join('\n'),
  );
  await untilAborted(deps.signal);
  await sim.stop();
  deps.log.info({ stats: sim.stats().calls }, 'simulator stopped');
  return 0;
}
