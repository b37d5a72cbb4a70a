/**
 * Scripted clients written by us that call the Data Extraction API the way the public clients do
 * (docs/API.md, public clients: a client generated from the vendor's spec, two Python scripts, one of them
 * production code, and a Node service). They document, in one place, what real callers send and what
 * they rely on; test/conformance/ runs each against the simulator's defaults. Plain fetch, no retries,
 * no rate gate: exactly as naive as the originals.
 *
 * What they do, from those sources:
 * - poll GET /jobs/{id} at once after the POST, then every 5 s (one every 10 s);
 * - send recording-interaction-metadata version "7" (three of four), dates as yyyy-mm-dd, one day as
 *   today..tomorrow, or startDate == endDate for a range derived from data;
 * - log in with the access key, or the OpenID password grant with the access-key pair as username and
 *   password, the client id and secret by HTTP Basic (the production script, a C# client) or as form fields;
 * - find the API host in cxone-configuration (`api_endpoint`, else https://api-{area}.{domain});
 * - download result.url without Authorization and decode it as UTF-8 with an optional BOM;
 * - the production script raises on any status other than 200 (202 for the POST);
 * - a public script polls five times 10 s apart and then gives up (so a one-day job must be done within
 *   about 40 s of real time); another polls every second for thirty tries;
 * - a public TypeScript client parses every status answer as strictly as its captured response fixture:
 *   `result` holds both `url` and `messageError` on every answer, each a string or null, or it throws.
 */
export interface ClientScale {
  /** The simulator's timeScale: a client's 5 s between polls becomes 5 s × scale of real time. */
  timeScale: number;
}

export interface ClientResult {
  jobId: string;
  status: string;
  header: string[];
  rows: number;
  /** Every HTTP call the client made, in order, for the tests' assertions. */
  calls: { method: string; path: string; status: number; authorization: 'none' | 'bearer' | 'basic' }[];
}

export interface JobAsk {
  entityName: string;
  version: string;
  startDate: string;
  endDate: string;
}

interface StatusAnswer {
  jobStatus: { status: string; result?: { url?: string | null } };
}

/** Raised by the fixture-strict client on a status answer whose shape its parser does not accept. */
export class ShapeRejected extends Error {}

/** Raised by the production-style client on anything but the status it expects. */
export class FatalStatus extends Error {}

class Recorder {
  readonly calls: ClientResult['calls'] = [];

  async send(
    url: string,
    init: RequestInit & { headers?: Record<string, string> },
    expect: number | 'any' = 'any',
  ): Promise<Response> {
    const res = await fetch(url, init);
    const auth = init.headers?.authorization ?? '';
    this.calls.push({
      method: init.method ?? 'GET',
      path: new URL(url).pathname,
      status: res.status,
      authorization: auth.startsWith('Bearer') ? 'bearer' : auth.startsWith('Basic') ? 'basic' : 'none',
    });
    if (expect !== 'any' && res.status !== expect) {
      throw new FatalStatus(
        `${init.method ?? 'GET'} ${new URL(url).pathname} answered ${res.status}: ${await res.text()}`,
      );
    }
    return res;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The token from the access-key endpoint (the generated client, the Node service). */
async function accessKeyToken(
  rec: Recorder,
  base: string,
  keyId: string,
  keySecret: string,
): Promise<string> {
  const res = await rec.send(
    `${base}/authentication/v1/token/access-key`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ accessKeyId: keyId, accessKeySecret: keySecret }),
    },
    200,
  );
  return ((await res.json()) as { access_token: string }).access_token;
}

export interface PasswordLogin {
  issuer: string;
  clientId: string;
  clientSecret: string;
  username: string;
  password: string;
  clientAuth: 'basic' | 'form';
}

/** OpenID discovery, then the password grant (the Python scripts, the C# client). */
async function passwordToken(
  rec: Recorder,
  login: PasswordLogin,
): Promise<{ token: string; tenantId: string }> {
  const discovery = await rec.send(`${login.issuer}/.well-known/openid-configuration`, {}, 200);
  const { token_endpoint: tokenEndpoint } = (await discovery.json()) as { token_endpoint: string };
  const form = new URLSearchParams({
    grant_type: 'password',
    username: login.username,
    password: login.password,
  });
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (login.clientAuth === 'basic') {
    headers.authorization = `Basic ${Buffer.from(`${login.clientId}:${login.clientSecret}`).toString('base64')}`;
  } else {
    form.set('client_id', login.clientId);
    form.set('client_secret', login.clientSecret);
  }
  const res = await rec.send(tokenEndpoint, { method: 'POST', headers, body: form.toString() }, 200);
  const token = ((await res.json()) as { access_token: string }).access_token;
  const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
    tenantId: string;
  };
  return { token, tenantId: claims.tenantId };
}

