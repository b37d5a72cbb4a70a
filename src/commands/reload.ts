/**
 * `cxone-etl reload --entity E --window D`: re-extracts exactly one window, the loaded window that
 * contains day D (or that day alone when none does), with a new job and the usual one-transaction load,
 * and says how many rows it replaced. Running it twice leaves the same rows.
 */
import { executeRun, type ExecuteRunDeps } from '../run/execute-run.js';
import type { EntityName } from '../entities/catalog.js';

export async function reloadCommand(
  deps: ExecuteRunDeps,
  opts: { entity: EntityName; day: string },
): Promise<number> {
  const next = new Date(Date.parse(`${opts.day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  // A backfill of one day re-extracts the ledger window that holds it whole, never a slice of it.
  const { summary } = await executeRun(
    { ...deps, trigger: 'reload' },
    { mode: 'backfill', entities: [opts.entity], from: opts.day, to: next },
  );
  for (const w of summary.windows) {
    if (w.outcome.status === 'loaded') {
      const delta = w.outcome.rows - w.outcome.replaced;
      deps.out.write(
        `${w.entity} ${w.window}: ${w.outcome.replaced} rows replaced by ${w.outcome.rows} ` +
          `(${delta >= 0 ? '+' : ''}${delta}), job ${w.outcome.jobId}\n`,
      );
    } else {
      deps.out.write(`${w.entity} ${w.window}: failed: ${w.outcome.error.message}\n`);
    }
  }
  if (summary.windows.length === 0)
    deps.out.write(
      `Nothing to reload: ${opts.day} is not before the settle horizon, or RETENTION has removed it.\n`,
    );
  return summary.failed > 0 ? 1 : 0;
}
