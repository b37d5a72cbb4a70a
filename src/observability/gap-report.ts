/**
 * Per tenant and entity: the gap report (extract/gaps.ts) over the ledger and the entity's freshness,
 * as `cxone-etl gaps` prints it and the run-end notices (run-notices.ts) read it.
 */
import type pg from 'pg';
import type { Config } from '../config.js';
import { getCheckpoint } from '../extract/checkpoints.repository.js';
import { findGaps, type EntityGaps } from '../extract/gaps.js';
import { horizonOf, planSettings } from '../extract/plan-windows.js';
import { withTimeBasis } from '../extract/run-extraction.js';
import { knownTenants, listWindows } from '../extract/windows.repository.js';
import { freshnessOf, freshnessSettings, type Freshness } from './freshness.js';
import { zoneFor } from '../entities/catalog.js';

export interface EntityReport {
  tenant: string;
  entity: string;
  /** Where the entity's windows are labelled: UTC, or WFM_TIMEZONE for wfm-payroll. */
  zone: string;
  gaps: EntityGaps;
  freshness: Freshness;
}

export async function gapReport(
  pool: pg.Pool,
  config: Config,
  now: number,
  opts: { since?: string | undefined; tenants?: readonly string[] } = {},
): Promise<EntityReport[]> {
  const tenants =
    opts.tenants ?? (config.cxone.tenantId ? [config.cxone.tenantId] : await knownTenants(pool));
  const freshness = freshnessSettings(config);
  const report: EntityReport[] = [];
  for (const tenant of tenants) {
    for (const e of config.extract.entities) {
      const entity = withTimeBasis(e);
      const settings = planSettings(entity, { ...config.extract, wfmTimeZone: config.wfmTimeZone });
      const ledger = await listWindows(pool, tenant, entity.name);
      const since = opts.since ?? config.extract.startDate;
      const first = ledger[0]?.start;
      const asked =
        since !== undefined
          ? settings.grid.floor(Date.parse(`${since}T00:00:00Z`))
          : (first ?? horizonOf(now, settings));
      // Days RETENTION removes are not gaps: no run extracts them again.
      const retention = config.privacy.retentionMs.get(entity.name);
      const from = retention === undefined ? asked : Math.max(asked, settings.grid.floor(now - retention));
      const gaps = findGaps(ledger, {
        from,
        horizon: horizonOf(now, settings),
        now,
        stuckAfterMs: config.extract.jobTimeoutMs,
      });
      const zone = zoneFor(entity.timeBasis, config.wfmTimeZone);
      const checkpoint = await getCheckpoint(pool, tenant, entity.name);
      report.push({
        tenant,
        entity: entity.name,
        zone,
        gaps,
        freshness: freshnessOf(entity.name, checkpoint?.loadedUntil ?? null, freshness, now),
      });
    }
  }
  return report;
}
