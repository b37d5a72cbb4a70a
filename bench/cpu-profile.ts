/**
 * Reads a V8 `.cpuprofile` (node --cpu-prof) and sums self time per function and per kind of code,
 * over the samples taken while the load ran (the child reports the load's start and end on the
 * profile's clock), so start-up and tsx's compilation are left out.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

export type CodeKind =
  | 'idle'
  | 'gc'
  | 'program (native, VM)'
  | 'worker: src/load'
  | 'worker: other src'
  | 'pg-copy-streams'
  | 'pg'
  | 'got / http'
  | 'node internals'
  | 'tsx'
  | 'other';

export interface FunctionCost {
  name: string;
  where: string;
  kind: CodeKind;
  selfMs: number;
}

export interface ProfileSummary {
  /** Sampled time in the load window, idle included. */
  totalMs: number;
  /** Sampled time not idle: what the process spent on the CPU (±sampling error). */
  busyMs: number;
  byKind: Partial<Record<CodeKind, number>>;
  top: FunctionCost[];
}

/** The main thread's profile in `dir` (file names end `.<pid>.<thread>.<seq>.cpuprofile`, thread 0 first). */
export async function mainThreadProfile(dir: string): Promise<string> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile')).sort();
  const main = files.find((f) => /\.0\.\d+\.cpuprofile$/.test(f)) ?? files[0];
  if (main === undefined) throw new Error(`no .cpuprofile in ${dir}`);
  return path.join(dir, main);
}

/**
 * A span given in ms from the profile's start (for a process profiled whole, such as the CLI: its
 * start is a few ms after the spawn, Node's own bootstrap) on the profile's clock, for summariseProfile.
 */
export async function spanFromStart(
  file: string,
  fromMs: number,
  toMs: number,
): Promise<{ fromUs: number; toUs: number }> {
  const { startTime } = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  return { fromUs: startTime + fromMs * 1000, toUs: startTime + toMs * 1000 };
}

export async function summariseProfile(
  file: string,
  window: { fromUs: number; toUs: number },
  topN = 12,
): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    // A sample stands for the time until the next one.
    const span = profile.timeDeltas[i + 1] ?? 0;
    if (at < window.fromUs || at > window.toUs) continue;
    const id = profile.samples[i] as number;
    selfUs.set(id, (selfUs.get(id) ?? 0) + span);
  }
  const byFunction = new Map<string, FunctionCost>();
  const byKind: Partial<Record<CodeKind, number>> = {};
  let totalUs = 0;
  for (const [id, us] of selfUs) {
    const frame = (nodes.get(id) as ProfileNode).callFrame;
    const kind = kindOf(frame);
    const name = frame.functionName || '(anonymous)';
    const where = frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : '';
    const key = `${name}@${where}`;
    const cost = byFunction.get(key) ?? { name, where, kind, selfMs: 0 };
    cost.selfMs += us / 1000;
    byFunction.set(key, cost);
    byKind[kind] = (byKind[kind] ?? 0) + us / 1000;
    totalUs += us;
  }
  const top = [...byFunction.values()]
    .filter((f) => f.kind !== 'idle')
    .sort((a, b) => b.selfMs - a.selfMs)
    .slice(0, topN);
  const totalMs = totalUs / 1000;
  return { totalMs, busyMs: totalMs - (byKind.idle ?? 0), byKind, top };
}

function kindOf(frame: ProfileNode['callFrame']): CodeKind {
  const { functionName: name, url } = frame;
  if (name === '(idle)') return 'idle';
  if (name === '(garbage collector)') return 'gc';
  if (name === '(program)' || name === '(root)') return 'program (native, VM)';
  // src/ under tsx, dist/ for the built CLI.
  if (/\/(src|dist)\/load\//.test(url)) return 'worker: src/load';
  if (/\/(src|dist)\//.test(url)) return 'worker: other src';
  if (url.includes('/node_modules/pg-copy-streams/')) return 'pg-copy-streams';
  if (/\/node_modules\/(pg|pg-protocol|pg-pool)\//.test(url)) return 'pg';
  if (
    /\/node_modules\/(got|@szmarczak|http2-wrapper|cacheable-|responselike|decompress-response)/.test(url)
  ) {
    return 'got / http';
  }
  if (url.includes('/node_modules/tsx/')) return 'tsx';
  if (url.startsWith('node:') || url === '') return 'node internals';
  return 'other';
}

function shortUrl(url: string): string {
  const text = url.replace(/^file:\/\//, '');
  const modules = text.lastIndexOf('/node_modules/');
  if (modules >= 0) return text.slice(modules + '/node_modules/'.length);
  const src = Math.max(text.lastIndexOf('/src/'), text.lastIndexOf('/dist/'));
  if (src >= 0) return text.slice(src + 1);
  const bench = text.indexOf('/bench/');
  return bench >= 0 ? text.slice(bench + 1) : text;
}
