/** The numbers behind the configuration's defaults and bounds, each with where it comes from. */

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
