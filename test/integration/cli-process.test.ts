/**
 * The CLI as a real child process, the way an operator and the container run it: exit codes, what
 * reaches stderr, and the image's start command (the Dockerfile's CMD, read from the Dockerfile itself)
 * as a daemon against an in-process simulator, up to a graceful SIGTERM.
 *
 * Children get a minimal environment (PATH, HOME and the variables a test sets), never this process's,
 * and run in a scratch directory so no developer's .env (dotenv reads the working directory) leaks in:
 * the Docker build context leaves .env out too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, symlink } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { createEmptyTestDatabase, createTestDatabase, type TestDatabase } from '../helpers/database.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DIST_MAIN = path.join(REPO, 'dist', 'main.js');
const BUILD_TIMEOUT_MS = 120_000;
const SHUTDOWN_GRACE_S = 20;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface Child {
  process: ChildProcess;
  output(): { stdout: string; stderr: string };
  exited: Promise<Exit>;
}

/** PATH and HOME only: a child sees exactly the configuration a test gives it, no inherited secrets. */
function minimalEnv(vars: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: process.env.HOME ?? os.tmpdir(),
    LOG_FORMAT: 'json',
    ...vars,
  };
}

function start(args: string[], opts: { cwd: string; env?: Record<string, string> }): Child {
  const child = spawn(process.execPath, args, {
    cwd: opts.cwd,
    env: minimalEnv(opts.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<Exit>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { process: child, output: () => ({ stdout, stderr }), exited };
}

async function run(args: string[], opts: { cwd: string; env?: Record<string, string> }): Promise<Exit> {
  return start(args, opts).exited;
}

/** The exec-form CMD of the Dockerfile, e.g. ["node", "dist/main.js", "daemon"]. */
async function dockerfileCmd(): Promise<string[]> {
  const dockerfile = await readFile(path.join(REPO, 'Dockerfile'), 'utf8');
  const line = dockerfile.split('\n').find((l) => /^CMD\s+\[/.test(l));
  if (!line) throw new Error('Dockerfile has no exec-form CMD [...] line');
  return JSON.parse(line.replace(/^CMD\s+/, '')) as string[];
}

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    const mtime = entry.isDirectory() ? await newestMtime(full) : (await stat(full)).mtimeMs;
    newest = Math.max(newest, mtime);
  }
  return newest;
}

/** dist/ is what the image runs: compile it when it is missing or older than any source. */
async function ensureBuilt(): Promise<void> {
  const built = await stat(DIST_MAIN).then(
    (s) => s.mtimeMs,
    () => 0,
  );
  const sources = Math.max(
    await newestMtime(path.join(REPO, 'src')),
    (await stat(path.join(REPO, 'tsconfig.json'))).mtimeMs,
    (await stat(path.join(REPO, 'tsconfig.build.json'))).mtimeMs,
  );
  if (built >= sources) return;
  console.warn('cli-process test: dist/ is missing or stale, compiling it (tsc -p tsconfig.build.json)');
  const tsc = path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = await run([tsc, '-p', 'tsconfig.build.json'], { cwd: REPO });
  if (result.code !== 0) {
    throw new Error(`the build failed (exit ${String(result.code)}):\n${result.stdout}${result.stderr}`);
  }
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Polls `probe` until it returns a value, the deadline passes, or `stop` says why it never will. */
async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  opts: { timeoutMs: number; stop?: () => string | undefined; intervalMs?: number },
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    const reason = opts.stop?.();
    if (reason) throw new Error(`gave up waiting for ${what}: ${reason}`);
    if (Date.now() > deadline) throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, opts.intervalMs ?? 200));
  }
}

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function tail(text: string, lines = 40): string {
  return text.split('\n').slice(-lines).join('\n');
}

let scratch: string;
beforeAll(async () => {
  await ensureBuilt();
  // A working directory like the image's /app: dist/ at hand, no .env.
  scratch = await mkdtemp(path.join(os.tmpdir(), 'cxone-etl-cli-'));
  await symlink(path.join(REPO, 'dist'), path.join(scratch, 'dist'), 'dir');
}, BUILD_TIMEOUT_MS);
afterAll(() => rm(scratch, { recursive: true, force: true }));

