import pg from 'pg';

/**
 * Staging rows with what their load says about them, under the names the metadata columns had on
 * every row before they moved to cxone_etl.loads (_tenant_id, _window_start, _window_end, _job_id,
 * _loaded_at), so tests compare rows as before. `where` and `order` may name those and data columns.
 */
export async function stagingRows(
  db: { query: pg.Pool['query'] },
  table: string,
  opts: { where?: string; order?: string; params?: unknown[] } = {},
): Promise<Record<string, unknown>[]> {
  const { rows } = await db.query(
    `SELECT * FROM (${stagingRowsSql(table)}) r` +
      (opts.where ? ` WHERE ${opts.where}` : '') +
      (opts.order ? ` ORDER BY ${opts.order}` : ''),
    opts.params ?? [],
  );
  return rows as Record<string, unknown>[];
}

/** The SELECT behind stagingRows, for tests that build their own query around it. `table` is qualified. */
export function stagingRowsSql(table: string): string {
  return `SELECT l.tenant_id AS _tenant_id, l.window_start AS _window_start, l.window_end AS _window_end,
                 l.job_id AS _job_id, l.loaded_at AS _loaded_at, s.*
            FROM ${table} s JOIN cxone_etl.loads l ON l.load_id = s._load_id`;
}
