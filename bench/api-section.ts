/**
 * Section 4 (API efficiency) of bench/RESULTS.md alone, from a fresh bench/api-efficiency.ts run, the
 * other sections left as the last full run wrote them. The leg runs on the warp clock, so its figures do
 * not depend on how busy the machine is, unlike the timing legs that need a quiet machine.
 *
 *   npx tsx bench/api-section.ts
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as prettier from 'prettier';
import { runApiEfficiency } from './api-efficiency.js';
import { isMain, ROOT } from './bench-env.js';
import { apiSection } from './results-tables.js';

const HEADING = '## 4. API efficiency';

/** Replaces section 4 of `markdown` with `section`, up to the next `## ` heading. */
export function replaceApiSection(markdown: string, section: string): string {
  const start = markdown.indexOf(HEADING);
  if (start < 0) throw new Error(`bench/RESULTS.md has no "${HEADING}" section: run npm run bench first`);
  const next = markdown.indexOf('\n## ', start + HEADING.length);
  const end = next < 0 ? markdown.length : next + 1;
  return `${markdown.slice(0, start)}${section.trimEnd()}\n\n${markdown.slice(end)}`;
}

if (isMain(import.meta.url)) {
  const api = await runApiEfficiency();
  const day = new Date().toISOString().slice(0, 10);
  const note =
    `_Measured alone on ${day} (\`npx tsx bench/api-section.ts\`), after the rest of this file: ` +
    'the goals table and "What the figures say" still quote the full run\'s API figures._';
  const section = apiSection(api).replace(HEADING, `${HEADING}\n\n${note}`);
  const file = path.join(ROOT, 'bench/RESULTS.md');
  const options = { ...(await prettier.resolveConfig(file)), parser: 'markdown' };
  const updated = replaceApiSection(await readFile(file, 'utf8'), section);
  await writeFile(file, await prettier.format(updated, options));
  console.log('wrote section 4 of bench/RESULTS.md');
}