describe('a bad configuration value', () => {
  it.each([
    ['EXTRACT_WINDOW', 'tomorrow'],
    ['HTTP_PORT', '99999'],
    ['CXONE_MIN_CALL_INTERVAL_MS', 'soon'],
  ])('%s=%s exits 2 with one line on stderr naming the variable', async (variable, value) => {
    const result = await run([DIST_MAIN, 'migrate'], {
      cwd: scratch,
      env: { [variable]: value, DATA_DIR: path.join(scratch, 'data') },
    });
    expect(result.code).toBe(2);
    const lines = result.stderr.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^cxone-etl: ${variable}: expected .+, got "${value}"$`));
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stdout).toBe('');
  });
});

describe('cxone-etl check with a bad configuration value', () => {
  it('reports it as its config line (text and --json) and exits 2', async () => {
    const env = { EXTRACT_WINDOW: 'tomorrow', DATA_DIR: path.join(scratch, 'data') };
    const text = await run([DIST_MAIN, 'check'], { cwd: scratch, env });
    expect(text.code).toBe(2);
    expect(text.stdout).toMatch(/^FAIL\s+config: EXTRACT_WINDOW: expected .+, got "tomorrow" \| fix: /m);
    expect(text.stdout).not.toMatch(/postgres:/);
    const json = await run([DIST_MAIN, 'check', '--json'], { cwd: scratch, env });
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      exitCode: 2,
      checks: [{ check: 'config', status: 'fail', message: expect.stringContaining('EXTRACT_WINDOW') }],
    });
  });
});

describe('bin/cxone-etl.js', () => {
  it('prints the help with every command and exits 0', async () => {
    const result = await run([path.join(REPO, 'bin', 'cxone-etl.js'), '--help'], { cwd: scratch });
    expect(result.code).toBe(0);
    for (const command of ['check', 'migrate', 'run', 'backfill', 'status', 'daemon', 'sim', 'demo']) {
      expect(result.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
    }
    expect(result.stderr).toBe('');
  });
});

describe('cxone-etl migrate', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createEmptyTestDatabase();
  });
  afterAll(() => db.drop());

  it('applies every migration to an empty database, reports them, and is a no-op the second time', async () => {
    const files = (await readdir(path.join(REPO, 'migrations')))
      .filter((f) => /^\d{4}_.+\.sql$/.test(f))
      .sort();
    const latest = (files.at(-1) as string).replace(/\.sql$/, '');
    const report = `${files.length} migrations applied (latest ${latest}), 0 pending`;

    for (let attempt = 1; attempt <= 2; attempt++) {
      const result = await run([DIST_MAIN, 'migrate'], { cwd: scratch, env: { DATABASE_URL: db.url } });
      expect({ attempt, code: result.code }).toEqual({ attempt, code: 0 });
      // stdout is the command's report; stderr only log lines.
      expect(result.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('{'))).toEqual([]);
      expect(result.stdout).toContain(report);
      const password = new URL(db.url).password;
      if (password) expect(result.stdout + result.stderr).not.toContain(password);
    }
    const applied = await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM cxone_etl.migrations');
    expect(Number(applied.rows[0]?.n)).toBe(files.length);
  });
});

describe("the image's start command", () => {
  let db: TestDatabase;
  let sim: Simulator;
  let daemon: Child | undefined;
  beforeAll(async () => {
    [db, sim] = await Promise.all([createTestDatabase(), startSimulator({ timeScale: 0.01 })]);
  });
  afterAll(async () => {
    // Only if a failed assertion left it running: the child this test started, by its own handle.
    if (daemon && daemon.process.exitCode === null && daemon.process.signalCode === null) {
      daemon.process.kill('SIGKILL');
      await daemon.exited.catch(() => undefined);
    }
    await sim.stop();
    await db.drop();
  });

  it('runs the daemon: /healthz, a recorded successful run, /metrics, and exit 0 on SIGTERM', async () => {
    const cmd = await dockerfileCmd();
    expect(cmd).toEqual(['node', 'dist/main.js', 'daemon']);
    const port = await freePort();
    const health = `http://127.0.0.1:${port}`;

    daemon = start([...cmd.slice(1), '--run-now'], {
      cwd: scratch,
      env: {
        DATABASE_URL: db.url,
        CXONE_ISSUER_URL: sim.url,
        CXONE_API_BASE_URL: sim.url,
        CXONE_ACCESS_KEY_ID: 'demo-key',
        CXONE_ACCESS_KEY_SECRET: 'demo-secret',
        CXONE_MIN_CALL_INTERVAL_MS: '300',
        EXTRACT_START_DATE: isoDay(Date.now() - 3 * 86_400_000),
        HTTP_PORT: String(port),
        SHUTDOWN_GRACE: `${SHUTDOWN_GRACE_S}s`,
        LOG_LEVEL: 'info',
      },
    });
    const child = daemon;
    let exitedEarly: Exit | undefined;
    void child.exited.then((e) => (exitedEarly = e));
    const stop = (): string | undefined =>
      exitedEarly
        ? `the daemon exited (code ${String(exitedEarly.code)}):\n${tail(exitedEarly.stdout)}\n${exitedEarly.stderr}`
        : undefined;

    const healthz = await waitFor(
      '/healthz to answer 200',
      async () => {
        const res = await fetch(`${health}/healthz`).catch(() => undefined);
        return res?.status === 200 ? res.status : undefined;
      },
      { timeoutMs: 30_000, stop },
    );
    expect(healthz).toBe(200);

    const runRow = await waitFor(
      'the first run to be recorded as succeeded in cxone_etl.runs',
      async () => {
        const { rows } = await db.pool.query<{
          outcome: string;
          trigger: string;
          windows_loaded: number;
          windows_failed: number;
          rows_loaded: string;
          error: string | null;
        }>(
          `SELECT outcome, trigger, windows_loaded, windows_failed, rows_loaded, error
             FROM cxone_etl.runs ORDER BY id`,
        );
        const bad = rows.find((r) => r.outcome !== 'running' && r.outcome !== 'succeeded');
        if (bad) {
          throw new Error(`a run ended ${bad.outcome}: ${bad.error ?? ''}\n${tail(child.output().stderr)}`);
        }
        return rows.find((r) => r.outcome === 'succeeded');
      },
      { timeoutMs: 90_000, stop },
    );
    expect(runRow.windows_loaded).toBeGreaterThan(0);
    expect(runRow.windows_failed).toBe(0);
    expect(Number(runRow.rows_loaded)).toBeGreaterThan(0);

    const readyz = await fetch(`${health}/readyz`);
    expect(readyz.status).toBe(200);
    const metrics = await (await fetch(`${health}/metrics`)).text();
    const loaded = metrics
      .split('\n')
      .filter((l) => l.startsWith('cxone_etl_rows_loaded_total{'))
      .map((l) => Number(l.split(' ').at(-1)));
    expect(loaded.length).toBeGreaterThan(0);
    expect(loaded.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(sim.stats().violations.total).toBe(0);

    const signalledAt = Date.now();
    child.process.kill('SIGTERM');
    const exit = await Promise.race([
      child.exited,
      new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(new Error(`no exit within SHUTDOWN_GRACE (${SHUTDOWN_GRACE_S} s) of SIGTERM`)),
          SHUTDOWN_GRACE_S * 1000 + 5_000,
        ).unref(),
      ),
    ]);
    // Logs go to stderr: every line there must be a JSON log line (no Node warnings, no stray output).
    const stderrLines = exit.stderr.split('\n').filter((l) => l !== '');
    expect(stderrLines.filter((l) => !l.startsWith('{'))).toEqual([]);
    expect({ code: exit.code, signal: exit.signal, stdout: exit.stdout }).toEqual({
      code: 0,
      signal: null,
      stdout: '',
    });
    expect(Date.now() - signalledAt).toBeLessThan(SHUTDOWN_GRACE_S * 1000);
    const errors = exit.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: number; msg?: string })
      .filter((entry) => entry.level >= 50);
    expect(errors).toEqual([]);
    expect(exit.stderr).toContain('shutting down');
  }, 180_000);
});
