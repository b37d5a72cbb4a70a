/**
 * TENANTS_FILE: several CXone tenants for one worker, as JSON or YAML. The file holds no secrets: each
 * secret is given as the name of an environment variable (`*Env`) or of a file (`*File`, e.g. a Docker
 * or Kubernetes secret mount), so the file can be committed, diffed and logged. Every problem fails
 * fast as a ConfigError naming the file, the tenant and the field, never a secret's value.
 */
import { readFileSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import {
  API_MAX_WINDOW_MS,
  ConfigError,
  requireCredentials,
  type Config,
  type Credentials,
  type Env,
} from '../config.js';
import { ENTITY_NAMES, isEntityName, type EntityName } from '../entities/catalog.js';
import { DURATION_FORM, formatDuration, hasScheme, isIsoDate, parseDuration } from '../config/forms.js';
import { errorCode } from '../lib/errors.js';
import { Secret } from '../lib/secret.js';

/** Per-tenant settings that replace the environment's; absent means "use the global value". */
export interface TenantOverrides {
  readonly entities?: readonly EntityName[];
  readonly startDate?: string;
  readonly windowMs?: number;
  readonly backfillWindowMs?: number;
  readonly lookbackMs?: number;
  readonly issuerUrl?: string;
  readonly authBaseUrl?: string;
  readonly apiBaseUrl?: string;
  readonly minCallIntervalMs?: number;
}

export interface TenantConfig {
  /** The label in logs, metrics and run history. */
  readonly name: string;
  readonly tenantId?: string;
  readonly credentials: Credentials;
  readonly overrides: TenantOverrides;
}

export type ReadTextFile = (path: string) => string;

/** A problem inside TENANTS_FILE: says where (file, tenant, field) rather than "expected X, got Y". */
export class TenantsFileError extends ConfigError {
  constructor(file: string, where: string | undefined, problem: string) {
    super('TENANTS_FILE', 'a valid tenants file', file);
    this.message = `TENANTS_FILE ${file}: ${where === undefined ? '' : `${where}: `}${problem}`;
  }
}

/** Secret-valued keys and the two ways to give each instead. */
const INLINE_SECRETS = ['accessKeySecret', 'clientSecret', 'password'] as const;

/** Labels go into metrics, logs and lock keys: keep them plain. */
const NAME_FORM = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
/** Also catches a secret pasted where its variable's name belongs, without echoing it. */
const ENV_NAME_FORM = /^[A-Za-z_][A-Za-z0-9_]*$/;

const text = z
  .union([z.string(), z.number()])
  .transform((v) => String(v).trim())
  .refine((v) => v !== '', 'expected a non-empty value');
const envName = z
  .string()
  .regex(ENV_NAME_FORM, 'expected the NAME of an environment variable (letters, digits, _)');
const filePath = z.string().trim().min(1, 'expected a file path');
const duration = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .union([z.string(), z.number()])
    .transform((v) => parseDuration(String(v)))
    .refine(
      (ms) => ms !== undefined && ms >= min && ms <= max,
      `expected ${DURATION_FORM}, at least ${formatDuration(min)}${max === Number.MAX_SAFE_INTEGER ? '' : ` and at most ${formatDuration(max)}`}`,
    )
    .transform((ms) => ms as number);
const httpUrl = z
  .string()
  .refine((u) => hasScheme(u, ['http:', 'https:']), 'expected an absolute http(s) URL')
  .transform((u) => u.replace(/\/+$/, ''));

const tenantSchema = z.strictObject({
  name: z.string().regex(NAME_FORM, 'expected a short label: letters, digits, ".", "_" or "-", at most 63'),
  tenantId: text.optional(),
  accessKeyId: text.optional(),
  accessKeySecretEnv: envName.optional(),
  accessKeySecretFile: filePath.optional(),
  clientId: text.optional(),
  clientSecretEnv: envName.optional(),
  clientSecretFile: filePath.optional(),
  username: text.optional(),
  passwordEnv: envName.optional(),
  passwordFile: filePath.optional(),
  entities: z
    .array(z.string().refine(isEntityName, `expected one of ${ENTITY_NAMES.join(', ')}`))
    .min(1, 'expected at least one entity')
    .transform((names) => [...new Set(names as EntityName[])])
    .optional(),
  startDate: z.string().refine(isIsoDate, 'expected a date yyyy-mm-dd').optional(),
  // Same limits as EXTRACT_WINDOW, EXTRACT_BACKFILL_WINDOW (14 d: the API's limit) and EXTRACT_LOOKBACK.
  window: duration(60_000, API_MAX_WINDOW_MS).optional(),
  backfillWindow: duration(1000, API_MAX_WINDOW_MS).optional(),
  lookback: duration(0).optional(),
  issuerUrl: httpUrl.optional(),
  authBaseUrl: httpUrl.optional(),
  apiBaseUrl: httpUrl.optional(),
  minCallIntervalMs: z
    .number({ error: 'expected a whole number of milliseconds' })
    .int('expected a whole number of milliseconds')
    .min(0, 'expected a whole number of milliseconds')
    .optional(),
});
type TenantEntry = z.infer<typeof tenantSchema>;

/** Reads and checks TENANTS_FILE; secret files named in it are resolved relative to its directory. */
export function loadTenantsFile(
  path: string,
  env: Env,
  readFile: ReadTextFile = (p) => readFileSync(p, 'utf8'),
): TenantConfig[] {
  const entries = tenantList(path, parseDocument(path, readTextFile(path, readFile)));
  const seen = new Map<string, number>();
  return entries.map((raw, index) => {
    const tenant = checkEntry(path, index, raw);
    const where = tenantLabel(index, tenant.name);
    const earlier = seen.get(tenant.name.toLowerCase());
    if (earlier !== undefined) {
      throw new TenantsFileError(
        path,
        where,
        `name is already used by tenant #${earlier + 1}; names must be unique`,
      );
    }
    seen.set(tenant.name.toLowerCase(), index);
    const secrets = new SecretSource(path, where, env, readFile);
    return Object.freeze({
      name: tenant.name,
      ...(tenant.tenantId === undefined ? {} : { tenantId: tenant.tenantId }),
      credentials: Object.freeze(credentialsOf(tenant, secrets, path, where)),
      overrides: Object.freeze(overridesOf(tenant, path, where)),
    });
  });
}

/** Without TENANTS_FILE: the one tenant the CXONE_* variables describe. */
export function tenantsFromConfig(config: Config): TenantConfig[] {
  const tenant: TenantConfig = {
    name: 'default',
    ...(config.cxone.tenantId === undefined ? {} : { tenantId: config.cxone.tenantId }),
    credentials: requireCredentials(config),
    overrides: Object.freeze({}),
  };
  return [Object.freeze(tenant)];
}

/** TENANTS_FILE when set, else the single env-configured tenant. */
export function loadTenants(config: Config, env: Env, readFile?: ReadTextFile): TenantConfig[] {
  return config.tenantsFile === undefined
    ? tenantsFromConfig(config)
    : loadTenantsFile(config.tenantsFile, env, readFile);
}

function readTextFile(path: string, readFile: ReadTextFile): string {
  try {
    return readFile(path);
  } catch (err) {
    throw new TenantsFileError(path, undefined, `cannot read it (${errorCode(err) ?? 'unreadable'})`);
  }
}

function parseDocument(path: string, source: string): unknown {
  const ext = extname(path).toLowerCase();
  const json = ext === '.json' || (ext !== '.yaml' && ext !== '.yml' && /^\s*[[{]/.test(source));
  // Parser messages quote the offending text, which may be a secret pasted by mistake: give the position only.
  if (json) {
    try {
      return JSON.parse(source) as unknown;
    } catch (err) {
      const position = /position (\d+)/.exec(String(err))?.[1];
      const at = position === undefined ? '' : ` at ${lineAndColumn(source, Number(position))}`;
      throw new TenantsFileError(path, undefined, `not valid JSON${at}`);
    }
  }
  try {
    return YAML.parse(source) as unknown;
  } catch (err) {
    if (err instanceof YAML.YAMLError) {
      const pos = err.linePos?.[0];
      const at = pos ? ` at line ${pos.line}, column ${pos.col}` : '';
      throw new TenantsFileError(path, undefined, `not valid YAML${at} (${err.code})`);
    }
    throw new TenantsFileError(path, undefined, 'not valid YAML');
  }
}

function tenantList(path: string, doc: unknown): unknown[] {
  const list = Array.isArray(doc) ? doc : isRecord(doc) ? doc.tenants : undefined;
  if (!Array.isArray(list) || list.length === 0) {
    throw new TenantsFileError(
      path,
      undefined,
      'expected a non-empty list of tenants, or { "tenants": [...] }',
    );
  }
  return list;
}

function checkEntry(path: string, index: number, raw: unknown): TenantEntry {
  const name = isRecord(raw) && typeof raw.name === 'string' ? raw.name : undefined;
  const where = tenantLabel(index, name);
  if (!isRecord(raw)) throw new TenantsFileError(path, where, 'expected an object with at least "name"');
  for (const key of INLINE_SECRETS) {
    if (key in raw) {
      throw new TenantsFileError(
        path,
        where,
        `${key}: inline secrets are not accepted; put the secret in an environment variable and give its name as ${key}Env, or in a file and give its path as ${key}File`,
      );
    }
  }
  const result = tenantSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      if (issue.code === 'unrecognized_keys') {
        return `unknown key ${issue.keys.map((k) => JSON.stringify(k)).join(', ')} (known keys: ${Object.keys(tenantSchema.shape).join(', ')})`;
      }
      // zod says "expected string, received undefined" for a missing key; say it plainly.
      if (issue.code === 'invalid_type' && issue.path.length === 1 && !(String(issue.path[0]) in raw)) {
        return `${fieldPath(issue.path)}: is required`;
      }
      return `${fieldPath(issue.path)}: ${issue.message}`;
    });
    throw new TenantsFileError(path, where, problems.join('; '));
  }
  return result.data;
}

