import { readFileSync } from 'node:fs';
import { ConfigError, parseConfig } from '../../src/config.js';
import { SECTIONS, variableDocs } from '../../src/config/variable.js';
import { VARIABLES } from '../../src/config/variables.js';
import { renderConfigDocs } from '../../scripts/config-docs.js';

/** `# NAME=value` (or `NAME=value`) lines of .env.example, in order. */
function envExample(): Map<string, string> {
  const text = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
  const entries = [...text.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((m) => [m[1], m[2]?.trim()]);
  return new Map(entries as [string, string][]);
}

const docOf = (name: keyof typeof VARIABLES) => variableDocs.get(VARIABLES[name]);

describe('the config schema, .env.example and docs/CONFIGURATION.md', () => {
  it('name the same variables', () => {
    expect([...envExample().keys()].sort()).toEqual(Object.keys(VARIABLES).sort());
  });

  it('.env.example shows each default the schema applies', () => {
    const example = envExample();
    const withDefault = Object.keys(VARIABLES).filter(
      (name) => docOf(name as keyof typeof VARIABLES)?.default !== undefined,
    );
    expect(withDefault.length).toBeGreaterThanOrEqual(30);
    for (const name of withDefault) {
      expect([name, example.get(name)]).toEqual([name, docOf(name as keyof typeof VARIABLES)?.default]);
    }
  });

  it('document every variable with its section, form and meaning', () => {
    for (const name of Object.keys(VARIABLES) as (keyof typeof VARIABLES)[]) {
      const doc = docOf(name);
      expect(Object.keys(SECTIONS)).toContain(doc?.section);
      expect(doc?.form).toMatch(/\w/);
      expect(doc?.description).toMatch(/\w/);
    }
  });

  it('the generated page has each variable once, in its section, with its default', () => {
    const page = renderConfigDocs();
    for (const name of Object.keys(VARIABLES) as (keyof typeof VARIABLES)[]) {
      const rows = page.split('\n').filter((line) => line.startsWith(`| \`${name}\` |`));
      expect([name, rows.length]).toEqual([name, 1]);
      const doc = docOf(name);
      const section = page.lastIndexOf('\n## ', page.indexOf(rows[0] as string));
      expect(page.slice(section + 4)).toMatch(new RegExp(`^${escape(SECTIONS[doc!.section].title)}\\n`));
      if (doc?.unset === undefined && doc?.default !== undefined)
        expect(rows[0]).toContain(`\`${doc.default}\``);
    }
  });

  it('the defaults it documents are the ones parseConfig applies', () => {
    const defaults = Object.fromEntries(
      Object.keys(VARIABLES)
        .map((name) => [name, docOf(name as keyof typeof VARIABLES)?.default])
        .filter(([, value]) => value !== undefined),
    );
    expect(parseConfig(defaults)).toEqual(parseConfig({}));
  });
});

describe('parseConfig errors', () => {
  it('with several bad values, names the first in the schema order (that of .env.example)', () => {
    const env = { LOG_LEVEL: 'loud', EXTRACT_WINDOW: 'tomorrow', HTTP_PORT: '99999' };
    expect(() => parseConfig(env)).toThrow(ConfigError);
    expect(() => parseConfig(env)).toThrow(
      /^EXTRACT_WINDOW: expected a duration such as 30s, 15m, 2h or 1d, got "tomorrow"$/,
    );
  });

  it('never shows a webhook URL that failed to parse (it may carry a token)', () => {
    let message = '';
    try {
      parseConfig({ NOTIFY_WEBHOOK_URL: 'hooks.example/T0/B0/hunter2' });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toBe('NOTIFY_WEBHOOK_URL: expected an http:// or https:// URL, got "(value hidden)"');
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
