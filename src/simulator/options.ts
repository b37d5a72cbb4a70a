/**
 * Every knob of the CXone simulator, with defaults taken from the contract (docs/API.md).
 * The contract marks some behaviours ASSUMED (no public source shows them): each of those is a setting
 * here, so tests can prove the worker copes with every plausible variant, not just the default one.
 * Where the help page's letter and what public clients get away with disagree (status polls, versions,
 * the password grant), the default follows the clients (test/conformance/ shows what they do) and
 * STRICT_SIMULATOR_OPTIONS holds the letter.
 */
import type { Readable } from 'node:stream';
import { ENTITIES, type EntityName } from '../entities/catalog.js';
import { systemClock, type Clock } from '../lib/clock.js';
import { QM_QUESTION_VERSIONS, QM_WORKFLOW_VERSIONS, RECORDING_VERSIONS } from './csv/columns.js';

export interface SimulatorTenant {
  id: string;
  accessKeyId: string;
  accessKeySecret: string;
  username?: string;
  password?: string;
  clientId?: string;
  clientSecret?: string;
  /** Entities this tenant may extract; default all. Others answer 403 ("missing permission", SEED). */
  entities?: EntityName[];
}

export type JobFaultOutcome = 'FAILED' | 'CANCELLED' | 'EXPIRED';

export interface Http5xxFault {
  /** Every n-th jobs-endpoint call (1-based, counted from when this fault was set) answers 5xx. */
  everyNth?: number;
  /** Or each call with this probability (seeded PRNG). */
  probability?: number;
  /** Default 503. */
  status?: number;
  /** Stop after this many injected errors. */
  count?: number;
  /** Answer an HTML gateway page instead of JSON, as load balancers do. */
  html?: boolean;
}

export interface JobOutcomeFault {
  outcome: JobFaultOutcome;
  /** Only jobs of these entities; default every entity. */
  entities?: EntityName[];
  /** Only the first `count` matching jobs (e.g. 2: fail twice, then succeed); default all. */
  count?: number;
  /** Or each matching job with this probability (seeded PRNG). */
  probability?: number;
  errorMessage?: string;
}

export type DownloadFaultMode = 'stall' | 'truncate' | 'html' | 'xml' | 'gzip' | 'reset';

export interface DownloadFault {
  mode: DownloadFaultMode;
  /** Only the first `count` downloads with a valid URL; default all. */
  count?: number;
  /** gzip mode: also send `Content-Encoding: gzip` (a client then decompresses transparently). */
  contentEncoding?: boolean;
}

/** POST /jobs creates the job, then answers a failure instead of 202 ("may have landed"). */
export interface CreatedThenFailFault {
  /** The answer: default 504 (a gateway timing out after the backend acted); ignored with cutOff. */
  status?: number;
  /** Instead: 202 with the id's JSON cut short, as a dropped connection tail leaves it. */
  cutOff?: boolean;
  /** Only the first `count` job POSTs; default all. */
  count?: number;
}

/**
 * POST /jobs refused with a 5xx before any job is created: an empty body and `Retry-After`, as a
 * gateway in front of a busy backend answers. Nothing landed, though the worker cannot know that.
 */
export interface PostRefusedFault {
  /** Default 503. */
  status?: number;
  /** The Retry-After header, in whole seconds (default 1). */
  retryAfterSeconds?: number;
  /** Only while another job of the tenant is RUNNING (default true): the stall this reproduces needs one. */
  whileRunning?: boolean;
  /** Every n-th job POST that qualifies (1-based); default every one. */
  everyNth?: number;
  /** Stop after this many refusals; default no limit. */
  count?: number;
}

