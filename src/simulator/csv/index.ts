/**
 * The simulator's CSV generators: per-entity headers, deterministic window-additive rows, streamed
 * files, and a large mode for benchmarks. Pure: no clock, no I/O beyond the returned streams.
 */
export type { CsvSpec } from './spec.js';
export { csvHeader, csvRows } from './rows.js';
export { csvStream } from './csv-stream.js';
export { largeCsvStream, type LargeCsvOptions } from './large.js';
export { encodeCsvLine } from './csv-stream.js';
export { DRIFT_COLUMNS, ENTITY_COLUMNS, KEY_COLUMNS } from './columns.js';
