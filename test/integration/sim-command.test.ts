/**
 * `cxone-etl sim`'s banner: every credential the simulator accepts (its demo credentials, fine to
 * print), the rate-limit scope in force, and the --strict switch.
 */
import { Writable } from 'node:stream';
import { simCommand } from '../../src/commands/sim.js';
import { createLogger } from '../../src/logger.js';
import { DEFAULT_TENANT } from '../../src/simulator/index.js';

async function banner(opts: { strict?: boolean } = {}): Promise<string> {
  const chunks: string[] = [];
  const stop = new AbortController();
  const out = new Writable({
    write(chunk: Buffer, _e, cb) {
      chunks.push(chunk.toString());
      // The banner is one write; once it is out, stop the simulator.
      stop.abort();
      cb();
    },
  });
  const code = await simCommand(
    { log: createLogger({ level: 'silent', format: 'json' }), out, signal: stop.signal },
    { port: 0, timeScale: 0.01, ...opts },
  );
  expect(code).toBe(0);
  return chunks.join('');
}

it('prints every credential it accepts and what the rate limit counts', async () => {
  const text = await banner();
  for (const value of [
    `CXONE_ACCESS_KEY_ID=${DEFAULT_TENANT.accessKeyId}`,
    `CXONE_ACCESS_KEY_SECRET=${DEFAULT_TENANT.accessKeySecret}`,
    `CXONE_CLIENT_ID=${DEFAULT_TENANT.clientId}`,
    `CXONE_CLIENT_SECRET=${DEFAULT_TENANT.clientSecret}`,
    `CXONE_USERNAME=${DEFAULT_TENANT.username}`,
    `CXONE_PASSWORD=${DEFAULT_TENANT.password}`,
    `CXONE_USERNAME=${DEFAULT_TENANT.accessKeyId} CXONE_PASSWORD=${DEFAULT_TENANT.accessKeySecret}`,
    'CXONE_MIN_CALL_INTERVAL_MS=300',
    'HTTP Basic or form fields',
    'counting job creation',
    'cxone-etl check',
  ]) {
    expect(text).toContain(value);
  }
});

it('--strict: every jobs call counts, and the key pair is no longer offered for the password grant', async () => {
  const text = await banner({ strict: true });
  expect(text).toContain('counting every jobs call');
  expect(text).not.toContain('access-key pair as username and password');
});
