import { Registry } from 'prom-client';
import {
  createMetrics,
  recordApiCall,
  recordJobEnded,
  recordJobPoll,
  recordLastSuccess,
  recordRateGateWait,
  recordRun,
  recordRunSkipped,
  recordWindowLoaded,
  type CheckpointPosition,
  type FailedWindowCount,
} from '../../src/observability/metrics.js';

const NOW = Date.UTC(2026, 2, 1, 3, 0, 0);
const HOUR = 3_600_000;

/** name -> type, from the `# TYPE` lines of the exposition format. */
function declaredTypes(text: string): Map<string, string> {
  const types = new Map<string, string>();
  for (const match of text.matchAll(/^# TYPE (\S+) (\S+)$/gm))
    types.set(match[1] as string, match[2] as string);
  return types;
}

/** The value of one sample, found by its exact name and label set as prom-client prints them. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

function metricsWith(opts: Parameters<typeof createMetrics>[1] = {}) {
  return createMetrics(new Registry(), { now: () => NOW, ...opts });
}

describe('metric names', () => {
  it('follow Prometheus conventions: prefix, _total counters, base units', async () => {
    const m = metricsWith();
    const types = declaredTypes(await m.registry.metrics());
    expect([...types.keys()].sort()).toEqual([
      'cxone_etl_api_calls_total',
      'cxone_etl_bytes_loaded_total',
      'cxone_etl_cast_problem_values_total',
      'cxone_etl_entity_stale',
      'cxone_etl_failed_windows',
      'cxone_etl_freshness_max_lag_seconds',
      'cxone_etl_job_polls_total',
      'cxone_etl_jobs_total',
      'cxone_etl_last_success_timestamp_seconds',
      'cxone_etl_metrics_collect_errors_total',
      'cxone_etl_quality_flags_total',
      'cxone_etl_rate_gate_wait_seconds_total',
      'cxone_etl_retention_loads_removed_total',
      'cxone_etl_retention_rows_removed_total',
      'cxone_etl_rows_loaded_total',
      'cxone_etl_run_duration_seconds',
      'cxone_etl_runs_skipped_total',
      'cxone_etl_runs_total',
      'cxone_etl_window_lag_seconds',
    ]);
    for (const [name, type] of types) {
      expect(name).toMatch(/^cxone_etl_[a-z][a-z0-9_]*$/);
      expect(name.endsWith('_total')).toBe(type === 'counter');
      if (type === 'histogram') expect(name).toMatch(/_seconds$|_bytes$/);
    }
  });

  it('keep the conventions with the default process metrics switched on', async () => {
    const m = metricsWith({ defaultMetrics: true });
    const types = declaredTypes(await m.registry.metrics());
    expect(types.get('cxone_etl_process_cpu_seconds_total')).toBe('counter');
    for (const [name, type] of types) {
      expect(name.startsWith('cxone_etl_')).toBe(true);
      if (type === 'counter') expect(name).toMatch(/_total$/);
    }
  });
});

describe('window lag', () => {
  it('is now minus the checkpoint, from the callback, against the injected clock', async () => {
    const positions: CheckpointPosition[] = [
      { tenant: 'acme', entity: 'agent-activity', checkpointMs: NOW - 2 * HOUR },
      { tenant: 'acme', entity: 'contacts', checkpointMs: NOW - 30_000 },
    ];
    let now = NOW;
    let reads = 0;
    const checkpoints = async (): Promise<CheckpointPosition[]> => {
      reads++;
      return positions;
    };
    const m = metricsWith({ checkpoints, now: () => now });
    let text = await m.registry.metrics();
    expect(reads).toBe(1);
    expect(sample(text, 'cxone_etl_window_lag_seconds{tenant="acme",entity="agent-activity"}')).toBe(7200);
    expect(sample(text, 'cxone_etl_window_lag_seconds{tenant="acme",entity="contacts"}')).toBe(30);

    now += HOUR;
    text = await m.registry.metrics();
    expect(sample(text, 'cxone_etl_window_lag_seconds{tenant="acme",entity="agent-activity"}')).toBe(10_800);
  });

  it('flags entities whose checkpoint is older than their freshness limit', async () => {
    const positions: CheckpointPosition[] = [
      { tenant: 'acme', entity: 'qm-workflows', checkpointMs: NOW - 27 * HOUR },
      { tenant: 'acme', entity: 'wfm-payroll', checkpointMs: NOW - 27 * HOUR },
    ];
    const m = metricsWith({
      checkpoints: async () => positions,
      now: () => NOW,
      maxLagMs: (entity) => (entity === 'qm-workflows' ? 26 * HOUR : 48 * HOUR),
    });
    const text = await m.registry.metrics();
    expect(sample(text, 'cxone_etl_entity_stale{tenant="acme",entity="qm-workflows"}')).toBe(1);
    expect(sample(text, 'cxone_etl_entity_stale{tenant="acme",entity="wfm-payroll"}')).toBe(0);
    expect(sample(text, 'cxone_etl_freshness_max_lag_seconds{tenant="acme",entity="qm-workflows"}')).toBe(
      26 * 3600,
    );
  });

  it('drops series the callback no longer returns', async () => {
    let positions: CheckpointPosition[] = [{ tenant: 'old', entity: 'contacts', checkpointMs: NOW }];
    const m = metricsWith({ checkpoints: async () => positions });
    expect(await m.registry.metrics()).toContain('tenant="old"');
    positions = [];
    expect(await m.registry.metrics()).not.toContain('tenant="old"');
  });

  it('keeps growing from the last checkpoints read when the database fails, and counts and reports the failure', async () => {
    let fail = false;
    let now = NOW;
    const reported: string[] = [];
    const m = metricsWith({
      now: () => now,
      onCollectError: (source, err) => reported.push(`${source}: ${err.message}`),
      checkpoints: async () => {
        if (fail) throw new Error('connection refused');
        return [{ tenant: 'acme', entity: 'contacts', checkpointMs: NOW - HOUR }];
      },
    });
    await m.registry.metrics();
    fail = true;
    now += HOUR;
    const text = await m.registry.metrics();
    expect(sample(text, 'cxone_etl_window_lag_seconds{tenant="acme",entity="contacts"}')).toBe(7200);
    expect(sample(text, 'cxone_etl_metrics_collect_errors_total{source="checkpoints"}')).toBe(1);
    expect(reported).toEqual(['checkpoints: connection refused']);
  });

  it('does not let a hung callback hang the scrape', async () => {
    const reported: string[] = [];
    const m = metricsWith({
      checkpoints: () => new Promise<never>(() => undefined),
      collectTimeoutMs: 1,
      onCollectError: (source, err) => reported.push(`${source}: ${err.message}`),
    });
    const text = await m.registry.metrics();
    expect(sample(text, 'cxone_etl_metrics_collect_errors_total{source="checkpoints"}')).toBe(1);
    expect(reported).toEqual(['checkpoints: checkpoints took longer than 1 ms']);
  });
});

describe('failed windows', () => {
  it('are read from the callback at scrape time', async () => {
    const counts: FailedWindowCount[] = [{ tenant: 'acme', entity: 'contacts', count: 3 }];
    const m = metricsWith({ failedWindows: async () => counts });
    const text = await m.registry.metrics();
    expect(sample(text, 'cxone_etl_failed_windows{tenant="acme",entity="contacts"}')).toBe(3);
  });
});

describe('record helpers', () => {
  it('count API calls by route template and status, "none" when no answer came', async () => {
    const m = metricsWith();
    recordApiCall(m, { tenant: 'acme', endpoint: 'GET /jobs/:id', status: 200 });
    recordApiCall(m, { tenant: 'acme', endpoint: 'GET /jobs/:id', status: 200 });
    recordApiCall(m, { tenant: 'acme', endpoint: 'download', status: undefined });
    const text = await m.registry.metrics();
    expect(
      sample(text, 'cxone_etl_api_calls_total{tenant="acme",endpoint="GET /jobs/:id",status="200"}'),
    ).toBe(2);
    expect(sample(text, 'cxone_etl_api_calls_total{tenant="acme",endpoint="download",status="none"}')).toBe(
      1,
    );
  });

  it('convert milliseconds to seconds and add up loads, jobs and polls', async () => {
    const m = metricsWith();
    recordRateGateWait(m, { tenant: 'acme', waitMs: 29_500 });
    recordRateGateWait(m, { tenant: 'acme', waitMs: 0 });
    recordWindowLoaded(m, { tenant: 'acme', entity: 'contacts', rows: 10, bytes: 2048 });
    recordWindowLoaded(m, { tenant: 'acme', entity: 'contacts', rows: 5, bytes: 1024 });
    recordJobEnded(m, { tenant: 'acme', entity: 'contacts', status: 'EXPIRED' });
    recordJobPoll(m, { tenant: 'acme', entity: 'contacts' });
    const text = await m.registry.metrics();
    expect(sample(text, 'cxone_etl_rate_gate_wait_seconds_total{tenant="acme"}')).toBe(29.5);
    expect(sample(text, 'cxone_etl_rows_loaded_total{tenant="acme",entity="contacts"}')).toBe(15);
    expect(sample(text, 'cxone_etl_bytes_loaded_total{tenant="acme",entity="contacts"}')).toBe(3072);
    expect(sample(text, 'cxone_etl_jobs_total{tenant="acme",entity="contacts",status="EXPIRED"}')).toBe(1);
    expect(sample(text, 'cxone_etl_job_polls_total{tenant="acme",entity="contacts"}')).toBe(1);
  });

  it('set the last-success time only for runs that succeeded', async () => {
    const m = metricsWith();
    recordLastSuccess(m, { tenant: 'acme', endedAtMs: NOW - HOUR });
    recordRun(m, { tenant: 'acme', outcome: 'partial', durationMs: 90_000, endedAtMs: NOW });
    let text = await m.registry.metrics();
    expect(sample(text, 'cxone_etl_last_success_timestamp_seconds{tenant="acme"}')).toBe((NOW - HOUR) / 1000);
    expect(sample(text, 'cxone_etl_runs_total{tenant="acme",outcome="partial"}')).toBe(1);
    expect(sample(text, 'cxone_etl_run_duration_seconds_sum{tenant="acme"}')).toBe(90);
    expect(sample(text, 'cxone_etl_run_duration_seconds_bucket{le="120",tenant="acme"}')).toBe(1);

    recordRun(m, { tenant: 'acme', outcome: 'succeeded', durationMs: 1000, endedAtMs: NOW });
    recordRunSkipped(m);
    text = await m.registry.metrics();
    expect(sample(text, 'cxone_etl_last_success_timestamp_seconds{tenant="acme"}')).toBe(NOW / 1000);
    expect(sample(text, 'cxone_etl_runs_skipped_total')).toBe(1);
  });
});
