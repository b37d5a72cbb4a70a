/**
 * The benchmark CSVs: the simulator's large mode (realistic recording rows: quoting, embedded newlines,
 * Korean, CRLF), written once to a temp file so every contender reads the same bytes.
 */
import { createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { largeCsvStream } from '../src/simulator/csv/index.js';

export interface BenchSize {
  label: string;
  /** Rows of ~360 bytes: 28k ≈ 10 MB. */
  rows: number;
}

export const SIZES: readonly BenchSize[] = [
  { label: '10 MB', rows: 28_000 },
  { label: '100 MB', rows: 280_000 },
];

export const LARGE_SIZE: BenchSize = { label: '1 GB', rows: 2_800_000 };

export function sizesFor(large: boolean): BenchSize[] {
  return large ? [...SIZES, LARGE_SIZE] : [...SIZES];
}

export interface CsvFile {
  size: BenchSize;
  path: string;
  bytes: number;
}

export async function writeCsvFile(dir: string, size: BenchSize): Promise<CsvFile> {
  const file = path.join(dir, `recordings-${size.rows}.csv`);
  await pipeline(largeCsvStream({ rows: size.rows, seed: 'bench' }), createWriteStream(file));
  return { size, path: file, bytes: (await stat(file)).size };
}
