/**
 * Child process of the HTTP leg: the worker's path from the API to the staging table, against the
 * simulator's large mode. It asks for a job through the real client (token, discovery, the persisted
 * rate gate), polls until SUCCEEDED, then times `client.openDownload` → `copyWindow` in one
 * transaction, as load-job.ts does. Modes: `load` (into staging), `save <file>` (the same bytes
 * to a file, for psql), `discard` (download only: the simulator's and HTTP's own ceiling), and
 * `load-url <url>` (no job: load what a static file server sends, without the simulator generating).
 *
 *   node bench/out/js/bench/http-load.js <simulator-url> <database-url> <interval-ms> <mode> [file|url]
 */
import { createWriteStream } from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { buildClient } from '../src/run/build-client.js';
import { parseConfig } from '../src/config.js';
import type { CxoneClient } from '../src/cxone/client.js';
import { findEntity } from '../src/entities/catalog.js';
import { createPool, withTransaction } from '../src/db/pool.js';
import { systemClock } from '../src/lib/clock.js';
import { copyWindow } from '../src/load/index.js';
import { DEFAULT_TENANT } from '../src/simulator/options.js';
import { RESULT_PREFIX } from './bench-env.js';
import { BENCH_ENTITY, loadInput, measureLoad } from './load-target.js';

const [simUrl, dbUrl, intervalMs, mode, target] = process.argv.slice(2);
if (!simUrl || !dbUrl || !intervalMs || !['load', 'save', 'discard', 'load-url'].includes(mode ?? '')) {
  throw new Error('usage: http-load.js <simulator-url> <database-url> <interval-ms> <mode> [file|url]');
}
const config = parseConfig({
  CXONE_ISSUER_URL: simUrl,
  CXONE_ACCESS_KEY_ID: DEFAULT_TENANT.accessKeyId,
  CXONE_ACCESS_KEY_SECRET: DEFAULT_TENANT.accessKeySecret,
  CXONE_MIN_CALL_INTERVAL_MS: intervalMs,
});
const pool = createPool(dbUrl, { max: 2, applicationName: 'cxone-etl-bench-http' });
try {
  const client = buildClient(pool, config, systemClock);
  const url = mode === 'load-url' ? (target as string) : await finishedJobUrl(client);
  await pool.query('SELECT 1');
  const result = await measureLoad(async () => {
    const body = await client.openDownload(url);
    if (mode === 'load' || mode === 'load-url') {
      return withTransaction(pool, (db) => copyWindow(db, loadInput(body)));
    }
    let bytes = 0;
    const sink =
      mode === 'save'
        ? createWriteStream(target as string)
        : new Writable({
            write(chunk: Buffer, _encoding, callback) {
              callback();
            },
          });
    body.on('data', (chunk: Buffer) => (bytes += chunk.length));
    await pipeline(body, sink);
    return { rows: 0, bytes };
  });
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
} finally {
  await pool.end();
}

/** A job for the same window every run (the large mode seeds the file from it, so the bytes repeat). */
async function finishedJobUrl(client: CxoneClient): Promise<string> {
  const jobId = await client.requestJob({
    entityName: BENCH_ENTITY,
    version: findEntity(BENCH_ENTITY)?.defaultVersion ?? '10',
    startDate: '2026-01-01 00:00:00',
    endDate: '2026-01-02 00:00:00',
  });
  // The client's rate gate spaces these calls by the interval.
  let state = await client.getJob(jobId);
  while (state.status === 'RUNNING') state = await client.getJob(jobId);
  if (state.status !== 'SUCCEEDED' || !state.url) throw new Error(`job ended ${state.status}`);
  return state.url;
}
