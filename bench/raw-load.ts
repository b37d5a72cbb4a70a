/**
 * Child process of the COPY leg: the floor for any Node loader, docs/DESIGN.md "Load speed": the "file stream →
 * pg-copy-streams copyFrom, raw bytes, await pipeline(...)", into the table shaped like the worker's
 * staging table, with the same COPY options and metadata settings. worker ÷ node-raw is what
 * copyWindow's own work (header split, DDL checks, delete, record counting) costs.
 *
 *   node bench/out/js/bench/raw-load.js <database-url> <file> <schema.table> <columns as JSON>
 */
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { createPool, withTransaction } from '../src/db/pool.js';
import { RESULT_PREFIX } from './bench-env.js';
import { measureLoad } from './load-target.js';

const [url, file, table, columnsJson] = process.argv.slice(2);
if (!url || !file || !table || !columnsJson) {
  throw new Error('usage: raw-load.js <database-url> <file> <schema.table> <columns as JSON>');
}
const columns = (JSON.parse(columnsJson) as string[]).map((c) => `"${c.replace(/"/g, '""')}"`).join(', ');
const pool = createPool(url, { max: 1, applicationName: 'cxone-etl-bench-raw' });
let countMs = 0;
try {
  await pool.query('SELECT 1');
  const result = await measureLoad(() =>
    withTransaction(pool, async (client) => {
      await client.query(`SELECT set_config('cxone_etl.load_id', '1', true)`);
      const copy = client.query(
        copyFrom(
          `COPY ${table} (${columns}) FROM STDIN ` +
            `WITH (FORMAT csv, HEADER true, ENCODING 'UTF8', FORCE_NOT_NULL (${columns}))`,
        ),
      );
      let bytes = 0;
      const source = createReadStream(file);
      source.on('data', (chunk) => (bytes += chunk.length));
      await pipeline(source, copy);
      // Not part of the floor: the rows-present count copyWindow runs after COPY only on a staging
      // table with triggers (copy-window.ts, countLoadRows), timed here in the same place (inside the
      // transaction) to show what it would cost.
      const started = performance.now();
      await client.query(`SELECT count(*) FROM ${table} WHERE _load_id = $1`, ['1']);
      countMs = performance.now() - started;
      return { rows: copy.rowCount, bytes };
    }),
  );
  process.stdout.write(
    `${RESULT_PREFIX}${JSON.stringify({ ...result, ms: result.ms - countMs, countMs })}\n`,
  );
} finally {
  await pool.end();
}
