/**
 * startSimulator: the CXone Data Extraction API on a local port (127.0.0.1, ephemeral by default),
 * one server acting as issuer, API host and "S3". All state is in memory and dies with stop().
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../lib/clock.js';
import { TokenService } from './auth.js';
import type { SimContext } from './context.js';
import { UrlSigner } from './download-url.js';
import { FaultInjector } from './faults.js';
import { csvSpecOf, JobStore } from './jobs.js';
import { patchOptions, resolveOptions, type SimulatorOptions } from './options.js';
import { RateGate } from './rate-limit.js';
import { createRouter } from './router.js';
import { StatsRecorder, type SimulatorStats } from './stats.js';
import type { CsvSpec } from './csv/index.js';

export interface Simulator {
  /** Base URL, e.g. http://127.0.0.1:41234: issuer, API endpoint and download host. */
  url: string;
  port: number;
  stop(): Promise<void>;
  stats(): SimulatorStats;
  clock: Clock;
  /** The options in force (read-only; change them with setOptions). */
  readonly options: SimulatorOptions;
  /** Takes effect from the next request; `faults` is merged one level deep. */
  setOptions(patch: Partial<SimulatorOptions>): void;
  /** Forgets jobs, stats, rate-gate state, URLs and fault counters; tokens stay valid. */
  reset(): void;
  /** The exact CSV spec a job's file is generated from, so tests can compare loaded rows with it. */
  jobSpec(jobId: string): CsvSpec | undefined;
  /**
   * Every secret this simulator holds or handed out: tenant credentials, tokens, URL signatures. The
   * reliability suite searches every log for them (none may appear).
   */
  issuedSecrets(): string[];
  /** Calls `listener` after each call, job created or chunk served; returns the way to stop. */
  onChange(listener: () => void): () => void;
}

export async function startSimulator(overrides: Partial<SimulatorOptions> = {}): Promise<Simulator> {
  let options = resolveOptions(overrides);
  const clock = options.clock;
  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = options.publicUrl?.replace(/\/+$/, '') ?? `http://${urlHost(options.host)}:${port}`;

  const shutdown = new AbortController();
  const stats = new StatsRecorder();
  const gate = new RateGate();
  const jobs = new JobStore();
  const faults = new FaultInjector(options.seed);
  const urls = new UrlSigner();
  const tokens = new TokenService(clock, url, options.jwtSecret);
  const ctx: SimContext = {
    get options() {
      return options;
    },
    clock,
    url,
    stats,
    tokens,
    gate,
    jobs,
    faults,
    urls,
    shutdown: shutdown.signal,
  };
  const snapshot = (): SimulatorStats => stats.snapshot(jobs.countByStatus(clock.now()));
  const reset = (): void => {
    stats.reset();
    gate.reset();
    jobs.reset();
    faults.reset();
    urls.reset();
  };
  const route = createRouter(ctx, { stats: snapshot, reset });
  server.on('request', (req, res) => void route(req, res));

  let stopped: Promise<void> | undefined;
  return {
    url,
    port,
    clock,
    get options() {
      return options;
    },
    stats: snapshot,
    reset,
    setOptions(patch) {
      options = patchOptions(options, patch);
      faults.reseed(options.seed);
    },
    jobSpec(jobId) {
      const job = jobs.get(jobs.tenantOf(jobId) ?? '', jobId);
      return job ? csvSpecOf(job) : undefined;
    },
    onChange(listener) {
      stats.on('change', listener);
      return () => stats.off('change', listener);
    },
    issuedSecrets() {
      const credentials = options.tenants.flatMap((t) =>
        [t.accessKeySecret, t.password, t.clientSecret].filter((s): s is string => s !== undefined),
      );
      return [...credentials, ...tokens.issued(), ...urls.signatures()];
    },
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        // Wake every clock wait (slow answers, /sync) and drop open sockets (stalled downloads).
        shutdown.abort(new Error('simulator stopped'));
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}

/** A wildcard listen address is not something a client can dial. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
