/**
 * What a finished run tells the webhook: one message for a run that failed windows, was
 * deferred or left gaps (none for a clean run), and one per entity that turned stale or recovered
 * since the last check (kept in cxone_etl.entity_freshness, so one-shot runs and restarts say each
 * change once). Never throws and never takes longer than NOTIFY_TIMEOUT allows the sending.
 */
import type pg from 'pg';
import type { Config } from '../config.js';
import { windowLabel } from '../extract/api-dates.js';
import type { RunSummary } from '../extract/types.js';
import type { Clock } from '../lib/clock.js';
import { toError } from '../lib/errors.js';
import type { Logger } from '../logger.js';
import { gapReport, type EntityReport } from './gap-report.js';
import { lastFreshness, recordFreshness } from './freshness.repository.js';
import { createNotifier, type Notice, type NoticeKind } from './notify.js';

/** Lines of detail per message: enough to act on, short enough for a chat window. */
const MAX_LINES = 8;

export async function notifyRunEnd(
  deps: { pool: pg.Pool; config: Config; clock: Clock; log: Logger },
  summary: RunSummary,
): Promise<void> {
  const url = deps.config.notify.webhookUrl;
  if (url === undefined || summary.aborted) return;
  try {
    const now = deps.clock.now();
    const report = await gapReport(deps.pool, deps.config, now, { tenants: [summary.tenantId] });
    const notices = [
      ...runNotice(summary, report, now),
      ...(await freshnessNotices(deps.pool, summary.tenantId, report, now)),
    ];
    const notifier = createNotifier(
      { webhookUrl: url, format: deps.config.notify.format, timeoutMs: deps.config.notify.timeoutMs },
      deps,
    );
    await notifier.send(notices);
  } catch (err) {
    deps.log.warn({ err: toError(err) }, 'run-end notices failed (the run itself is unaffected)');
  }
}

/** The run's own message: failed windows first, then deferral, then gaps; none for a clean run. */
export function runNotice(summary: RunSummary, report: readonly EntityReport[], now: number): Notice[] {
  const failed = summary.windows.flatMap((w) =>
    w.outcome.status === 'failed' ? [`${w.entity} ${w.window}: ${w.outcome.error.message}`] : [],
  );
  const gaps = report.flatMap((r) => [
    ...r.gaps.missing.map((g) => `${r.entity} ${windowLabel(g, r.zone)}: no loaded window covers it`),
    ...r.gaps.failed.map((g) => `${r.entity} ${windowLabel(g, r.zone)}: failed (${g.error ?? 'no message'})`),
    ...r.gaps.stuck.map((g) => `${r.entity} ${windowLabel(g, r.zone)}: job ${g.jobId ?? '?'} stuck`),
  ]);
  const details = { failedWindows: summary.failed, deferredWindows: summary.deferred, gaps: gaps.length };
  const notice = (kind: NoticeKind, title: string, lines: string[]): Notice[] => [
    {
      tenant: summary.tenantId,
      at: now,
      kind,
      title: `${summary.tenantId}: ${title}`,
      lines:
        lines.length > MAX_LINES
          ? [...lines.slice(0, MAX_LINES), `... and ${lines.length - MAX_LINES} more`]
          : lines,
      details,
    },
  ];
  if (summary.failed > 0) {
    return notice(
      'run-failed',
      `${summary.failed} of ${summary.windows.length} windows failed; the next run retries them`,
      failed,
    );
  }
  if (summary.deferred > 0) {
    return notice(
      'run-deferred',
      `${summary.deferred} windows deferred to the next run (${summary.deferReason ?? 'run limits'})`,
      gaps,
    );
  }
  if (gaps.length > 0) return notice('run-gaps', `the run left ${gaps.length} gaps`, gaps);
  return [];
}

async function freshnessNotices(
  pool: pg.Pool,
  tenantId: string,
  report: readonly EntityReport[],
  now: number,
): Promise<Notice[]> {
  const before = await lastFreshness(pool, tenantId);
  const notices: Notice[] = [];
  for (const r of report) {
    const was = before.get(r.entity);
    const { stale, lagMs, maxLagMs } = r.freshness;
    await recordFreshness(pool, tenantId, r.entity, stale, now);
    const hours = (ms: number): string => `${(ms / 3_600_000).toFixed(1)} h`;
    const details = {
      lagSeconds: lagMs === null ? null : Math.round(lagMs / 1000),
      maxLagSeconds: maxLagMs / 1000,
    };
    if (stale && was !== true) {
      notices.push({
        kind: 'entity-stale',
        tenant: tenantId,
        entity: r.entity,
        at: now,
        title: `${tenantId} ${r.entity} is stale: ${lagMs === null ? 'never loaded' : `data ${hours(lagMs)} old`}, limit ${hours(maxLagMs)}`,
        lines: ['FRESHNESS_MAX_LAG sets the limit; `cxone-etl gaps` shows what is missing'],
        details,
      });
    } else if (!stale && was === true) {
      notices.push({
        kind: 'entity-recovered',
        tenant: tenantId,
        entity: r.entity,
        at: now,
        title: `${tenantId} ${r.entity} is fresh again: data ${hours(lagMs ?? 0)} old`,
        lines: [],
        details,
      });
    }
  }
  return notices;
}
