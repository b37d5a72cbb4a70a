import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { payload, scrub, type Notice } from '../../src/observability/notify.js';
import { DEFAULT_TENANT } from '../../src/simulator/index.js';
import { startHarness, type Harness } from '../helpers/pipeline.js';

/**
 * NOTIFY_WEBHOOK_URL against a local receiver: one well-formed message per failure class, none for a
 * clean run, stale and recovered once each, and a receiver that fails or hangs costs the run at most
 * NOTIFY_TIMEOUT and never fails it. No secret or signed URL in any payload.
 */
interface Receiver {
  url: string;
  bodies: Record<string, unknown>[];
  /** 'ok' answers 200; 'fail' 500; 'hang' never answers. */
  mode: 'ok' | 'fail' | 'hang';
  attempts: number;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const receiver: Receiver = {
    url: '',
    bodies: [],
    mode: 'ok',
    attempts: 0,
    close: async () => undefined,
  };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      receiver.attempts++;
      if (receiver.mode === 'hang') return;
      if (receiver.mode === 'fail') {
        res.writeHead(500).end();
        return;
      }
      receiver.bodies.push(JSON.parse(body) as Record<string, unknown>);
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook/T0KEN?sig=secret-signature`;
  receiver.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return receiver;
}

let receiver: Receiver;
let h: Harness | undefined;
beforeEach(async () => {
  receiver = await startReceiver();
});
afterEach(async () => {
  await h?.close();
  h = undefined;
  await receiver.close();
});

const kinds = (): unknown[] => receiver.bodies.map((b) => [b.kind, b.entity ?? null]);

function noSecrets(): void {
  const text = JSON.stringify(receiver.bodies);
  expect(text).not.toContain(DEFAULT_TENANT.accessKeySecret);
  expect(text).not.toContain('secret-signature');
  expect(text).not.toMatch(/X-Amz-Signature|[?&]sig=/);
}

describe('run-end notifications (NOTIFY_WEBHOOK_URL)', () => {
  it('a clean run sends nothing; a stale entity is told once, its recovery once', async () => {
    h = await startHarness({
      env: {
        NOTIFY_WEBHOOK_URL: receiver.url,
        EXTRACT_ENTITIES: 'qm-workflows',
        EXTRACT_START_DATE: '2026-03-13',
      },
    });
    expect((await h.run()).summary.failed).toBe(0);
    expect(receiver.bodies).toEqual([]);
    // Four days on with no run: over the 48-h default limit, and the next run's gaps are filled by it.
    h.clock.set(Date.UTC(2026, 2, 19, 2, 0, 0));
    h.sim.setOptions({ tenants: [{ ...DEFAULT_TENANT, entities: ['qm-questions'] }] });
    await h.run();
    const afterFailure = kinds();
    expect(afterFailure).toEqual([
      ['run-failed', null],
      ['entity-stale', 'qm-workflows'],
    ]);
    const failed = receiver.bodies[0] as { title: string; lines: string[]; source: string; tenant: string };
    expect(failed.source).toBe('cxone-etl');
    expect(failed.tenant).toBe(DEFAULT_TENANT.id);
    expect(failed.title).toMatch(/windows failed; the next run retries them/);
    expect(failed.lines.length).toBeGreaterThan(0);
    // Still stale on the next failing run: not told again.
    await h.run();
    expect(kinds().slice(afterFailure.length)).toEqual([['run-failed', null]]);
    // Permission back: loaded, fresh again, told once.
    h.sim.setOptions({ tenants: [{ ...DEFAULT_TENANT }] });
    const recovered = await h.run();
    expect(recovered.summary.failed).toBe(0);
    expect(kinds().slice(afterFailure.length + 1)).toEqual([['entity-recovered', 'qm-workflows']]);
    noSecrets();
  });

  it('deferred runs say so, in the Slack format', async () => {
    h = await startHarness({
      env: {
        NOTIFY_WEBHOOK_URL: receiver.url,
        NOTIFY_FORMAT: 'slack',
        EXTRACT_ENTITIES: 'qm-workflows',
        EXTRACT_START_DATE: '2026-03-01',
        EXTRACT_BACKFILL_WINDOW: '1d',
        RUN_MAX_API_CALLS: '4',
      },
    });
    const run = await h.run();
    expect(run.summary.deferred).toBeGreaterThan(0);
    const messages = receiver.bodies.map((b) => b.text as string);
    expect(messages[0]).toMatch(/^⏸️ cxone-etl: tenant-demo: \d+ windows deferred to the next run/);
    expect(Object.keys(receiver.bodies[0] ?? {})).toEqual(['text']);
    noSecrets();
  });

  it('a failing receiver is retried, then given up, and the run still succeeds', async () => {
    receiver.mode = 'fail';
    h = await startHarness({
      env: { NOTIFY_WEBHOOK_URL: receiver.url, EXTRACT_ENTITIES: 'qm-workflows', FRESHNESS_MAX_LAG: '1s' },
    });
    const run = await h.run();
    expect(run.summary.failed).toBe(0);
    // Stale at once with a 1-s limit: one notice, three attempts.
    expect(receiver.attempts).toBe(3);
    expect(h.logs()).toMatch(/notification not delivered \(NOTIFY_WEBHOOK_URL\)/);
    expect(h.logs()).not.toContain('T0KEN');
  });

  it('a receiver that never answers costs the run at most NOTIFY_TIMEOUT', async () => {
    receiver.mode = 'hang';
    h = await startHarness({
      env: {
        NOTIFY_WEBHOOK_URL: receiver.url,
        NOTIFY_TIMEOUT: '1s',
        EXTRACT_ENTITIES: 'qm-workflows',
        FRESHNESS_MAX_LAG: '1s',
      },
    });
    const started = performance.now();
    const run = await h.run();
    expect(run.summary.failed).toBe(0);
    expect(receiver.attempts).toBeGreaterThan(0);
    // The run itself takes well under a second on the scaled clock; the bound is the time limit.
    expect(performance.now() - started).toBeLessThan(5000);
    expect(h.logs()).toMatch(/time limit \(NOTIFY_TIMEOUT\) reached/);
  });
});

describe('notification payloads', () => {
  const notice: Notice = {
    kind: 'run-failed',
    tenant: 't1',
    title: 't1: 1 of 2 windows failed',
    lines: [
      'qm-workflows 2026-03-14: download https://bucket.s3.amazonaws.com/f.csv?X-Amz-Signature=abc failed',
    ],
    details: { url: 'https://x.example/p?token=zzz' },
    at: Date.UTC(2026, 2, 15),
  };

  it('strip query strings from every URL, in every format', () => {
    for (const format of ['json', 'slack', 'teams'] as const) {
      const text = JSON.stringify(payload(notice, format));
      expect(text).toContain('https://bucket.s3.amazonaws.com/f.csv');
      expect(text).not.toMatch(/X-Amz-Signature|token=zzz/);
    }
    expect(scrub('see http://h/p?q=1#frag and more')).toBe('see http://h/p and more');
  });

  it('are Teams MessageCards and Slack texts', () => {
    expect(payload(notice, 'teams')).toMatchObject({
      '@type': 'MessageCard',
      summary: expect.stringMatching(/t1: 1 of 2/),
    });
    expect(payload(notice, 'slack')).toEqual({
      text: expect.stringMatching(/^❌ cxone-etl: t1: 1 of 2 windows failed\n• /),
    });
  });
});
