/**
 * From the environment to the variables' typed values (./variables.ts), then to the sections of Config
 * that take more than one variable: the rules across variables (a window no longer than the backfill
 * window, credentials given in whole) live here.
 */
import { ENTITIES } from '../entities/catalog.js';
import { EtlError } from '../lib/errors.js';
import { Secret } from '../lib/secret.js';
import { DURATION_FORM, type ShownAs } from './forms.js';
import type { Config, Credentials, EntitySettings, Env, PrivacySettings } from './types.js';
import {
  API_MIN_CALL_INTERVAL_MS,
  ENV_SCHEMA,
  VARIABLES,
  type VariableName,
  type Variables,
} from './variables.js';

/** A bad configuration value: one line naming the variable and the form it expects (the CLI exits 2). */
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

/** Reads one variable; empty strings count as unset so `FOO=` in .env means "default". */
export function raw(env: Env, name: VariableName): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** Every variable, checked; the first bad one (in .env.example's order) fails as one ConfigError line. */
export function readVariables(env: Env): Variables {
  const names = Object.keys(VARIABLES) as VariableName[];
  const texts: Partial<Record<VariableName, string>> = Object.fromEntries(
    names.map((name) => [name, raw(env, name)]),
  );
  const result = ENV_SCHEMA.safeParse(texts);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const name = String(issue?.path[0]) as VariableName;
  const shown = (issue as { params?: Partial<ShownAs> } | undefined)?.params?.shown ?? texts[name];
  throw new ConfigError(name, issue?.message ?? 'a valid value', shown);
}

export function warningsOf(v: Variables): string[] {
  const warnings: string[] = [];
  if (v.CXONE_MIN_CALL_INTERVAL_MS < API_MIN_CALL_INTERVAL_MS) {
    warnings.push(
      `CXONE_MIN_CALL_INTERVAL_MS=${v.CXONE_MIN_CALL_INTERVAL_MS} is below the API's 30000 ms rule: use it only against the simulator, or the tenant will be throttled`,
    );
  }
  return warnings;
}

export function cxoneSection(v: Variables): Config['cxone'] {
  return Object.freeze({
    issuerUrl: v.CXONE_ISSUER_URL,
    authBaseUrl: v.CXONE_AUTH_BASE_URL ?? v.CXONE_ISSUER_URL,
    apiBaseUrl: v.CXONE_API_BASE_URL,
    credentials: credentials(v),
    tenantId: v.CXONE_TENANT_ID,
    minCallIntervalMs: v.CXONE_MIN_CALL_INTERVAL_MS,
    gateScope: v.CXONE_GATE_SCOPE,
    clientAuth: v.CXONE_CLIENT_AUTH,
    useSyncEndpoint: v.CXONE_USE_SYNC_ENDPOINT,
    requestTimeoutMs: v.CXONE_REQUEST_TIMEOUT,
    syncTimeoutMs: v.CXONE_SYNC_TIMEOUT,
    downloadIdleTimeoutMs: v.CXONE_DOWNLOAD_IDLE_TIMEOUT,
  });
}

/** An access key (both halves), or the password grant (all four), or none (commands that need one say so). */
function credentials(v: Variables): Credentials | undefined {
  const keyId = v.CXONE_ACCESS_KEY_ID;
  const keySecret = v.CXONE_ACCESS_KEY_SECRET;
  if (keyId !== undefined || keySecret !== undefined) {
    if (keyId === undefined) throw new ConfigError('CXONE_ACCESS_KEY_ID', 'the access key id', undefined);
    if (keySecret === undefined)
      throw new ConfigError('CXONE_ACCESS_KEY_SECRET', 'the access key secret', undefined);
    return { kind: 'access-key', accessKeyId: keyId, accessKeySecret: new Secret(keySecret) };
  }
  const names = ['CXONE_CLIENT_ID', 'CXONE_CLIENT_SECRET', 'CXONE_USERNAME', 'CXONE_PASSWORD'] as const;
  const values = names.map((n) => v[n]);
  if (values.every((value) => value === undefined)) return undefined;
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

export function extractSection(env: Env, v: Variables): Config['extract'] {
  if (v.EXTRACT_WINDOW > v.EXTRACT_BACKFILL_WINDOW) {
    throw new ConfigError(
      'EXTRACT_WINDOW',
      `${DURATION_FORM}, no longer than EXTRACT_BACKFILL_WINDOW`,
      raw(env, 'EXTRACT_WINDOW'),
    );
  }
  return Object.freeze({
    entities: Object.freeze(entitySettings(v)),
    startDate: v.EXTRACT_START_DATE,
    windowMs: v.EXTRACT_WINDOW,
    backfillWindowMs: v.EXTRACT_BACKFILL_WINDOW,
    lookbackMs: v.EXTRACT_LOOKBACK,
    settleDelayMs: v.EXTRACT_SETTLE_DELAY,
    maxAttempts: v.EXTRACT_MAX_ATTEMPTS,
    jobTimeoutMs: v.EXTRACT_JOB_TIMEOUT,
    onLocked: v.EXTRACT_ON_LOCKED,
    maxJobsInFlight: v.EXTRACT_MAX_JOBS_IN_FLIGHT,
  });
}

/** RETENTION shorter than this would remove windows the same day they are loaded. */
const MIN_RETENTION_MS = 86_400_000;

/** COLUMN_POLICY with PII_HASH_KEY (needed as soon as one rule hashes) and RETENTION. */
export function privacySection(env: Env, v: Variables): PrivacySettings {
  const hashes = v.COLUMN_POLICY.some((rule) => rule.action === 'hash');
  if (hashes && v.PII_HASH_KEY === undefined) {
    throw new ConfigError(
      'PII_HASH_KEY',
      'a key, because COLUMN_POLICY hashes columns (set PII_HASH_KEY, or change COLUMN_POLICY to drop them)',
      undefined,
    );
  }
  if ([...v.RETENTION.values()].some((ms) => ms < MIN_RETENTION_MS)) {
    throw new ConfigError(
      'RETENTION',
      `${DURATION_FORM}, at least 1d (per entity too)`,
      raw(env, 'RETENTION'),
    );
  }
  return Object.freeze({
    columnPolicy: v.COLUMN_POLICY,
    hashKey: hashes ? v.PII_HASH_KEY : undefined,
    retentionMs: v.RETENTION,
  });
}

function entitySettings(v: Variables): EntitySettings[] {
  // ASSUMED in the contract: no source says whether endDate is inclusive; list the entities where it is.
  const inclusive = new Set(v.CXONE_END_DATE_INCLUSIVE);
  return v.EXTRACT_ENTITIES.map((name): EntitySettings => {
    const def = ENTITIES.find((e) => e.name === name);
    if (!def) throw new ConfigError('EXTRACT_ENTITIES', 'known entity names', name);
    return Object.freeze({
      name,
      version: v.CXONE_ENTITY_VERSIONS.get(name) ?? def.defaultVersion,
      dateFormat: v.CXONE_DATE_FORMATS.get(name) ?? def.dateFormat,
      endDateInclusive: inclusive.has(name),
    });
  });
}
