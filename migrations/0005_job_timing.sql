-- What the polls learned about each job (fewer status calls). posted_at is when the POST
-- answered (the job's real start, after any rate-gate wait); job_ms is the job's duration as the polls
-- bracket it: the midpoint between the last RUNNING and the first SUCCEEDED answer.
ALTER TABLE cxone_etl.windows ADD COLUMN posted_at timestamptz;
ALTER TABLE cxone_etl.windows ADD COLUMN job_ms bigint;
