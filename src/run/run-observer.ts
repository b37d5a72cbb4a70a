/** What a run tells an observer (the daemon's metrics, tests); every callback gets the tenant id. */
import type { CallInfo } from '../cxone/types.js';
import type { WindowEvent, WindowReport } from '../extract/types.js';
import {
  recordApiCall,
  recordJobEnded,
  recordJobPoll,
  recordRateGateWait,
  recordWindowLoaded,
  type Metrics,
} from '../observability/metrics.js';

export interface RunObserver {
  apiCall?: (tenantId: string, info: CallInfo) => void;
  windowEvent?: (tenantId: string, entity: string, window: string, event: WindowEvent) => void;
  windowEnd?: (tenantId: string, report: WindowReport, gateWaitMs: number) => void;
  /** What the run's RETENTION step removed, per entity (only entities it removed something of). */
  retention?: (tenantId: string, removed: { entity: string; loads: number; rows: number }[]) => void;
}

/** Turns what a run reports into Prometheus metrics (the daemon's observer). */
export function metricsObserver(metrics: Metrics): RunObserver {
  return {
    apiCall: (tenant, info) =>
      recordApiCall(metrics, { tenant, endpoint: info.endpoint, status: info.status }),
    windowEvent: (tenant, entity, _window, event) => {
      if (event.type === 'polled') recordJobPoll(metrics, { tenant, entity });
      if (event.type === 'job-ended' && event.status !== 'RUNNING') {
        recordJobEnded(metrics, { tenant, entity, status: event.status });
      }
      if (event.type === 'loaded') {
        recordJobEnded(metrics, { tenant, entity, status: 'SUCCEEDED' });
        recordWindowLoaded(metrics, { tenant, entity, rows: event.rows, bytes: event.bytes });
        for (const c of event.reporting.castProblems)
          metrics.castProblems.inc({ tenant, entity, column: c.column }, c.failed);
        for (const f of event.reporting.flags) metrics.qualityFlags.inc({ tenant, entity, kind: f.kind });
      }
    },
    windowEnd: (tenant, _report, gateWaitMs) => recordRateGateWait(metrics, { tenant, waitMs: gateWaitMs }),
    retention: (tenant, removed) => {
      for (const r of removed) {
        metrics.retentionLoadsRemoved.inc({ tenant, entity: r.entity }, r.loads);
        metrics.retentionRowsRemoved.inc({ tenant, entity: r.entity }, r.rows);
      }
    },
  };
}
