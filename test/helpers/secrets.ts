import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * The secret scan of the reliability suite: every log the suite captures (child processes' files,
 * in-process runs' buffers) is searched for every secret the tests used. Besides the known values, two
 * shapes count as a hit wherever they come from: a JWT, and a URL signature with its value.
 */
export interface SecretHit {
  source: string;
  /** Which secret, by kind and position, never the value itself. */
  secret: string;
  /** The text around the hit with the secret masked, to find the leak. */
  around: string;
}

export interface LogText {
  source: string;
  text: string;
}

const PATTERNS: { name: string; re: RegExp }[] = [
  { name: 'a JWT', re: /eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}/g },
  { name: 'a URL signature', re: /X-Amz-Signature=[0-9a-f]{16,}/gi },
  { name: 'a bearer token', re: /Bearer\s+[\w.-]{20,}/g },
];

/** Secrets shorter than this are not searched as plain text (too many false hits); they should be longer. */
const MIN_SECRET_LENGTH = 8;

export function scanForSecrets(logs: LogText[], secrets: string[]): SecretHit[] {
  const known = [...new Set(secrets)].filter((s) => s.length >= MIN_SECRET_LENGTH);
  const hits: SecretHit[] = [];
  for (const { source, text } of logs) {
    known.forEach((secret, i) => {
      let at = text.indexOf(secret);
      while (at >= 0) {
        hits.push({
          source,
          secret: `known secret #${i + 1} (${secret.length} chars)`,
          around: mask(text, at, secret.length),
        });
        at = text.indexOf(secret, at + secret.length);
      }
    });
    for (const { name, re } of PATTERNS) {
      for (const match of text.matchAll(re)) {
        hits.push({ source, secret: name, around: mask(text, match.index ?? 0, match[0].length) });
      }
    }
  }
  return hits;
}

function mask(text: string, at: number, length: number): string {
  const before = text.slice(Math.max(0, at - 60), at);
  const after = text.slice(at + length, at + length + 60);
  return `${before}<SECRET>${after}`.replace(/\s+/g, ' ');
}

/** Every file under `dir` (recursively) as a log text. */
export function readLogDir(dir: string): LogText[] {
  const out: LogText[] = [];
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...readLogDir(full));
    else out.push({ source: full, text: readFileSync(full, 'utf8') });
  }
  return out;
}

/** The password of a postgres:// URL, if it has one. */
export function urlPassword(url: string): string[] {
  try {
    const password = decodeURIComponent(new URL(url).password);
    return password === '' ? [] : [password];
  } catch {
    return [];
  }
}
