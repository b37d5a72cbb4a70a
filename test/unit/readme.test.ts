import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The README stays a page someone reads (it had grown to 86 KB), its map of the code names
 * every folder under src/, and no relative link in it or in docs/ points at a file or heading that
 * is not there.
 */
const ROOT = path.join(import.meta.dirname, '..', '..');
const README = path.join(ROOT, 'README.md');
/** 15 KB, read strictly as 15,000 bytes (UTF-8), the limit the project set itself. */
const README_MAX_BYTES = 15_000;
/** Generated from the config schema by its own script, which another change adds; not checked here. */
const NOT_CHECKED = new Set([path.join(ROOT, 'docs', 'CONFIGURATION.md')]);

/** Markdown without fenced code blocks, so `# comments` in shell examples are not headings or links. */
function withoutCodeBlocks(markdown: string): string[] {
  let inFence = false;
  return markdown.split('\n').filter((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      inFence = !inFence;
      return false;
    }
    return !inFence;
  });
}

/** The anchors GitHub gives a file's headings: lower case, punctuation dropped, spaces as `-`, repeats numbered. */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of withoutCodeBlocks(markdown)) {
    const match = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!match) continue;
    const base = (match[1] as string)
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** The link targets of a markdown text, outside code blocks and inline code. */
function linkTargets(markdown: string): string[] {
  const targets: string[] = [];
  for (const line of withoutCodeBlocks(markdown)) {
    const text = line.replace(/`[^`]*`/g, '');
    for (const m of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) targets.push(m[1] as string);
    const reference = /^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/.exec(text);
    if (reference) targets.push(reference[1] as string);
  }
  return targets;
}

/** The relative links of `file` whose file (or heading, in a markdown file) does not exist. */
function brokenLinks(file: string, markdown: string): string[] {
  const broken: string[] = [];
  for (const target of linkTargets(markdown)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: ...
    const [pathPart = '', anchor] = target.split('#', 2);
    const resolved = pathPart === '' ? file : path.resolve(path.dirname(file), decodeURIComponent(pathPart));
    if (NOT_CHECKED.has(resolved)) continue;
    if (pathPart !== '' && !existsSync(resolved)) {
      broken.push(`${target} (no file ${path.relative(ROOT, resolved)})`);
      continue;
    }
    if (anchor && resolved.endsWith('.md')) {
      const anchors = headingAnchors(resolved === file ? markdown : readFileSync(resolved, 'utf8'));
      if (!anchors.has(anchor.toLowerCase())) broken.push(`${target} (no heading #${anchor})`);
    }
  }
  return broken;
}

/** The text of a `## title` section, up to the next `## ` heading. */
function section(markdown: string, title: string): string {
  const lines = markdown.split('\n');
  const start = lines.indexOf(`## ${title}`);
  if (start < 0) return '';
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((line) => line.startsWith('## '));
  return (end < 0 ? rest : rest.slice(0, end)).join('\n');
}

describe('the link checker itself', () => {
  const file = path.join(ROOT, 'docs', 'EXAMPLE.md');

  it('finds links outside code, and anchors as GitHub writes them', () => {
    const markdown = [
      '# Title',
      '## First contact: `cxone-etl check`',
      '## Postgres grants (least privilege)',
      '## Postgres grants (least privilege)',
      'See [a](OPERATIONS.md), [b](#title) and [`c`](../.env.example "title").',
      'Not `[d](nowhere.md)`, and not in a fence:',
      '```',
      '[e](nowhere.md)',
      '```',
      '[ref]: ../README.md#quickstart',
    ].join('\n');
    expect(linkTargets(markdown)).toEqual([
      'OPERATIONS.md',
      '#title',
      '../.env.example',
      '../README.md#quickstart',
    ]);
    expect([...headingAnchors(markdown)]).toEqual([
      'title',
      'first-contact-cxone-etl-check',
      'postgres-grants-least-privilege',
      'postgres-grants-least-privilege-1',
    ]);
  });

  it('reports a missing file, a missing heading and a missing anchor in the same file', () => {
    const markdown = [
      '# Here',
      '[ok](../README.md) [web](https://example.com/x.md) [generated](CONFIGURATION.md)',
      '[gone](GONE.md) [bad](../README.md#no-such-heading) [self](#here) [self-bad](#there)',
    ].join('\n');
    expect(brokenLinks(file, markdown)).toEqual([
      'GONE.md (no file docs/GONE.md)',
      '../README.md#no-such-heading (no heading #no-such-heading)',
      '#there (no heading #there)',
    ]);
  });
});

describe('README.md', () => {
  const readme = readFileSync(README, 'utf8');

  it(`fits on a screen: at most ${README_MAX_BYTES} bytes`, () => {
    expect(Buffer.byteLength(readme, 'utf8')).toBeLessThanOrEqual(README_MAX_BYTES);
  });

  it('names every folder and root file under src/ in "Where things are"', () => {
    const map = section(readme, 'Where things are');
    expect(map).not.toBe('');
    const entries = readdirSync(path.join(ROOT, 'src'), { withFileTypes: true })
      .filter((e) => e.isDirectory() || e.name.endsWith('.ts'))
      .map((e) => (e.isDirectory() ? `src/${e.name}/` : `src/${e.name}`));
    expect(entries.length).toBeGreaterThan(5);
    expect(entries.filter((entry) => !map.includes(entry))).toEqual([]);
  });
});

describe('relative links in README.md and docs/*.md', () => {
  const docs = readdirSync(path.join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => path.join(ROOT, 'docs', name));

  it.each([README, ...docs].map((file) => [path.relative(ROOT, file), file]))(
    '%s points only at files and headings that exist',
    (_name, file) => {
      expect(brokenLinks(file, readFileSync(file, 'utf8'))).toEqual([]);
    },
  );
});
