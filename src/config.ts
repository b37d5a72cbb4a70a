/**
 * Environment -> one frozen, typed Config. Parsed once by src/main.ts; nothing else reads process.env.
 * Every bad value fails fast with one line naming the variable and the form it expects
 * (the CLI prints it and exits 2).
 */
import {
  ENTITIES,
  ENTITY_NAMES,
  isEntityName,
  type DateFormat,
  type EntityName,
} from './entities/catalog.js';
import { DURATION_FORM, parseDuration } from './lib/duration.js';
import { EtlError } from './lib/errors.js';
import { Secret } from './lib/secret.js';

/** 30 s: "one API call per 30 seconds per tenant" (Data Extraction API help page, contract "Limits"). */
export const API_MIN_CALL_INTERVAL_MS = 30_000;
/** 14 days: "historical extraction at most two weeks per request" (CXone developer portal). */
export const API_MAX_WINDOW_MS = 14 * 86_400_000;
/** The public CXone issuer; users of other clusters set CXONE_ISSUER_URL. */
export const DEFAULT_ISSUER_URL = 'https://cxone.niceincontact.com';

export type Credentials =
  | { kind: 'access-key'; accessKeyId: string; accessKeySecret: Secret }
  | { kind: 'password'; clientId: string; clientSecret: Secret; username: string; password: Secret };

export type ClientAuthSetting = 'auto' | 'basic' | 'form';

export interface EntitySettings {
  readonly name: EntityName;
  readonly version: string;
  readonly dateFormat: DateFormat;
  /** ASSUMED in the contract: whether the API's endDate is inclusive. Default false (half-open). */
  readonly endDateInclusive: boolean;
}

export interface Config {
  readonly databaseUrl: string | undefined;
  /** Where the embedded Postgres keeps its data when DATABASE_URL is unset. */
  readonly dataDir: string;
  readonly cxone: {
    readonly issuerUrl: string;
    readonly authBaseUrl: string;
    readonly apiBaseUrl: string | undefined;
    readonly credentials: Credentials | undefined;
    readonly tenantId: string | undefined;
    readonly minCallIntervalMs: number;
    /** 'all' gates every jobs call (the documented rule); 'create-only' gates only job creation. */
    readonly gateScope: 'all' | 'create-only';
    /**
     * How the password grant sends the client id and secret: 'auto' reads the issuer's
     * token_endpoint_auth_methods_supported (HTTP Basic when listed, else form fields).
     */
    readonly clientAuth: ClientAuthSetting;
    readonly useSyncEndpoint: boolean;
    readonly requestTimeoutMs: number;
    readonly syncTimeoutMs: number;
    /** A download whose socket stays silent this long fails (and is retried with a fresh URL). */
    readonly downloadIdleTimeoutMs: number;
  };
  readonly extract: {
    readonly entities: readonly EntitySettings[];
    /** yyyy-mm-dd; undefined means "one backfill window before today". */
    readonly startDate: string | undefined;
    readonly windowMs: number;
    readonly backfillWindowMs: number;
    readonly lookbackMs: number;
    readonly settleDelayMs: number;
    readonly maxAttempts: number;
    readonly jobTimeoutMs: number;
    readonly onLocked: 'wait' | 'exit';
    /**
     * EXTRACT_MAX_JOBS_IN_FLIGHT: how many jobs one tenant may have running at once. 'auto' starts at
     * 2 and learns the tenant's limit (src/extract/jobs-limit.repository.ts); 1 is the serial worker.
     */
    readonly maxJobsInFlight: 'auto' | number;
  };
  readonly wfmTimeZone: string;
  readonly stagingSchema: string;
  /** Schema of the typed views over the staging tables. */
  readonly reportingSchema: string;
  readonly schedule: { readonly cron: string; readonly timeZone: string };
  /**
   * FRESHNESS_MAX_LAG: per entity, how far behind now its checkpoint may fall before it counts as
   * stale; entities not listed (all, when unset) use the default derived from the schedule.
   */
  readonly freshness: { readonly maxLagMs: ReadonlyMap<EntityName, number> };
  readonly notify: {
    /** NOTIFY_WEBHOOK_URL: a secret (Slack and Teams webhook URLs carry their token). */
    readonly webhookUrl: Secret | undefined;
    readonly format: 'json' | 'slack' | 'teams';
    /** How long one notification may take, retries included: never longer than this to a run. */
    readonly timeoutMs: number;
  };
  readonly log: { readonly level: string; readonly format: 'auto' | 'json' | 'pretty' };
  readonly run: {
    /** HH:MM in SCHEDULE_TZ: no window starts that could not end before it (e.g. business hours). */
    readonly deadline: string | undefined;
    readonly maxApiCalls: number | undefined;
    /** Exit code of a run that deferred windows (default 0: deferral is a clean stop). */
    readonly deferredExitCode: number;
  };
  readonly httpPort: number;
  readonly shutdownGraceMs: number;
  readonly tenantsFile: string | undefined;
  /** Finished runs and never-loaded ledger rows older than this are pruned by the daemon. */
  readonly historyRetentionMs: number;
  /** Problems worth a warning at start (not errors), e.g. a call interval below the API's 30 s. */
  readonly warnings: readonly string[];
}

