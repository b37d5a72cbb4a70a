/**
 * Named places where the reliability suite has the process killed with SIGKILL (no cleanup, no
 * rollback, no log flush), to prove that a crash anywhere loses and doubles nothing. A no-op unless src/main.ts arms it from CXONE_ETL_CRASH_AT=<point>:<n>, which kills the
 * process the n-th time that point is reached.
 */
export const CRASH_POINTS = [
  'token', // a token answer arrived, before it is cached
  'gate', // a gated API call answered, before the rate gate row records it
  'post', // POST /jobs answered with a job id, before the ledger stores it
  'poll', // a status call answered, before the ledger records it
  'download', // a chunk of the file arrived
  'copy', // a chunk is on its way into COPY, inside the load transaction
  'commit', // the window is loaded and checkpointed, just before COMMIT
  'committed', // just after COMMIT
  'retention', // a batch of expired staging rows was deleted and committed (src/run/retention.ts)
] as const;

export type CrashPoint = (typeof CRASH_POINTS)[number];

let armed: { point: CrashPoint; remaining: number } | undefined;

/** Parses `<point>:<n>` (n ≥ 1) and arms it; undefined or '' disarms. Throws on anything else. */
export function armCrashPoint(spec: string | undefined): void {
  if (spec === undefined || spec.trim() === '') {
    armed = undefined;
    return;
  }
  const match = /^([a-z]+):(\d+)$/.exec(spec.trim());
  const point = CRASH_POINTS.find((p) => p === match?.[1]);
  const n = Number(match?.[2]);
  if (!point || !Number.isInteger(n) || n < 1) {
    throw new Error(`CXONE_ETL_CRASH_AT: expected <point>:<n> with point one of ${CRASH_POINTS.join(', ')}`);
  }
  armed = { point, remaining: n };
}

export function crashPoint(point: CrashPoint): void {
  if (armed?.point !== point || --armed.remaining > 0) return;
  // stderr is synchronous for files and pipes, so the harness sees where the process died.
  process.stderr.write(`cxone-etl: crash point ${point} reached: SIGKILL\n`);
  process.kill(process.pid, 'SIGKILL');
}
