/**
 * Each command's module loads when that command runs, so `run` pays at start-up for neither the
 * simulator, the daemon's metrics and health server, nor the demo: time and resident memory (the
 * bench's end-to-end leg counts both).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DemoCommand, SimCommand } from '../commands/types.js';
import { EtlError } from '../lib/errors.js';

export const migrateCommand: typeof import('../commands/migrate.js').migrateCommand = async (...args) =>
  (await import('../commands/migrate.js')).migrateCommand(...args);
export const runCommand: typeof import('../commands/run.js').runCommand = async (...args) =>
  (await import('../commands/run.js')).runCommand(...args);
export const dryRunCommand: typeof import('../commands/dry-run.js').dryRunCommand = async (...args) =>
  (await import('../commands/dry-run.js')).dryRunCommand(...args);
export const gapsCommand: typeof import('../commands/gaps.js').gapsCommand = async (...args) =>
  (await import('../commands/gaps.js')).gapsCommand(...args);
export const reloadCommand: typeof import('../commands/reload.js').reloadCommand = async (...args) =>
  (await import('../commands/reload.js')).reloadCommand(...args);
export const statusCommand: typeof import('../commands/status.js').statusCommand = async (...args) =>
  (await import('../commands/status.js')).statusCommand(...args);
export const daemonCommand: typeof import('../commands/daemon.js').daemonCommand = async (...args) =>
  (await import('../commands/daemon.js')).daemonCommand(...args);
export const dbCommand: typeof import('../commands/db.js').dbCommand = async (...args) =>
  (await import('../commands/db.js')).dbCommand(...args);
export const schemaCommand: typeof import('../commands/schema.js').schemaCommand = async (...args) =>
  (await import('../commands/schema.js')).schemaCommand(...args);
export const checkCommand: typeof import('../commands/check.js').checkCommand = async (...args) =>
  (await import('../commands/check.js')).checkCommand(...args);

/**
 * The development tools, `sim` and `demo`, live outside the production build (tsconfig.build.json) and
 * the runtime image: their paths are held in a variable, so tsc does not follow them into the build. A
 * build without them answers with what to run instead; a checkout (tsx) and the image's `simulator`
 * target have them.
 */
const DEV_TOOLS = {
  sim: { module: '../commands/sim.js', instead: 'npm run sim, or the image built with --target simulator' },
  demo: { module: '../commands/demo.js', instead: 'npm run demo' },
} as const;

export const simCommand: SimCommand = async (...args) =>
  (await loadDevTool<{ simCommand: SimCommand }>('sim')).simCommand(...args);
export const demoCommand: DemoCommand = async (...args) =>
  (await loadDevTool<{ demoCommand: DemoCommand }>('demo')).demoCommand(...args);

async function loadDevTool<T>(name: keyof typeof DEV_TOOLS): Promise<T> {
  const tool = DEV_TOOLS[name];
  const specifier: string = tool.module;
  try {
    return (await import(specifier)) as T;
  } catch (err) {
    // Only the tool's own module missing means "not in this build"; a missing module further down is
    // a broken install and keeps its own error.
    if (errorCode(err) !== 'ERR_MODULE_NOT_FOUND' || present(specifier)) throw err;
    throw new EtlError(
      'CONFIG',
      `\`${name}\` is a development tool and not part of this build (the runtime image leaves it out): ` +
        `run it from a checkout of cxone-etl (${tool.instead})`,
      { cause: err },
    );
  }
}

function errorCode(err: unknown): unknown {
  return typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
}

/** The tool's module exists as compiled JavaScript or, from a checkout under tsx, as TypeScript. */
function present(specifier: string): boolean {
  const file = fileURLToPath(new URL(specifier, import.meta.url));
  return existsSync(file) || existsSync(file.replace(/\.js$/, '.ts'));
}
