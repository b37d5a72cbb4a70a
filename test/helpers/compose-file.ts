import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import dotenv from 'dotenv';
import YAML from 'yaml';
import { REPO_ROOT } from './cli-process.js';

/**
 * What Docker Compose makes of this project's compose files, without an engine: the files merged as
 * `docker compose -f a.yml -f b.yml` merges them, `${...}` interpolated from the project's `.env`, and a
 * service's container environment as compose builds it (its env_file entries in order, then
 * `environment:` on top). Only the parts of the Compose specification these files use: interpolation
 * (`${X}`, `${X:-default}`, `${X-default}`, `$$`), map-form or list-form `environment`, and the merge
 * rules for the keys the files set (mappings merged key by key, `command`/`image`/`build` replaced, other
 * sequences appended). podman-compose 1.0.3, the only compose tool Debian ships, cannot read the
 * `env_file` long syntax (see ../shared/container/README.md), hence this instead of `compose config`.
 */

export interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  env_file?: { path: string; required: boolean }[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  network_mode?: string;
  ports?: string[];
  profiles?: string[];
  stop_grace_period?: string;
}

export interface ComposeProject {
  services: Record<string, ComposeService>;
  /** The container environment of a service, as `docker compose up` would give it. */
  containerEnv(service: string): Record<string, string>;
}

/** Keys whose value an override file replaces rather than merges (Compose specification, merge rules). */
const REPLACED = new Set(['command', 'entrypoint', 'image', 'build', 'test']);

export function loadComposeProject(
  files: string[],
  projectDir = path.dirname(files[0] ?? '.'),
): ComposeProject {
  const dotenvFile = path.join(projectDir, '.env');
  const vars = existsSync(dotenvFile) ? dotenv.parse(readFileSync(dotenvFile)) : {};
  let merged: Record<string, unknown> = {};
  for (const file of files) {
    const doc = interpolate(YAML.parse(readFileSync(file, 'utf8')) as unknown, vars, file);
    merged = merge(merged, doc) as Record<string, unknown>;
  }
  const services = normalise((merged.services ?? {}) as Record<string, Record<string, unknown>>);
  // Read now, while the files are there (a test may remove its scratch folder right after).
  const envs = new Map(Object.entries(services).map(([name, s]) => [name, serviceEnv(s, projectDir)]));
  return {
    services,
    containerEnv(name) {
      const env = envs.get(name);
      if (!env) throw new Error(`no service ${name} in ${files.join(', ')}`);
      return { ...env };
    },
  };
}

function serviceEnv(service: ComposeService, projectDir: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of service.env_file ?? []) {
    const file = path.resolve(projectDir, entry.path);
    if (!existsSync(file)) {
      if (entry.required) throw new Error(`env file ${file} not found`);
      continue;
    }
    Object.assign(env, dotenv.parse(readFileSync(file)));
  }
  return Object.assign(env, service.environment ?? {});
}

function normalise(raw: Record<string, Record<string, unknown>>): Record<string, ComposeService> {
  const out: Record<string, ComposeService> = {};
  for (const [name, s] of Object.entries(raw)) {
    const envFile = s.env_file as unknown;
    out[name] = {
      ...(s as ComposeService),
      environment: s.environment === undefined ? undefined : environmentMap(s.environment),
      env_file:
        envFile === undefined
          ? undefined
          : (Array.isArray(envFile) ? envFile : [envFile]).map((e: unknown) =>
              typeof e === 'string'
                ? { path: e, required: true }
                : {
                    path: (e as { path: string }).path,
                    required: (e as { required?: boolean }).required ?? true,
                  },
            ),
      depends_on: Array.isArray(s.depends_on)
        ? Object.fromEntries((s.depends_on as string[]).map((d) => [d, { condition: 'service_started' }]))
        : (s.depends_on as ComposeService['depends_on']),
    };
  }
  return out;
}

function environmentMap(value: unknown): Record<string, string> {
  if (Array.isArray(value)) {
    return Object.fromEntries(
      (value as string[]).map((item) => {
        const at = item.indexOf('=');
        return at < 0 ? [item, ''] : [item.slice(0, at), item.slice(at + 1)];
      }),
    );
  }
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, v === null ? '' : String(v)]),
  );
}

function merge(base: unknown, over: unknown, key = ''): unknown {
  if (REPLACED.has(key)) return over;
  if (Array.isArray(base) && Array.isArray(over)) return [...base, ...over];
  if (isMapping(base) && isMapping(over)) {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(over)) out[k] = k in base ? merge(base[k], v, k) : v;
    return out;
  }
  return over;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function interpolate(value: unknown, vars: Record<string, string>, file: string): unknown {
  if (typeof value === 'string') return interpolateString(value, vars, file);
  if (Array.isArray(value)) return value.map((v) => interpolate(v, vars, file));
  if (isMapping(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, vars, file)]));
  }
  return value;
}

function interpolateString(text: string, vars: Record<string, string>, file: string): string {
  return text.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (match, braced?: string, op?: string, arg?: string, bare?: string) => {
      if (match === '$$') return '$';
      const name = (braced ?? bare) as string;
      const value = vars[name];
      const unset = value === undefined || (op?.startsWith(':') === true && value === '');
      if (op?.endsWith('?') && unset) throw new Error(`${file}: ${name} is required: ${arg ?? ''}`);
      if (op?.endsWith('-') && unset) return arg ?? '';
      return value ?? '';
    },
  );
}

/** The real-CXone way and the demo way, as `-f` lists. */
export const BASE = ['docker-compose.yml'];
export const DEMO = ['docker-compose.yml', 'docker-compose.sim.yml'];

/** A .env with real-looking values for every CXone setting the files could shadow. */
export const REAL_DOTENV: Record<string, string> = {
  CXONE_ACCESS_KEY_ID: 'ZK4YL2X7QH3MNB6VD5RT',
  CXONE_ACCESS_KEY_SECRET: 'c5f1a9e27d4b8c0f3e6a1d9b7c2e5f80a4d3b6c9',
  CXONE_ISSUER_URL: 'https://cxone.niceincontact.com',
  CXONE_API_BASE_URL: 'https://api-na1.niceincontact.com',
  CXONE_AUTH_BASE_URL: 'https://na1.nice-incontact.com',
  CXONE_TENANT_ID: '11eb0b7a-5a0e-4c1f-9d2a-3f6e8c7b1a20',
  SCHEDULE_CRON: '15 3 * * *',
  SCHEDULE_TZ: 'America/Chicago',
  EXTRACT_ENTITIES: 'qm-workflows,wfm-payroll',
  POSTGRES_PASSWORD: 'r3al-pg-pa55',
  HTTP_PORT: '9500',
  LOG_LEVEL: 'debug',
};

/** The compose files copied into a scratch project folder beside a .env, then resolved. */
export async function composeWithDotenv(
  files: string[],
  dotenv: Record<string, string> | undefined,
): Promise<ComposeProject> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cxone-compose-'));
  try {
    for (const f of files) await copyFile(path.join(REPO_ROOT, f), path.join(dir, f));
    if (dotenv) {
      await writeFile(
        path.join(dir, '.env'),
        Object.entries(dotenv)
          .map(([k, v]) => `${k}=${v}\n`)
          .join(''),
      );
    }
    return loadComposeProject(files.map((f) => path.join(dir, f)));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
