-- Jobs in flight per tenant: what EXTRACT_MAX_JOBS_IN_FLIGHT=auto learned about how many
-- jobs a tenant may run at once. No row: the worker tries 2. A busy answer to a POST while one of our
-- jobs ran lowers it (to how many were running), so the next runs do not spend a call learning again.
CREATE TABLE cxone_etl.tenant_jobs_limit (
  tenant_id text PRIMARY KEY,
  max_jobs_in_flight integer NOT NULL CHECK (max_jobs_in_flight >= 1),
  -- Why the limit is what it is (shown to operators), e.g. the busy answer that lowered it.
  reason text NOT NULL,
  learned_at timestamptz NOT NULL
);
