/**
 * `npm run test:crash -- --points 500 [--seed s] [--kills-per-campaign 16] [--concurrency 2]`: the crash harness outside
 * jest, for as many kill points as you like. The database comes the way the test suite finds one
 * (TEST_DATABASE_URL, else Docker, else an embedded Postgres); figures are printed at the end, and
 * appended to $CXONE_RELIABILITY_DIR/figures.jsonl when that is set.
 */
import { parseArgs } from 'node:util';
import { setUpTestDatabases, tearDownTestDatabases } from '../helpers/database-server.js';
import { createTestDatabase } from '../helpers/database.js';
import { suiteLogDir } from '../helpers/cli-process.js';
import { recordFigures } from '../helpers/figures.js';
import { runCrashCampaigns } from './crash-harness.js';

const { values } = parseArgs({
  options: {
    points: { type: 'string', default: '100' },
    seed: { type: 'string', default: `crash-${Date.now()}` },
    'kills-per-campaign': { type: 'string', default: '16' },
    concurrency: { type: 'string', default: '2' },
  },
});
const points = Number(values.points);
const killsPerCampaign = Number(values['kills-per-campaign']);
if (!Number.isInteger(points) || points < 1 || !Number.isInteger(killsPerCampaign) || killsPerCampaign < 1) {
  process.stderr.write('usage: npm run test:crash -- --points <n> [--seed <s>] [--kills-per-campaign <n>]\n');
  process.exit(2);
}

await setUpTestDatabases();
let failed = true;
try {
  const figures = await runCrashCampaigns({
    seed: values.seed,
    points,
    killsPerCampaign,
    concurrency: Math.max(1, Number(values.concurrency) || 1),
    newDatabase: createTestDatabase,
    logDir: suiteLogDir('crash'),
    print: (line) => process.stdout.write(`[crash] ${line}\n`),
  });
  recordFigures('crash', `seed ${values.seed}`, { ...figures });
  failed = figures.problems.length > 0 || figures.secretHits > 0;
  process.stdout.write(
    `\n${figures.killPoints} kill points in ${figures.campaigns} campaigns (${figures.seconds} s): ` +
      `${figures.survived} survived with data equal to a clean run; by phase ${JSON.stringify(figures.byPoint)}; ` +
      `violations ${JSON.stringify(figures.violations)}; ${figures.windows} windows, ${figures.posts} POSTs, ` +
      `${figures.apiCalls} API calls; extra POSTs ${figures.extraPosts} (lost posts ${figures.lostPosts}, ` +
      `adopted ${figures.adoptedLostPosts}; only a lost post not adopted may cost an extra POST)` +
      `${failed ? `\nPROBLEMS:\n${figures.problems.join('\n')}` : ''}\n`,
  );
} finally {
  await tearDownTestDatabases();
}
process.exitCode = failed ? 1 : 0;
