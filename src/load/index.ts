/** The streaming loader: CSV header → staging columns, byte-level checks, COPY of one window. */
export { columnNamesFor, MAX_IDENTIFIER_BYTES } from '../entities/column-names.js';
export { entityPolicy, hashText, planColumns, type ColumnPolicy, type PolicyPlan } from './column-policy.js';
export { copyWindow, type CopyWindowInput, type CopyWindowResult } from './copy-window.js';
export {
  MAX_HEADER_BYTES,
  POSTGRES_MAX_COLUMNS,
  splitHeader,
  type SplitHeader,
  type SplitHeaderOptions,
} from './csv-inspect.js';
export {
  CsvScanner,
  keptColumns,
  type ColumnAction,
  type CsvScannerOptions,
  type FieldCheck,
  type FieldProblem,
} from './csv-scanner.js';
export {
  dropStagingColumns,
  ensureStagingTable,
  hasStagingColumn,
  matchingRowsByLoad,
  METADATA_COLUMNS,
  type StagingTableRef,
  type StagingTableState,
} from './staging.repository.js';
export { subtractLoadRows } from './loads.repository.js';
