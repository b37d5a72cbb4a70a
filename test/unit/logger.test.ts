import { Writable } from 'node:stream';
import { createLogger, defaultLogLevel, safeUrl, usesPrettyLogs } from '../../src/logger.js';
import { Secret } from '../../src/lib/secret.js';

function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return { stream, text: () => chunks.join('') };
}

describe('logger redaction', () => {
  it('prints [Redacted] for secret fields at any depth and for Authorization headers', () => {
    const out = capture();
    const log = createLogger({ level: 'info', format: 'json', destination: out.stream });
    log.info(
      {
        accessKeySecret: 'AKS-123',
        credentials: { password: 'pw-456', nested: { client_secret: 'cs-789' } },
        headers: { authorization: 'Bearer eyJ.token.sig' },
        response: { access_token: 'tok-abc' },
        wrapped: new Secret('wrapped-000'),
      },
      'hello',
    );
    const text = out.text();
    for (const secret of ['AKS-123', 'pw-456', 'cs-789', 'eyJ.token.sig', 'tok-abc', 'wrapped-000']) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('[Redacted]');
    expect(JSON.parse(text).accessKeySecret).toBe('[Redacted]');
  });
});

describe('safeUrl', () => {
  it('drops the query string, fragment and user-info', () => {
    expect(safeUrl('https://s3.example.com/bucket/file.csv?X-Amz-Signature=abc&X-Amz-Expires=30#x')).toBe(
      'https://s3.example.com/bucket/file.csv',
    );
    expect(safeUrl('postgres://user:pw@db:5432/x?sslmode=require')).toBe('postgres://db:5432/x');
  });

  it('cuts at ? even when the input is not a URL', () => {
    expect(safeUrl('/relative/path?sig=1')).toBe('/relative/path');
    expect(safeUrl(undefined)).toBe('');
  });
});

describe('error serialization', () => {
  it('logs an error with its code and cause but never the objects hung on it (pg client, got options)', () => {
    const out = capture();
    const log = createLogger({ level: 'info', format: 'json', destination: out.stream });
    const pgError = Object.assign(new Error('terminating connection'), {
      code: '57P01',
      client: { connectionParameters: { password: 'pg-pass-1' } },
      options: { headers: { authorization: 'Bearer tok-2' } },
    });
    log.error({ err: new Error('load failed', { cause: pgError }) }, 'boom');
    const line = JSON.parse(out.text());
    expect(line.err.message).toBe('load failed');
    expect(line.err.cause.code).toBe('57P01');
    expect(out.text()).not.toContain('pg-pass-1');
    expect(out.text()).not.toContain('tok-2');
    expect(line.err.cause.client).toBeUndefined();
  });
});

describe('the level when LOG_LEVEL is unset', () => {
  it('is warn for demo when logs are pretty (a terminal), info otherwise', () => {
    expect(defaultLogLevel('demo', usesPrettyLogs('auto', true))).toBe('warn');
    expect(defaultLogLevel('demo', usesPrettyLogs('auto', false))).toBe('info');
    expect(defaultLogLevel('demo', usesPrettyLogs('json', true))).toBe('info');
    expect(defaultLogLevel('run', usesPrettyLogs('auto', true))).toBe('info');
    expect(defaultLogLevel('daemon', usesPrettyLogs('pretty', false))).toBe('info');
  });
});
