/**
 * First contact: `demo` in a terminal (a pseudo-terminal from util-linux `script`, as a person's shell
 * would give it) on a database never migrated. What it shows must be what the README quickstart shows:
 * the banner, the progress bar and the summary tables, with no line per migration and no routine log
 * lines in between (logs still go to stderr, which the terminal shows too).
 */
import { execFileSync, spawn } from 'node:child_process';
import os from 'node:os';
import { childEnv, devToolsCliCommand } from '../helpers/cli-process.js';
import { createEmptyTestDatabase, type TestDatabase } from '../helpers/database.js';
import { readMigrations } from '../../src/db/migrate.js';
import { withDeadline } from '../helpers/wait.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createEmptyTestDatabase();
});
afterAll(() => db.drop());

/** The command line for `script -c`, each word single-quoted for the shell. */
function shellLine(words: string[]): string {
  return words.map((w) => `'${w.replaceAll("'", "'\\''")}'`).join(' ');
}

/** Runs `args` in a pseudo-terminal; resolves with everything the terminal received and the exit code. */
function inTerminal(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; text: string }> {
  // demo is a development tool: the production build (dist/) leaves it out.
  const { command, args: base } = devToolsCliCommand();
  // -q: no "Script started" lines; -e: exit with the command's code; the transcript file is not needed.
  const child = spawn('script', ['-q', '-e', '-c', shellLine([command, ...base, ...args]), '/dev/null'], {
    cwd: os.tmpdir(),
    env: childEnv({ ...env, COLUMNS: '160', LINES: '50' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout.on('data', (c: Buffer) => (text += c.toString()));
  child.stderr.on('data', (c: Buffer) => (text += c.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, text }));
  });
}

/** What a person reads: escape sequences gone, carriage-return redraws split into lines. */
function screenLines(raw: string): string[] {
  // eslint-disable-next-line no-control-regex
  const plain = raw.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[78]/g, '');
  return plain
    .split(/\r\n|\r|\n/)
    .map((l) => l.trimEnd())
    .filter((l) => l !== '');
}

it('a first demo in a terminal shows the banner, the progress bar and the tables, and no log line', async () => {
  expect(() => execFileSync('script', ['--version'])).not.toThrow();
  const result = await withDeadline(
    inTerminal(['demo', '--days', '2'], { DATABASE_URL: db.url }),
    'the demo to finish',
    120_000,
  );
  const lines = screenLines(result.text);
  expect({ code: result.code, tail: lines.slice(-5) }).toMatchObject({ code: 0 });
  expect(lines[0]).toMatch(/^cxone-etl demo: simulator at http:\/\/127\.0\.0\.1:\d+ /);
  expect(lines.some((l) => / \d+\/\d+ windows \| [\d,]+ rows \| [\d.]+ MB \| ETA /.test(l))).toBe(true);
  expect(
    lines.some((l) => /^entity\s+windows\s+rows\s+MB\s+seconds\s+API calls\s+gate wait s$/.test(l)),
  ).toBe(true);
  expect(lines.some((l) => /^total\s+\d+\/\d+\s/.test(l))).toBe(true);
  expect(lines.at(-1)).toMatch(/^Finished in [\d.]+ s\./);
  // No log line at all: none per migration, no INFO, no WARN (pretty logs start with [HH:MM:SS] LEVEL).
  expect(lines.filter((l) => /^\[\d\d:\d\d:\d\d(\.\d+)?\] [A-Z]+:|applied migration/.test(l))).toEqual([]);
  // The migrations did run, quietly.
  const { rows } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM cxone_etl.migrations');
  expect(rows[0]?.n).toBe((await readMigrations()).length);
}, 180_000);