function credentialsOf(tenant: TenantEntry, secrets: SecretSource, path: string, where: string): Credentials {
  const accessKey = tenant.accessKeyId ?? tenant.accessKeySecretEnv ?? tenant.accessKeySecretFile;
  const password =
    tenant.clientId ??
    tenant.clientSecretEnv ??
    tenant.clientSecretFile ??
    tenant.username ??
    tenant.passwordEnv ??
    tenant.passwordFile;
  if (accessKey !== undefined && password !== undefined) {
    throw new TenantsFileError(path, where, 'give an access key or the password grant, not both');
  }
  if (accessKey !== undefined) {
    return {
      kind: 'access-key',
      accessKeyId: required(tenant.accessKeyId, 'accessKeyId', path, where),
      accessKeySecret: secrets.read('accessKeySecret', tenant.accessKeySecretEnv, tenant.accessKeySecretFile),
    };
  }
  if (password !== undefined) {
    return {
      kind: 'password',
      clientId: required(tenant.clientId, 'clientId', path, where),
      clientSecret: secrets.read('clientSecret', tenant.clientSecretEnv, tenant.clientSecretFile),
      username: required(tenant.username, 'username', path, where),
      password: secrets.read('password', tenant.passwordEnv, tenant.passwordFile),
    };
  }
  throw new TenantsFileError(
    path,
    where,
    'no credentials: give accessKeyId with accessKeySecretEnv or accessKeySecretFile, or the password grant: clientId, clientSecretEnv|File, username, passwordEnv|File',
  );
}

