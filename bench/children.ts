/**
 * The benchmark's child processes. They run as JavaScript compiled by tsc into bench/out/js (ignored
 * by git), as the worker runs in production from dist/: under tsx the loader alone adds ~40 MB of RSS
 * and would hide the figure the memory goal is about. If tsc cannot emit, they run under tsx instead.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { procStatusKb, RESULT_PREFIX, ROOT, run } from './bench-env.js';

export type ChildScript = 'worker-load' | 'raw-load' | 'http-load';

const COMPILED_DIR = path.join(ROOT, 'bench/out/js/bench');

let mode: 'compiled' | 'tsx' = 'tsx';

/** Compiles the child scripts and what they import; returns how they will run. */
export async function prepareChildren(log: (line: string) => void): Promise<'compiled' | 'tsx'> {
  try {
    await run(process.execPath, [
      path.join(ROOT, 'node_modules/typescript/bin/tsc'),
      '-p',
      'bench/tsconfig.children.json',
    ]);
    mode = 'compiled';
  } catch (error) {
    // tsc still emits on type errors elsewhere in the tree (another change in progress).
    mode = existsSync(path.join(COMPILED_DIR, 'worker-load.js')) ? 'compiled' : 'tsx';
    log(
      `tsc reported errors compiling the benchmark children (running ${mode}): ${(error as Error).message.slice(0, 500)}`,
    );
  }
  return mode;
}

/** Removes the compiled children (bench/out/js); the next run compiles them again in a second or two. */
export async function removeChildren(): Promise<void> {
  await rm(path.join(ROOT, 'bench/out/js'), { recursive: true, force: true });
}

export function childMode(): 'compiled' | 'tsx' {
  return mode;
}

export interface ChildResult<T> {
  result: T;
  /** The child's VmHWM, read from /proc when it prints its result (it is still alive then). */
  peakRssKb: number | undefined;
}

/**
 * Runs a child script and returns the JSON it printed after RESULT_PREFIX; its stderr is passed
 * through. `nodeFlags` go before the script (e.g. --cpu-prof).
 */
export function runChild<T>(
  script: ChildScript,
  args: string[],
  nodeFlags: string[] = [],
): Promise<ChildResult<T>> {
  const entry =
    mode === 'compiled'
      ? [path.join(COMPILED_DIR, `${script}.js`)]
      : ['--import', 'tsx', `bench/${script}.ts`];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeFlags, ...entry, ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    let peakRssKb: number | undefined;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => {
      out += text;
      if (peakRssKb === undefined && out.includes(RESULT_PREFIX))
        peakRssKb = procStatusKb(child.pid, 'VmHWM');
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
      if (code !== 0 || line === undefined) {
        reject(new Error(`${script} exited with ${code}: ${out.slice(-2000)}`));
        return;
      }
      resolve({ result: JSON.parse(line.slice(RESULT_PREFIX.length)) as T, peakRssKb });
    });
  });
}
