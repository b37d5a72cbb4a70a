/** What `run`, `backfill`, `reload`, the daemon and the demo ask of a run, and the entities it covers. */
import type { EntitySettings } from '../config.js';
import { ENTITIES, type EntityName } from '../entities/catalog.js';
import type { RunRequest } from '../extract/types.js';

export interface RunLimits {
  /** HH:MM (SCHEDULE_TZ); overrides RUN_DEADLINE. */
  until?: string | undefined;
  maxApiCalls?: number | undefined;
}

export type RunCommandRequest =
  | ({ mode: 'run'; entities?: EntityName[] | undefined } & RunLimits)
  | ({ mode: 'backfill'; entities?: EntityName[] | undefined; from: string; to: string } & RunLimits);

/** The planner's request: dates as UTC-midnight instants; `freshSince` when we waited for another run. */
export function toRunRequest(request: RunCommandRequest, freshSince: number | undefined): RunRequest {
  return request.mode === 'run'
    ? { mode: 'run', ...(freshSince !== undefined ? { freshSince } : {}) }
    : {
        mode: 'backfill',
        from: Date.parse(`${request.from}T00:00:00Z`),
        to: Date.parse(`${request.to}T00:00:00Z`),
      };
}

export function selectEntities(
  configured: readonly EntitySettings[],
  only: EntityName[] | undefined,
): EntitySettings[] {
  if (!only || only.length === 0) return [...configured];
  // An entity named on the command line but left out of EXTRACT_ENTITIES runs with its catalogue defaults.
  return only.map((name) => {
    const def = ENTITIES.find((e) => e.name === name);
    return (
      configured.find((e) => e.name === name) ?? {
        name,
        version: def?.defaultVersion ?? '1',
        dateFormat: def?.dateFormat ?? 'date',
        endDateInclusive: false,
      }
    );
  });
}
