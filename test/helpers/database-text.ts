import { spawnSync } from 'node:child_process';
import pg from 'pg';

/**
 * Everything the database holds as text, for "no raw value anywhere" checks: every row of every table
 * outside the system schemas (each row as its text form), plus `pg_dump`'s output when it is on PATH
 * and speaks the server's version (it adds definitions, comments and sequences).
 */
export async function databaseText(pool: pg.Pool, url: string): Promise<{ text: string; pgDump: boolean }> {
  const { rows: tables } = await pool.query<{ name: string }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'm', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')`,
  );
  const parts: string[] = [];
  for (const t of tables) {
    const { rows } = await pool.query<{ row: string }>(`SELECT t::text AS row FROM ${t.name} t`);
    parts.push(`-- ${t.name}`, ...rows.map((r) => r.row));
  }
  const dump = spawnSync('pg_dump', ['--no-owner', url], { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  const pgDump = dump.status === 0;
  if (pgDump) parts.push(dump.stdout);
  return { text: parts.join('\n'), pgDump };
}
