import { ConfigError, parseConfig } from '../../src/config.js';
import { Secret } from '../../src/lib/secret.js';
import {
  loadTenants,
  loadTenantsFile,
  tenantsFromConfig,
  type ReadTextFile,
} from '../../src/tenants/tenants-file.js';

const SECRETS = {
  acmeKey: 'acme-key-secret-9f8e7d',
  globexClient: 'globex-client-secret-1a2b3c',
  globexPassword: 'globex-password-4d5e6f',
};

/** An in-memory file system: tests never touch the disk. */
function files(entries: Record<string, string>): ReadTextFile {
  return (path) => {
    const content = entries[path];
    if (content === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return content;
  };
}

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a throw');
}

const env = { ACME_SECRET: SECRETS.acmeKey, GLOBEX_PASSWORD: `${SECRETS.globexPassword}\n` };

const yamlFile = `
tenants:
  - name: acme
    tenantId: 11112222
    accessKeyId: AKIA-ACME
    accessKeySecretEnv: ACME_SECRET
    entities: [qm-workflows, wfm-payroll]
    startDate: 2026-01-01
    window: 12h
    backfillWindow: 7d
    lookback: 2d
    minCallIntervalMs: 45000
  - name: globex
    clientId: globex-app
    clientSecretFile: secrets/globex-client
    username: etl@globex.example
    passwordEnv: GLOBEX_PASSWORD
    apiBaseUrl: https://api-c7.example.com/
`;