export type Env = Readonly<Record<string, string | undefined>>;

export class ConfigError extends EtlError {
  constructor(
    readonly variable: string,
    expected: string,
    got: string | undefined,
  ) {
    super(
      'CONFIG',
      `${variable}: expected ${expected}${got === undefined ? ' (not set)' : `, got ${quote(got)}`}`,
    );
  }
}

function quote(value: string): string {
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
}

/**
 * `26h` (every entity) or `qm-workflows=26h,wfm-payroll=3d` (the ones named; the rest use the
 * schedule's default), with `*=26h` for the rest.
 */
function maxLags(env: Env, name: string): ReadonlyMap<EntityName, number> {
  const text = raw(env, name);
  const lags = new Map<EntityName, number>();
  if (text === undefined) return lags;
  const form = `${DURATION_FORM}, or entity=duration pairs separated by commas (e.g. qm-workflows=26h,*=2d)`;
  const parts = text.split(',').map((p) => p.trim());
  const all = parseDuration(text);
  if (all !== undefined && all > 0) {
    for (const e of ENTITY_NAMES) lags.set(e, all);
    return lags;
  }
  let rest: number | undefined;
  for (const part of parts) {
    const [entity, value] = part.split('=').map((x) => x.trim());
    const ms = value === undefined ? undefined : parseDuration(value);
    if (entity === undefined || ms === undefined || ms <= 0) throw new ConfigError(name, form, text);
    if (entity === '*') rest = ms;
    else if (isEntityName(entity)) lags.set(entity, ms);
    else throw new ConfigError(name, `${form}; unknown entity ${entity}`, text);
  }
  if (rest !== undefined) for (const e of ENTITY_NAMES) if (!lags.has(e)) lags.set(e, rest);
  return lags;
}

/** An http(s) URL kept as a Secret: it may carry a token in its path or query. */
function secretUrl(env: Env, name: string): Secret | undefined {
  const text = raw(env, name);
  if (text === undefined) return undefined;
  let parsed: URL | undefined;
  try {
    parsed = new URL(text);
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || !['http:', 'https:'].includes(parsed.protocol)) {
    // The value itself stays out of the message: it is a secret.
    throw new ConfigError(name, 'an http:// or https:// URL', '(value hidden)');
  }
  return new Secret(text);
}

/** Reads one variable; empty strings count as unset so `FOO=` in .env means "default". */
function raw(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function duration(env: Env, name: string, fallback: string, min = 0): number {
  const text = raw(env, name) ?? fallback;
  const ms = parseDuration(text);
  if (ms === undefined || ms < min) throw new ConfigError(name, DURATION_FORM, text);
  return ms;
}

function integer(
  env: Env,
  name: string,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const text = raw(env, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new ConfigError(name, `a whole number from ${min} to ${max}`, text);
  }
  return value;
}

/** Above this the listing poll gains little and one tenant's jobs crowd its own interval. */
const MAX_JOBS_IN_FLIGHT = 8;
/**
 * `auto`: try two jobs in flight and fall back to one after a busy answer, remembered per tenant (the
 * API contract's reading: "one caller" speaks of callers, and no source forbids a second job). Learning
 * costs one refused POST per tenant, once; it keeps the 30-s interval, so it is no rate-rule breach.
 */
const DEFAULT_JOBS_IN_FLIGHT: 'auto' | number = 'auto';

function jobsInFlight(env: Env, name: string): 'auto' | number {
  const text = raw(env, name);
  if (text === undefined) return DEFAULT_JOBS_IN_FLIGHT;
  if (text.toLowerCase() === 'auto') return 'auto';
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > MAX_JOBS_IN_FLIGHT) {
    throw new ConfigError(name, `auto or a whole number from 1 to ${MAX_JOBS_IN_FLIGHT}`, text);
  }
  return Number(text);
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const text = raw(env, name);
  if (text === undefined) return fallback;
  const match = allowed.find((a) => a === text.toLowerCase());
  if (!match) throw new ConfigError(name, `one of ${allowed.join(', ')}`, text);
  return match;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const text = raw(env, name)?.toLowerCase();
  if (text === undefined) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(text)) return true;
  if (['0', 'false', 'no', 'off'].includes(text)) return false;
  throw new ConfigError(name, 'true or false', text);
}

