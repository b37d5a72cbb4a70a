import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';

/**
 * Figures of the reliability suite (kill points survived, faults, bad inputs, violations, secret hits):
 * always printed, and appended as JSON lines to $CXONE_RELIABILITY_DIR/figures.jsonl when that is set,
 * which is how `npm run reliability` collects them to write docs/RELIABILITY.md. Nobody types them.
 */
export interface FigureRecord {
  section: string;
  name: string;
  figures: Record<string, unknown>;
}

export const FIGURES_FILE = 'figures.jsonl';

export function recordFigures(section: string, name: string, figures: Record<string, unknown>): void {
  const record: FigureRecord = { section, name, figures };
  process.stdout.write(`[reliability] ${section} / ${name}: ${JSON.stringify(figures)}\n`);
  const dir = process.env.CXONE_RELIABILITY_DIR;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  // One short line per append (O_APPEND): parallel jest workers do not interleave within a line.
  appendFileSync(path.join(dir, FIGURES_FILE), `${JSON.stringify(record)}\n`);
}
