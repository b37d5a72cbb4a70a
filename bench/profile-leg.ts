/**
 * Where the worker's CPU goes during a load. The two load children run once more under
 * `node --cpu-prof`: the file path (worker-load) and the HTTP path from the simulator (http-load). Only
 * samples taken between the load's start and end count (the child reports both on the profile's clock),
 * so start-up is left out.
 *
 *   npx tsx bench/profile-leg.ts [--large]    (100 MB; 1 GB with --large)
 */
import path from 'node:path';
import { migrate } from '../src/db/migrate.js';
import { createPool } from '../src/db/pool.js';
import { startSimulator } from '../src/simulator/index.js';
import { createBenchDatabase, fixed, isMain, tempDir } from './bench-env.js';
import { prepareChildren, removeChildren, runChild } from './children.js';
import { parseLegArgs } from './copy-leg.js';
import { LARGE_SIZE, SIZES, writeCsvFile } from './csv-files.js';
import { mainThreadProfile, summariseProfile, type ProfileSummary } from './cpu-profile.js';
import type { LoadResult } from './load-target.js';

/** The simulator's clock scaled as in the HTTP leg: 300 ms between calls. */
const TIME_SCALE = 0.01;

export interface ProfiledLoad {
  path: 'file' | 'http (simulator)';
  load: LoadResult;
  profile: ProfileSummary;
}

export interface ProfileLegResult {
  label: string;
  loads: ProfiledLoad[];
}

export async function runProfileLeg(opts: {
  large: boolean;
  log?: (line: string) => void;
}): Promise<ProfileLegResult> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const size = opts.large ? LARGE_SIZE : (SIZES[SIZES.length - 1] as typeof LARGE_SIZE);
  const db = await createBenchDatabase('cxone_bench_profile');
  const tmp = await tempDir('cxone-bench-profile');
  const sim = await startSimulator({ timeScale: TIME_SCALE, largeRows: size.rows });
  try {
    const pool = createPool(db.url, { max: 1 });
    await migrate(pool).finally(() => pool.end());
    const file = await writeCsvFile(tmp.dir, size);
    log(`profile: ${size.label}, node --cpu-prof, samples during the load only`);
    // Creates the staging table, so the profiled loads are the steady case.
    await runChild<LoadResult>('worker-load', [db.url, file.path]);
    const interval = String(sim.options.minCallIntervalMs * TIME_SCALE);
    const loads: ProfiledLoad[] = [];
    for (const which of ['file', 'http (simulator)'] as const) {
      const dir = path.join(tmp.dir, which === 'file' ? 'prof-file' : 'prof-http');
      const flags = ['--cpu-prof', `--cpu-prof-dir=${dir}`];
      const { result } =
        which === 'file'
          ? await runChild<LoadResult>('worker-load', [db.url, file.path], flags)
          : await runChild<LoadResult>('http-load', [sim.url, db.url, interval, 'load'], flags);
      const profile = await summariseProfile(await mainThreadProfile(dir), {
        fromUs: result.startUs,
        toUs: result.endUs,
      });
      loads.push({ path: which, load: result, profile });
      log(formatProfile({ path: which, load: result, profile }));
    }
    return { label: size.label, loads };
  } finally {
    await sim.stop();
    await tmp.remove();
    await db.drop();
  }
}

export function formatProfile(p: ProfiledLoad): string {
  const { profile } = p;
  const share = (ms: number): string => `${fixed((ms / profile.totalMs) * 100, 1)}%`;
  const kinds = Object.entries(profile.byKind)
    .sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0))
    .map(([kind, ms]) => `${kind} ${share(ms ?? 0)}`)
    .join(', ');
  const top = profile.top
    .map(
      (f) => `    ${fixed(f.selfMs, 1).padStart(7)} ms ${share(f.selfMs).padStart(6)}  ${f.name}  ${f.where}`,
    )
    .join('\n');
  return (
    `  ${p.path}: load ${fixed(p.load.ms, 0)} ms, main thread busy ${fixed(profile.busyMs, 0)} ms ` +
    `(${share(profile.busyMs)}); by kind: ${kinds}\n  top self time:\n${top}`
  );
}

if (isMain(import.meta.url)) {
  await prepareChildren((line) => console.log(line));
  try {
    await runProfileLeg({ large: parseLegArgs(process.argv.slice(2)).large });
  } finally {
    await removeChildren();
  }
}