/** cxone-configuration: api_endpoint when present, else https://api-{area}.{domain}. */
export async function apiBaseOf(
  rec: Recorder,
  issuer: string,
  tenantId: string,
): Promise<{ base: string; doc: Record<string, unknown> }> {
  const res = await rec.send(
    `${issuer}/.well-known/cxone-configuration?tenantId=${encodeURIComponent(tenantId)}`,
    {},
    200,
  );
  const doc = (await res.json()) as Record<string, unknown>;
  const base =
    typeof doc.api_endpoint === 'string'
      ? doc.api_endpoint
      : `https://api-${String(doc.area)}.${String(doc.domain)}`;
  return { base, doc };
}

/**
 * POST, then poll at once and every `pollEveryMs` (scaled), then download without Authorization and
 * decode with an optional BOM. `strict`: any unexpected status is fatal (the production script).
 */
async function runJob(
  rec: Recorder,
  apiBase: string,
  token: string,
  ask: JobAsk,
  opts: ClientScale & {
    pollEveryMs: number;
    strict: boolean;
    maxPolls?: number;
    /** The first poll waits `pollEveryMs` too (the give-up script sleeps before each poll). */
    sleepFirst?: boolean;
    /** Parses each status body itself, throwing on a shape it does not accept. */
    parse?: (body: unknown) => StatusAnswer;
  },
): Promise<ClientResult> {
  const bearer = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const post = await rec.send(
    `${apiBase}/data-extraction/v1/jobs`,
    { method: 'POST', headers: bearer, body: JSON.stringify(ask) },
    opts.strict ? 202 : 'any',
  );
  if (post.status !== 202) throw new FatalStatus(`POST answered ${post.status}: ${await post.text()}`);
  const jobId = (await post.json()) as string;
  for (let poll = 0; poll < (opts.maxPolls ?? 200); poll++) {
    if (poll > 0 || opts.sleepFirst === true) await sleep(opts.pollEveryMs * opts.timeScale);
    const res = await rec.send(
      `${apiBase}/data-extraction/v1/jobs/${jobId}`,
      { headers: { authorization: bearer.authorization } },
      opts.strict ? 200 : 'any',
    );
    if (res.status !== 200) continue;
    const body: unknown = await res.json();
    const { jobStatus } = opts.parse ? opts.parse(body) : (body as StatusAnswer);
    if (jobStatus.status === 'RUNNING') continue;
    if (jobStatus.status !== 'SUCCEEDED' || !jobStatus.result?.url) {
      return { jobId, status: jobStatus.status, header: [], rows: 0, calls: rec.calls };
    }
    // Every public client downloads the pre-signed URL without the bearer token.
    const file = await rec.send(jobStatus.result.url, {}, 200);
    const text = new TextDecoder('utf-8', { ignoreBOM: false }).decode(await file.arrayBuffer());
    const lines = text.split(/\r?\n/).filter((l) => l !== '');
    return {
      jobId,
      status: jobStatus.status,
      header: (lines[0] ?? '').split(','),
      rows: Math.max(0, lines.length - 1),
      calls: rec.calls,
    };
  }
  throw new Error(`job ${jobId} still RUNNING after ${opts.maxPolls ?? 200} polls`);
}

/** A client that logs in with the access key, finds the API base, and runs the job its own way. */
async function accessKeyJob(
  issuer: string,
  key: { id: string; secret: string; tenantId: string },
  ask: JobAsk,
  opts: Parameters<typeof runJob>[4],
): Promise<ClientResult> {
  const rec = new Recorder();
  const token = await accessKeyToken(rec, issuer, key.id, key.secret);
  const { base } = await apiBaseOf(rec, issuer, key.tenantId);
  return runJob(rec, base, token, ask, opts);
}

