/**
 * `cxone-etl run` and `backfill`: one tenant from the env config (src/run/execute-run.ts), then the
 * summary. Exit 0 when every window loaded, 1 when any failed, RUN_DEFERRED_EXIT_CODE when windows
 * were left for the next run.
 */
import { executeRun, type ExecuteRunDeps } from '../run/execute-run.js';
import type { RunCommandRequest } from '../run/run-request.js';
import { formatSummary } from './summary.js';

export async function runCommand(deps: ExecuteRunDeps, request: RunCommandRequest): Promise<number> {
  const result = await executeRun(deps, request);
  deps.out.write(`\n${formatSummary(result.summary, result.calls)}`);
  for (const note of result.qualityNotes) deps.out.write(`${note}\n`);
  if (result.summary.failed > 0 || result.summary.aborted) return 1;
  return result.summary.deferred > 0 ? deps.config.run.deferredExitCode : 0;
}
