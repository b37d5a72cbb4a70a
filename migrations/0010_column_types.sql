-- Column types of the typed views, per deployment (staging schema), entity and staging column: what
-- each view column casts to, decided once and then kept (dlt's schema contracts are the model: new
-- columns evolve, types freeze), so a view's column type never flips under a dashboard the day a
-- malformed value arrives. A value that does not cast reads NULL and is counted (cast_problems).
--   origin 'hint':    a type hint matched the header (src/entities/type-hints.ts)
--   origin 'learned': inferred from `learned_from` sampled non-empty values on the column's first loads
--   origin 'manual':  set by hand (`cxone-etl schema --entity E --set column=type`)
-- A column without a row has not been decided yet (too few values so far) and reads as text.
CREATE TABLE cxone_etl.column_types (
  staging_schema text NOT NULL,
  entity text NOT NULL,
  column_name text NOT NULL,
  column_type text NOT NULL
    CHECK (column_type IN ('text', 'timestamptz', 'date', 'numeric', 'integer', 'boolean', 'interval')),
  origin text NOT NULL CHECK (origin IN ('hint', 'learned', 'manual')),
  learned_from integer CHECK (learned_from IS NULL OR learned_from >= 0),
  decided_at timestamptz NOT NULL,
  PRIMARY KEY (staging_schema, entity, column_name)
);
