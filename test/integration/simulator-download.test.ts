/**
 * The simulator's "S3" (contract "Jobs", on SUCCEEDED): pre-signed URLs valid 30 s from the status
 * answer, 403 XML after, a fresh URL per status call, no bearer token needed (and counted if sent),
 * the job's CSV streamed, and the download faults the worker must notice.
 */
import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { ManualClock } from '../helpers/manual-clock.js';
import { csvStream } from '../../src/simulator/csv/index.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js';

const NOW = Date.UTC(2026, 1, 1);
const DAY = 86_400_000;
const sims: Simulator[] = [];
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.stop()));
});

interface Ready {
  sim: Simulator;
  clock: ManualClock;
  jobId: string;
  /** A status call; returns the fresh URL. */
  freshUrl(): Promise<string>;
}

/** A simulator with one SUCCEEDED qm-workflows job for 2026-01-10. */
async function ready(options: Partial<SimulatorOptions> = {}): Promise<Ready> {
  const clock = new ManualClock(NOW);
  const sim = await startSimulator({ clock, minCallIntervalMs: 0, tokenTtlMs: 2 * DAY, ...options });
  sims.push(sim);
  const auth = await fetch(`${sim.url}/authentication/v1/token/access-key`, {
    method: 'POST',
    body: JSON.stringify({ accessKeyId: 'demo-key', accessKeySecret: 'demo-secret' }),
  });
  const headers = {
    authorization: `Bearer ${((await auth.json()) as { access_token: string }).access_token}`,
  };
  const created = await fetch(`${sim.url}/data-extraction/v1/jobs`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      entityName: 'qm-workflows',
      version: '4',
      startDate: '2026-01-10',
      endDate: '2026-01-11',
    }),
  });
  const jobId = (await created.json()) as string;
  await clock.advance(30_000);
  const freshUrl = async (): Promise<string> => {
    const res = await fetch(`${sim.url}/data-extraction/v1/jobs/${jobId}`, { headers });
    const body = (await res.json()) as { jobStatus: { status: string; result: { url?: string } } };
    return body.jobStatus.result.url ?? `(no url: ${body.jobStatus.status})`;
  };
  return { sim, clock, jobId, freshUrl };
}

