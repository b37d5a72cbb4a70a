/**
 * Environment -> one frozen, typed Config. Parsed once by src/main.ts; nothing else reads process.env.
 * Every bad value fails fast with one line naming the variable and the form it expects
 * (the CLI prints it and exits 2). The variables, their forms and defaults: src/config/variables.ts
 * (zod), which docs/CONFIGURATION.md is generated from.
 */
import {
  ConfigError,
  cxoneSection,
  extractSection,
  privacySection,
  readVariables,
  warningsOf,
} from './config/sections.js';
import type { Config, Credentials, Env } from './config/types.js';

export { ConfigError } from './config/sections.js';
export { isClockTime, isIsoDate, isValidTimeZone } from './config/forms.js';
export { API_MAX_WINDOW_MS } from './config/variables.js';
export type {
  ClientAuthSetting,
  ColumnPolicyAction,
  ColumnPolicyRule,
  Config,
  Credentials,
  EntitySettings,
  Env,
} from './config/types.js';

export function parseConfig(env: Env): Config {
  const v = readVariables(env);
  const config: Config = {
    databaseUrl: v.DATABASE_URL,
    dataDir: v.DATA_DIR,
    cxone: cxoneSection(v),
    extract: extractSection(env, v),
    privacy: privacySection(env, v),
    wfmTimeZone: v.WFM_TIMEZONE,
    stagingSchema: v.STAGING_SCHEMA,
    reportingSchema: v.REPORTING_SCHEMA,
    currentKeys: v.REPORTING_CURRENT_KEYS,
    schedule: Object.freeze({ cron: v.SCHEDULE_CRON, timeZone: v.SCHEDULE_TZ }),
    freshness: Object.freeze({ maxLagMs: v.FRESHNESS_MAX_LAG }),
    notify: Object.freeze({
      webhookUrl: v.NOTIFY_WEBHOOK_URL,
      format: v.NOTIFY_FORMAT,
      timeoutMs: v.NOTIFY_TIMEOUT,
    }),
    log: Object.freeze({ level: v.LOG_LEVEL, format: v.LOG_FORMAT }),
    run: Object.freeze({
      deadline: v.RUN_DEADLINE,
      maxApiCalls: v.RUN_MAX_API_CALLS,
      deferredExitCode: v.RUN_DEFERRED_EXIT_CODE,
    }),
    httpPort: v.HTTP_PORT,
    shutdownGraceMs: v.SHUTDOWN_GRACE,
    tenantsFile: v.TENANTS_FILE,
    historyRetentionMs: v.HISTORY_RETENTION,
    warnings: Object.freeze(warningsOf(v)),
  };
  return Object.freeze(config);
}

/** For commands that talk to CXone: credentials must be present. */
export function requireCredentials(config: Config): Credentials {
  if (!config.cxone.credentials) {
    throw new ConfigError(
      'CXONE_ACCESS_KEY_ID',
      'credentials: CXONE_ACCESS_KEY_ID and CXONE_ACCESS_KEY_SECRET, or CXONE_CLIENT_ID, CXONE_CLIENT_SECRET, CXONE_USERNAME and CXONE_PASSWORD',
      undefined,
    );
  }
  return config.cxone.credentials;
}
