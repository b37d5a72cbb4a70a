/** How one window's outcome counts in a run's summary, for the serial and the overlapped loop alike. */
import type { EtlError } from '../lib/errors.js';
import type { EntitySummary, RunSummary, WindowReport } from './run-extraction.js';

/**
 * Adds the report to the summary and the entity's counts. Returns the error that must stop more
 * windows: a permission error holds for every window of this entity, an auth error for every entity.
 */
export function accountWindow(
  summary: RunSummary,
  es: EntitySummary,
  report: WindowReport,
): EtlError | undefined {
  const { outcome } = report;
  summary.windows.push(report);
  es.seconds += outcome.durationMs / 1000;
  if (outcome.status === 'loaded') {
    es.loaded++;
    es.rows += outcome.rows;
    es.bytes += outcome.bytes;
    return undefined;
  }
  es.failed++;
  summary.failed++;
  if (!es.errors.includes(outcome.error.message)) es.errors.push(outcome.error.message);
  return outcome.error.code === 'PERMISSION' || outcome.error.code === 'AUTH' ? outcome.error : undefined;
}
