-- Freshness notices: what the last run-end check saw of each entity, so "turned stale" and
-- "recovered" go out once per change, across one-shot runs, restarts and replicas.
CREATE TABLE cxone_etl.entity_freshness (
  tenant_id text NOT NULL,
  entity text NOT NULL,
  stale boolean NOT NULL,
  -- When `stale` last changed (or was first seen).
  changed_at timestamptz NOT NULL,
  checked_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, entity)
);