describe('loadTenantsFile', () => {
  it('reads YAML with secrets from environment variables and files', () => {
    const read = files({
      '/etc/cxone/tenants.yaml': yamlFile,
      // Relative secret paths resolve against the tenants file's directory; the trailing newline goes.
      '/etc/cxone/secrets/globex-client': `${SECRETS.globexClient}\n`,
    });
    const tenants = loadTenantsFile('/etc/cxone/tenants.yaml', env, read);

    expect(tenants).toHaveLength(2);
    const [acme, globex] = tenants;
    expect(acme).toMatchObject({
      name: 'acme',
      tenantId: '11112222',
      credentials: { kind: 'access-key', accessKeyId: 'AKIA-ACME' },
      overrides: {
        entities: ['qm-workflows', 'wfm-payroll'],
        startDate: '2026-01-01',
        windowMs: 12 * 3_600_000,
        backfillWindowMs: 7 * 86_400_000,
        lookbackMs: 2 * 86_400_000,
        minCallIntervalMs: 45_000,
      },
    });
    expect(acme?.credentials.kind === 'access-key' && acme.credentials.accessKeySecret.reveal()).toBe(
      SECRETS.acmeKey,
    );
    expect(globex).toMatchObject({
      name: 'globex',
      credentials: { kind: 'password', clientId: 'globex-app', username: 'etl@globex.example' },
      overrides: { apiBaseUrl: 'https://api-c7.example.com' },
    });
    expect(globex?.tenantId).toBeUndefined();
    // Only what the file sets: spreading over the globals leaves the rest alone.
    expect(Object.keys(globex?.overrides ?? {})).toEqual(['apiBaseUrl']);
    if (globex?.credentials.kind !== 'password') throw new Error('expected the password grant');
    expect(globex.credentials.clientSecret).toBeInstanceOf(Secret);
    expect(globex.credentials.clientSecret.reveal()).toBe(SECRETS.globexClient);
    expect(globex.credentials.password.reveal()).toBe(SECRETS.globexPassword);
    expect(Object.isFrozen(acme)).toBe(true);
  });

  it('reads JSON, as a bare list or under "tenants", by extension or by sniffing', () => {
    const tenant = { name: 'acme', accessKeyId: 'AKIA-ACME', accessKeySecretEnv: 'ACME_SECRET' };
    const read = files({
      '/t/tenants.json': JSON.stringify({ tenants: [tenant] }),
      '/t/tenants.conf': JSON.stringify([tenant]),
    });
    expect(loadTenantsFile('/t/tenants.json', env, read).map((t) => t.name)).toEqual(['acme']);
    expect(loadTenantsFile('/t/tenants.conf', env, read).map((t) => t.name)).toEqual(['acme']);
  });

  it('never lets a secret into JSON output or a string', () => {
    const read = files({
      '/etc/cxone/tenants.yaml': yamlFile,
      '/etc/cxone/secrets/globex-client': SECRETS.globexClient,
    });
    const tenants = loadTenantsFile('/etc/cxone/tenants.yaml', env, read);
    const json = JSON.stringify(tenants);
    for (const secret of Object.values(SECRETS)) expect(json).not.toContain(secret);
    expect(json).toContain('[Redacted]');
    expect(
      String(tenants[0]?.credentials.kind === 'access-key' && tenants[0].credentials.accessKeySecret),
    ).toBe('[Redacted]');
  });

  it.each(['accessKeySecret', 'clientSecret', 'password'])(
    'rejects an inline %s and says what to use',
    (key) => {
      const read = files({
        '/t/tenants.yaml': `- name: acme\n  accessKeyId: AKIA-ACME\n  ${key}: inline-s3cret-value\n`,
      });
      const err = thrown(() => loadTenantsFile('/t/tenants.yaml', env, read));
      expect(err).toBeInstanceOf(ConfigError);
      expect(err.message).toContain('TENANTS_FILE /t/tenants.yaml');
      expect(err.message).toContain('tenant #1 "acme"');
      expect(err.message).toContain(`${key}: inline secrets are not accepted`);
      expect(err.message).toContain(`${key}Env`);
      expect(err.message).toContain(`${key}File`);
      expect(err.message).not.toContain('inline-s3cret-value');
    },
  );

  it('names a missing environment variable, never a value', () => {
    const read = files({ '/etc/cxone/tenants.yaml': yamlFile });
    const err = thrown(() => loadTenantsFile('/etc/cxone/tenants.yaml', { ACME_SECRET: '  ' }, read));
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).variable).toBe('ACME_SECRET');
    expect(err.message).toBe(
      'ACME_SECRET: expected the accessKeySecret of tenant #1 "acme" (named by accessKeySecretEnv in TENANTS_FILE /etc/cxone/tenants.yaml) (not set)',
    );
  });

  it('names an unreadable secret file, never its content', () => {
    const read = files({ '/etc/cxone/tenants.yaml': yamlFile });
    const err = thrown(() => loadTenantsFile('/etc/cxone/tenants.yaml', env, read));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toBe(
      'TENANTS_FILE /etc/cxone/tenants.yaml: tenant #2 "globex": clientSecretFile: cannot read /etc/cxone/secrets/globex-client (ENOENT)',
    );
  });

  it('does not echo a secret pasted where a variable name belongs', () => {
    const read = files({
      '/t/tenants.json': JSON.stringify([
        { name: 'acme', accessKeyId: 'AKIA-ACME', accessKeySecretEnv: 'pa$$word/with+chars' },
      ]),
    });
    const err = thrown(() => loadTenantsFile('/t/tenants.json', env, read));
    expect(err.message).toContain('accessKeySecretEnv: expected the NAME of an environment variable');
    expect(err.message).not.toContain('pa$$word');
  });

  it('names the tenant and field of a bad value, and unknown keys', () => {
    const read = files({
      '/t/a.yaml': `- name: acme\n  accessKeyId: AKIA\n  accessKeySecretEnv: ACME_SECRET\n  entities: [qm-workflows, nope]\n`,
      '/t/b.yaml': `- name: acme\n  accessKeyId: AKIA\n  accessKeySecretEnv: ACME_SECRET\n  backfilWindow: 7d\n`,
      '/t/c.yaml': `- name: acme\n  accessKeyId: AKIA\n  accessKeySecretEnv: ACME_SECRET\n  backfillWindow: 30d\n`,
      '/t/d.yaml': `- name: acme\n  tenantId: t1\n`,
    });
    expect(thrown(() => loadTenantsFile('/t/a.yaml', env, read)).message).toMatch(
      /^TENANTS_FILE \/t\/a.yaml: tenant #1 "acme": entities\[1\]: expected one of qm-workflows, /,
    );
    expect(thrown(() => loadTenantsFile('/t/b.yaml', env, read)).message).toMatch(
      /tenant #1 "acme": unknown key "backfilWindow" \(known keys: name, tenantId, /,
    );
    expect(thrown(() => loadTenantsFile('/t/c.yaml', env, read)).message).toMatch(
      /tenant #1 "acme": backfillWindow: expected a duration .* at most 14d/,
    );
    expect(thrown(() => loadTenantsFile('/t/d.yaml', env, read)).message).toMatch(
      /tenant #1 "acme": no credentials: give accessKeyId with accessKeySecretEnv or accessKeySecretFile/,
    );
  });

  it('rejects duplicate names', () => {
    const tenant = { accessKeyId: 'AKIA', accessKeySecretEnv: 'ACME_SECRET' };
    const read = files({
      '/t/tenants.json': JSON.stringify([
        { name: 'acme', ...tenant },
        { name: 'ACME', ...tenant },
      ]),
    });
    expect(thrown(() => loadTenantsFile('/t/tenants.json', env, read)).message).toBe(
      'TENANTS_FILE /t/tenants.json: tenant #2 "ACME": name is already used by tenant #1; names must be unique',
    );
  });

  it('reports unreadable or malformed files by position, without quoting them', () => {
    const read = files({
      '/t/bad.json': '{\n  "tenants": [ { "name": "acme", accessKeySecret: "s3cret" } ]\n}',
      '/t/bad.yaml': 'tenants:\n  - name: acme\n   accessKeySecret: "s3cret\n',
      '/t/empty.yaml': '',
    });
    const json = thrown(() => loadTenantsFile('/t/bad.json', env, read));
    expect(json.message).toMatch(/^TENANTS_FILE \/t\/bad.json: not valid JSON at line 2, column \d+$/);
    const yaml = thrown(() => loadTenantsFile('/t/bad.yaml', env, read));
    expect(yaml.message).toMatch(
      /^TENANTS_FILE \/t\/bad.yaml: not valid YAML at line \d+, column \d+ \(\w+\)$/,
    );
    for (const err of [json, yaml]) expect(err.message).not.toContain('s3cret');
    expect(thrown(() => loadTenantsFile('/t/empty.yaml', env, read)).message).toMatch(
      /expected a non-empty list of tenants/,
    );
    expect(thrown(() => loadTenantsFile('/t/missing.yaml', env, read)).message).toBe(
      'TENANTS_FILE /t/missing.yaml: cannot read it (ENOENT)',
    );
  });
});

