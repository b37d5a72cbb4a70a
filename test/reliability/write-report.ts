/**
 * `npm run reliability [-- --points N]`: runs the reliability suite (crash, faults, bad input, replicas,
 * secrets) with its figures collected in a fresh directory, runs `npm audit --omit=dev`, searches every
 * log the suite's processes wrote for secret-shaped strings, and writes docs/RELIABILITY.md from those
 * figures alone. Exits 1 when a test failed, a secret was found or the audit reports high or critical.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as prettier from 'prettier';
import { REPO_ROOT } from '../helpers/cli-process.js';
import { FIGURES_FILE, type FigureRecord } from '../helpers/figures.js';
import { readLogDir, scanForSecrets } from '../helpers/secrets.js';

const SUITE = [
  'test/crash/crash.test.ts',
  'test/integration/faults.test.ts',
  'test/integration/post-refused.test.ts',
  'test/integration/bad-input.test.ts',
  'test/integration/replicas.test.ts',
  'test/integration/secrets.test.ts',
  'test/integration/rate-gate.test.ts',
  'test/integration/pipeline-recovery.test.ts',
];

const { values } = parseArgs({
  options: { points: { type: 'string', default: '32' }, 'skip-audit': { type: 'boolean', default: false } },
});

function exec(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  capture = false,
): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', capture ? 'pipe' : 'inherit', 'inherit'],
    });
    let stdout = '';
    child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout }));
  });
}

interface JestResult {
  numPassedTests: number;
  numFailedTests: number;
  testResults: {
    name: string;
    assertionResults: { ancestorTitles: string[]; title: string; status: string }[];
  }[];
}

interface Audit {
  ran: boolean;
  note: string;
  high: number;
  critical: number;
  total: number;
}

async function audit(): Promise<Audit> {
  if (values['skip-audit'])
    return { ran: false, note: 'skipped (--skip-audit)', high: 0, critical: 0, total: 0 };
  const result = await exec(
    'npm',
    ['audit', '--omit=dev', '--audit-level=high', '--json'],
    process.env,
    true,
  );
  try {
    const report = JSON.parse(result.stdout) as {
      metadata?: { vulnerabilities?: Record<string, number> };
      error?: { summary?: string };
      message?: string;
    };
    const v = report.metadata?.vulnerabilities;
    // A read-only registry mirror answers the advisory endpoint 405: say so rather than claim a result.
    const note = report.message ?? report.error?.summary ?? 'no audit metadata';
    if (!v) return { ran: false, note, high: 0, critical: 0, total: 0 };
    return { ran: true, note: '', high: v.high ?? 0, critical: v.critical ?? 0, total: v.total ?? 0 };
  } catch {
    return {
      ran: false,
      note: `npm audit gave no JSON (exit ${result.code})`,
      high: 0,
      critical: 0,
      total: 0,
    };
  }
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'cxone-etl-reliability-'));
const env = { ...process.env, CXONE_RELIABILITY_DIR: dir, CXONE_CRASH_POINTS: values.points };
process.stdout.write(`reliability suite: figures and logs in ${dir}\n`);

await exec('npm', ['run', 'build'], process.env);
const jestFile = path.join(dir, 'jest.json');
const jest = await exec(
  process.execPath,
  [
    '--experimental-vm-modules',
    'node_modules/jest/bin/jest.js',
    ...SUITE,
    '--json',
    `--outputFile=${jestFile}`,
  ],
  env,
);
const results: JestResult | undefined = existsSync(jestFile)
  ? (JSON.parse(readFileSync(jestFile, 'utf8')) as JestResult)
  : undefined;
const auditResult = await audit();
const logs = readLogDir(path.join(dir, 'logs'));
// Known values were searched by each test; here every log of the run is searched for secret shapes.
const shapeHits = scanForSecrets(logs, []);
const figures: FigureRecord[] = existsSync(path.join(dir, FIGURES_FILE))
  ? readFileSync(path.join(dir, FIGURES_FILE), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as FigureRecord)
  : [];

const target = path.join(REPO_ROOT, 'docs', 'RELIABILITY.md');
mkdirSync(path.dirname(target), { recursive: true });
// Formatted as `npm run lint` (prettier --check .) expects it.
const options = (await prettier.resolveConfig(target)) ?? {};
writeFileSync(target, await prettier.format(render(), { ...options, filepath: target }));
process.stdout.write(`\nwrote docs/RELIABILITY.md\n`);
const ok = jest.code === 0 && shapeHits.length === 0 && auditResult.high === 0 && auditResult.critical === 0;
process.exitCode = ok ? 0 : 1;

function section(name: string): FigureRecord[] {
  return figures.filter((f) => f.section === name);
}

function num(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}

/** Objects as `key: value, …` (nested ones as JSON), everything else as text. */
function cell(value: unknown): string {
  const text =
    typeof value === 'string'
      ? value
      : value !== null && typeof value === 'object' && !Array.isArray(value)
        ? Object.entries(value)
            .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
            .join(', ')
        : JSON.stringify(value);
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function total(value: unknown): number {
  return value !== null && typeof value === 'object'
    ? Object.values(value).reduce((n: number, v) => n + num(v), 0)
    : num(value);
}

function table(head: string[], rows: unknown[][]): string {
  return [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n');
}

function render(): string {
  const crash = section('crash').filter((f) => 'killPoints' in f.figures);
  const killPoints = crash.reduce((n, f) => n + num(f.figures.killPoints), 0);
  const survived = crash.reduce((n, f) => n + num(f.figures.survived), 0);
  const replicas = section('replicas');
  const unprovoked = [...section('crash'), ...replicas].reduce((n, f) => n + total(f.figures.violations), 0);
  const secretHits = figures.reduce((n, f) => n + num(f.figures.secretHits), 0) + shapeHits.length;
  const bad = section('bad-input').find((f) => f.name === 'summary')?.figures;
  const badCases = (bad?.list ?? []) as { name: string; expected: string; outcome: string }[];
  const tests = results?.testResults.flatMap((t) => t.assertionResults) ?? [];
  const faultTests =
    results?.testResults
      .filter((t) => t.name.endsWith('faults.test.ts') || t.name.endsWith('post-refused.test.ts'))
      .flatMap((t) => t.assertionResults) ?? [];
  const lines: string[] = [
    '# Reliability',
    '',
    `Written by \`npm run reliability\` (test/reliability/write-report.ts) on ${new Date().toISOString().slice(0, 10)} ` +
      'from the figures the suite printed while it ran; run it again to refresh, do not edit by hand. ' +
      'The same tests run in CI on every `npm test` (with 32 kill points).',
    '',
    '## Summary',
    '',
    table(
      ['', ''],
      [
        [
          'Tests of the suite',
          results
            ? `${results.numPassedTests} passed, ${results.numFailedTests} failed`
            : 'jest wrote no results',
        ],
        [
          'Kill points survived (SIGKILL, restart, data equal to a clean run)',
          `${survived} of ${killPoints}`,
        ],
        [
          'Fault scenarios passed',
          `${faultTests.filter((t) => t.status === 'passed').length} of ${faultTests.length}`,
        ],
        [
          'Bad inputs handled as documented',
          `${badCases.length} cases: ${num(bad?.failedAsExpected)} fail their window, ${num(bad?.loadedAsDocumented)} load, ${num(bad?.exitedWithCode2)} bad settings exit 2`,
        ],
        ['Rate-limit violations (crash, restart and replica runs)', unprovoked],
        ['Secret hits in logs, stored errors and the process list', secretHits],
        [
          'npm audit --omit=dev',
          auditResult.ran
            ? `${auditResult.critical} critical, ${auditResult.high} high (${auditResult.total} in all)`
            : `not run: ${auditResult.note}`,
        ],
      ],
    ),
    '',
    '## Crash anywhere',
    '',
    'The real CLI is killed with SIGKILL at points drawn from a seeded generator (a named point in',
    'src/lib/crash-points.ts reached its n-th time, or a timer), restarted, and killed again until a run',
    'completes; staging must then equal a clean run row for row, the ledger must tile the range, and the',
    'simulator must have seen no violation; an extra POST is allowed only for a lost post (killed between',
    'the POST and its ledger write) that the restart could not adopt with GET /jobs.',
    '',
    table(
      [
        'Run',
        'Kill points',
        'Survived',
        'By phase',
        'Starts',
        'Windows',
        'POSTs (extra)',
        'Lost posts (adopted)',
        'Violations',
        'Seconds',
      ],
      crash.map((f) => [
        f.name,
        f.figures.killPoints,
        f.figures.survived,
        f.figures.byPoint,
        f.figures.starts,
        f.figures.windows,
        `${num(f.figures.posts)} (${num(f.figures.extraPosts)})`,
        `${num(f.figures.lostPosts)} (${num(f.figures.adoptedLostPosts)})`,
        total(f.figures.violations),
        f.figures.seconds,
      ]),
    ),
    '',
    'Targeted kills, each followed by an immediate restart:',
    '',
    table(
      ['Scenario', 'Figures'],
      section('crash')
        .filter((f) => !('killPoints' in f.figures))
        .map((f) => [f.name, f.figures]),
    ),
    '',
    '## Fault matrix',
    '',
    table(
      ['Fault', 'Outcome'],
      section('faults').map((f) => [f.name, f.figures]),
    ),
    '',
    '## Bad input corpus',
    '',
    table(
      ['Case', 'Expected', 'Outcome'],
      badCases.map((c) => [c.name, c.expected, c.outcome]),
    ),
    '',
    '## Replicas',
    '',
    table(
      ['Scenario', 'Figures'],
      replicas.map((f) => [f.name, f.figures]),
    ),
    '',
    '## Secrets',
    '',
    table(
      ['Where', 'Figures'],
      [
        ...section('secrets').map((f) => [f.name, f.figures]),
        ...section('crash')
          .filter((f) => 'secretHits' in f.figures)
          .map((f) => [`crash ${f.name}: child logs`, { secretHits: f.figures.secretHits }]),
        [
          'every log file of this run, searched for JWTs, URL signatures and bearer tokens',
          { files: logs.length, secretHits: shapeHits.length },
        ],
      ],
    ),
    '',
    `npm audit --omit=dev --audit-level=high: ${auditResult.ran ? `${auditResult.critical} critical, ${auditResult.high} high, ${auditResult.total} vulnerabilities in all` : `not run (${auditResult.note})`}.`,
    '',
    '## All tests of the suite',
    '',
    table(
      ['Test', 'Result'],
      tests.map((t) => [[...t.ancestorTitles, t.title].join(' › '), t.status]),
    ),
    '',
  ];
  return `${lines.join('\n')}\n`;
}