export interface FaultOptions {
  http5xx?: Http5xxFault;
  createdThenFail?: CreatedThenFailFault;
  postRefused?: PostRefusedFault;
  /** Delay (clock ms, not scaled: a fault is aimed at the worker's real timeouts) before a jobs answer. */
  slowMs?: number;
  jobOutcome?: JobOutcomeFault | JobOutcomeFault[];
  download?: DownloadFaultMode | DownloadFault;
  /** Leave this many data rows out of every CSV body (the body stays a valid CSV): reconciliation tests. */
  dropRows?: number;
  /**
   * Put a line holding only `\.` after this many data rows: still a valid CSV (one field), but COPY
   * FROM STDIN reads it as end-of-data and would silently drop every later row: reconciliation tests.
   */
  endOfDataMarkerAfter?: number;
  /** Status answers carry cut-off JSON; `{ count }` limits it to the first n answers. */
  malformedStatusJson?: boolean | { count: number };
  /** A status outside the documented enum (e.g. 'PENDING') shown instead of RUNNING. */
  unknownStatus?: string;
  /**
   * The bytes to serve instead of a job's generated file, when it returns any (the bad-input corpus:
   * broken CSVs, other encodings, error pages labelled text/csv). A Readable that errors mid-way cuts
   * the connection there.
   */
  bodyOverride?: (job: BodyOverrideJob) => Buffer | Readable | undefined;
}

export interface BodyOverrideJob {
  id: string;
  tenantId: string;
  entity: EntityName;
  startMs: number;
  endMs: number;
}

export interface SimulatorOptions {
  /** 0 = an ephemeral port. */
  port: number;
  host: string;
  /**
   * The base URL the simulator hands out (issuer, api_endpoint, download URLs). Default
   * http://<host>:<port>, with 127.0.0.1 for a wildcard host; set it when clients reach the simulator
   * by another name (e.g. http://simulator:8787 inside docker compose).
   */
  publicUrl?: string;
  clock: Clock;
  /** Multiplies every API duration (interval, job time, URL/token/file TTL, Retry-After); not data timestamps. */
  timeScale: number;
  /** Seed for every probabilistic fault. */
  seed: string;
  tenants: SimulatorTenant[];
  /** HS256 key for tokens; default random per simulator, so tokens from another instance are refused. */
  jwtSecret?: string;

  // --- Authentication and discovery
  /** About an hour (CONFIRMED, portal FAQ). */
  tokenTtlMs: number;
  /**
   * The password grant also takes a tenant's access-key pair as username and password (CONFIRMED in
   * two production-style clients); false: only the user's own name and password.
   */
  passwordGrantAccessKeys: boolean;
  /**
   * How the password grant may carry the client id and secret: HTTP Basic and/or form fields (both
   * CONFIRMED in clients). openid-configuration lists exactly these in token_endpoint_auth_methods_supported.
   */
  clientAuthMethods: readonly ('basic' | 'form')[];
  /** cxone-configuration answers `api_endpoint` (CONFIRMED present in the agent SDK; off tests the fallback). */
  discoveryApiEndpoint: boolean;
  area: string;
  /**
   * cxone-configuration's `domain` (and acdDomain, uhDomain). Default `localhost` (RFC 6761: never
   * leaves the machine), so a client that builds `https://api-{area}.{domain}` cannot carry a
   * simulator token to a real CXone host.
   */
  domain: string;

