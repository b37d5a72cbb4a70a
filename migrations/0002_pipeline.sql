-- The extraction pipeline's control tables. All times are timestamptz (UTC instants).

-- One row per tenant: the persisted rate gate. A caller locks the row (SELECT ... FOR UPDATE),
-- waits until next_allowed_at, records its call, and commits, so "one call per 30 s per tenant"
-- holds across processes, replicas and restarts (Data Extraction API help page).
CREATE TABLE cxone_etl.rate_gate (
  tenant_id text PRIMARY KEY,
  last_call_at timestamptz,
  -- Earliest time the next call may start: last call + interval, or later after a Retry-After.
  next_allowed_at timestamptz NOT NULL DEFAULT '-infinity',
  calls bigint NOT NULL DEFAULT 0,
  busy_answers bigint NOT NULL DEFAULT 0
);

-- The window ledger: one row per (tenant, entity, window). Loaded windows of one tenant and entity
-- never overlap: a new window either equals a loaded one or contains whole loaded ones, which it
-- replaces. The job id is written before polling starts, so a restarted worker resumes the job.
CREATE TABLE cxone_etl.windows (
  tenant_id text NOT NULL,
  entity text NOT NULL,
  window_start timestamptz NOT NULL,
  window_end timestamptz NOT NULL,
  -- planned | requested | ready | loaded | failed | deferred
  state text NOT NULL DEFAULT 'planned',
  job_id text,
  job_status text,
  -- Jobs requested for this window in its current pass (a new pass starts from 0).
  attempts integer NOT NULL DEFAULT 0,
  error text,
  requested_at timestamptz,
  ready_at timestamptz,
  loaded_at timestamptz,
  rows_loaded bigint,
  bytes_loaded bigint,
  -- Rows counted on the previous load of this exact window, to spot late data on a lookback pass.
  previous_rows bigint,
  api_calls integer NOT NULL DEFAULT 0,
  polls integer NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, entity, window_start, window_end),
  CHECK (window_end > window_start),
  CHECK (state IN ('planned', 'requested', 'ready', 'loaded', 'failed', 'deferred'))
);
CREATE INDEX windows_job_idx ON cxone_etl.windows (tenant_id, job_id) WHERE job_id IS NOT NULL;
CREATE INDEX windows_state_idx ON cxone_etl.windows (tenant_id, entity, state);

-- Per tenant and entity: how far the data is loaded, and the staging header last seen.
CREATE TABLE cxone_etl.checkpoints (
  tenant_id text NOT NULL,
  entity text NOT NULL,
  -- High-water mark: the end of the latest loaded window.
  loaded_until timestamptz NOT NULL,
  last_columns text[],
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, entity)
);
