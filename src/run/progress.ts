/**
 * Run progress for people: on a TTY a progress bar (windows done/total, rows, MB, ETA); otherwise one
 * log line per window with rows, bytes, duration and API calls, which is what log collectors want.
 */
import cliProgress from 'cli-progress';
import type { Writable } from 'node:stream';
import type { Logger } from '../logger.js';
import type { WindowReport } from '../extract/types.js';
import type { WindowEvent } from '../extract/types.js';

export interface ProgressReporter {
  windowStart(info: { entity: string; window: string; reason: string; index: number; total: number }): void;
  windowEvent(entity: string, window: string, event: WindowEvent): void;
  windowEnd(report: WindowReport): void;
  /** Data-quality lines for the run summary (flags and cast problems; never the sampled values). */
  qualityNotes(): string[];
  stop(): void;
}

export function createProgress(deps: { log: Logger; out: Writable; isTty: boolean }): ProgressReporter {
  let bar: cliProgress.SingleBar | undefined;
  let rows = 0;
  let bytes = 0;
  let done = 0;
  const calls = new Map<string, number>();
  const notes: string[] = [];
  const key = (entity: string, window: string): string => `${entity} ${window}`;
  return {
    windowStart(info) {
      calls.set(key(info.entity, info.window), 0);
      if (deps.isTty) {
        if (!bar) {
          bar = new cliProgress.SingleBar(
            {
              format:
                ' {bar} {value}/{total} windows | {rows} rows | {mb} MB | ETA {eta_formatted} | {current}',
              stream: deps.out as NodeJS.WritableStream,
              hideCursor: true,
              clearOnComplete: false,
            },
            cliProgress.Presets.shades_classic,
          );
          bar.start(info.total, 0, { rows: 0, mb: '0.0', current: '' });
        }
        bar.update(done, { current: `${info.entity} ${info.window}` });
      }
    },
    windowEvent(entity, window, event) {
      if (event.type === 'requested' || event.type === 'polled' || event.type === 'url-refreshed') {
        const k = key(entity, window);
        calls.set(k, (calls.get(k) ?? 0) + 1);
      }
      if (event.type === 'waiting') {
        // No silent wait: every wait that can last says what it waits for.
        const until = new Date(event.until).toISOString();
        deps.log.debug({ entity, window, jobId: event.jobId, until }, `waiting for ${event.for}`);
      }
      if (!deps.isTty && (event.type === 'job-ended' || event.type === 'url-refreshed')) {
        deps.log.warn({ entity, window, ...event }, `window ${event.type}`);
      }
      if (event.type === 'loaded') {
        const { reporting } = event;
        for (const e of reporting.errors) {
          deps.log.warn(
            { entity, window, step: e.step, err: e.error },
            `reporting step ${e.step} failed (the load is kept)`,
          );
        }
        for (const f of reporting.flags) {
          deps.log.warn(
            { entity, window, kind: f.kind, rows: f.rows, baseline: f.baseline },
            `data quality: ${f.detail}`,
          );
          notes.push(`quality: ${entity} ${window} ${f.kind}: ${f.detail}`);
        }
        for (const c of reporting.castProblems) {
          deps.log.warn(
            { entity, window, column: c.column, type: c.type, failed: c.failed },
            'values that do not cast',
          );
          notes.push(
            `cast problems: ${entity} ${window} ${c.column} (${c.type}): ${c.failed} values read NULL in the view`,
          );
        }
      }
    },
    windowEnd(report) {
      done++;
      const o = report.outcome;
      const apiCalls = calls.get(key(report.entity, report.window)) ?? 0;
      if (o.status === 'loaded') {
        rows += o.rows;
        bytes += o.bytes;
      }
      if (bar) {
        bar.update(done, { rows: rows.toLocaleString('en-US'), mb: (bytes / 1e6).toFixed(1) });
      }
      const line = {
        entity: report.entity,
        window: report.window,
        reason: report.reason,
        durationMs: Math.round(o.durationMs),
        calls: apiCalls,
      };
      if (o.status === 'loaded') {
        if (!bar) {
          const timing = { loadMs: o.loadMs, reportingMs: o.reportingMs };
          deps.log.info(
            { ...line, jobId: o.jobId, rows: o.rows, bytes: o.bytes, ...timing },
            'window loaded',
          );
        }
      } else {
        // Failures are always logged, bar or not: they need the full message.
        bar?.stop();
        deps.log.error({ ...line, code: o.error.code }, o.error.message);
        bar = undefined;
      }
    },
    qualityNotes: () => [...notes],
    stop() {
      bar?.stop();
    },
  };
}