describe('tenantsFromConfig and loadTenants', () => {
  it('gives the single env-configured tenant as "default" when TENANTS_FILE is unset', () => {
    const config = parseConfig({
      CXONE_ACCESS_KEY_ID: 'AKIA-ENV',
      CXONE_ACCESS_KEY_SECRET: SECRETS.acmeKey,
      CXONE_TENANT_ID: 't-42',
    });
    const tenants = tenantsFromConfig(config);
    expect(tenants).toEqual([
      {
        name: 'default',
        tenantId: 't-42',
        credentials: { kind: 'access-key', accessKeyId: 'AKIA-ENV', accessKeySecret: expect.any(Secret) },
        overrides: {},
      },
    ]);
    expect(JSON.stringify(tenants)).not.toContain(SECRETS.acmeKey);
    expect(loadTenants(config, {})).toEqual(tenants);
  });

  it('requires credentials for the env tenant', () => {
    expect(() => tenantsFromConfig(parseConfig({}))).toThrow(ConfigError);
  });

  it('reads TENANTS_FILE when it is set', () => {
    const config = parseConfig({ TENANTS_FILE: '/t/tenants.json' });
    const read = files({
      '/t/tenants.json': JSON.stringify([
        { name: 'acme', accessKeyId: 'AKIA', accessKeySecretEnv: 'ACME_SECRET' },
      ]),
    });
    expect(loadTenants(config, env, read).map((t) => t.name)).toEqual(['acme']);
  });
});
