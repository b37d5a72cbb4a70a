-- Personal data (docs/OPERATIONS.md, "Personal data"): RETENTION's removal of old loads, and the
-- record of `cxone-etl erase`.

-- What each run's retention step removed (0 when RETENTION is unset).
ALTER TABLE cxone_etl.runs ADD COLUMN retention_loads_removed integer NOT NULL DEFAULT 0;
ALTER TABLE cxone_etl.runs ADD COLUMN retention_rows_removed bigint NOT NULL DEFAULT 0;

-- Loads past RETENTION whose staging rows are still being deleted. Removing a load first moves it
-- here, in one transaction with its ledger facts (cxone_etl.loads, windows, cast problems, profiles,
-- quality flags), so the views (which join cxone_etl.loads) stop showing its rows at once; the rows
-- then go in short batches, and the row here goes with the last batch. A crash in between leaves the
-- load here, and the next run carries on.
CREATE TABLE cxone_etl.expired_loads (
  load_id bigint PRIMARY KEY,
  staging_schema text NOT NULL,
  tenant_id text NOT NULL,
  entity text NOT NULL,
  window_start timestamptz NOT NULL,
  window_end timestamptz NOT NULL,
  rows_loaded bigint NOT NULL,
  expired_at timestamptz NOT NULL
);

-- One row per `cxone-etl erase --yes`: when, which column, how many rows. Never the value (nor its hash):
-- the record of an erasure must not keep what was erased.
CREATE TABLE cxone_etl.erasures (
  id bigserial PRIMARY KEY,
  erased_at timestamptz NOT NULL,
  -- Staging column name, and the entity named with --entity (NULL: every entity).
  column_name text NOT NULL,
  entity text,
  -- Rows deleted per entity, e.g. {"recording-interaction-metadata": 3}.
  rows_by_entity jsonb NOT NULL,
  rows_deleted bigint NOT NULL
);