  // --- Jobs
  /** 'string': 202 with a bare JSON string (CONFIRMED); 'object': `{"jobId": ...}` (ASSUMED variant). */
  jobIdResponse: 'string' | 'object';
  /**
   * The result's error key. Default `messageError`: what a public TypeScript client's captured status
   * fixture shows; the vendor's spec says `errorMessage` (STRICT_SIMULATOR_OPTIONS).
   */
  errorKey: 'errorMessage' | 'messageError';
  /**
   * 'always' (default): every status answer's `result` carries `url` and the error key, null when
   * absent, as that captured fixture does on every answer (its parser rejects anything else);
   * 'when-set': only the keys that have a value (the spec's letter, urlWhileRunning aside).
   */
  resultKeys: 'always' | 'when-set';
  urlWhileRunning: 'absent' | 'null' | 'empty';
  idKey: 'id' | 'jobId';
  statusCase: 'upper' | 'lower';
  /** `POST /jobs/sync` exists only when on (absent from the published spec). */
  syncEndpoint: boolean;
  /**
   * Versions accepted per entity; an entity left out accepts its catalog default only. Default:
   * recordings 7 to 10 (three of four public clients send 7 while the help page says 10: older
   * versions keep working), qm-workflows 3 and 4, qm-questions 1 and 2 (the Singer tap's versions and
   * the current ones), each older version with fewer columns (csv/columns.ts).
   */
  supportedVersions: Partial<Record<EntityName, string[]>>;
  /** Date-only entities also accept `yyyy-mm-dd hh:mm:ss` (ASSUMED; recordings always do). */
  acceptDateTimeForAll: boolean;
  /** false: endDate exclusive (ASSUMED default); true: a date-only end includes that whole day. */
  endDateInclusive: boolean | Partial<Record<EntityName, boolean>>;
  /**
   * `startDate == endDate` (public clients send it for one-day ranges derived from data). With the
   * exclusive end (ASSUMED) that range is empty: 'empty' (default) accepts it as a job with a header-only
   * file; 'reject' answers 400. An inclusive end makes it that whole day whatever this says.
   */
  equalDates: 'empty' | 'reject';
  /** "At most two weeks per request" (PORTAL; no source shows the server refusing more): Infinity lifts it. */
  maxWindowMs: number;
  jobBaseMs: number;
  jobPerDayMs: number;
  /** Multiplies the job duration per entity. */
  jobDurationFactor: Partial<Record<EntityName, number>>;
  /** The file lives 24 h, then the job reads EXPIRED (CONFIRMED). */
  fileTtlMs: number;
  /**
   * How many RUNNING jobs a tenant may have: a POST beyond it is refused as busy (ASSUMED, contract
   * "Limits": 1 by default; Infinity lifts it). `allowConcurrentJobs` is the older switch for Infinity.
   */
  maxRunningJobs: number;
  /** On: no limit on RUNNING jobs, whatever maxRunningJobs says (kept for existing callers). */
  allowConcurrentJobs: boolean;

  // --- Rate limit (one caller per tenant, one call per 30 s: CONFIRMED, SEED)
  minCallIntervalMs: number;
  /**
   * Clock ms (not scaled) forgiven on the interval, for network jitter: a worker that waits exactly
   * the interval between sends can see its calls arrive a few ms closer together. 0 = the letter.
   */
  intervalToleranceMs: number;
  /** At most one call in flight per tenant. */
  singleCallInFlight: boolean;
  /**
   * 'create-only' (default): only job creation (POST /jobs, /jobs/sync) is limited, since public clients
   * poll GET /jobs/{id} at once and every 5-10 s and one in production treats any non-200 as fatal
   * (contract "Limits"); 'all': every jobs call, the help page's letter.
   */
  rateLimitScope: 'all' | 'create-only';
  /** 403 is what the one client that handles it sees (CONFIRMED); 429 and 400 are options. */
  violationResponse: 403 | 429 | 400;
  /** A refused call still starts a new interval (the harsher reading: hammering never gets through). */
  violationCountsAsCall: boolean;

  // --- Download ("S3")
  /** 30 s from when the status was returned (CONFIRMED). */
  urlTtlMs: number;
  /** Send Content-Length (computed by a first pass over the generator) instead of chunked encoding. */
  contentLength: boolean;
  /**
   * A download carrying an Authorization header: 'reject' answers 400 InvalidArgument as real S3 does
   * for a pre-signed URL ("only one auth mechanism allowed"); 'ignore' serves it. Counted either way.
   */
  downloadAuthHeader: 'reject' | 'ignore';
  /** Serve `largeCsvStream` with this many rows for every job. */
  largeRows?: number;

  // --- CSV content, passed to the generators
  bom: boolean;
  lineEnding: '\r\n' | '\n';
  /** Rows show up to this long after their timestamp ("up to 30 minutes", PORTAL); data time, not scaled. */
  lateArrivalMaxMs: number;
  driftFromDate?: string;
  rowsPerDay: Partial<Record<EntityName, number>>;

  faults: FaultOptions;
}

const DAY_MS = 86_400_000;

/** Optional settings that an explicit `undefined` in setOptions switches off. */
const OPTIONAL_KEYS = ['largeRows', 'driftFromDate', 'jwtSecret'] as const;

