/** The run's window callbacks: progress for people, call and gate-wait counts, and the observer. */
import type { CxoneClient } from '../cxone/client.js';
import type { RunDeps } from '../extract/types.js';
import type { CallCounter } from './call-counter.js';
import type { ProgressReporter } from './progress.js';
import type { RunObserver } from './run-observer.js';

export function windowHooks(parts: {
  tenantId: string;
  client: CxoneClient;
  counter: CallCounter;
  progress: ProgressReporter;
  observer?: RunObserver | undefined;
}): Pick<RunDeps, 'onWindowStart' | 'onWindowEvent' | 'onWindowEnd'> {
  const { tenantId, client, counter, progress, observer } = parts;
  const gateWaitMs = (): number => client.stats().gate?.waitMs ?? 0;
  return {
    onWindowStart: (info) => {
      counter.windowStart(info.entity, gateWaitMs());
      progress.windowStart(info);
    },
    onWindowEvent: (entity, window, event) => {
      progress.windowEvent(entity, window, event);
      observer?.windowEvent?.(tenantId, entity, window, event);
    },
    onWindowEnd: (report) => {
      const waited = counter.windowEnd(report.entity, gateWaitMs());
      progress.windowEnd(report);
      observer?.windowEnd?.(tenantId, report, waited);
    },
  };
}
