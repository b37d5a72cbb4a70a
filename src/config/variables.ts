/**
 * Every environment variable the program reads: its schema (form and default) and what it means, in
 * the order of .env.example. One source for parseConfig (src/config.ts) and for docs/CONFIGURATION.md
 * (`npm run docs:config`); test/unit/config-variables.test.ts holds .env.example to the same list.
 */
import { z } from 'zod';
import { ENTITIES, ENTITY_NAMES } from '../entities/catalog.js';
import { CRASH_POINTS } from '../lib/crash-points.js';
import {
  formatDuration,
  clockTime,
  columnPolicy,
  databaseUrl,
  duration,
  entityList,
  entityMap,
  rowKeyMap,
  flag,
  identifier,
  isDateFormat,
  isoDate,
  isVersion,
  jobsInFlight,
  maxLags,
  oneOf,
  secretText,
  secretUrl,
  text,
  timeZone,
  url,
  wholeNumber,
} from './forms.js';
import { variable } from './variable.js';

const MINUTE = 60_000;
const SECOND = 1000;
const DAY = 86_400_000;

// --- The numbers behind the defaults and bounds, each with where it comes from

/** 30 s: "one API call per 30 seconds per tenant" (Data Extraction API help page, contract "Limits"). */
export const API_MIN_CALL_INTERVAL_MS = 30_000;
/** 14 days: "historical extraction at most two weeks per request" (CXone developer portal). */
export const API_MAX_WINDOW_MS = 14 * 86_400_000;
/** The public CXone issuer; users of other clusters set CXONE_ISSUER_URL. */
export const DEFAULT_ISSUER_URL = 'https://cxone.niceincontact.com';

/** Above this the listing poll gains little and one tenant's jobs crowd its own interval. */
export const MAX_JOBS_IN_FLIGHT = 8;
/**
 * `auto`: try two jobs in flight and fall back to one after a busy answer, remembered per tenant (the
 * API contract's reading: "one caller" speaks of callers, and no source forbids a second job). Learning
 * costs one refused POST per tenant, once; it keeps the 30-s interval, so it is no rate-rule breach.
 */
export const DEFAULT_JOBS_IN_FLIGHT: 'auto' | number = 'auto';

