/**
 * deploy/kubernetes/, checked offline: each manifest against the Kubernetes API schemas that the npm
 * package kubernetes-models ships (its ajv validators: types, enums, formats such as quantities, required
 * fields; version 4.5 knows the Job fields of Kubernetes 1.31), and strictly against its TypeScript
 * interfaces through the compiler (an unknown or misspelt field is an excess-property error there, as
 * with `kubeconform -strict`, which cannot be installed here: it downloads a binary). Then what the
 * manifests promise about this worker: the commands, the probes, the grace period, resources sized from
 * the benchmark, and Secret and ConfigMap keys that are real variables and parse.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import ts from 'typescript';
import YAML from 'yaml';
import { parseConfig } from '../../src/config.js';
import { REPO_ROOT } from '../helpers/cli-process.js';

const DIR = path.join(REPO_ROOT, 'deploy', 'kubernetes');

/**
 * The worker's peak RSS in the benchmark (bench/RESULTS.md, "Memory": 72-120 MB over 10-100 MB files,
 * files and HTTP), rounded up: the figure the memory requests are sized from.
 */
const BENCH_PEAK_RSS_MB = 130;

interface Manifest {
  file: string;
  doc: { apiVersion: string; kind: string; metadata: { name: string }; [key: string]: unknown };
}

/** apiVersion/kind -> the kubernetes-models module and its interface. */
const MODELS: Record<string, { module: string; model: string }> = {
  'batch/v1/CronJob': { module: 'kubernetes-models/batch/v1/CronJob', model: 'CronJob' },
  'apps/v1/Deployment': { module: 'kubernetes-models/apps/v1/Deployment', model: 'Deployment' },
  'v1/Service': { module: 'kubernetes-models/v1/Service', model: 'Service' },
  'v1/Secret': { module: 'kubernetes-models/v1/Secret', model: 'Secret' },
  'v1/ConfigMap': { module: 'kubernetes-models/v1/ConfigMap', model: 'ConfigMap' },
};

interface Container {
  args: string[];
  env?: { name: string; value: string }[];
  envFrom: ({ secretRef: { name: string } } | { configMapRef: { name: string } })[];
  ports?: { name: string; containerPort: number }[];
  livenessProbe?: { httpGet: { path: string; port: string | number } };
  readinessProbe?: { httpGet: { path: string; port: string | number } };
  resources: { requests: { cpu: string; memory: string }; limits: { cpu: string; memory: string } };
  securityContext: { readOnlyRootFilesystem: boolean; allowPrivilegeEscalation: boolean };
}
interface PodSpec {
  restartPolicy?: string;
  terminationGracePeriodSeconds: number;
  securityContext: { runAsNonRoot: boolean; runAsUser: number };
  containers: Container[];
}

let manifests: Manifest[];
beforeAll(async () => {
  manifests = [];
  for (const file of (await readdir(DIR)).filter((f) => f.endsWith('.yaml')).sort()) {
    const docs = YAML.parseAllDocuments(await readFile(path.join(DIR, file), 'utf8'));
    for (const d of docs) manifests.push({ file, doc: d.toJS() as Manifest['doc'] });
  }
});

function one(kind: string): Manifest['doc'] {
  const found = manifests.filter((m) => m.doc.kind === kind);
  expect(found).toHaveLength(1);
  return (found[0] as Manifest).doc;
}

function mebibytes(quantity: string): number {
  const m = /^(\d+)(Mi|Gi)$/.exec(quantity);
  if (!m) throw new Error(`quantity ${quantity}: expected NNMi or NGi`);
  return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1);
}

