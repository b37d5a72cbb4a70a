/**
 * DDL for the reporting views (the typed view, view-builder.ts, and its current view, current-view.ts).
 * `target` is a name already quoted by `qualifiedName`; `select` is a planned view's SELECT.
 */
import pg from 'pg';
import type { Queryable } from '../db/pool.js';

/** CREATE VIEW, or CREATE OR REPLACE VIEW when the new columns only append to the old ones. */
export async function createView(
  db: Queryable,
  target: string,
  select: string,
  opts: { orReplace: boolean },
): Promise<void> {
  await db.query(`${opts.orReplace ? 'CREATE OR REPLACE' : 'CREATE'} VIEW ${target} AS ${select}`);
}

/** The comment carries the view's fingerprint, which tells whether it is current. */
export async function commentOnView(db: Queryable, target: string, comment: string): Promise<void> {
  await db.query(`COMMENT ON VIEW ${target} IS ${pg.escapeLiteral(comment)}`);
}

/** RESTRICT (the default): fails with 2BP01 while another view depends on it. */
export async function dropView(db: Queryable, target: string): Promise<void> {
  await db.query(`DROP VIEW ${target}`);
}

export async function dropViewIfExists(db: Queryable, target: string): Promise<void> {
  await db.query(`DROP VIEW IF EXISTS ${target}`);
}

/** Sets lock_timeout for the rest of the transaction and returns the value it had. */
export async function setLockTimeout(db: Queryable, value: string): Promise<string> {
  const { rows } = await db.query<{ previous: string }>(
    `SELECT current_setting('lock_timeout') AS previous, set_config('lock_timeout', $1, true)`,
    [value],
  );
  return rows[0]?.previous ?? '0';
}

/** Whether Postgres knows the time zone (Node's Intl and Postgres ship separate zone databases). */
export async function isKnownTimeZone(db: Queryable, zone: string): Promise<boolean> {
  const { rows } = await db.query<{ known: boolean }>(
    'SELECT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = $1) AS known',
    [zone],
  );
  return rows[0]?.known === true;
}
