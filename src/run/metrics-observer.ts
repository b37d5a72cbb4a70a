/** Turns what a run reports into Prometheus metrics (the daemon's observer). */
import {
  recordApiCall,
  recordJobEnded,
  recordJobPoll,
  recordRateGateWait,
  recordWindowLoaded,
  type Metrics,
} from '../observability/metrics.js';
import type { RunObserver } from './run-observer.js';

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
