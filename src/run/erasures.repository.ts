/** SQL for cxone_etl.erasures (migrations/0011_privacy.sql): the record of each `cxone-etl erase --yes`. */
import type { Queryable } from '../db/pool.js';

/** Records an erasure: when, which column, how many rows per entity. Never the value, nor its hash. */
export async function recordErasure(
  db: Queryable,
  erasure: { at: number; column: string; entity: string | undefined; rowsByEntity: Record<string, number> },
): Promise<number> {
  const total = Object.values(erasure.rowsByEntity).reduce((n, r) => n + r, 0);
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO cxone_etl.erasures (erased_at, column_name, entity, rows_by_entity, rows_deleted)
     VALUES ($1, $2, $3, $4, $5) RETURNING id::text`,
    [
      new Date(erasure.at),
      erasure.column,
      erasure.entity ?? null,
      JSON.stringify(erasure.rowsByEntity),
      total,
    ],
  );
  return Number(rows[0]?.id);
}