describe('deploy/kubernetes', () => {
  it('has the CronJob, the daemon Deployment and its Service, the Secret example and the ConfigMap', () => {
    expect(manifests.map((m) => `${m.file}:${m.doc.kind}`).sort()).toEqual([
      'configmap.yaml:ConfigMap',
      'cronjob.yaml:CronJob',
      'deployment.yaml:Deployment',
      'deployment.yaml:Service',
      'secret.example.yaml:Secret',
    ]);
  });

  it('every manifest passes the Kubernetes schema validation of kubernetes-models', async () => {
    for (const { file, doc } of manifests) {
      const model = MODELS[`${doc.apiVersion}/${doc.kind}`];
      expect({ file, kind: doc.kind, known: model !== undefined }).toEqual({
        file,
        kind: doc.kind,
        known: true,
      });
      const mod = (await import(model?.module as string)) as Record<
        string,
        new (d: unknown) => { validate(): void }
      >;
      const Model = mod[model?.model as string] as new (d: unknown) => { validate(): void };
      let problem = '';
      try {
        new Model(doc).validate();
      } catch (err) {
        problem = (err as Error).message;
      }
      expect({ file, kind: doc.kind, problem }).toEqual({ file, kind: doc.kind, problem: '' });
    }
  });

  it('the schema validation does catch a bad value (so the test above can fail)', async () => {
    const { CronJob } = await import('kubernetes-models/batch/v1/CronJob');
    const bad = structuredClone(one('CronJob')) as unknown as { spec: { concurrencyPolicy: string } };
    bad.spec.concurrencyPolicy = 'Never';
    expect(() => new CronJob(bad as never).validate()).toThrow(/concurrencyPolicy/);
  });

  it('no manifest has an unknown field: strict check against the TypeScript interfaces', () => {
    const virtual = path.join(DIR, '__manifests__.ts');
    const source = (docs: Manifest[]) =>
      docs
        .map(({ doc }, i) => {
          const model = MODELS[`${doc.apiVersion}/${doc.kind}`] as { module: string; model: string };
          return `import type { I${model.model} as T${i} } from '${model.module}';\nexport const doc${i}: T${i} = ${JSON.stringify(doc)};\n`;
        })
        .join('');
    const diagnostics = (text: string): string[] => {
      const options: ts.CompilerOptions = {
        strict: true,
        noEmit: true,
        module: ts.ModuleKind.CommonJS,
        moduleResolution: ts.ModuleResolutionKind.Node10,
        types: [],
        skipLibCheck: true,
      };
      const host = ts.createCompilerHost(options);
      const getSourceFile = host.getSourceFile.bind(host);
      host.getSourceFile = (name, lang, ...rest) =>
        name === virtual ? ts.createSourceFile(name, text, lang) : getSourceFile(name, lang, ...rest);
      const fileExists = host.fileExists.bind(host);
      host.fileExists = (name) => name === virtual || fileExists(name);
      const program = ts.createProgram([virtual], options, host);
      return ts
        .getPreEmitDiagnostics(program)
        .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n').split('\n').at(-1) ?? '');
    };
    expect(diagnostics(source(manifests))).toEqual([]);
    // And it catches a misspelt field, which the schema validation above lets through.
    const typo = structuredClone(manifests.filter((m) => m.doc.kind === 'CronJob'));
    const spec = (typo[0] as Manifest).doc.spec as Record<string, unknown>;
    spec.concurrencyPolcy = spec.concurrencyPolicy;
    delete spec.concurrencyPolicy;
    expect(diagnostics(source(typo)).join('\n')).toMatch(/concurrencyPolcy/);
  });

  it('the CronJob runs `run` nightly, never two at once, with time to finish a window on SIGTERM', () => {
    const cron = one('CronJob') as unknown as {
      spec: {
        schedule: string;
        concurrencyPolicy: string;
        jobTemplate: { spec: { backoffLimit: number; template: { spec: PodSpec } } };
      };
    };
    expect(cron.spec.concurrencyPolicy).toBe('Forbid');
    expect(cron.spec.schedule.split(' ')).toHaveLength(5);
    expect(cron.spec.jobTemplate.spec.backoffLimit).toBe(0);
    const pod = cron.spec.jobTemplate.spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.containers[0]?.args).toEqual(['node', 'dist/main.js', 'run']);
    // Longer than SHUTDOWN_GRACE's default (30 s).
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(30);
  });

  it('the Deployment runs the daemon with /healthz liveness and /readyz readiness on HTTP_PORT', () => {
    const deployment = one('Deployment') as unknown as {
      spec: { replicas: number; template: { spec: PodSpec } };
    };
    expect(deployment.spec.replicas).toBe(1);
    const pod = deployment.spec.template.spec;
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(30);
    const c = pod.containers[0] as Container;
    expect(c.args).toEqual(['node', 'dist/main.js', 'daemon']);
    const httpPort = Number(c.env?.find((e) => e.name === 'HTTP_PORT')?.value);
    const port = c.ports?.find((p) => p.containerPort === httpPort);
    expect(port).toBeDefined();
    expect(c.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: port?.name });
    expect(c.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: port?.name });
    const service = one('Service') as unknown as { spec: { ports: { port: number; targetPort: string }[] } };
    expect(service.spec.ports[0]?.targetPort).toBe(port?.name);
  });

  it('pods run as the image user (node, uid 1000), read-only, with resources sized from the benchmark', () => {
    const pods = [
      (one('CronJob') as unknown as { spec: { jobTemplate: { spec: { template: { spec: PodSpec } } } } }).spec
        .jobTemplate.spec.template.spec,
      (one('Deployment') as unknown as { spec: { template: { spec: PodSpec } } }).spec.template.spec,
    ];
    const peakMiB = (BENCH_PEAK_RSS_MB * 1e6) / 2 ** 20;
    for (const pod of pods) {
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
      const c = pod.containers[0] as Container;
      expect(c.securityContext).toMatchObject({
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
      });
      const request = mebibytes(c.resources.requests.memory);
      const limit = mebibytes(c.resources.limits.memory);
      // The request covers the measured peak with a margin, and is not wildly above it.
      expect(request).toBeGreaterThanOrEqual(peakMiB * 1.2);
      expect(request).toBeLessThanOrEqual(peakMiB * 2);
      expect(limit).toBeGreaterThanOrEqual(request * 2);
    }
  });

  it('Secret and ConfigMap keys are variables of .env.example, referenced by both pods, and parse', async () => {
    const documented = await readFile(path.join(REPO_ROOT, '.env.example'), 'utf8');
    const secret = one('Secret') as unknown as {
      metadata: { name: string };
      stringData: Record<string, string>;
    };
    const configMap = one('ConfigMap') as unknown as {
      metadata: { name: string };
      data: Record<string, string>;
    };
    const keys = [...Object.keys(secret.stringData), ...Object.keys(configMap.data)];
    expect(keys).toEqual(
      expect.arrayContaining(['DATABASE_URL', 'CXONE_ACCESS_KEY_ID', 'CXONE_ACCESS_KEY_SECRET']),
    );
    for (const name of keys) {
      expect({ name, documented: new RegExp(`^#? ?${name}=`, 'm').test(documented) }).toEqual({
        name,
        documented: true,
      });
    }
    for (const kind of ['CronJob', 'Deployment']) {
      const text = JSON.stringify(one(kind));
      expect(text).toContain(`"secretRef":{"name":"${secret.metadata.name}"}`);
      expect(text).toContain(`"configMapRef":{"name":"${configMap.metadata.name}"}`);
    }
    const config = parseConfig({ ...secret.stringData, ...configMap.data });
    expect(config.databaseUrl).toBeDefined();
    expect(config.log.format).toBe('json');
  });
});
