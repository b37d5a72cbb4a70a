/**
 * Every benchmark in one run, then bench/RESULTS.md written from the figures (and the raw
 * figures as JSON in bench/out/results.json, ignored by git).
 *
 *   npm run bench          (10 MB and 100 MB; under 5 minutes on a 2-core machine)
 *   npm run bench:large    (adds 1 GB to the COPY and HTTP legs)
 *   npx tsx bench/run-all.ts [--large] [--runs N] [--no-write]
 *
 * Benchmarks print figures; none fails on timing. Each leg creates its own database and temp files
 * and drops them, also when it fails.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as prettier from 'prettier';
import { runApiEfficiency } from './api-efficiency.js';
import { ROOT } from './bench-env.js';
import { prepareChildren, removeChildren } from './children.js';
import { parseLegArgs, runCopyLeg } from './copy-leg.js';
import { runE2eLeg } from './e2e-leg.js';
import { runHttpLeg } from './http-leg.js';
import { machineInfo, watchLoad, type MachineLoad } from './machine.js';
import { runProfileLeg } from './profile-leg.js';
import { resultsMarkdown, type BenchResults } from './results-md.js';
import { runStagingCost, STAGING_COST_MIN_RUNS } from './staging-cost.js';

const argv = process.argv.slice(2);
const { large, runs } = parseLegArgs(argv);
const log = (line: string): void => console.log(line);

const results = await runLegs().finally(() => removeChildren());
if (argv.includes('--no-write')) {
  log(`\n${resultsMarkdown(results)}`);
} else {
  const file = path.join(ROOT, 'bench/RESULTS.md');
  // Formatted as `npm run lint` (prettier --check .) expects it.
  const options = { ...(await prettier.resolveConfig(file)), parser: 'markdown' };
  await writeFile(file, await prettier.format(resultsMarkdown(results), options));
  await mkdir(path.join(ROOT, 'bench/out'), { recursive: true });
  await writeFile(path.join(ROOT, 'bench/out/results.json'), JSON.stringify(results, null, 2));
  log(`\nwrote bench/RESULTS.md and bench/out/results.json (${results.seconds.toFixed(0)} s in all)`);
}

async function runLegs(): Promise<BenchResults> {
  const started = performance.now();
  const machine = await machineInfo();
  log(
    `machine: ${machine.cpus} CPUs, ${machine.memoryGiB.toFixed(1)} GiB, node ${machine.node}, ` +
      `${machine.postgres.split(' on ')[0]}`,
  );
  const childMode = await prepareChildren(log);
  log(
    `load children run as ${childMode === 'compiled' ? 'compiled JavaScript (bench/out/js)' : 'TypeScript under tsx'}`,
  );

  const loads: Record<string, MachineLoad> = {};
  /** Runs a leg and notes how busy the machine was meanwhile. */
  const leg = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
    const watch = watchLoad();
    const result = await run();
    loads[name] = watch();
    return result;
  };
  const e2e = await leg('end to end', () => runE2eLeg({ large, runs, log }));
  const copy = await leg('COPY leg', () => runCopyLeg({ large, runs, log }));
  const stagingCost = await leg('staging variants', () =>
    runStagingCost({ runs: Math.max(runs, STAGING_COST_MIN_RUNS), log }),
  );
  const http = await leg('HTTP leg', () => runHttpLeg({ large, runs, log }));
  const api = await leg('API efficiency', () => runApiEfficiency({ log }));
  // The profile's shape does not change with size; 100 MB keeps the default run short.
  const profile = await leg('profile', () => runProfileLeg({ large: false, log }));
  const seconds = (performance.now() - started) / 1000;
  return { machine, large, runs, childMode, seconds, loads, e2e, copy, stagingCost, http, api, profile };
}
