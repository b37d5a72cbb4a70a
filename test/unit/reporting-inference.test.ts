import { inferType, MIN_VALUES_TO_INFER, type ValueCounts } from '../../src/reporting/inference.js';

const none: ValueCounts = {
  nonEmpty: 0,
  date: 0,
  timestamp: 0,
  interval: 0,
  integer: 0,
  numeric: 0,
  boolean: 0,
};
const of = (n: number, reads: Partial<ValueCounts>): ValueCounts => ({ ...none, nonEmpty: n, ...reads });

describe('inferType', () => {
  it('needs a few values before it says anything', () => {
    expect(inferType(none)).toBeNull();
    expect(inferType(of(MIN_VALUES_TO_INFER - 1, { integer: MIN_VALUES_TO_INFER - 1 }))).toBeNull();
    expect(inferType(of(MIN_VALUES_TO_INFER, { integer: MIN_VALUES_TO_INFER }))).toBe('integer');
  });

  it('picks the narrowest type every value reads as', () => {
    // yyyy-mm-dd reads as a date and as a timestamp: date.
    expect(inferType(of(10, { date: 10, timestamp: 10 }))).toBe('date');
    expect(inferType(of(10, { date: 4, timestamp: 10 }))).toBe('timestamptz');
    expect(inferType(of(10, { interval: 10 }))).toBe('interval');
    // 0/1 read as integers, numbers and booleans: integer.
    expect(inferType(of(10, { integer: 10, numeric: 10, boolean: 10 }))).toBe('integer');
    expect(inferType(of(10, { integer: 7, numeric: 10 }))).toBe('numeric');
    expect(inferType(of(10, { boolean: 10 }))).toBe('boolean');
  });

  it('one value that does not read keeps the column text', () => {
    expect(inferType(of(1000, { timestamp: 999, date: 0 }))).toBe('text');
    expect(inferType(of(1000, { integer: 999, numeric: 999 }))).toBe('text');
  });
});
