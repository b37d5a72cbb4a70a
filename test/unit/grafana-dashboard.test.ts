import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Registry } from 'prom-client';
import { createMetrics, METRIC_PREFIX } from '../../src/observability/metrics.js';

/**
 * deploy/grafana/cxone-etl-dashboard.json queries only metrics the code registers, with their label
 * names, and shows each family an operator asks about: a renamed metric breaks this test, not a
 * dashboard at 3 a.m.
 */
const DASHBOARD = path.join(import.meta.dirname, '..', '..', 'deploy', 'grafana', 'cxone-etl-dashboard.json');

interface Panel {
  title: string;
  targets: { expr: string }[];
}

async function dashboard(): Promise<{ panels: Panel[]; templating: { list: { query?: unknown }[] } }> {
  return JSON.parse(await readFile(DASHBOARD, 'utf8')) as {
    panels: Panel[];
    templating: { list: { query?: unknown }[] };
  };
}

/** Registered metric names, each with its label names (histograms also as _bucket/_sum/_count). */
async function registered(): Promise<Map<string, Set<string>>> {
  const registry = new Registry();
  createMetrics(registry);
  const names = new Map<string, Set<string>>();
  for (const metric of await registry.getMetricsAsJSON()) {
    const labels = new Set((metric as { labelNames?: string[] }).labelNames ?? []);
    const m = registry.getSingleMetric(metric.name) as unknown as { labelNames?: string[] } | undefined;
    for (const l of m?.labelNames ?? []) labels.add(l);
    names.set(metric.name, labels);
    if (String(metric.type) === 'histogram') {
      for (const suffix of ['_bucket', '_sum', '_count'])
        names.set(`${metric.name}${suffix}`, new Set([...labels, 'le']));
    }
  }
  return names;
}

/** `name{labels}` selectors and `by (labels)` groupings of a PromQL expression. */
function selectors(expr: string): { name: string; labels: string[] }[] {
  const found: { name: string; labels: string[] }[] = [];
  const pattern = new RegExp(`(${METRIC_PREFIX}[a-z_]+)(\\{([^}]*)\\})?`, 'g');
  for (const m of expr.matchAll(pattern)) {
    const labels = (m[3] ?? '')
      .split(',')
      .map((l) => l.trim().split(/[=!~]/)[0] ?? '')
      .filter((l) => l !== '');
    found.push({ name: m[1] as string, labels });
  }
  return found;
}

describe('the Grafana dashboard', () => {
  it('queries only registered metrics, with labels they have', async () => {
    const names = await registered();
    const d = await dashboard();
    const problems: string[] = [];
    for (const panel of d.panels) {
      for (const target of panel.targets) {
        const used = selectors(target.expr);
        expect(used.length).toBeGreaterThan(0);
        for (const s of used) {
          const labels = names.get(s.name);
          if (labels === undefined) {
            problems.push(`${panel.title}: ${s.name} is not registered`);
            continue;
          }
          for (const l of s.labels)
            if (!labels.has(l)) problems.push(`${panel.title}: ${s.name} has no label ${l}`);
          // Aggregation labels must exist on the metric too.
          for (const by of target.expr.matchAll(/by \(([^)]*)\)/g)) {
            for (const l of (by[1] ?? '').split(',').map((x) => x.trim())) {
              if (l !== '' && ![...used].some((u) => names.get(u.name)?.has(l))) {
                problems.push(`${panel.title}: no metric of the query has the label ${l}`);
              }
            }
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('shows run outcomes, rows and bytes per entity, lag, gate waits, API calls and failures', async () => {
    const d = await dashboard();
    const used = new Set(
      d.panels.flatMap((p) => p.targets.flatMap((t) => selectors(t.expr).map((s) => s.name))),
    );
    for (const family of [
      'runs_total',
      'rows_loaded_total',
      'bytes_loaded_total',
      'window_lag_seconds',
      'rate_gate_wait_seconds_total',
      'api_calls_total',
      'failed_windows',
      'jobs_total',
      'last_success_timestamp_seconds',
    ]) {
      expect([family, used.has(`${METRIC_PREFIX}${family}`)]).toEqual([family, true]);
    }
    expect(new Set(d.panels.map((p) => p.title)).size).toBe(d.panels.length);
  });
});
