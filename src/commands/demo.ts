/**
 * `npm run demo`: the main job on embedded defaults. Starts the embedded Postgres (or uses DATABASE_URL)
 * and the CXone simulator at 1/100 time scale, runs the nightly job for every entity with a first run
 * that backfills the last N days, and prints the summary and how to look at the data. Run it again and
 * only what is due is extracted: a new day, and yesterday's lookback once its last load is older than
 * EXTRACT_SETTLE_DELAY (src/extract/lookback-rule.ts); a run minutes later finds nothing to do.
 */
import { parseConfig } from '../config.js';
import { stagingTableName, ENTITY_NAMES } from '../entities/catalog.js';
import { countStagingRows } from '../load/staging-counts.repository.js';
import { runExampleQuery } from '../reporting/index.js';
import { DEFAULT_TENANT, startSimulator } from '../simulator/index.js';
import { executeRun } from '../run/execute-run.js';
import { formatSummary } from './summary.js';
import type { DemoCommandDeps, DemoCommandOptions } from './types.js';
import { formatTable } from './format-table.js';
import { psqlCommand } from './db.js';

/** 1/100: the API's 30-s interval becomes 300 ms, a 20-s job 200 ms. */
const DEMO_TIME_SCALE = 0.01;

export async function demoCommand(deps: DemoCommandDeps, opts: DemoCommandOptions): Promise<number> {
  const started = Date.now();
  const db = await deps.database();
  const sim = await startSimulator({ timeScale: DEMO_TIME_SCALE, clock: deps.clock });
  try {
    const interval = Math.round(sim.options.minCallIntervalMs * DEMO_TIME_SCALE);
    const startDate = new Date(deps.clock.now() - opts.days * 86_400_000).toISOString().slice(0, 10);
    const config = parseConfig({
      DATABASE_URL: undefined,
      CXONE_ISSUER_URL: sim.url,
      CXONE_ACCESS_KEY_ID: DEFAULT_TENANT.accessKeyId,
      CXONE_ACCESS_KEY_SECRET: DEFAULT_TENANT.accessKeySecret,
      CXONE_MIN_CALL_INTERVAL_MS: String(interval),
      EXTRACT_START_DATE: startDate,
      STAGING_SCHEMA: deps.config.stagingSchema,
      REPORTING_SCHEMA: deps.config.reportingSchema,
      LOG_LEVEL: deps.config.log.level,
    });
    deps.out.write(
      `cxone-etl demo: simulator at ${sim.url} (time x${DEMO_TIME_SCALE}: one API call per ${interval} ms), ` +
        `database ${db.displayUrl}${db.embedded ? ' (embedded)' : ''}\n` +
        `Extracting ${ENTITY_NAMES.length} entities from ${startDate} (first run) or the lookback period (later runs)...\n`,
    );
    const { summary, calls } = await executeRun(
      { config, log: deps.log, clock: deps.clock, signal: deps.signal, out: deps.out, isTty: deps.isTty, db },
      { mode: 'run' },
    );
    const stats = sim.stats();
    deps.out.write(`\n${formatSummary(summary, calls)}`);
    if (summary.skippedLookbacks.length > 0) {
      const [first] = summary.skippedLookbacks;
      deps.out.write(
        `\nLookback skipped for ${summary.skippedLookbacks.length} windows (${first?.reason}: ${first?.detail}); ` +
          'a run after EXTRACT_SETTLE_DELAY re-extracts them for late data.\n',
      );
    }
    deps.out.write(
      `\nSimulator: ${stats.calls.total} API calls, ${stats.violations.total} rate-limit violations, ` +
        `${stats.jobs.total} jobs, ${(stats.bytesServed / 1e6).toFixed(2)} MB served.\n`,
    );
    const refused = stats.violations.byKind['job-running'] ?? 0;
    if (refused > 0) {
      // EXTRACT_MAX_JOBS_IN_FLIGHT=auto tried a second job beside the first; the simulator, like the
      // contract assumes of CXone, runs one job per tenant: learned once and kept in Postgres.
      deps.out.write(
        `${refused} POST refused as busy (a second job while one ran): this tenant runs one job at a time, ` +
          'learned once and kept (`npm run cli -- status` shows it).\n',
      );
    }
    const counts = await countStagingRows(
      db.pool,
      config.stagingSchema,
      ENTITY_NAMES.map((e) => stagingTableName(e)),
    );
    deps.out.write(
      `\nRows now in ${config.stagingSchema}:\n` +
        formatTable(
          ['table', 'rows', 'windows'],
          counts.map((c) => [
            `${config.stagingSchema}.${c.table}`,
            c.rows.toLocaleString('en-US'),
            String(c.windows),
          ]),
        ),
    );
    const example = await runExampleQuery(db.pool, 'evaluation-scores-per-form', {
      reportingSchema: config.reportingSchema,
    });
    deps.out.write(
      `\nTyped views in ${config.reportingSchema} (timestamps, numbers, booleans; a value that does not cast reads NULL), ` +
        `one per entity, e.g. ${config.reportingSchema}.qm_workflows. ${example.title}:\n` +
        formatTable(example.columns, example.rows.slice(0, 5)),
    );
    const shell = db.embedded
      ? 'npm run cli -- db     (starts the embedded database again and prints a psql command)'
      : psqlCommand(db);
    deps.out.write(
      `\nLook at the data:  ${shell}\n` +
        `  e.g.  SELECT agent_1_name, count(*) FROM ${config.stagingSchema}.recording_interaction_metadata GROUP BY 1 ORDER BY 2 DESC LIMIT 5;\n` +
        `Status, gaps:      npm run cli -- status   |   npm run cli -- gaps\n` +
        `Your own tenant:   set CXONE_* and DATABASE_URL, then  npm run cli -- check --entities  (README "Running against real CXone")\n` +
        `Finished in ${((Date.now() - started) / 1000).toFixed(1)} s. Run \`npm run demo\` again for an incremental run.\n`,
    );
    return summary.failed > 0 || stats.violations.total > 0 ? 1 : 0;
  } finally {
    await sim.stop();
  }
}
