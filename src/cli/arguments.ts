/** Parsers of the command line's values (commander calls them; a bad value is a usage error, exit 2). */
import { type Command, InvalidArgumentError } from 'commander';
import { isClockTime, isIsoDate } from '../config.js';
import { ENTITY_NAMES, isEntityName, type EntityName } from '../entities/catalog.js';

export function dateArg(value: string): string {
  if (!isIsoDate(value)) throw new InvalidArgumentError('expected a date yyyy-mm-dd');
  return value;
}

export function entityArg(value: string, previous: EntityName[] = []): EntityName[] {
  if (!isEntityName(value)) throw new InvalidArgumentError(`expected one of ${ENTITY_NAMES.join(', ')}`);
  return [...previous, value];
}

export function intArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number');
  return n;
}

export function positiveNumberArg(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
}

export interface RunOptions {
  entity?: EntityName[];
  dryRun?: boolean;
  json?: boolean;
  until?: string;
  maxApiCalls?: number;
}

function clockArg(value: string): string {
  if (!isClockTime(value)) throw new InvalidArgumentError('expected a time of day HH:MM');
  return value;
}

/** Options shared by `run` and `backfill`. */
export function withRunOptions(command: Command): Command {
  return command
    .option('--dry-run', 'print the window plan, API calls and time it needs; change nothing')
    .option('--json', 'with --dry-run: machine-readable output')
    .option(
      '--until <HH:MM>',
      'start no window that could not finish by then (SCHEDULE_TZ); defer the rest',
      clockArg,
    )
    .option('--max-api-calls <n>', 'spend at most this many jobs API calls; defer the rest', intArg);
}
