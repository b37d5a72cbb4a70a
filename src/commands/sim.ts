/** `cxone-etl sim`: the CXone simulator as a standalone server, for trying the worker without credentials. */
import { untilAborted } from '../lib/clock.js';
import {
  STRICT_SIMULATOR_OPTIONS,
  startSimulator,
  type SimulatorOptions,
  type SimulatorTenant,
} from '../simulator/index.js';
import type { SimCommandDeps, SimCommandOptions } from './types.js';

export async function simCommand(deps: SimCommandDeps, opts: SimCommandOptions): Promise<number> {
  const overrides: Partial<SimulatorOptions> = {
    ...(opts.strict ? STRICT_SIMULATOR_OPTIONS : {}),
    ...(opts.rateLimitScope ? { rateLimitScope: opts.rateLimitScope } : {}),
    port: opts.port,
    ...(opts.host ? { host: opts.host } : {}),
    ...(opts.publicUrl ? { publicUrl: opts.publicUrl } : {}),
    timeScale: opts.timeScale,
    ...(opts.violationResponse ? { violationResponse: opts.violationResponse } : {}),
    ...(opts.syncEndpoint ? { syncEndpoint: true } : {}),
    ...(opts.allowConcurrentJobs ? { allowConcurrentJobs: true } : {}),
    ...(opts.maxRunningJobs !== undefined ? { maxRunningJobs: opts.maxRunningJobs } : {}),
  };
  const sim = await startSimulator(overrides);
  deps.out.write(banner(sim.url, sim.options));
  await untilAborted(deps.signal);
  await sim.stop();
  deps.log.info({ stats: sim.stats().calls }, 'simulator stopped');
  return 0;
}

/** What the simulator accepts, spelled out: these are its demo credentials, not secrets of anyone's. */
function banner(url: string, options: SimulatorOptions): string {
  const interval = Math.round(options.minCallIntervalMs * options.timeScale);
  const limited = options.rateLimitScope === 'all' ? 'every jobs call' : 'job creation (POST /jobs)';
  return [
    `CXone simulator listening on ${url} (time scale ${options.timeScale}: one call per ${interval} ms per tenant, counting ${limited})`,
    '',
    ...options.tenants.flatMap((t) => tenantLines(url, t, options, interval)),
    'Then check the setup before a run: cxone-etl check --entities',
    `Statistics: curl ${url}/__sim/stats     Stop: Ctrl-C`,
    '',
  ].join('\n');
}

function tenantLines(url: string, t: SimulatorTenant, options: SimulatorOptions, interval: number): string[] {
  const common = [`  CXONE_ISSUER_URL=${url}`, `  CXONE_MIN_CALL_INTERVAL_MS=${interval}`];
  const lines = [
    `Tenant ${t.id}: point the worker at it with an access key`,
    ...common,
    `  CXONE_ACCESS_KEY_ID=${t.accessKeyId}`,
    `  CXONE_ACCESS_KEY_SECRET=${t.accessKeySecret}`,
    '',
  ];
  if (t.clientId === undefined) return lines;
  const client = [`  CXONE_CLIENT_ID=${t.clientId}`, `  CXONE_CLIENT_SECRET=${t.clientSecret ?? ''}`];
  const methods = options.clientAuthMethods.map((m) => (m === 'basic' ? 'HTTP Basic' : 'form fields'));
  lines.push(
    `or the OpenID password grant (client id and secret by ${methods.join(' or ')})`,
    ...client,
    `  CXONE_USERNAME=${t.username ?? ''}`,
    `  CXONE_PASSWORD=${t.password ?? ''}`,
  );
  if (options.passwordGrantAccessKeys) {
    lines.push(
      '  (or the access-key pair as username and password:',
      `   CXONE_USERNAME=${t.accessKeyId} CXONE_PASSWORD=${t.accessKeySecret})`,
    );
  }
  lines.push('');
  return lines;
}
