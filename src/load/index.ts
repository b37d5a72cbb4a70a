/** The streaming loader: CSV header → staging columns, byte-level checks, COPY of one window. */
export { entityPolicy, hashText, type ColumnPolicy } from './column-policy.js';
export { copyWindow, type CopyWindowInput } from './copy-window.js';
export type { ColumnAction } from './csv-scanner.js';
export {
  dropStagingColumns,
  ensureStagingTable,
  hasStagingColumn,
  matchingRowsByLoad,
} from './staging.repository.js';
export { subtractLoadRows } from './loads.repository.js';
