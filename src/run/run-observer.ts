/** What a run tells an observer (the daemon's metrics, tests); every callback gets the tenant id. */
import type { CallInfo } from '../cxone/types.js';
import type { WindowEvent } from '../extract/extract-window.js';
import type { WindowReport } from '../extract/run-extraction.js';

export interface RunObserver {
  apiCall?: (tenantId: string, info: CallInfo) => void;
  windowEvent?: (tenantId: string, entity: string, window: string, event: WindowEvent) => void;
  windowEnd?: (tenantId: string, report: WindowReport, gateWaitMs: number) => void;
  /** What the run's RETENTION step removed, per entity (only entities it removed something of). */
  retention?: (tenantId: string, removed: { entity: string; loads: number; rows: number }[]) => void;
}