export const VARIABLES = {
  // --- Database
  DATABASE_URL: variable('database', databaseUrl().optional(), {
    unset: 'an embedded Postgres',
    description:
      'Postgres for the control tables (schema `cxone_etl`) and the staging tables. Unset: an embedded Postgres is started with its data under `DATA_DIR/postgres` (no install, no Docker), and one log line says so. Treated as a secret: printed with its password as `***`.',
  }),
  DATA_DIR: variable('database', text('a directory path').prefault('.cxone-etl'), {
    description:
      'Where the embedded Postgres keeps its data (`DATA_DIR/postgres`) when `DATABASE_URL` is unset.',
  }),
  STAGING_SCHEMA: variable('database', identifier().prefault('cxone_staging'), {
    description:
      'Schema of the staging tables, one per entity (e.g. `cxone_staging.recording_interaction_metadata`).',
  }),
  REPORTING_SCHEMA: variable('database', identifier().prefault('cxone'), {
    description:
      'Schema of the typed views over the staging tables (timestamps, numbers, booleans; bad values read NULL), one per entity, rebuilt when drift adds a column; see `docs/REPORTING.md`.',
  }),
  REPORTING_CURRENT_KEYS: variable(
    'database',
    rowKeyMap().default(() => new Map()),
    {
      unset: 'the key candidates of src/entities/row-keys.ts (docs/REPORTING.md)',
      description:
        'Per-entity key of the current-state views (`{table}_current`) for files whose headers no key candidate matches, e.g. `qm-workflows=Evaluation Key@Modified On;qm-questions=Eval Key+Question Key` (headers match ignoring case, spacing and punctuation; `@` names the column whose latest value wins). `cxone-etl check` and `schema` say which entities have no key.',
    },
  ),

  // --- CXone authentication
  CXONE_ACCESS_KEY_ID: variable('auth', text('text').optional(), {
    description: 'Access-key login (CXone Admin > Employees > Access keys): the key id.',
  }),
  CXONE_ACCESS_KEY_SECRET: variable('auth', text('a secret').optional(), {
    description: "Access-key login: the key's secret. Needed with `CXONE_ACCESS_KEY_ID`.",
  }),
  CXONE_CLIENT_ID: variable('auth', text('text').optional(), {
    description:
      'OpenID password grant (a registered client plus an API user): all four of `CXONE_CLIENT_ID`, `CXONE_CLIENT_SECRET`, `CXONE_USERNAME` and `CXONE_PASSWORD` are needed. Used when no access key is set.',
  }),
  CXONE_CLIENT_SECRET: variable('auth', text('a secret').optional(), {
    description: 'Password grant: the client secret.',
  }),
  CXONE_USERNAME: variable('auth', text('text').optional(), {
    description: "Password grant: the API user's name.",
  }),
  CXONE_PASSWORD: variable('auth', text('a secret').optional(), {
    description: "Password grant: the API user's password.",
  }),
  CXONE_CLIENT_AUTH: variable('auth', oneOf(['auto', 'basic', 'form']).prefault('auto'), {
    description:
      "How the password grant sends the client id and secret: `auto` (HTTP Basic when the issuer's openid-configuration lists `client_secret_basic`, else form fields), `basic` or `form`.",
  }),
  CXONE_TENANT_ID: variable('auth', text('text').optional(), {
    unset: "the token's `tenantId` claim",
    description: "Tenant id, when it cannot be read from the token's `tenantId` claim.",
  }),

  // --- CXone endpoints
  CXONE_ISSUER_URL: variable('endpoints', url().prefault(DEFAULT_ISSUER_URL), {
    description: 'OpenID issuer; also answers `/.well-known/cxone-configuration` (API host discovery).',
  }),
  CXONE_AUTH_BASE_URL: variable('endpoints', url().optional(), {
    unset: '`CXONE_ISSUER_URL`',
    description: 'Base of the access-key token endpoint (`/authentication/v1/token/access-key`).',
  }),
  CXONE_API_BASE_URL: variable('endpoints', url().optional(), {
    unset: 'discovered',
    description: 'API base, e.g. `https://api-na1.niceincontact.com`; setting it skips discovery.',
  }),
  CXONE_REQUEST_TIMEOUT: variable('endpoints', duration({ min: SECOND }).prefault('60s'), {
    description: 'Timeout of one API request.',
  }),
  CXONE_SYNC_TIMEOUT: variable('endpoints', duration({ min: SECOND }).prefault('30m'), {
    description: 'Timeout of `POST /jobs/sync`, which blocks until the data is ready.',
  }),
  CXONE_DOWNLOAD_IDLE_TIMEOUT: variable('endpoints', duration({ min: SECOND }).prefault('60s'), {
    description:
      'A download whose connection stays silent this long fails and is retried with a fresh URL of the same job.',
  }),
  CXONE_USE_SYNC_ENDPOINT: variable('endpoints', flag().prefault('false'), {
    description:
      'Use `POST /data-extraction/v1/jobs/sync` (one call per window; absent from the current published spec).',
  }),

  // --- The API's rate rule
  CXONE_MIN_CALL_INTERVAL_MS: variable('rate', wholeNumber(0).prefault(String(API_MIN_CALL_INTERVAL_MS)), {
    description:
      'Minimum time in milliseconds between two jobs calls of a tenant: one caller per tenant, one call per 30 s (Data Extraction API help page). Lower values only for the simulator (a warning is logged).',
  }),
  CXONE_GATE_SCOPE: variable('rate', oneOf(['all', 'create-only']).prefault('all'), {
    description:
      '`all`: every jobs call waits its turn (the documented rule); `create-only`: only job creation does (the lenient reading public clients evidently get away with: they poll every 5-10 s unrefused).',
  }),

  // --- Entities
  EXTRACT_ENTITIES: variable('entities', entityList().prefault(ENTITY_NAMES.join(',')), {
    unset: 'all of them',
    description: 'The entities to extract.',
  }),
  CXONE_ENTITY_VERSIONS: variable(
    'entities',
    entityMap('version', isVersion).default(() => new Map()),
    {
      unset: ENTITIES.map((e) => `${e.name} ${e.defaultVersion}`).join(', '),
      description: 'Per-entity API versions, e.g. `recording-interaction-metadata=7`.',
    },
  ),
  CXONE_DATE_FORMATS: variable(
    'entities',
    entityMap('date|datetime', isDateFormat).default(() => new Map()),
    {
      unset: ENTITIES.map((e) => `${e.name} \`${e.dateFormat}\``).join(', '),
      description:
        'Per-entity date format sent to the API: `date` (`yyyy-mm-dd`) or `datetime` (`yyyy-mm-dd hh:mm:ss`, UTC), e.g. `qm-workflows=datetime`.',
    },
  ),
  CXONE_END_DATE_INCLUSIVE: variable(
    'entities',
    entityList().default(() => []),
    {
      unset: 'none',
      description:
        'Entities whose `endDate` the API treats as inclusive (ASSUMED exclusive for all; no source says).',
    },
  ),

  // --- Windows
  EXTRACT_START_DATE: variable('windows', isoDate().optional(), {
    unset: 'one backfill window before today',
    description: 'First day to extract when nothing is loaded yet.',
  }),
  EXTRACT_WINDOW: variable('windows', duration({ min: MINUTE }).prefault('1d'), {
    description:
      'Window length of nightly runs, no longer than `EXTRACT_BACKFILL_WINDOW`. Entities sent as dates use whole days; shorter windows apply only to those sent as datetimes (recordings by default).',
  }),
  EXTRACT_BACKFILL_WINDOW: variable(
    'windows',
    duration({
      min: SECOND,
      max: { ms: API_MAX_WINDOW_MS, words: `at most ${formatDuration(API_MAX_WINDOW_MS)} (API limit)` },
    }).prefault('14d'),
    { description: 'Longest window of a backfill or catch-up.' },
  ),
  EXTRACT_LOOKBACK: variable('windows', duration().prefault('1d'), {
    description:
      'Each run re-extracts the loaded windows of this period before the checkpoint, to catch late data, except windows last loaded at least this long after their end (they already saw the late data).',
  }),
  EXTRACT_SETTLE_DELAY: variable('windows', duration().prefault('30m'), {
    description:
      'Windows end at least this long before now (new data can take up to 30 minutes to appear), and a window loaded less than this long ago skips its lookback (restarts, crash loops, replicas).',
  }),
  EXTRACT_MAX_ATTEMPTS: variable('windows', wholeNumber(1, 20).prefault('3'), {
    description:
      'Jobs requested per window (after FAILED, CANCELLED or EXPIRED answers) before it is marked failed.',
  }),
  EXTRACT_JOB_TIMEOUT: variable('windows', duration({ min: SECOND }).prefault('6h'), {
    description: 'A job still RUNNING after this fails the window (the next run requests a new job).',
  }),
  EXTRACT_MAX_JOBS_IN_FLIGHT: variable(
    'windows',
    jobsInFlight(MAX_JOBS_IN_FLIGHT).prefault(String(DEFAULT_JOBS_IN_FLIGHT)),
    {
      description: `Jobs one tenant may have running at once: \`1\` (one window at a time), \`2\` to \`${MAX_JOBS_IN_FLIGHT}\`, or \`auto\` (start at 2; a busy answer to a POST while one of ours runs lowers the tenant's limit, saved in \`cxone_etl.tenant_jobs_limit\`).`,
    },
  ),
  EXTRACT_ON_LOCKED: variable('windows', oneOf(['wait', 'exit']).prefault('wait'), {
    description: 'When another process already runs this tenant: `wait` for it, or `exit` (code 3).',
  }),
  WFM_TIMEZONE: variable('windows', timeZone().prefault('UTC'), {
    description: 'IANA time zone of the WFM schedule unit: `wfm-payroll` windows are whole local days there.',
  }),

  // --- Run limits
  RUN_DEADLINE: variable('runLimits', clockTime().optional(), {
    unset: 'none',
    description:
      '`HH:MM` in `SCHEDULE_TZ`: a run starts no window that could not finish before it; the rest are deferred to the next run (which takes them first). Same as `run --until HH:MM`.',
  }),
  RUN_MAX_API_CALLS: variable('runLimits', wholeNumber(1).optional(), {
    unset: 'none',
    description:
      'The most jobs API calls one run may spend; windows beyond it are deferred. Same as `--max-api-calls`.',
  }),
  RUN_DEFERRED_EXIT_CODE: variable('runLimits', wholeNumber(0, 125).prefault('0'), {
    description: 'Exit code of a run that deferred windows (0: a deferral is a clean stop).',
  }),

  // --- Service
  SCHEDULE_CRON: variable(
    'service',
    text('a cron expression: 5 fields, or 6 with seconds first (node-cron)').prefault('0 2 * * *'),
    { description: 'When the daemon starts a run.' },
  ),
  SCHEDULE_TZ: variable('service', timeZone().prefault('UTC'), {
    description: 'Time zone of `SCHEDULE_CRON` and `RUN_DEADLINE`.',
  }),
  TENANTS_FILE: variable('service', text('a file path (.json, .yaml or .yml)').optional(), {
    unset: 'the one tenant of the `CXONE_*` variables',
    description:
      'Several tenants: a JSON or YAML file naming each tenant by a label, its credentials by environment variable or file (never inline), and optional per-tenant overrides; the format is checked by `src/tenants/tenants-file.ts`.',
  }),
  HTTP_PORT: variable('service', wholeNumber(0, 65535).prefault('9464'), {
    description: "The daemon's `/healthz`, `/readyz` and `/metrics`.",
  }),
  SHUTDOWN_GRACE: variable('service', duration().prefault('30s'), {
    description:
      'On SIGTERM, how long the current window may take to finish or roll back before a forced exit.',
  }),
  HISTORY_RETENTION: variable('service', duration({ min: DAY }).prefault('90d'), {
    description: 'Finished runs and never-loaded window records older than this are pruned (by the daemon).',
  }),

  // --- Freshness and notifications
  FRESHNESS_MAX_LAG: variable(
    'freshness',
    maxLags().default(() => new Map()),
    {
      unset: 'one schedule period plus one window (48h for a daily run of 1-day windows)',
      description:
        "How old an entity's data may get (now minus its checkpoint) before `status`, `gaps` and the `cxone_etl_entity_stale` metric call it stale: one duration for all (`26h`), or entity=duration pairs (`qm-workflows=26h,*=2d`).",
    },
  ),
  NOTIFY_WEBHOOK_URL: variable('freshness', secretUrl().optional(), {
    unset: 'no notifications',
    description:
      'A webhook that gets one message per run that failed, was deferred or left gaps, and one when an entity turns stale or recovers. Treated as a secret (Slack and Teams webhook URLs carry their token).',
  }),
  NOTIFY_FORMAT: variable('freshness', oneOf(['json', 'slack', 'teams']).prefault('json'), {
    description: '`json` (generic), `slack` (`{"text": ...}`) or `teams` (a MessageCard).',
  }),
  NOTIFY_TIMEOUT: variable('freshness', duration({ min: SECOND }).prefault('15s'), {
    description:
      'Time one message may take, retries included; a receiver that fails never fails or holds up a run.',
  }),

  // --- Personal data (docs/OPERATIONS.md, "Personal data")
  COLUMN_POLICY: variable(
    'privacy',
    columnPolicy().default(() => []),
    {
      unset: 'every column kept as sent',
      description:
        'Columns hashed or dropped before they reach Postgres: `entity.column=hash` (HMAC-SHA-256 keyed by `PII_HASH_KEY`, hex; the same value gives the same hash in every entity and run, so joins still work; empty values stay empty) or `entity.column=drop` (never loaded; the staging column is removed at the next load), separated by `;`. The column by its staging name (what `cxone-etl schema` shows), `*` for every entity; a rule naming the entity wins over `*`. Applies from the next load; `reload` and `backfill` re-apply it to old windows.',
    },
  ),
  PII_HASH_KEY: variable('privacy', secretText(16).optional(), {
    unset: 'none (needed when `COLUMN_POLICY` hashes)',
    description:
      'The key of the `hash` action. A secret: never logged or stored. Changing it changes every hash, so joins across the change break: keep it as long as the data.',
  }),
  RETENTION: variable(
    'privacy',
    maxLags().default(() => new Map()),
    {
      unset: 'keep everything',
      description:
        'How long loaded data is kept: each run removes the loads (staging rows and ledger facts) of windows that ended before now minus this, in short batches beside the loads, and never extracts them again. One duration for all (`400d`), or entity=duration pairs (`recording-interaction-metadata=90d,*=730d`; entities not named are kept). At least 1 day.',
    },
  ),

  // --- Testing only
  // Read and checked by src/main.ts before the config (src/lib/crash-points.ts); listed here to be documented.
  CXONE_ETL_CRASH_AT: variable(
    'testing',
    text(`<point>:<n> with point one of ${CRASH_POINTS.join(', ')}`).optional(),
    {
      unset: 'off',
      description:
        "The reliability suite's kill switch: SIGKILLs the process at the n-th pass of a named point. Never set it in production.",
    },
  ),

  // --- Logging
  LOG_LEVEL: variable(
    'logging',
    oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
    {
      unset: '`info`; `warn` for `demo` when logs go to a terminal',
      description:
        'How much to log. Unset, `demo` in a terminal logs warnings and errors only, so its banner, progress bar and tables are not interleaved with routine lines; set it to see them.',
    },
  ),
  LOG_FORMAT: variable('logging', oneOf(['auto', 'json', 'pretty']).prefault('auto'), {
    description: '`auto`: pretty on a terminal, JSON otherwise.',
  }),
};

export type VariableName = keyof typeof VARIABLES;

export const ENV_SCHEMA = z.object(VARIABLES);

/** Every variable's value, typed, defaults applied (cross-variable rules are src/config/sections.ts's). */
export type Variables = z.output<typeof ENV_SCHEMA>;
