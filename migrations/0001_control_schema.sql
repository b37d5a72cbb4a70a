-- The worker's own bookkeeping (checkpoints, jobs, runs) lives in cxone_etl, apart from the loaded
-- data. The runner already created the schema to hold cxone_etl.migrations; this file makes the schema
-- part of the recorded history and documents it. Later pipeline tables arrive in 0002 onwards.
CREATE SCHEMA IF NOT EXISTS cxone_etl;

COMMENT ON SCHEMA cxone_etl IS 'cxone-etl control tables (migrations, checkpoints, jobs). Managed by "cxone-etl migrate"; do not edit by hand.';
