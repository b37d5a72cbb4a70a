/** Row and window counts per staging table, for summaries; a table not created yet counts as empty. */
import pg from 'pg';

export interface StagingCount {
  table: string;
  rows: number;
  windows: number;
}

export async function countStagingRows(
  pool: pg.Pool,
  schema: string,
  tables: string[],
): Promise<StagingCount[]> {
  const counts: StagingCount[] = [];
  for (const table of tables) {
    const { rows: exists } = await pool.query('SELECT to_regclass($1) AS t', [
      `${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(table)}`,
    ]);
    if (!exists[0]?.t) {
      counts.push({ table, rows: 0, windows: 0 });
      continue;
    }
    const { rows } = await pool.query(
      `SELECT count(*)::bigint AS rows, count(DISTINCT _load_id)::bigint AS windows
         FROM ${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(table)}`,
    );
    counts.push({ table, rows: Number(rows[0]?.rows ?? 0), windows: Number(rows[0]?.windows ?? 0) });
  }
  return counts;
}
