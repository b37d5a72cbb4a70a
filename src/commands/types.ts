/**
 * The signatures of the two development tools, `sim` and `demo`. Their modules (commands/sim.ts,
 * commands/demo.ts and src/simulator/) stay out of the production build (tsconfig.build.json) and the
 * runtime image, so the CLI cannot name them in an import that tsc would follow: it types them from
 * here and loads them by a path held in a variable (src/cli.ts).
 */
import type { Writable } from 'node:stream';
import type { Database } from '../db/open-database.js';
import type { Logger } from '../logger.js';
import type { ExecuteRunDeps } from '../run/execute-run.js';

export interface SimCommandOptions {
  port: number;
  host?: string;
  publicUrl?: string;
  timeScale: number;
  violationResponse?: 403 | 429 | 400;
  syncEndpoint?: boolean;
  allowConcurrentJobs?: boolean;
  /** How many jobs a tenant may run at once (simulator option maxRunningJobs). */
  maxRunningJobs?: number;
  /** The help page's letter where the defaults follow public clients (STRICT_SIMULATOR_OPTIONS). */
  strict?: boolean;
  rateLimitScope?: 'all' | 'create-only';
}

export interface SimCommandDeps {
  log: Logger;
  out: Writable;
  signal: AbortSignal;
}

export type DemoCommandDeps = Pick<
  ExecuteRunDeps,
  'config' | 'log' | 'clock' | 'signal' | 'out' | 'isTty'
> & {
  /** The App's database (DATABASE_URL or the embedded Postgres), migrated; the App closes it. */
  database: () => Promise<Database>;
};

export interface DemoCommandOptions {
  days: number;
}

export type SimCommand = (deps: SimCommandDeps, opts: SimCommandOptions) => Promise<number>;
export type DemoCommand = (deps: DemoCommandDeps, opts: DemoCommandOptions) => Promise<number>;
