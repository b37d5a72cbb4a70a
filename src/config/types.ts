/** The typed, frozen configuration the rest of the program sees (src/config.ts builds it). */
import type { DateFormat, EntityName } from '../entities/catalog.js';
import type { RowKeySpec } from '../entities/row-keys.js';
import type { Secret } from '../lib/secret.js';
import type { ColumnPolicyRule } from './forms.js';

export type { ColumnPolicyAction, ColumnPolicyRule } from './forms.js';

/** COLUMN_POLICY, PII_HASH_KEY and RETENTION (docs/OPERATIONS.md, "Personal data"). */
export interface PrivacySettings {
  /** The rules as written; src/load/column-policy.ts turns them into what a load does per column. */
  readonly columnPolicy: readonly ColumnPolicyRule[];
  /** Set whenever a rule hashes (a policy that hashes without it is a ConfigError). */
  readonly hashKey: Secret | undefined;
  /** Per entity, how long its loaded windows are kept; entities not in the map are kept forever. */
  readonly retentionMs: ReadonlyMap<EntityName, number>;
}

export type Credentials =
  | { kind: 'access-key'; accessKeyId: string; accessKeySecret: Secret }
  | { kind: 'password'; clientId: string; clientSecret: Secret; username: string; password: Secret };

export type ClientAuthSetting = 'auto' | 'basic' | 'form';

export interface EntitySettings {
  readonly name: EntityName;
  readonly version: string;
  readonly dateFormat: DateFormat;
  /** ASSUMED in the contract: whether the API's endDate is inclusive. Default false (half-open). */
  readonly endDateInclusive: boolean;
}

export interface Config {
  /** A secret: its password goes to the connection only; messages use the redacted form. */
  readonly databaseUrl: Secret | undefined;
  /** Where the embedded Postgres keeps its data when DATABASE_URL is unset. */
  readonly dataDir: string;
  readonly cxone: {
    readonly issuerUrl: string;
    readonly authBaseUrl: string;
    readonly apiBaseUrl: string | undefined;
    readonly credentials: Credentials | undefined;
    readonly tenantId: string | undefined;
    readonly minCallIntervalMs: number;
    /** 'all' gates every jobs call (the documented rule); 'create-only' gates only job creation. */
    readonly gateScope: 'all' | 'create-only';
    /**
     * How the password grant sends the client id and secret: 'auto' reads the issuer's
     * token_endpoint_auth_methods_supported (HTTP Basic when listed, else form fields).
     */
    readonly clientAuth: ClientAuthSetting;
    readonly useSyncEndpoint: boolean;
    readonly requestTimeoutMs: number;
    readonly syncTimeoutMs: number;
    /** A download whose socket stays silent this long fails (and is retried with a fresh URL). */
    readonly downloadIdleTimeoutMs: number;
  };
  readonly extract: {
    readonly entities: readonly EntitySettings[];
    /** yyyy-mm-dd; undefined means "one backfill window before today". */
    readonly startDate: string | undefined;
    readonly windowMs: number;
    readonly backfillWindowMs: number;
    readonly lookbackMs: number;
    readonly settleDelayMs: number;
    readonly maxAttempts: number;
    readonly jobTimeoutMs: number;
    readonly onLocked: 'wait' | 'exit';
    /**
     * EXTRACT_MAX_JOBS_IN_FLIGHT: how many jobs one tenant may have running at once. 'auto' starts at
     * 2 and learns the tenant's limit (src/extract/jobs-limit.repository.ts); 1 is the serial worker.
     */
    readonly maxJobsInFlight: 'auto' | number;
  };
  readonly privacy: PrivacySettings;
  readonly wfmTimeZone: string;
  readonly stagingSchema: string;
  /** Schema of the typed views over the staging tables. */
  readonly reportingSchema: string;
  /** REPORTING_CURRENT_KEYS: per entity, the current-view key that replaces the catalog's candidates. */
  readonly currentKeys: ReadonlyMap<EntityName, RowKeySpec>;
  readonly schedule: { readonly cron: string; readonly timeZone: string };
  /**
   * FRESHNESS_MAX_LAG: per entity, how far behind now its checkpoint may fall before it counts as
   * stale; entities not listed (all, when unset) use the default derived from the schedule.
   */
  readonly freshness: { readonly maxLagMs: ReadonlyMap<EntityName, number> };
  readonly notify: {
    /** NOTIFY_WEBHOOK_URL: a secret (Slack and Teams webhook URLs carry their token). */
    readonly webhookUrl: Secret | undefined;
    readonly format: 'json' | 'slack' | 'teams';
    /** How long one notification may take, retries included: never longer than this to a run. */
    readonly timeoutMs: number;
  };
  /** level: undefined when LOG_LEVEL is unset; src/main.ts picks the level for the command (logger.ts). */
  readonly log: { readonly level: string | undefined; readonly format: 'auto' | 'json' | 'pretty' };
  readonly run: {
    /** HH:MM in SCHEDULE_TZ: no window starts that could not end before it (e.g. business hours). */
    readonly deadline: string | undefined;
    readonly maxApiCalls: number | undefined;
    /** Exit code of a run that deferred windows (default 0: deferral is a clean stop). */
    readonly deferredExitCode: number;
  };
  readonly httpPort: number;
  readonly shutdownGraceMs: number;
  readonly tenantsFile: string | undefined;
  /** Finished runs and never-loaded ledger rows older than this are pruned by the daemon. */
  readonly historyRetentionMs: number;
  /** Problems worth a warning at start (not errors), e.g. a call interval below the API's 30 s. */
  readonly warnings: readonly string[];
}

export type Env = Readonly<Record<string, string | undefined>>;