function url(env: Env, name: string, fallback?: string): string | undefined {
  const text = raw(env, name) ?? fallback;
  if (text === undefined) return undefined;
  try {
    const parsed = new URL(text);
    if (!['http:', 'https:', 'postgres:', 'postgresql:'].includes(parsed.protocol)) throw new Error('scheme');
  } catch {
    // Never echo a URL that may hold a password: name the variable only.
    throw new ConfigError(
      name,
      'an absolute URL such as https://host or postgres://user@host/db',
      '<invalid URL>',
    );
  }
  return text.replace(/\/+$/, '');
}

function date(env: Env, name: string): string | undefined {
  const text = raw(env, name);
  if (text === undefined) return undefined;
  const ok = /^\d{4}-\d{2}-\d{2}$/.test(text) && !Number.isNaN(Date.parse(`${text}T00:00:00Z`));
  if (!ok || new Date(`${text}T00:00:00Z`).toISOString().slice(0, 10) !== text) {
    throw new ConfigError(name, 'a date yyyy-mm-dd', text);
  }
  return text;
}

export function isClockTime(text: string): boolean {
  return /^([01]\d|2[0-3]):[0-5]\d$/.test(text);
}

function clockTime(env: Env, name: string): string | undefined {
  const text = raw(env, name);
  if (text !== undefined && !isClockTime(text))
    throw new ConfigError(name, 'a time of day HH:MM (24-hour)', text);
  return text;
}

export function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function timeZone(env: Env, name: string, fallback: string): string {
  const text = raw(env, name) ?? fallback;
  if (!isValidTimeZone(text))
    throw new ConfigError(name, 'an IANA time zone such as UTC or Asia/Seoul', text);
  return text;
}

function identifier(env: Env, name: string, fallback: string): string {
  const text = raw(env, name) ?? fallback;
  // Lower-case unquoted-identifier form keeps operator SQL simple and leaves no room for injection.
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(text)) {
    throw new ConfigError(name, 'a lower-case Postgres identifier (a-z, 0-9, _; up to 63 characters)', text);
  }
  return text;
}

function entityList(env: Env, name: string): EntityName[] {
  const text = raw(env, name);
  if (text === undefined) return [...ENTITY_NAMES];
  const names = text.split(',').map((s) => s.trim());
  for (const n of names) {
    if (!isEntityName(n)) throw new ConfigError(name, `a comma list of ${ENTITY_NAMES.join(', ')}`, text);
  }
  return [...new Set(names as EntityName[])];
}

/** `entity=value,entity=value` maps, e.g. CXONE_ENTITY_VERSIONS=recording-interaction-metadata=7. */
function entityMap(
  env: Env,
  name: string,
  valueForm: string,
  valid: (v: string) => boolean,
): Map<EntityName, string> {
  const text = raw(env, name);
  const map = new Map<EntityName, string>();
  if (text === undefined) return map;
  for (const pair of text.split(',')) {
    const [key, value] = pair.split('=').map((s) => s.trim());
    if (!key || !isEntityName(key) || value === undefined || !valid(value)) {
      throw new ConfigError(name, `a comma list of entity=${valueForm}`, text);
    }
    map.set(key, value);
  }
  return map;
}

