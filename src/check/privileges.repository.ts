/**
 * Catalog queries for `cxone-etl check`: who we are on the server, and which of the privileges the
 * worker needs on its own schemas are missing. Read-only; nothing here creates or grants anything.
 */
import type { Queryable } from '../db/pool.js';

export interface ServerInfo {
  version: string;
  versionNum: number;
  role: string;
  database: string;
  /** CREATE on the database: enough to create a schema that does not exist yet. */
  canCreateSchema: boolean;
}

export async function serverInfo(db: Queryable): Promise<ServerInfo> {
  const { rows } = await db.query<{
    version: string;
    num: string;
    role: string;
    database: string;
    can_create: boolean;
  }>(
    `SELECT current_setting('server_version') AS version, current_setting('server_version_num') AS num,
            current_user AS role, current_database() AS database,
            has_database_privilege(current_database(), 'CREATE') AS can_create`,
  );
  const row = rows[0];
  if (!row) throw new Error('the server answered no row to a catalog query');
  return {
    version: row.version,
    versionNum: Number(row.num),
    role: row.role,
    database: row.database,
    canCreateSchema: row.can_create,
  };
}

export interface SchemaAccess {
  schema: string;
  exists: boolean;
  usage: boolean;
  create: boolean;
}

export async function schemaAccess(db: Queryable, schemas: readonly string[]): Promise<SchemaAccess[]> {
  const { rows } = await db.query<{ name: string; oid: number | null; usage: boolean; create: boolean }>(
    `SELECT s.name, n.oid,
            coalesce(has_schema_privilege(n.oid, 'USAGE'), false) AS usage,
            coalesce(has_schema_privilege(n.oid, 'CREATE'), false) AS create
       FROM unnest($1::text[]) WITH ORDINALITY AS s(name, ord)
       LEFT JOIN pg_namespace n ON n.nspname = s.name
      ORDER BY s.ord`,
    [schemas],
  );
  return rows.map((r) => ({ schema: r.name, exists: r.oid !== null, usage: r.usage, create: r.create }));
}

export interface ForeignRelation {
  schema: string;
  name: string;
  kind: 'table' | 'view' | 'materialized view';
  owner: string;
}

/**
 * Relations in our schemas whose owner we are not (nor a member of): staging tables are ALTERed when
 * a header gains a column, views replaced when they change, and only an owner may do either.
 */
export async function relationsNotOwned(
  db: Queryable,
  schemas: readonly string[],
): Promise<ForeignRelation[]> {
  const { rows } = await db.query<{ schema: string; name: string; relkind: string; owner: string }>(
    `SELECT n.nspname AS schema, c.relname AS name, c.relkind, pg_get_userbyid(c.relowner) AS owner
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ANY($1::text[]) AND c.relkind IN ('r', 'p', 'v', 'm')
        AND NOT pg_has_role(c.relowner, 'USAGE')
      ORDER BY 1, 2`,
    [schemas],
  );
  return rows.map((r) => ({
    schema: r.schema,
    name: r.name,
    kind: r.relkind === 'v' ? 'view' : r.relkind === 'm' ? 'materialized view' : 'table',
    owner: r.owner,
  }));
}

/** Table privileges the control tables need, one row per table and missing privilege. */
export async function missingTablePrivileges(
  db: Queryable,
  schema: string,
): Promise<{ table: string; privilege: string }[]> {
  const { rows } = await db.query<{ table: string; privilege: string }>(
    `SELECT c.relname AS table, p.privilege
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      CROSS JOIN unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']) AS p(privilege)
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT has_table_privilege(c.oid, p.privilege)
      ORDER BY 1, 2`,
    [schema],
  );
  return rows;
}
