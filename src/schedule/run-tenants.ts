/**
 * One scheduled run over every configured tenant. Tenants run in parallel, each under its own tenant
 * lock and rate gate (they are different API callers); one tenant's failure never stops another. The
 * result per tenant is what the daemon logs and counts.
 */
import type { Config } from '../config.js';
import { executeRun, type ExecuteRunDeps } from '../run/execute-run.js';
import type { RunObserver } from '../run/run-observer.js';
import { runOutcome } from '../run/run-record.js';
import type { RunOutcome } from '../extract/runs.repository.js';
import { toError } from '../lib/errors.js';
import { configForTenant } from '../tenants/tenant-config.js';
import type { TenantConfig } from '../tenants/tenants-file.js';

export interface TenantRunResult {
  tenant: string;
  tenantId: string | undefined;
  outcome: Exclude<RunOutcome, 'running'>;
  durationMs: number;
  windows: number;
  failed: number;
  rows: number;
  error?: string;
}

export async function runAllTenants(
  deps: Omit<ExecuteRunDeps, 'config'> & { config: Config; observer?: RunObserver },
  tenants: readonly TenantConfig[],
  trigger: string,
): Promise<TenantRunResult[]> {
  const results = await Promise.allSettled(
    tenants.map(async (tenant): Promise<TenantRunResult> => {
      const started = deps.clock.now();
      const config = configForTenant(deps.config, tenant);
      const log = deps.log.child({ tenantName: tenant.name });
      try {
        const { summary } = await executeRun({ ...deps, config, log, trigger }, { mode: 'run' });
        return {
          tenant: tenant.name,
          tenantId: summary.tenantId,
          outcome: runOutcome(summary),
          durationMs: deps.clock.now() - started,
          windows: summary.windows.length,
          failed: summary.failed,
          rows: summary.entities.reduce((n, e) => n + e.rows, 0),
        };
      } catch (thrown) {
        const error = toError(thrown);
        log.error({ err: error }, `tenant ${tenant.name}: run failed: ${error.message}`);
        return {
          tenant: tenant.name,
          tenantId: tenant.tenantId,
          outcome: deps.signal.aborted ? 'aborted' : 'failed',
          durationMs: deps.clock.now() - started,
          windows: 0,
          failed: 0,
          rows: 0,
          error: error.message,
        };
      }
    }),
  );
  // executeRun's errors are caught above; allSettled is a second net so one tenant cannot sink the others.
  return results.map((r, i) =>
    r.status === 'fulfilled'
      ? r.value
      : {
          tenant: tenants[i]?.name ?? '?',
          tenantId: undefined,
          outcome: 'failed' as const,
          durationMs: 0,
          windows: 0,
          failed: 0,
          rows: 0,
          error: toError(r.reason).message,
        },
  );
}
