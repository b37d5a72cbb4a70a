/**
 * Each command's module loads when that command runs, so `run` pays at start-up for neither the
 * simulator, the daemon's metrics and health server, nor the demo: time and resident memory (the
 * bench's end-to-end leg counts both).
 */
export const migrateCommand: typeof import('../commands/migrate.js').migrateCommand = async (...args) =>
  (await import('../commands/migrate.js')).migrateCommand(...args);
export const simCommand: typeof import('../commands/sim.js').simCommand = async (...args) =>
  (await import('../commands/sim.js')).simCommand(...args);
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
export const demoCommand: typeof import('../commands/demo.js').demoCommand = async (...args) =>
  (await import('../commands/demo.js')).demoCommand(...args);
export const daemonCommand: typeof import('../commands/daemon.js').daemonCommand = async (...args) =>
  (await import('../commands/daemon.js')).daemonCommand(...args);
export const dbCommand: typeof import('../commands/db.js').dbCommand = async (...args) =>
  (await import('../commands/db.js')).dbCommand(...args);
export const schemaCommand: typeof import('../commands/schema.js').schemaCommand = async (...args) =>
  (await import('../commands/schema.js')).schemaCommand(...args);
export const checkCommand: typeof import('../commands/check.js').checkCommand = async (...args) =>
  (await import('../commands/check.js')).checkCommand(...args);
export const eraseCommand: typeof import('../commands/erase.js').eraseCommand = async (...args) =>
  (await import('../commands/erase.js')).eraseCommand(...args);