export const DEFAULT_TENANT: Readonly<SimulatorTenant> = Object.freeze({
  id: 'tenant-demo',
  accessKeyId: 'demo-key',
  accessKeySecret: 'demo-secret',
  username: 'demo@example.com',
  password: 'demo-password',
  clientId: 'demo-client',
  clientSecret: 'demo-client-secret',
});

export const DEFAULT_SIMULATOR_OPTIONS: Readonly<SimulatorOptions> = Object.freeze({
  port: 0,
  host: '127.0.0.1',
  clock: systemClock,
  timeScale: 1,
  seed: 'cxone-simulator',
  tenants: Object.freeze([DEFAULT_TENANT]) as SimulatorTenant[],
  tokenTtlMs: 3_600_000,
  passwordGrantAccessKeys: true,
  clientAuthMethods: Object.freeze(['basic', 'form'] as const),
  discoveryApiEndpoint: true,
  area: 'na1',
  domain: 'localhost',
  jobIdResponse: 'string',
  errorKey: 'messageError',
  resultKeys: 'always',
  urlWhileRunning: 'absent',
  idKey: 'id',
  statusCase: 'upper',
  syncEndpoint: false,
  supportedVersions: Object.freeze({
    ...Object.fromEntries(ENTITIES.map((e) => [e.name, [e.defaultVersion]])),
    'recording-interaction-metadata': [...RECORDING_VERSIONS],
    'qm-workflows': [...QM_WORKFLOW_VERSIONS],
    'qm-questions': [...QM_QUESTION_VERSIONS],
  }),
  acceptDateTimeForAll: false,
  endDateInclusive: false,
  equalDates: 'empty',
  maxWindowMs: 14 * DAY_MS,
  // A one-day job is done within 30 s even for recordings (the heaviest export, factor 2): a public
  // script polls five times 10 s apart and then gives up, another every second for thirty tries
  // (docs/API.md, "Jobs"); a two-week window takes 2.5 min (recordings) from there.
  jobBaseMs: 10_000,
  jobPerDayMs: 2_500,
  jobDurationFactor: Object.freeze({ 'recording-interaction-metadata': 2, 'wfm-payroll': 0.5 }),
  fileTtlMs: DAY_MS,
  maxRunningJobs: 1,
  allowConcurrentJobs: false,
  minCallIntervalMs: 30_000,
  intervalToleranceMs: 0,
  singleCallInFlight: true,
  rateLimitScope: 'create-only',
  violationResponse: 403,
  violationCountsAsCall: true,
  urlTtlMs: 30_000,
  contentLength: false,
  downloadAuthHeader: 'reject',
  bom: false,
  lineEnding: '\r\n',
  lateArrivalMaxMs: 30 * 60_000,
  rowsPerDay: Object.freeze({}),
  faults: Object.freeze({}),
} satisfies SimulatorOptions);

/**
 * The letter of the help page where the defaults follow public clients: every jobs call rate-limited,
 * only the catalog's version of each entity, the password grant for user passwords only, equal dates
 * refused. Tests run the worker's suites against both (the worker must pass either way).
 */
export const STRICT_SIMULATOR_OPTIONS: Readonly<Partial<SimulatorOptions>> = Object.freeze({
  rateLimitScope: 'all',
  errorKey: 'errorMessage',
  resultKeys: 'when-set',
  supportedVersions: Object.freeze(Object.fromEntries(ENTITIES.map((e) => [e.name, [e.defaultVersion]]))),
  passwordGrantAccessKeys: false,
  equalDates: 'reject',
} satisfies Partial<SimulatorOptions>);

/** Defaults plus overrides, checked once so a bad setting fails at start with a message naming it. */
export function resolveOptions(overrides: Partial<SimulatorOptions> = {}): SimulatorOptions {
  const options: SimulatorOptions = {
    ...DEFAULT_SIMULATOR_OPTIONS,
    ...withoutUndefined(overrides),
    supportedVersions: { ...DEFAULT_SIMULATOR_OPTIONS.supportedVersions, ...overrides.supportedVersions },
    faults: { ...overrides.faults },
  };
  validateOptions(options);
  return options;
}

