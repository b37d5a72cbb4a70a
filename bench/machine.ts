/** What the figures were measured on: they only compare within one run, but the reader should know. */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { ADMIN_URL, adminQuery, run } from './bench-env.js';

export interface MachineInfo {
  date: string;
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  os: string;
  node: string;
  postgres: string;
  postgresSettings: Record<string, string>;
  psql: string;
}

/** Server settings that move COPY throughput. */
const SETTINGS = ['shared_buffers', 'max_wal_size', 'synchronous_commit', 'wal_level', 'fsync'];

export async function machineInfo(): Promise<MachineInfo> {
  const version = await adminQuery('SELECT version() AS v');
  const settings: Record<string, string> = {};
  for (const name of SETTINGS) {
    const result = await adminQuery(`SELECT current_setting('${name}') AS v`, ADMIN_URL);
    settings[name] = String(result.rows[0]?.v);
  }
  return {
    date: new Date().toISOString(),
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: os.totalmem() / 1024 ** 3,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    postgres: String(version.rows[0]?.v),
    postgresSettings: settings,
    psql: (await run('psql', ['--version'])).trim(),
  };
}

export interface MachineLoad {
  /** 1-minute load average at the end of the leg. */
  loadAverage: number;
  /** Share of the leg's time some task waited for a CPU (/proc/pressure/cpu), when the kernel reports it. */
  cpuPressure: number | undefined;
}

/**
 * Starts watching how busy the machine is; the returned function says it for the time since. The
 * benchmark itself keeps up to two cores busy; pressure well above that means another process competed
 * (e.g. a test suite), and the figures of that leg are noisier than usual.
 */
export function watchLoad(): () => MachineLoad {
  const startedAt = performance.now();
  const before = cpuPressureTotalUs();
  return () => {
    const after = cpuPressureTotalUs();
    const elapsedUs = (performance.now() - startedAt) * 1000;
    return {
      loadAverage: os.loadavg()[0] ?? 0,
      cpuPressure: before === undefined || after === undefined ? undefined : (after - before) / elapsedUs,
    };
  };
}

function cpuPressureTotalUs(): number | undefined {
  try {
    const text = readFileSync('/proc/pressure/cpu', 'utf8');
    const total = /^some .*total=(\d+)/m.exec(text)?.[1];
    return total === undefined ? undefined : Number(total);
  } catch {
    return undefined;
  }
}
