/**
 * Every advisory lock key this tool takes, in one table, so two locks never share a key by accident.
 * The numbers are part of the contract between versions: an old and a new process running side by
 * side (a rolling upgrade) exclude each other only while they lock the same keys, so never change one.
 *
 * Postgres keeps the one-bigint form and the two-int form in different key spaces (pg_locks.objsubid 1
 * vs 2), so a bigint key cannot collide with a pair. Pairs are (namespace, hashtext(name)): the first
 * int keeps our locks apart from each other and from other applications' two-int locks.
 */

/**
 * migrate(): a session lock serializing the whole run, so two processes starting at once apply every
 * migration exactly once (ASCII "cxmig", one-bigint form).
 */
export const MIGRATION_LOCK_KEY = '427222198631';

/**
 * Single flight per tenant: a run holds it (session lock) for its whole life, so two processes for one
 * tenant never call the API in parallel; paired with hashtext(tenant id). ASCII "CXON".
 */
export const TENANT_LOCK_NAMESPACE = 0x43584f4e;

/**
 * The tenant's rate gate: held (session lock) around each gated API call, so "one caller per tenant"
 * holds across processes and replicas; paired with hashtext(tenant id). ASCII "CXGA".
 */
export const RATE_GATE_LOCK_NAMESPACE = 0x43584741;

/**
 * Transaction locks (pg_advisory_xact_lock), paired with hashtext() of what they guard. These first keys
 * are SQL expressions, written into the statements as they are.
 */
/** DDL on one staging table or schema (load/staging.repository.ts): CREATE and ALTER race on pg_type. */
export const STAGING_DDL_LOCK_CLASS = "hashtext('cxone_etl.staging_ddl')";
/** Loads of one tenant's staging table: two loads of one window must not both delete nothing and insert. */
export const STAGING_LOAD_LOCK_CLASS = "hashtext('cxone_etl.staging_load')";
/** DDL on one reporting view or the reporting schema (reporting/relations.repository.ts). */
export const REPORTING_DDL_LOCK_CLASS = "hashtext('cxone_etl.reporting_ddl')";

/** A session lock's key: the one-bigint form, or a namespace and a name Postgres hashes with hashtext(). */
export type SessionLockKey =
  | { readonly kind: 'bigint'; readonly key: string; readonly what: string }
  | { readonly kind: 'pair'; readonly namespace: number; readonly name: string; readonly what: string };

export const migrationLock: SessionLockKey = {
  kind: 'bigint',
  key: MIGRATION_LOCK_KEY,
  what: 'the migration lock',
};

export function tenantLock(tenantId: string): SessionLockKey {
  return { kind: 'pair', namespace: TENANT_LOCK_NAMESPACE, name: tenantId, what: 'the tenant lock' };
}

export function rateGateLock(tenantId: string): SessionLockKey {
  return { kind: 'pair', namespace: RATE_GATE_LOCK_NAMESPACE, name: tenantId, what: 'the CXone rate gate' };
}