async function expectedCsv(sim: Simulator, jobId: string): Promise<string> {
  const spec = sim.jobSpec(jobId);
  if (!spec) throw new Error('no spec');
  const chunks: Buffer[] = [];
  for await (const chunk of csvStream(spec)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

describe('pre-signed URL', () => {
  it('serves the job’s CSV without a token within 30 s, then 403 XML', async () => {
    const { sim, clock, jobId, freshUrl } = await ready();
    const url = await freshUrl();
    expect(url).toMatch(/X-Amz-Expires=30&.*X-Amz-Signature=[0-9a-f]{64}/);
    await clock.advance(29_999);
    const ok = await fetch(url);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('text/csv');
    const text = await ok.text();
    expect(text).toBe(await expectedCsv(sim, jobId));
    expect(text.split('\r\n').length).toBeGreaterThan(2);

    await clock.advance(1);
    const late = await fetch(url);
    expect(late.status).toBe(403);
    expect(late.headers.get('content-type')).toBe('application/xml');
    const xml = await late.text();
    expect(xml).toMatch(/^<\?xml/);
    expect(xml).toContain('<Code>AccessDenied</Code>');
    expect(xml).toContain('<Message>Request has expired</Message>');

    const again = await freshUrl();
    expect(again).not.toBe(url);
    expect((await fetch(again)).status).toBe(200);

    const stats = sim.stats();
    expect(stats.downloads).toMatchObject({ total: 3, served: 2, expired: 1 });
    expect(stats.bytesServed).toBe(2 * Buffer.byteLength(text));
    expect(stats.downloadsWithAuthHeader).toBe(0);
  });

  it('scales the URL lifetime with timeScale', async () => {
    const { clock, freshUrl } = await ready({ timeScale: 0.01 });
    const url = await freshUrl();
    await clock.advance(300);
    expect((await fetch(url)).status).toBe(403);
  });

  it('refuses a tampered signature with 403 XML', async () => {
    const { freshUrl } = await ready();
    const url = new URL(await freshUrl());
    url.searchParams.set('X-Amz-Signature', '0'.repeat(64));
    const res = await fetch(url);
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
  });

  it('counts a download that carries an Authorization header, and refuses it as S3 does', async () => {
    const { sim, freshUrl } = await ready();
    const refused = await fetch(await freshUrl(), { headers: { authorization: 'Bearer leaked' } });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('<Code>InvalidArgument</Code>');
    sim.setOptions({ downloadAuthHeader: 'ignore' });
    expect((await fetch(await freshUrl(), { headers: { authorization: 'Bearer leaked' } })).status).toBe(200);
    expect(sim.stats().downloadsWithAuthHeader).toBe(2);
  });

  it('answers 404 NoSuchKey once the file has expired', async () => {
    // A job that takes the whole 30 s ready() waits: the file expires 24 h after that.
    const { clock, freshUrl } = await ready({ jobBaseMs: 20_000, jobPerDayMs: 10_000 });
    await clock.advance(DAY - 10_000);
    const url = await freshUrl();
    await clock.advance(10_000);
    const res = await fetch(url);
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('<Code>NoSuchKey</Code>');
  });
});

describe('body options', () => {
  it('sends Content-Length when asked, chunked otherwise', async () => {
    const chunked = await ready();
    const res = await fetch(await chunked.freshUrl());
    expect(res.headers.get('content-length')).toBeNull();
    await res.arrayBuffer();

    const sized = await ready({ contentLength: true, bom: true, lineEnding: '\n' });
    const res2 = await fetch(await sized.freshUrl());
    const bytes = Buffer.from(await res2.arrayBuffer());
    expect(Number(res2.headers.get('content-length'))).toBe(bytes.length);
    expect(bytes.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    // The header has no embedded newlines, so its end shows the line ending.
    const text = bytes.toString('utf8');
    const headerEnd = text.indexOf('\n');
    expect(text[headerEnd - 1]).not.toBe('\r');
  });

  it('drops rows but keeps a consistent body with dropRows', async () => {
    const { sim, jobId, freshUrl } = await ready({ contentLength: true, faults: { dropRows: 2 } });
    const res = await fetch(await freshUrl());
    const text = await res.text();
    expect(Number(res.headers.get('content-length'))).toBe(Buffer.byteLength(text));
    const full = await expectedCsv(sim, jobId);
    const rows = parse(text) as string[][];
    const fullRows = parse(full) as string[][];
    expect(rows[0]).toEqual(fullRows[0]);
    expect(rows).toHaveLength(fullRows.length - 2);
    expect(rows.slice(1)).toEqual(fullRows.slice(3));
  });

  it('streams the large file with largeRows', async () => {
    const { freshUrl } = await ready({ largeRows: 1000, lineEnding: '\n' });
    const text = await (await fetch(await freshUrl())).text();
    expect(parse(text)).toHaveLength(1001);
  });
});

describe('download faults', () => {
  it('serves an HTML page with status 200, for the first download only when counted', async () => {
    const { sim, freshUrl } = await ready({ faults: { download: { mode: 'html', count: 1 } } });
    const page = await fetch(await freshUrl());
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toMatch(/<html>/);
    const next = await fetch(await freshUrl());
    expect(next.headers.get('content-type')).toBe('text/csv');
    await next.text();
    expect(sim.stats().faultsInjected['download:html']).toBe(1);
  });

  it('serves an XML body with status 200', async () => {
    const { freshUrl } = await ready({ faults: { download: 'xml' } });
    const res = await fetch(await freshUrl());
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<Error>');
  });

  it('declares a Content-Length and closes the connection early with truncate', async () => {
    const { freshUrl } = await ready({ faults: { download: 'truncate' } });
    const res = await fetch(await freshUrl());
    expect(res.status).toBe(200);
    expect(Number(res.headers.get('content-length'))).toBeGreaterThan(0);
    await expect(res.text()).rejects.toThrow();
  });

  it('sends headers and a first slice, then nothing, with stall', async () => {
    const { freshUrl } = await ready({ faults: { download: 'stall' } });
    const controller = new AbortController();
    const res = await fetch(await freshUrl(), { signal: controller.signal });
    expect(res.status).toBe(200);
    const reader = res.body?.getReader();
    const first = await reader?.read();
    expect(first?.value?.length).toBeGreaterThan(0);
    expect(first?.value?.length).toBeLessThanOrEqual(1024);
    // Nothing more comes; the test gives up the way a worker's timeout would.
    controller.abort();
    await expect(reader?.read()).rejects.toThrow();
  });

  it('resets the connection with reset', async () => {
    const { freshUrl } = await ready({ faults: { download: 'reset' } });
    await expect(fetch(await freshUrl())).rejects.toThrow();
  });

  it('sends gzip bytes labelled text/csv, or with Content-Encoding when asked', async () => {
    const raw = await ready({ faults: { download: 'gzip' } });
    const res = await fetch(await raw.freshUrl());
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(res.headers.get('content-type')).toBe('text/csv');
    expect(bytes.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(gunzipSync(bytes).toString('utf8')).toBe(await expectedCsv(raw.sim, raw.jobId));

    const encoded = await ready({ faults: { download: { mode: 'gzip', contentEncoding: true } } });
    const res2 = await fetch(await encoded.freshUrl());
    expect(res2.headers.get('content-encoding')).toBe('gzip');
    expect(await res2.text()).toBe(await expectedCsv(encoded.sim, encoded.jobId));
  });
});
