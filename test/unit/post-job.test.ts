import { findLostJob } from '../../src/extract/post-job.js';

describe('findLostJob', () => {
  const known = new Set(['old-1', 'old-2']);

  it('adopts the one listed job the worker does not know', () => {
    const listing = [
      { id: 'old-1', status: 'SUCCEEDED' as const },
      { id: 'new', status: 'RUNNING' as const },
      { id: 'old-2', status: 'FAILED' as const },
    ];
    expect(findLostJob(listing, known)).toEqual({ kind: 'adopt', id: 'new', status: 'RUNNING' });
  });

  it('finds none when every listed job is known, or only an EXPIRED stranger (older than a day)', () => {
    expect(findLostJob([{ id: 'old-1', status: 'RUNNING' }], known)).toEqual({ kind: 'none' });
    expect(findLostJob([{ id: 'stranger', status: 'EXPIRED' }], known)).toEqual({ kind: 'none' });
    expect(findLostJob([], known)).toEqual({ kind: 'none' });
  });

  it('is ambiguous with two strangers: neither is adopted', () => {
    const listing = [
      { id: 'a', status: 'RUNNING' as const },
      { id: 'b', status: 'SUCCEEDED' as const },
    ];
    expect(findLostJob(listing, known)).toEqual({ kind: 'ambiguous', ids: ['a', 'b'] });
  });
});
