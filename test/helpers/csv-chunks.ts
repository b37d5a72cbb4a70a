/** Helpers of the CSV byte-scanner tests: every split of the same bytes must read alike; bad bytes fail. */
import { EtlError } from '../../src/lib/errors.js';

export async function* chunks(parts: Buffer[]): AsyncGenerator<Buffer> {
  for (const part of parts) yield part;
}

/** The same bytes cut at each offset (two chunks), and one byte at a time. */
export function everySplit(input: Buffer): Buffer[][] {
  const splits: Buffer[][] = [];
  for (let at = 0; at <= input.length; at++) splits.push([input.subarray(0, at), input.subarray(at)]);
  splits.push([...input].map((byte) => Buffer.from([byte])));
  return splits;
}

/** The BAD_INPUT error `promise` rejects with; fails the test when it resolves or rejects otherwise. */
export async function rejection(promise: Promise<unknown>): Promise<EtlError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(EtlError);
    expect((err as EtlError).code).toBe('BAD_INPUT');
    return err as EtlError;
  }
  throw new Error('expected a rejection');
}
