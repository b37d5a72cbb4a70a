import type { EntityName } from '../../entities/catalog.js';

/** What one simulated export file contains. */
export interface CsvSpec {
  tenantId: string;
  entity: EntityName;
  /**
   * Window as UTC instants, half-open [startMs, endMs). For date-only entities the instants are UTC
   * midnights. For 'wfm-payroll' the dates are local dates of the schedule unit: startMs/endMs are
   * "date labels" (UTC midnight of the local date), so no time-zone math happens here.
   */
  startMs: number;
  endMs: number;
  /** Simulator's "now": rows not yet visible at this instant are left out. */
  nowMs: number;
  /** Prefix a UTF-8 BOM (default false). */
  bom?: boolean;
  /** Default '\r\n'. */
  lineEnding?: '\r\n' | '\n';
  /**
   * 0 = off. Each row becomes visible a deterministic delay in [0, lateArrivalMaxMs] after its timestamp
   * (contract: new data can take up to 30 minutes to appear).
   */
  lateArrivalMaxMs?: number;
  /**
   * Schema drift: from this UTC date ('yyyy-mm-dd') on, the entity has an extra column. A file whose
   * window ends after that date's midnight carries it in its header; rows before the date leave it empty.
   */
  driftFromDate?: string;
  /** The API version asked for; older recording versions have fewer columns (columns.ts). Default: latest. */
  version?: string;
  /** Average rows per day (default: a realistic per-entity number, small enough for a fast demo). */
  rowsPerDay?: number;
}
