import { ConfigError, parseConfig, requireCredentials } from '../../src/config.js';
import { ENTITY_NAMES } from '../../src/entities/catalog.js';

describe('parseConfig', () => {
  it('gives the documented defaults for an empty environment', () => {
    const c = parseConfig({});
    expect(c.databaseUrl).toBeUndefined();
    expect(c.cxone.minCallIntervalMs).toBe(30_000);
    expect(c.cxone.gateScope).toBe('all');
    expect(c.cxone.clientAuth).toBe('auto');
    expect(c.extract.entities.map((e) => e.name)).toEqual(ENTITY_NAMES);
    expect(c.extract.entities.find((e) => e.name === 'recording-interaction-metadata')).toMatchObject({
      version: '10',
      dateFormat: 'datetime',
      endDateInclusive: false,
    });
    expect(c.extract.windowMs).toBe(86_400_000);
    expect(c.extract.backfillWindowMs).toBe(14 * 86_400_000);
    expect(c.extract.lookbackMs).toBe(86_400_000);
    expect(c.extract.settleDelayMs).toBe(30 * 60_000);
    expect(c.wfmTimeZone).toBe('UTC');
    expect(c.stagingSchema).toBe('cxone_staging');
    expect(c.schedule.cron).toBe('0 2 * * *');
    expect(c.warnings).toEqual([]);
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.extract)).toBe(true);
  });

  it('reads CXONE_CLIENT_AUTH and refuses other values naming it', () => {
    expect(parseConfig({ CXONE_CLIENT_AUTH: 'Basic' }).cxone.clientAuth).toBe('basic');
    expect(parseConfig({ CXONE_CLIENT_AUTH: 'form' }).cxone.clientAuth).toBe('form');
    expect(() => parseConfig({ CXONE_CLIENT_AUTH: 'header' })).toThrow(
      /CXONE_CLIENT_AUTH: expected one of auto, basic, form/,
    );
  });

  it('reads durations, lists, per-entity maps and time zones', () => {
    const c = parseConfig({
      EXTRACT_WINDOW: '6h',
      EXTRACT_ENTITIES: 'wfm-payroll, qm-workflows',
      CXONE_ENTITY_VERSIONS: 'qm-workflows=3',
      CXONE_END_DATE_INCLUSIVE: 'wfm-payroll',
      WFM_TIMEZONE: 'Asia/Seoul',
      CXONE_MIN_CALL_INTERVAL_MS: '300',
    });
    expect(c.extract.windowMs).toBe(6 * 3_600_000);
    expect(c.extract.entities).toEqual([
      { name: 'wfm-payroll', version: '1', dateFormat: 'date', endDateInclusive: true },
      { name: 'qm-workflows', version: '3', dateFormat: 'date', endDateInclusive: false },
    ]);
    expect(c.wfmTimeZone).toBe('Asia/Seoul');
    expect(c.warnings[0]).toMatch(/CXONE_MIN_CALL_INTERVAL_MS=300 is below/);
  });

  it.each([
    ['EXTRACT_WINDOW', 'tomorrow', /EXTRACT_WINDOW: expected a duration such as 30s/],
    ['EXTRACT_BACKFILL_WINDOW', '15d', /EXTRACT_BACKFILL_WINDOW: expected .*at most 14d/],
    ['EXTRACT_ENTITIES', 'qm-workflows,calls', /EXTRACT_ENTITIES: expected a comma list of/],
    ['EXTRACT_START_DATE', '2026-02-30', /EXTRACT_START_DATE: expected a date yyyy-mm-dd, got "2026-02-30"/],
    ['WFM_TIMEZONE', 'Mars/Olympus', /WFM_TIMEZONE: expected an IANA time zone/],
    ['CXONE_MIN_CALL_INTERVAL_MS', '-1', /CXONE_MIN_CALL_INTERVAL_MS: expected a whole number/],
    ['STAGING_SCHEMA', 'x"; drop', /STAGING_SCHEMA: expected a lower-case Postgres identifier/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL: expected one of fatal, error/],
    [
      'CXONE_ENTITY_VERSIONS',
      'qm-workflows=four',
      /CXONE_ENTITY_VERSIONS: expected a comma list of entity=version/,
    ],
  ])('rejects %s=%s with a message naming the variable', (name, value, message) => {
    expect(() => parseConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => parseConfig({ [name]: value })).toThrow(message);
  });

  it('never echoes a database URL that failed to parse (it may hold a password)', () => {
    let message = '';
    try {
      parseConfig({ DATABASE_URL: 'not a url with hunter2' });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^DATABASE_URL: expected an absolute URL/);
    expect(message).not.toContain('hunter2');
  });

  it('takes access-key credentials and hides the secret from JSON and string forms', () => {
    const c = parseConfig({ CXONE_ACCESS_KEY_ID: 'id-1', CXONE_ACCESS_KEY_SECRET: 'hunter2' });
    const creds = requireCredentials(c);
    expect(creds.kind).toBe('access-key');
    expect(JSON.stringify(c)).not.toContain('hunter2');
    expect(`${creds.kind === 'access-key' ? creds.accessKeySecret : ''}`).toBe('[Redacted]');
    expect(creds.kind === 'access-key' && creds.accessKeySecret.reveal()).toBe('hunter2');
  });

  it('holds DATABASE_URL as a secret: its password reaches no JSON or string form', () => {
    const c = parseConfig({ DATABASE_URL: 'postgres://etl:hunter2@db:5432/reporting' });
    expect(JSON.stringify(c)).not.toContain('hunter2');
    expect(`${String(c.databaseUrl)}`).toBe('[Redacted]');
    expect(c.databaseUrl?.reveal()).toBe('postgres://etl:hunter2@db:5432/reporting');
  });

  it('names the missing half of a credential pair', () => {
    expect(() => parseConfig({ CXONE_ACCESS_KEY_ID: 'id-1' })).toThrow(/^CXONE_ACCESS_KEY_SECRET: expected/);
    expect(() =>
      parseConfig({ CXONE_CLIENT_ID: 'c', CXONE_CLIENT_SECRET: 's', CXONE_USERNAME: 'u' }),
    ).toThrow(/^CXONE_PASSWORD: expected/);
  });

  it('reads EXTRACT_MAX_JOBS_IN_FLIGHT: auto or 1..8, and refuses other values naming it', () => {
    expect(parseConfig({}).extract.maxJobsInFlight).toBe('auto');
    expect(parseConfig({ EXTRACT_MAX_JOBS_IN_FLIGHT: '1' }).extract.maxJobsInFlight).toBe(1);
    expect(parseConfig({ EXTRACT_MAX_JOBS_IN_FLIGHT: 'Auto' }).extract.maxJobsInFlight).toBe('auto');
    expect(parseConfig({ EXTRACT_MAX_JOBS_IN_FLIGHT: '2' }).extract.maxJobsInFlight).toBe(2);
    for (const bad of ['0', '9', 'two', '1.5']) {
      expect(() => parseConfig({ EXTRACT_MAX_JOBS_IN_FLIGHT: bad })).toThrow(
        /EXTRACT_MAX_JOBS_IN_FLIGHT: expected auto/,
      );
    }
  });

  it('requires credentials only when asked', () => {
    expect(() => requireCredentials(parseConfig({}))).toThrow(/CXONE_ACCESS_KEY_ID: expected credentials/);
  });
});
