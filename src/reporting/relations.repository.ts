/**
 * Catalog reads and DDL guards shared by the reporting layer: what columns a staging table or a view
 * has, the advisory lock that serializes view DDL, and the reporting schema's creation.
 */
import pg from 'pg';
import { REPORTING_DDL_LOCK_CLASS } from '../db/lock-keys.js';
import type { Queryable } from '../db/pool.js';

export interface RelationColumn {
  name: string;
  /** format_type(): 'text', 'timestamp with time zone', 'bigint', ... */
  type: string;
}

export interface RelationInfo {
  /** pg_class.relkind: 'r' table, 'v' view, 'm' materialized view, 'p' partitioned table, ... */
  kind: string;
  comment: string | null;
  /** In attnum order. */
  columns: RelationColumn[];
}

export function qualifiedName(schema: string, name: string): string {
  return `${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(name)}`;
}

/** The relation's kind, comment and live columns, or null when it does not exist. */
export async function relationInfo(
  db: Queryable,
  schema: string,
  name: string,
): Promise<RelationInfo | null> {
  const { rows } = await db.query<{ kind: string; comment: string | null; names: string[]; types: string[] }>(
    `SELECT c.relkind::text AS kind,
            obj_description(c.oid, 'pg_class') AS comment,
            ARRAY(SELECT a.attname::text FROM pg_attribute a
                   WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum) AS names,
            ARRAY(SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
                   WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum) AS types
       FROM pg_class c
      WHERE c.oid = to_regclass($1)`,
    [qualifiedName(schema, name)],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    kind: row.kind,
    comment: row.comment,
    columns: row.names.map((n, i) => ({ name: n, type: row.types[i] ?? 'text' })),
  };
}

/**
 * Serializes DDL on one reporting view until the caller's transaction ends: two tenants loading the
 * same entity would otherwise both DROP/CREATE it, and the second CREATE fails with 42P07
 * (duplicate_table) or 23505 on pg_type.
 */
export async function lockReportingDdl(db: Queryable, key: string): Promise<void> {
  await db.query(`SELECT pg_advisory_xact_lock(${REPORTING_DDL_LOCK_CLASS}, hashtext($1))`, [key]);
}

/** CREATE SCHEMA IF NOT EXISTS races on pg_namespace's unique index (23505), so it is locked too. */
export async function ensureSchema(db: Queryable, schema: string): Promise<void> {
  const { rows } = await db.query<{ found: boolean }>(`SELECT to_regnamespace($1) IS NOT NULL AS found`, [
    pg.escapeIdentifier(schema),
  ]);
  if (rows[0]?.found) return;
  await lockReportingDdl(db, `schema ${schema}`);
  await db.query(`CREATE SCHEMA IF NOT EXISTS ${pg.escapeIdentifier(schema)}`);
}