function credentials(env: Env): Credentials | undefined {
  const keyId = raw(env, 'CXONE_ACCESS_KEY_ID');
  const keySecret = raw(env, 'CXONE_ACCESS_KEY_SECRET');
  if (keyId !== undefined || keySecret !== undefined) {
    if (keyId === undefined) throw new ConfigError('CXONE_ACCESS_KEY_ID', 'the access key id', undefined);
    if (keySecret === undefined)
      throw new ConfigError('CXONE_ACCESS_KEY_SECRET', 'the access key secret', undefined);
    return { kind: 'access-key', accessKeyId: keyId, accessKeySecret: new Secret(keySecret) };
  }
  const names = ['CXONE_CLIENT_ID', 'CXONE_CLIENT_SECRET', 'CXONE_USERNAME', 'CXONE_PASSWORD'] as const;
  const values = names.map((n) => raw(env, n));
  if (values.every((v) => v === undefined)) return undefined;
  const missing = names.find((_, i) => values[i] === undefined);
  if (missing)
    throw new ConfigError(
      missing,
      'a value (the password grant needs all four CXONE_CLIENT_ID, CXONE_CLIENT_SECRET, CXONE_USERNAME, CXONE_PASSWORD)',
      undefined,
    );
  const [clientId, clientSecret, username, password] = values as string[];
  return {
    kind: 'password',
    clientId: clientId as string,
    clientSecret: new Secret(clientSecret as string),
    username: username as string,
    password: new Secret(password as string),
  };
}