/** setOptions: top level replaced key by key, `faults` merged one level so one fault can be switched alone. */
export function patchOptions(current: SimulatorOptions, patch: Partial<SimulatorOptions>): SimulatorOptions {
  if (patch.port !== undefined || patch.host !== undefined || patch.clock !== undefined) {
    throw new Error('simulator: port, host and clock cannot change while it runs; start a new simulator');
  }
  const next: SimulatorOptions = {
    ...current,
    ...withoutUndefined(patch),
    supportedVersions: { ...current.supportedVersions, ...patch.supportedVersions },
    faults: { ...current.faults, ...patch.faults },
  };
  // An explicit `undefined` switches an optional mode off again (e.g. `{ largeRows: undefined }`).
  for (const key of OPTIONAL_KEYS) if (key in patch && patch[key] === undefined) delete next[key];
  validateOptions(next);
  return next;
}

function validateOptions(o: SimulatorOptions): void {
  const positive: (keyof SimulatorOptions)[] = ['timeScale'];
  const nonNegative: (keyof SimulatorOptions)[] = [
    'tokenTtlMs',
    'jobBaseMs',
    'jobPerDayMs',
    'fileTtlMs',
    'minCallIntervalMs',
    'intervalToleranceMs',
    'urlTtlMs',
    'lateArrivalMaxMs',
  ];
  for (const key of positive) requireNumber(key, o[key], (n) => n > 0, 'a number above 0');
  for (const key of nonNegative) requireNumber(key, o[key], (n) => n >= 0, 'a number of milliseconds >= 0');
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) {
    throw new Error(`simulator option port: expected an integer 0..65535, got ${String(o.port)}`);
  }
  if (o.maxWindowMs !== Infinity) {
    requireNumber('maxWindowMs', o.maxWindowMs, (n) => n > 0, 'a number of milliseconds > 0, or Infinity');
  }
  if (o.clientAuthMethods.length === 0 || o.clientAuthMethods.some((m) => m !== 'basic' && m !== 'form')) {
    throw new Error(
      `simulator option clientAuthMethods: expected 'basic' and/or 'form', got ${String(o.clientAuthMethods)}`,
    );
  }
  if (o.resultKeys !== 'always' && o.resultKeys !== 'when-set') {
    throw new Error(
      `simulator option resultKeys: expected 'always' or 'when-set', got ${String(o.resultKeys)}`,
    );
  }
  if (o.equalDates !== 'empty' && o.equalDates !== 'reject') {
    throw new Error(`simulator option equalDates: expected 'empty' or 'reject', got ${String(o.equalDates)}`);
  }
  if (o.tenants.length === 0) throw new Error('simulator option tenants: expected at least one tenant');
  const ids = new Set(o.tenants.map((t) => t.id));
  if (ids.size !== o.tenants.length) throw new Error('simulator option tenants: tenant ids must be unique');
  if (![403, 429, 400].includes(o.violationResponse)) {
    throw new Error(
      `simulator option violationResponse: expected 403, 429 or 400, got ${o.violationResponse}`,
    );
  }
  if (o.maxRunningJobs !== Infinity) {
    requireNumber(
      'maxRunningJobs',
      o.maxRunningJobs,
      (n) => Number.isInteger(n) && n >= 1,
      'an integer >= 1, or Infinity',
    );
  }
  if (o.largeRows !== undefined) {
    requireNumber('largeRows', o.largeRows, (n) => Number.isInteger(n) && n >= 0, 'a row count >= 0');
  }
  if (o.driftFromDate !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(o.driftFromDate)) {
    throw new Error(`simulator option driftFromDate: expected yyyy-mm-dd, got ${o.driftFromDate}`);
  }
}

function requireNumber(key: string, value: unknown, ok: (n: number) => boolean, form: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || !ok(value)) {
    throw new Error(`simulator option ${key}: expected ${form}, got ${String(value)}`);
  }
}

/** `{ bom: undefined }` from a CLI parser must not wipe a default. */
function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
