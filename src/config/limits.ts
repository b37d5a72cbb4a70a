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
 * 1, not yet `auto`: learning costs one busy answer per tenant (a 'job-running' refusal on a simulator
 * that allows one job), and the test suites hold every run against the default simulator to zero
 * refusals; `auto` is opt-in until the lead flips this (issue 15).
 */
export const DEFAULT_JOBS_IN_FLIGHT: 'auto' | number = 1;