export function parseConfig(env: Env): Config {
  const warnings: string[] = [];
  const issuerUrl = url(env, 'CXONE_ISSUER_URL', DEFAULT_ISSUER_URL) as string;
  const minCallIntervalMs = integer(env, 'CXONE_MIN_CALL_INTERVAL_MS', API_MIN_CALL_INTERVAL_MS, 0);
  if (minCallIntervalMs < API_MIN_CALL_INTERVAL_MS) {
    warnings.push(
      `CXONE_MIN_CALL_INTERVAL_MS=${minCallIntervalMs} is below the API's 30000 ms rule: use it only against the simulator, or the tenant will be throttled`,
    );
  }
  const backfillWindowMs = duration(env, 'EXTRACT_BACKFILL_WINDOW', '14d', 1000);
  if (backfillWindowMs > API_MAX_WINDOW_MS) {
    throw new ConfigError(
      'EXTRACT_BACKFILL_WINDOW',
      `${DURATION_FORM}, at most 14d (API limit)`,
      raw(env, 'EXTRACT_BACKFILL_WINDOW'),
    );
  }
  const windowMs = duration(env, 'EXTRACT_WINDOW', '1d', 60_000);
  if (windowMs > backfillWindowMs) {
    throw new ConfigError(
      'EXTRACT_WINDOW',
      `${DURATION_FORM}, no longer than EXTRACT_BACKFILL_WINDOW`,
      raw(env, 'EXTRACT_WINDOW'),
    );
  }
  const versions = entityMap(env, 'CXONE_ENTITY_VERSIONS', 'version', (v) => /^\d+$/.test(v));
  const formats = entityMap(
    env,
    'CXONE_DATE_FORMATS',
    'date|datetime',
    (v) => v === 'date' || v === 'datetime',
  );
  // ASSUMED in the contract: no source says whether endDate is inclusive; list the entities where it is.
  const inclusive = new Set(
    raw(env, 'CXONE_END_DATE_INCLUSIVE') === undefined ? [] : entityList(env, 'CXONE_END_DATE_INCLUSIVE'),
  );
  const entities = entityList(env, 'EXTRACT_ENTITIES').map((name): EntitySettings => {
    const def = ENTITIES.find((e) => e.name === name);
    if (!def) throw new ConfigError('EXTRACT_ENTITIES', 'known entity names', name);
    return Object.freeze({
      name,
      version: versions.get(name) ?? def.defaultVersion,
      dateFormat: (formats.get(name) as DateFormat | undefined) ?? def.dateFormat,
      endDateInclusive: inclusive.has(name),
    });
  });

  const config: Config = {
    databaseUrl: url(env, 'DATABASE_URL'),
    dataDir: raw(env, 'DATA_DIR') ?? '.cxone-etl',
    cxone: Object.freeze({
      issuerUrl,
      authBaseUrl: url(env, 'CXONE_AUTH_BASE_URL', issuerUrl) as string,
      apiBaseUrl: url(env, 'CXONE_API_BASE_URL'),
      credentials: credentials(env),
      tenantId: raw(env, 'CXONE_TENANT_ID'),
      minCallIntervalMs,
      gateScope: oneOf(env, 'CXONE_GATE_SCOPE', ['all', 'create-only'] as const, 'all'),
      clientAuth: oneOf(env, 'CXONE_CLIENT_AUTH', ['auto', 'basic', 'form'] as const, 'auto'),
      useSyncEndpoint: boolean(env, 'CXONE_USE_SYNC_ENDPOINT', false),
      requestTimeoutMs: duration(env, 'CXONE_REQUEST_TIMEOUT', '60s', 1000),
      syncTimeoutMs: duration(env, 'CXONE_SYNC_TIMEOUT', '30m', 1000),
      downloadIdleTimeoutMs: duration(env, 'CXONE_DOWNLOAD_IDLE_TIMEOUT', '60s', 1000),
    }),
    extract: Object.freeze({
      entities: Object.freeze(entities),
      startDate: date(env, 'EXTRACT_START_DATE'),
      windowMs,
      backfillWindowMs,
      lookbackMs: duration(env, 'EXTRACT_LOOKBACK', '1d'),
      settleDelayMs: duration(env, 'EXTRACT_SETTLE_DELAY', '30m'),
      maxAttempts: integer(env, 'EXTRACT_MAX_ATTEMPTS', 3, 1, 20),
      jobTimeoutMs: duration(env, 'EXTRACT_JOB_TIMEOUT', '6h', 1000),
      onLocked: oneOf(env, 'EXTRACT_ON_LOCKED', ['wait', 'exit'] as const, 'wait'),
      maxJobsInFlight: jobsInFlight(env, 'EXTRACT_MAX_JOBS_IN_FLIGHT'),
    }),
    wfmTimeZone: timeZone(env, 'WFM_TIMEZONE', 'UTC'),
    stagingSchema: identifier(env, 'STAGING_SCHEMA', 'cxone_staging'),
    reportingSchema: identifier(env, 'REPORTING_SCHEMA', 'cxone'),
    schedule: Object.freeze({
      cron: raw(env, 'SCHEDULE_CRON') ?? '0 2 * * *',
      timeZone: timeZone(env, 'SCHEDULE_TZ', 'UTC'),
    }),
    freshness: Object.freeze({ maxLagMs: maxLags(env, 'FRESHNESS_MAX_LAG') }),
    notify: Object.freeze({
      webhookUrl: secretUrl(env, 'NOTIFY_WEBHOOK_URL'),
      format: oneOf(env, 'NOTIFY_FORMAT', ['json', 'slack', 'teams'] as const, 'json'),
      timeoutMs: duration(env, 'NOTIFY_TIMEOUT', '15s', 1000),
    }),
    log: Object.freeze({
      level: oneOf(
        env,
        'LOG_LEVEL',
        ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const,
        'info',
      ),
      format: oneOf(env, 'LOG_FORMAT', ['auto', 'json', 'pretty'] as const, 'auto'),
    }),
    run: Object.freeze({
      deadline: clockTime(env, 'RUN_DEADLINE'),
      maxApiCalls:
        raw(env, 'RUN_MAX_API_CALLS') === undefined ? undefined : integer(env, 'RUN_MAX_API_CALLS', 0, 1),
      deferredExitCode: integer(env, 'RUN_DEFERRED_EXIT_CODE', 0, 0, 125),
    }),
    httpPort: integer(env, 'HTTP_PORT', 9464, 0, 65535),
    shutdownGraceMs: duration(env, 'SHUTDOWN_GRACE', '30s', 0),
    tenantsFile: raw(env, 'TENANTS_FILE'),
    historyRetentionMs: duration(env, 'HISTORY_RETENTION', '90d', 86_400_000),
    warnings: Object.freeze(warnings),
  };
  return Object.freeze(config);
}

/** For commands that talk to CXone: credentials must be present. */
export function requireCredentials(config: Config): Credentials {
  if (!config.cxone.credentials) {
    throw new ConfigError(
      'CXONE_ACCESS_KEY_ID',
      'credentials: CXONE_ACCESS_KEY_ID and CXONE_ACCESS_KEY_SECRET, or CXONE_CLIENT_ID, CXONE_CLIENT_SECRET, CXONE_USERNAME and CXONE_PASSWORD',
      undefined,
    );
  }
  return config.cxone.credentials;
}
