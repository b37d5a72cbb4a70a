import { createHmac } from 'node:crypto';
import { inspect } from 'node:util';
import { ConfigError, parseConfig } from '../../src/config.js';
import { entityPolicy, hashText, planColumns } from '../../src/load/column-policy.js';

const KEY = 'a-key-of-sixteen-or-more';
const HEADER = ['ACD Call ID', 'ANI', 'DNIS', 'Agent Notes', 'Customer Name'];

describe('COLUMN_POLICY, PII_HASH_KEY and RETENTION in the config', () => {
  it('reads rules, the key as a secret, and per-entity retention', () => {
    const c = parseConfig({
      COLUMN_POLICY: '*.ani=hash; recording-interaction-metadata.agent_notes=DROP;',
      PII_HASH_KEY: KEY,
      RETENTION: 'recording-interaction-metadata=90d,*=400d',
    });
    expect(c.privacy.columnPolicy).toEqual([
      { entity: '*', column: 'ani', action: 'hash' },
      { entity: 'recording-interaction-metadata', column: 'agent_notes', action: 'drop' },
    ]);
    expect(c.privacy.hashKey?.reveal()).toBe(KEY);
    expect(inspect(c)).not.toContain(KEY);
    expect(JSON.stringify(c)).not.toContain(KEY);
    expect(c.privacy.retentionMs.get('recording-interaction-metadata')).toBe(90 * 86_400_000);
    expect(c.privacy.retentionMs.get('qm-workflows')).toBe(400 * 86_400_000);
    expect(parseConfig({}).privacy).toMatchObject({ columnPolicy: [], hashKey: undefined });
    expect(parseConfig({}).privacy.retentionMs.size).toBe(0);
  });

  it('a policy that hashes without PII_HASH_KEY is an error naming both', () => {
    const attempt = (): unknown => parseConfig({ COLUMN_POLICY: '*.ani=hash' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/PII_HASH_KEY.*COLUMN_POLICY/);
    // Dropping needs no key.
    expect(parseConfig({ COLUMN_POLICY: '*.ani=drop' }).privacy.hashKey).toBeUndefined();
  });

  it('refuses bad rules, unknown entities, a short key (without echoing it) and retention under a day', () => {
    expect(() => parseConfig({ COLUMN_POLICY: 'ani=hash' })).toThrow(/COLUMN_POLICY: expected entity.column/);
    expect(() => parseConfig({ COLUMN_POLICY: '*.ani=mask' })).toThrow(/COLUMN_POLICY/);
    expect(() => parseConfig({ COLUMN_POLICY: 'calls.ani=drop' })).toThrow(/unknown entity calls/);
    expect(() => parseConfig({ COLUMN_POLICY: '*.ani=drop;*.ani=hash', PII_HASH_KEY: KEY })).toThrow(
      /named twice/,
    );
    let message = '';
    try {
      parseConfig({ PII_HASH_KEY: 'short-secret' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/PII_HASH_KEY: expected a secret of at least 16 characters/);
    expect(message).not.toContain('short-secret');
    expect(() => parseConfig({ RETENTION: '12h' })).toThrow(/RETENTION: expected .*at least 1d/);
  });
});

describe('planColumns', () => {
  const policy = parseConfig({
    COLUMN_POLICY:
      '*.ani=hash;*.dnis=hash;recording-interaction-metadata.dnis=drop;qm-workflows.agent_notes=drop',
    PII_HASH_KEY: KEY,
  }).privacy;
  const rules = { rules: policy.columnPolicy, hashKey: policy.hashKey };

  it('matches staging column names; a rule naming the entity wins over *', () => {
    expect(entityPolicy(rules.rules, 'recording-interaction-metadata')).toEqual(
      new Map([
        ['ani', 'hash'],
        ['dnis', 'drop'],
      ]),
    );
    const plan = planColumns(rules, 'recording-interaction-metadata', HEADER);
    expect(plan.kept).toEqual(['acd_call_id', 'ani', 'agent_notes', 'customer_name']);
    expect(plan.dropped).toEqual(['dnis']);
    expect(plan.hashed).toEqual(['ani']);
    expect([...plan.actions.keys()]).toEqual([1, 2]);
    expect(plan.actions.get(2)).toEqual({ kind: 'drop' });
  });

  it('hashes with HMAC-SHA-256 (hex) of the bytes, the same in every entity; empty stays empty', () => {
    const a = planColumns(rules, 'recording-interaction-metadata', HEADER).actions.get(1);
    const b = planColumns(rules, 'qm-workflows', ['ANI']).actions.get(0);
    if (a?.kind !== 'replace' || b?.kind !== 'replace') throw new Error('expected replace actions');
    const value = Buffer.from('+82-10-1234-5678', 'utf8');
    const expected = createHmac('sha256', KEY).update(value).digest('hex');
    expect(a.replace(value)).toBe(expected);
    expect(a.replace(value)).toBe(expected); // the same again
    expect(b.replace(value)).toBe(expected);
    expect(hashText(policy.hashKey!, '+82-10-1234-5678')).toBe(expected);
    expect(a.replace(Buffer.alloc(0))).toBe('');
  });

  it('leaves a file the policy does not touch alone, and refuses to drop every column', () => {
    expect(planColumns(rules, 'wfm-payroll', ['Agent ID']).actions.size).toBe(0);
    expect(() =>
      planColumns(
        { rules: [{ entity: '*', column: 'ani', action: 'drop' }], hashKey: undefined },
        'qm-workflows',
        ['ANI'],
      ),
    ).toThrow(/drops every column/);
  });
});
