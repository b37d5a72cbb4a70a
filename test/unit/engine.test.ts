import { isShutdown } from '../../src/extract/engine.js';
import { EtlError } from '../../src/lib/errors.js';

describe('the engine tells a shutdown by code, never by message text', () => {
  it('an ABORTED error, an AbortError, or anything once the run was told to stop', () => {
    expect(isShutdown(new EtlError('ABORTED', 'stopped by shutdown'), undefined)).toBe(true);
    const abort = new Error('This operation was aborted');
    abort.name = 'AbortError';
    expect(isShutdown(abort, undefined)).toBe(true);
    const stopped = new AbortController();
    stopped.abort();
    expect(isShutdown(new Error('socket hang up'), stopped.signal)).toBe(true);
  });

  it('Postgres 25P02 ("current transaction is aborted") fails the window, it does not stop the run', () => {
    const pgError = Object.assign(
      new Error('current transaction is aborted, commands ignored until end of transaction block'),
      { code: '25P02' },
    );
    expect(isShutdown(pgError, new AbortController().signal)).toBe(false);
    expect(isShutdown(new EtlError('INTERNAL', 'job aborted by the API'), undefined)).toBe(false);
  });
});
