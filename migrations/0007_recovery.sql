-- Recovery without waste.

-- Every job id the worker has learned for a tenant: from its own POST answer (posted), by adopting it
-- after a POST whose answer was lost (adopted), or from a GET /jobs listing (listed). After a POST that
-- may have landed (5xx, timeout, cut-off answer, a kill before the ledger write), a listing's one id
-- that is in neither this table nor the ledger is that POST's job. The ledger alone cannot say: a new
-- pass over a window clears its job id, and a merged window deletes the ones it replaces.
CREATE TABLE cxone_etl.jobs_seen (
  tenant_id text NOT NULL,
  job_id text NOT NULL,
  source text NOT NULL,
  seen_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, job_id),
  CHECK (source IN ('posted', 'adopted', 'listed'))
);
INSERT INTO cxone_etl.jobs_seen (tenant_id, job_id, source, seen_at)
SELECT DISTINCT ON (tenant_id, job_id) tenant_id, job_id, 'posted', updated_at
  FROM cxone_etl.windows WHERE job_id IS NOT NULL;

-- How the window's current job was obtained (posted | adopted), and what the worker decided after a
-- POST whose answer was lost (adopted which job, or why it posted again).
ALTER TABLE cxone_etl.windows ADD COLUMN job_origin text;
ALTER TABLE cxone_etl.windows ADD COLUMN post_note text;
-- A POST was sent for this window and neither its job id nor a refusal came back: set before each POST,
-- cleared by its answer. While set, the next attempt (this run or a later one) looks for the job first.
ALTER TABLE cxone_etl.windows ADD COLUMN post_uncertain boolean NOT NULL DEFAULT false;
UPDATE cxone_etl.windows SET post_uncertain = true WHERE state = 'requested' AND job_id IS NULL;

-- The last time a run left this loaded window's lookback out, and why (src/extract/lookback-rule.ts).
ALTER TABLE cxone_etl.windows ADD COLUMN lookback_skipped_at timestamptz;
ALTER TABLE cxone_etl.windows ADD COLUMN lookback_skip_reason text;