function overridesOf(tenant: TenantEntry, path: string, where: string): TenantOverrides {
  if (
    tenant.window !== undefined &&
    tenant.backfillWindow !== undefined &&
    tenant.window > tenant.backfillWindow
  ) {
    throw new TenantsFileError(path, where, 'window: expected no longer than backfillWindow');
  }
  const overrides: Record<string, unknown> = {
    entities: tenant.entities === undefined ? undefined : Object.freeze(tenant.entities),
    startDate: tenant.startDate,
    windowMs: tenant.window,
    backfillWindowMs: tenant.backfillWindow,
    lookbackMs: tenant.lookback,
    issuerUrl: tenant.issuerUrl,
    authBaseUrl: tenant.authBaseUrl,
    apiBaseUrl: tenant.apiBaseUrl,
    minCallIntervalMs: tenant.minCallIntervalMs,
  };
  // Only what the file sets, so `{ ...globals, ...overrides }` leaves the rest alone.
  return Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) as TenantOverrides;
}

/** Resolves `<key>Env` / `<key>File` to a Secret; errors name the variable or file, never the value. */
class SecretSource {
  constructor(
    private readonly file: string,
    private readonly where: string,
    private readonly env: Env,
    private readonly readFile: ReadTextFile,
  ) {}

  read(
    key: (typeof INLINE_SECRETS)[number],
    envName: string | undefined,
    secretFile: string | undefined,
  ): Secret {
    if (envName !== undefined && secretFile !== undefined) {
      throw new TenantsFileError(this.file, this.where, `give ${key}Env or ${key}File, not both`);
    }
    if (envName !== undefined) {
      const value = this.env[envName]?.trim();
      if (value === undefined || value === '') {
        throw new ConfigError(
          envName,
          `the ${key} of ${this.where} (named by ${key}Env in TENANTS_FILE ${this.file})`,
          undefined,
        );
      }
      return new Secret(value);
    }
    if (secretFile !== undefined) {
      // Relative to the tenants file, so a file and its secrets directory can move together.
      const full = resolve(dirname(this.file), secretFile);
      let content: string;
      try {
        content = this.readFile(full);
      } catch (err) {
        throw new TenantsFileError(
          this.file,
          this.where,
          `${key}File: cannot read ${full} (${errorCode(err) ?? 'unreadable'})`,
        );
      }
      // Secret files usually end with a newline (echo, kubectl create secret --from-file).
      const value = content.trim();
      if (value === '') throw new TenantsFileError(this.file, this.where, `${key}File: ${full} is empty`);
      return new Secret(value);
    }
    throw new TenantsFileError(this.file, this.where, `${key}Env or ${key}File is required`);
  }
}

function required(value: string | undefined, field: string, path: string, where: string): string {
  if (value === undefined) throw new TenantsFileError(path, where, `${field} is required`);
  return value;
}

function tenantLabel(index: number, name: string | undefined): string {
  return `tenant #${index + 1}${name === undefined ? '' : ` ${JSON.stringify(name)}`}`;
}

function fieldPath(path: readonly PropertyKey[]): string {
  return (
    path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('') ||
    '(tenant)'
  );
}

function lineAndColumn(source: string, offset: number): string {
  const before = source.slice(0, offset).split('\n');
  return `line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
