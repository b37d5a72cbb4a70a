/** The end-of-run summary table: entity, windows, rows, MB, seconds, API calls, rate-gate waits. */
import type { RunSummary } from '../extract/types.js';
import type { CallCounts } from '../run/call-counter.js';
import { formatTable } from './format-table.js';

type Totals = Pick<RunSummary['entities'][number], 'windows' | 'loaded' | 'rows' | 'bytes' | 'seconds'>;

export function formatSummary(summary: RunSummary, callsByEntity: Map<string, CallCounts>): string {
  const cells = (name: string, e: Totals, c: CallCounts): string[] => [
    name,
    `${e.loaded}/${e.windows}`,
    e.rows.toLocaleString('en-US'),
    (e.bytes / 1e6).toFixed(2),
    e.seconds.toFixed(1),
    String(c.calls),
    (c.gateWaitMs / 1000).toFixed(1),
  ];
  const rows = summary.entities.map((e) =>
    cells(e.entity, e, callsByEntity.get(e.entity) ?? { calls: 0, gateWaitMs: 0 }),
  );
  const total = summary.entities.reduce(
    (t, e) => ({
      windows: t.windows + e.windows,
      loaded: t.loaded + e.loaded,
      rows: t.rows + e.rows,
      bytes: t.bytes + e.bytes,
      seconds: t.seconds + e.seconds,
    }),
    { windows: 0, loaded: 0, rows: 0, bytes: 0, seconds: 0 },
  );
  const calls = [...callsByEntity.values()].reduce(
    (t, c) => ({ calls: t.calls + c.calls, gateWaitMs: t.gateWaitMs + c.gateWaitMs }),
    {
      calls: 0,
      gateWaitMs: 0,
    },
  );
  rows.push(cells('total', total, calls));
  let text = formatTable(['entity', 'windows', 'rows', 'MB', 'seconds', 'API calls', 'gate wait s'], rows);
  for (const e of summary.entities) for (const err of e.errors) text += `failed: ${e.entity}: ${err}\n`;
  if (summary.deferred > 0) {
    text += `${summary.deferred} windows deferred (${summary.deferReason ?? 'run limit'}): the next run takes them first\n`;
  }
  if (summary.aborted) text += 'stopped early by shutdown: in-flight jobs are resumed by the next run\n';
  return text;
}
