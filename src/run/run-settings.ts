/** The per-window settings of a run, from the config (or a tenant's overlay of it). */
import type { Config } from '../config.js';
import type { ExtractSettings } from '../extract/extract-window.js';

/** 1 s: the first retry after a FAILED job; it grows by the retry helper's backoff. */
const JOB_RETRY_BASE_MS = 1000;

export function extractSettings(config: Config): ExtractSettings {
  return {
    stagingSchema: config.stagingSchema,
    reportingSchema: config.reportingSchema,
    wfmTimeZone: config.wfmTimeZone,
    maxAttempts: config.extract.maxAttempts,
    useSyncEndpoint: config.cxone.useSyncEndpoint,
    jobTimeoutMs: config.extract.jobTimeoutMs,
    minCallIntervalMs: config.cxone.minCallIntervalMs,
    jobRetryBaseMs: Math.max(JOB_RETRY_BASE_MS, config.cxone.minCallIntervalMs),
    ...(config.privacy.columnPolicy.length > 0
      ? { columnPolicy: { rules: config.privacy.columnPolicy, hashKey: config.privacy.hashKey } }
      : {}),
  };
}
