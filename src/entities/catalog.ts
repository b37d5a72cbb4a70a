/**
 * The five Data Extraction API entities (docs/API.md, "Entities").
 * One place for each entity's API name, default version, time basis and date format; the worker and
 * the simulator both read it, so they cannot disagree about what an entity is.
 */
export type EntityName =
  | 'qm-workflows'
  | 'qm-questions'
  | 'qm-evaluation-comment-entity'
  | 'recording-interaction-metadata'
  | 'wfm-payroll';

/** `date`: yyyy-mm-dd; `datetime`: yyyy-mm-dd hh:mm:ss (UTC). */
export type DateFormat = 'date' | 'datetime';

/** `utc`: filtered by a UTC date/time; `schedule-unit`: by the payroll-code date in the WFM schedule unit's zone. */
export type TimeBasis = 'utc' | 'schedule-unit';

export interface EntityDefinition {
  readonly name: EntityName;
  readonly defaultVersion: string;
  readonly timeBasis: TimeBasis;
  readonly dateFormat: DateFormat;
  /** What the API filters on, for docs and error messages. */
  readonly filteredBy: string;
}

export const ENTITIES: readonly EntityDefinition[] = Object.freeze([
  {
    name: 'qm-workflows',
    defaultVersion: '4',
    timeBasis: 'utc',
    dateFormat: 'date',
    filteredBy: 'submission date (UTC)',
  },
  {
    name: 'qm-questions',
    defaultVersion: '2',
    timeBasis: 'utc',
    dateFormat: 'date',
    filteredBy: 'submission date (UTC)',
  },
  {
    name: 'qm-evaluation-comment-entity',
    defaultVersion: '1',
    timeBasis: 'utc',
    dateFormat: 'date',
    filteredBy: 'submission date (UTC)',
  },
  {
    name: 'recording-interaction-metadata',
    defaultVersion: '10',
    timeBasis: 'utc',
    dateFormat: 'datetime',
    filteredBy: 'interaction date/time (UTC)',
  },
  {
    name: 'wfm-payroll',
    defaultVersion: '1',
    timeBasis: 'schedule-unit',
    dateFormat: 'date',
    filteredBy: "payroll-code date (schedule unit's time zone)",
  },
] satisfies EntityDefinition[]);

export const ENTITY_NAMES: readonly EntityName[] = ENTITIES.map((e) => e.name);

export function findEntity(name: string): EntityDefinition | undefined {
  return ENTITIES.find((e) => e.name === name);
}

export function isEntityName(name: string): name is EntityName {
  return ENTITY_NAMES.includes(name as EntityName);
}

/** Staging table name: the entity name with `-` replaced by `_`. */
export function stagingTableName(entity: EntityName): string {
  return entity.replace(/-/g, '_');
}

/**
 * The IANA zone an entity's dates are read in: WFM_TIMEZONE (the WFM schedule unit's zone) for entities
 * filtered by a schedule-unit date, UTC for the rest. Window grids, API dates, gap reports and the typed
 * views' timestamps all follow this one rule.
 */
export function zoneFor(timeBasis: TimeBasis, wfmTimeZone: string): string {
  return timeBasis === 'schedule-unit' ? wfmTimeZone : 'UTC';
}
