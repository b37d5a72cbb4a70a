/**
 * `cxone-etl gaps [--since D]`: per tenant and entity, the days no loaded window covers, windows failed,
 * stuck or deferred, windows whose lookback pass changed the row count, and lookbacks the lookback rule
 * left out (with why; not gaps), and entities whose data is older than FRESHNESS_MAX_LAG allows.
 * Exit 1 when there are gaps (missing, failed, stuck or stale), so monitoring can run it as a check.
 */
import type { Writable } from 'node:stream';
import type { Config } from '../config.js';
import type { Database } from '../db/open-database.js';
import { windowLabel } from '../extract/api-dates.js';
import type { Clock } from '../lib/clock.js';
import { hasGaps } from '../extract/gaps.js';
import { gapReport } from '../observability/gap-report.js';
import { formatTable } from './format-table.js';

export async function gapsCommand(
  deps: { config: Config; db: Database; clock: Clock; out: Writable },
  opts: { since?: string | undefined; json: boolean },
): Promise<number> {
  const { config } = deps;
  const report = await gapReport(deps.db.pool, config, deps.clock.now(), { since: opts.since });
  // A stale entity is a gap at the end: data newer than its limit allows is missing.
  const anyGaps = report.some((r) => hasGaps(r.gaps) || r.freshness.stale);
  if (opts.json) {
    const iso = (t: number): string => new Date(t).toISOString();
    const json = report.map((r) => ({
      tenant: r.tenant,
      entity: r.entity,
      stale: r.freshness.stale,
      lagSeconds: r.freshness.lagMs === null ? null : Math.round(r.freshness.lagMs / 1000),
      maxLagSeconds: Math.round(r.freshness.maxLagMs / 1000),
      missing: r.gaps.missing.map((g) => ({ start: iso(g.start), end: iso(g.end) })),
      failed: r.gaps.failed.map((g) => ({ start: iso(g.start), end: iso(g.end), error: g.error })),
      stuck: r.gaps.stuck.map((g) => ({
        start: iso(g.start),
        end: iso(g.end),
        jobId: g.jobId,
        since: iso(g.since),
      })),
      deferred: r.gaps.deferred.map((g) => ({ start: iso(g.start), end: iso(g.end) })),
      lateData: r.gaps.lateData.map((g) => ({
        start: iso(g.start),
        end: iso(g.end),
        before: g.before,
        after: g.after,
      })),
      lookbackSkipped: r.gaps.lookbackSkipped.map((g) => ({
        start: iso(g.start),
        end: iso(g.end),
        at: iso(g.at),
        reason: g.reason,
      })),
    }));
    deps.out.write(`${JSON.stringify({ gaps: anyGaps, entities: json }, null, 2)}\n`);
    return anyGaps ? 1 : 0;
  }
  const rows: string[][] = [];
  for (const r of report) {
    const label = (w: { start: number; end: number }): string => windowLabel(w, r.zone);
    for (const g of r.gaps.missing)
      rows.push([r.tenant, r.entity, 'missing', label(g), 'no loaded window covers it']);
    for (const g of r.gaps.failed) rows.push([r.tenant, r.entity, 'failed', label(g), g.error ?? '']);
    for (const g of r.gaps.stuck)
      rows.push([
        r.tenant,
        r.entity,
        'stuck',
        label(g),
        `job ${g.jobId ?? '?'} since ${new Date(g.since).toISOString()}`,
      ]);
    for (const g of r.gaps.deferred)
      rows.push([r.tenant, r.entity, 'deferred', label(g), 'the next run takes it first']);
    for (const g of r.gaps.lateData)
      rows.push([r.tenant, r.entity, 'late data', label(g), `rows ${g.before} -> ${g.after}`]);
    if (r.freshness.stale) {
      const hours = (ms: number): string => `${(ms / 3_600_000).toFixed(1)} h`;
      rows.push([
        r.tenant,
        r.entity,
        'stale',
        '-',
        r.freshness.lagMs === null
          ? 'never loaded'
          : `data ${hours(r.freshness.lagMs)} old, over its limit of ${hours(r.freshness.maxLagMs)} (FRESHNESS_MAX_LAG)`,
      ]);
    }
    for (const g of r.gaps.lookbackSkipped)
      rows.push([r.tenant, r.entity, 'lookback skipped', label(g), g.reason]);
  }
  deps.out.write(
    rows.length === 0
      ? 'No gaps: every window is loaded.\n'
      : formatTable(['tenant', 'entity', 'kind', 'window', 'detail'], rows),
  );
  return anyGaps ? 1 : 0;
}