/** The client generated from the vendor's spec: access key, poll at once and every 5 s. */
export async function generatedSpecClient(
  issuer: string,
  key: { id: string; secret: string; tenantId: string },
  ask: JobAsk,
  scale: ClientScale,
): Promise<ClientResult> {
  return accessKeyJob(issuer, key, ask, { ...scale, pollEveryMs: 5000, strict: false });
}

/**
 * The production Python script: password grant with the access-key pair as username and password, the
 * client by HTTP Basic, recordings version 7, poll at once and every 5 s, any non-200 fatal.
 */
export async function productionScript(
  login: PasswordLogin,
  ask: JobAsk,
  scale: ClientScale,
): Promise<ClientResult> {
  const rec = new Recorder();
  const { token, tenantId } = await passwordToken(rec, login);
  const { base } = await apiBaseOf(rec, login.issuer, tenantId);
  return runJob(rec, base, token, ask, { ...scale, pollEveryMs: 5000, strict: true });
}

/** The second Python script: password grant with form client fields, a poll every 10 s, not strict. */
export async function secondScript(
  login: PasswordLogin,
  ask: JobAsk,
  scale: ClientScale,
): Promise<ClientResult> {
  const rec = new Recorder();
  const { token, tenantId } = await passwordToken(rec, login);
  const { base } = await apiBaseOf(rec, login.issuer, tenantId);
  return runJob(rec, base, token, ask, { ...scale, pollEveryMs: 10_000, strict: false });
}

/** The Node service: reads the whole cxone-configuration, as the vendor's agent SDK does. */
export async function nodeServiceDiscovery(
  issuer: string,
  key: { id: string; secret: string; tenantId: string },
): Promise<{ base: string; doc: Record<string, unknown>; calls: ClientResult['calls'] }> {
  const rec = new Recorder();
  await accessKeyToken(rec, issuer, key.id, key.secret);
  const { base, doc } = await apiBaseOf(rec, issuer, key.tenantId);
  return { base, doc, calls: rec.calls };
}

/**
 * The give-up script: access key, sleeps 10 s before each of five polls, then gives up (throws). At
 * time scale 1 this is 50 s of real time at most.
 */
export async function fivePollScript(
  issuer: string,
  key: { id: string; secret: string; tenantId: string },
  ask: JobAsk,
  scale: ClientScale,
): Promise<ClientResult> {
  return accessKeyJob(issuer, key, ask, {
    ...scale,
    pollEveryMs: 10_000,
    strict: false,
    maxPolls: 5,
    sleepFirst: true,
  });
}

const JOB_STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'EXPIRED'];

/**
 * The status parser of the public TypeScript client, as strict as its captured fixture: an object
 * `jobStatus` with a string `id`, a status from the enum and a `result` holding exactly `url` and
 * `messageError`, each a string or null. Anything else throws ShapeRejected.
 */
export function parseFixtureStatus(body: unknown): StatusAnswer {
  const fail = (why: string): never => {
    throw new ShapeRejected(`status answer rejected: ${why}: ${JSON.stringify(body)}`);
  };
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(body) || !isObject(body.jobStatus)) return fail('no jobStatus object');
  const { id, status, result } = body.jobStatus;
  if (typeof id !== 'string') return fail('id is not a string');
  if (typeof status !== 'string' || !JOB_STATUSES.includes(status)) return fail('status outside the enum');
  if (!isObject(result)) return fail('no result object');
  const keys = Object.keys(result).sort();
  if (keys.join(',') !== 'messageError,url') return fail(`result keys ${keys.join(',')}`);
  for (const key of keys) {
    if (result[key] !== null && typeof result[key] !== 'string')
      return fail(`${key} is not a string or null`);
  }
  return { jobStatus: { status, result: { url: result.url as string | null } } };
}

/** The public TypeScript client: access key, a poll every second for thirty tries, the strict parser. */
export async function fixtureStrictClient(
  issuer: string,
  key: { id: string; secret: string; tenantId: string },
  ask: JobAsk,
  scale: ClientScale,
): Promise<ClientResult> {
  return accessKeyJob(issuer, key, ask, {
    ...scale,
    pollEveryMs: 1000,
    strict: true,
    maxPolls: 30,
    parse: parseFixtureStatus,
  });
}
