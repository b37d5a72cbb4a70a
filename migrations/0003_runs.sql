-- Run history: one row per tenant run, written at start and completed at the end, so a run
-- that died shows as 'running' with no end, and `status` and metrics can tell when the last good run was.
CREATE TABLE cxone_etl.runs (
  id bigserial PRIMARY KEY,
  tenant_id text NOT NULL,
  -- cli | backfill | schedule | startup | catch-up | manual | demo
  trigger text NOT NULL,
  started_at timestamptz NOT NULL,
  ended_at timestamptz,
  -- running | succeeded | partial | failed | aborted
  outcome text NOT NULL DEFAULT 'running',
  windows_loaded integer NOT NULL DEFAULT 0,
  windows_failed integer NOT NULL DEFAULT 0,
  rows_loaded bigint NOT NULL DEFAULT 0,
  bytes_loaded bigint NOT NULL DEFAULT 0,
  api_calls integer NOT NULL DEFAULT 0,
  error text,
  CHECK (outcome IN ('running', 'succeeded', 'partial', 'failed', 'aborted'))
);
CREATE INDEX runs_tenant_started_idx ON cxone_etl.runs (tenant_id, started_at DESC);
