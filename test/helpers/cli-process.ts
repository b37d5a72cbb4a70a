import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * The real CLI as a child process, for the reliability suite (crash, replicas, secrets, bad config).
 * Compiled `dist/main.js` when every file under dist/ is newer than every file under src/ (CI builds
 * before testing: a start costs ~0.3 s; a build half-written by another test reads as stale), else
 * `node --import tsx src/main.ts` (~0.7 s), so `npm test` on a fresh checkout works without a build. Never `npx tsx`: that is a wrapper process, and a SIGKILL sent to
 * it would leave the real worker running.
 */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface CliCommand {
  command: string;
  args: string[];
  mode: 'dist' | 'tsx';
}

let chosen: CliCommand | undefined;

/**
 * The CLI from the sources under tsx, whatever dist/ holds: for the development tools (`demo`, `sim`),
 * which the production build leaves out (tsconfig.build.json).
 */
export function devToolsCliCommand(): CliCommand {
  return { command: process.execPath, args: tsxArgs(), mode: 'tsx' };
}

export function cliCommand(): CliCommand {
  if (chosen) return chosen;
  const dist = path.join(REPO_ROOT, 'dist', 'main.js');
  const built = mtimes(path.join(REPO_ROOT, 'dist'));
  const fresh =
    mtimeOf(dist) > -Infinity && Math.min(...built) >= Math.max(...mtimes(path.join(REPO_ROOT, 'src')));
  chosen = fresh ? { command: process.execPath, args: [dist], mode: 'dist' } : devToolsCliCommand();
  return chosen;
}

function tsxArgs(): string[] {
  return [
    '--import',
    pathToFileURL(path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href,
    path.join(REPO_ROOT, 'src', 'main.ts'),
  ];
}

function mtimeOf(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return -Infinity;
  }
}

/** Modification times of every file under `dir` (none when it does not exist). */
function mtimes(dir: string): number[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? mtimes(full) : [mtimeOf(full)];
  });
}

/** Where the suite's child processes write their logs (one file per process), for the secrets scan. */
export function suiteLogDir(name: string): string {
  const base = process.env.CXONE_RELIABILITY_DIR ?? path.join(os.tmpdir(), `cxone-etl-suite-${process.ppid}`);
  const dir = path.join(base, 'logs', name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  pid: number;
}

export interface CliOptions {
  /** The whole environment of the child: secrets come from here, never from argv. */
  env: Record<string, string>;
  /** The child is SIGKILLed and the promise rejects if it has not exited by then. */
  deadlineMs: number;
  /** Appended with stdout and stderr, for the secrets scan. */
  logFile?: string;
  /** A working directory with no .env in it (dotenv reads ./.env); default the OS temp dir. */
  cwd?: string;
}

export interface CliProcess {
  child: ChildProcess;
  pid: number;
  /** Output so far. */
  output(): { stdout: string; stderr: string };
  done: Promise<CliResult>;
}

/** PATH and HOME only from the parent; everything else is what the test says. */
export function childEnv(env: Record<string, string>): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? os.tmpdir(),
    TMPDIR: os.tmpdir(),
    ...env,
  };
}

export function startCli(args: string[], options: CliOptions): CliProcess {
  const { command, args: base } = cliCommand();
  const started = Date.now();
  const child = spawn(command, [...base, ...args], {
    cwd: options.cwd ?? os.tmpdir(),
    env: childEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = options.logFile ? createWriteStream(options.logFile, { flags: 'a' }) : undefined;
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    log?.write(chunk);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    log?.write(chunk);
  });
  const done = new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `cxone-etl ${args.join(' ')} did not exit within ${options.deadlineMs} ms; stderr tail:\n${stderr.slice(-2000)}\nstdout tail:\n${stdout.slice(-2000)}`,
        ),
      );
    }, options.deadlineMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const result = { code, signal, stdout, stderr, durationMs: Date.now() - started, pid: child.pid ?? 0 };
      if (log) log.end(() => resolve(result));
      else resolve(result);
    });
  });
  return { child, pid: child.pid ?? 0, output: () => ({ stdout, stderr }), done };
}

export function runCli(args: string[], options: CliOptions): Promise<CliResult> {
  return startCli(args, options).done;
}
