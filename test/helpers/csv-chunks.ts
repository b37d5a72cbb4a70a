/** Byte-chunking helpers for the CSV byte-scanner tests: every split of the same bytes must read alike. */

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
