import pg from 'pg';
import { EtlError } from '../../src/lib/errors.js';
import { isRetryablePgError, pgErrorCode, RETRYABLE_SQLSTATES } from '../../src/db/sqlstate.js';

/** What node-postgres throws when the server answers ErrorResponse. */
function serverError(code: string, message = 'server said no'): pg.DatabaseError {
  const err = new pg.DatabaseError(message, 0, 'error');
  err.code = code;
  err.severity = 'ERROR';
  return err;
}

function nodeError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code, errno: -1, syscall: 'connect' });
}

describe('pgErrorCode', () => {
  it('reads the SQLSTATE of a server error', () => {
    expect(pgErrorCode(serverError('23505'))).toBe('23505');
  });

  it('looks through cause wrappers', () => {
    const wrapped = new EtlError('DATABASE', 'load failed', { cause: serverError('40P01') });
    expect(pgErrorCode(new Error('outer', { cause: wrapped }))).toBe('40P01');
  });

  it.each([
    ['a five-letter Node code', nodeError('EPIPE')],
    ['a plain error', new Error('boom')],
    ['a string', '40001'],
    ['undefined', undefined],
    ['null', null],
  ])('is undefined for %s', (_label, thrown) => {
    expect(pgErrorCode(thrown)).toBeUndefined();
  });
});

describe('isRetryablePgError', () => {
  it.each([...RETRYABLE_SQLSTATES.entries()])('retries %s %s', (code) => {
    expect(isRetryablePgError(serverError(code))).toBe(true);
  });

  it.each([
    ['23505', 'unique_violation'],
    ['42P01', 'undefined_table'],
    ['22P02', 'invalid_text_representation'],
    ['57014', 'query_canceled'],
    ['53100', 'disk_full'],
    ['28P01', 'invalid_password'],
  ])('does not retry %s %s', (code) => {
    expect(isRetryablePgError(serverError(code))).toBe(false);
  });

  it.each(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'])('retries the socket error %s', (code) => {
    expect(isRetryablePgError(nodeError(code))).toBe(true);
  });

  it.each([
    'Connection terminated unexpectedly',
    'Connection terminated due to connection timeout',
    'timeout exceeded when trying to connect',
  ])('retries node-postgres "%s"', (message) => {
    expect(isRetryablePgError(new Error(message))).toBe(true);
  });

  it('classifies a wrapped error by its cause', () => {
    const retryable = new EtlError('DATABASE', 'COPY failed', { cause: serverError('40001') });
    const fatal = new EtlError('DATABASE', 'COPY failed', { cause: serverError('22P04') });
    expect(isRetryablePgError(retryable)).toBe(true);
    expect(isRetryablePgError(fatal)).toBe(false);
  });

  it.each([new Error('boom'), 'text', undefined, { code: 42 }])('does not retry %p', (thrown) => {
    expect(isRetryablePgError(thrown)).toBe(false);
  });
});
