/**
 * Child process of the COPY leg: the worker's load path on a local file, alone in its process so its
 * peak RSS is the load's. `copyWindow` inside `withTransaction`, exactly as load-job.ts calls it,
 * with the file in place of the download stream.
 *
 *   node --import tsx bench/worker-load.ts <database-url> <file> [policy]
 *
 * With `policy`, the load applies BENCH_POLICY (COLUMN_POLICY: hashes and a drop) into its own schema.
 *
 * Prints RESULT_PREFIX + a LoadResult as JSON.
 */
import { createReadStream } from 'node:fs';
import { createPool, withTransaction } from '../src/db/pool.js';
import { copyWindow } from '../src/load/index.js';
import { RESULT_PREFIX } from './bench-env.js';
import { loadInput, measureLoad } from './load-target.js';

const [url, file, variant] = process.argv.slice(2);
if (!url || !file) throw new Error('usage: worker-load.ts <database-url> <file> [policy]');
const pool = createPool(url, { max: 1, applicationName: 'cxone-etl-bench-worker' });
try {
  await pool.query('SELECT 1');
  const result = await measureLoad(() =>
    withTransaction(pool, (client) =>
      copyWindow(client, loadInput(createReadStream(file), variant === 'policy')),
    ),
  );
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
} finally {
  await pool.end();
}
