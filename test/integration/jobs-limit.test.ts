/**
 * The one rule that reads a tenant's jobs limit from the answers to POSTs made beside jobs of ours
 * (src/extract/jobs-limit.ts), for runs and `check --entities` alike, against real Postgres.
 */
import { getLearnedJobsLimit } from '../../src/extract/jobs-limit.repository.js';
import { createJobsLimit, type JobsLimitDeps } from '../../src/extract/jobs-limit.js';
import { EtlError } from '../../src/lib/errors.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { ManualClock } from '../helpers/manual-clock.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

let tenant = 0;
function limits(over: Partial<JobsLimitDeps> = {}) {
  const learned: { limit: number; reason: string }[] = [];
  const tenantId = `t-${++tenant}`;
  const jobs = createJobsLimit({
    ...{ pool: db.pool, clock: new ManualClock(0), tenantId, limit: 2, learned: undefined },
    onLearned: (info) => learned.push(info),
    ...over,
  });
  return { jobs, learned, saved: () => getLearnedJobsLimit(db.pool, tenantId) };
}

const busyAnswer = (status: number): EtlError =>
  new EtlError('RATE_LIMITED', 'busy', { context: { status, busy: true }, retryable: true });

it('a POST accepted beside a job counts once that job answers RUNNING after it', async () => {
  const { jobs, learned, saved } = limits({ learnedBy: 'check --probe' });
  await jobs.accepted('qm-questions w1', 'job-b', ['job-a']);
  expect(await saved()).toBeUndefined();
  await jobs.answered('job-b', 'RUNNING'); // the new job itself proves nothing
  expect(await saved()).toBeUndefined();
  await jobs.answered('job-a', 'RUNNING');
  expect(learned).toEqual([{ limit: 2, reason: 'job job-b was accepted while job job-a ran' }]);
  expect(await saved()).toMatchObject({
    maxJobsInFlight: 2,
    reason: 'check --probe: job job-b was accepted while job job-a ran',
  });
});

it('a POST accepted after the job beside it ended (seen ended next) proves nothing', async () => {
  const { jobs, learned, saved } = limits();
  await jobs.accepted('w2', 'job-b', ['job-a']);
  await jobs.answered('job-a', 'SUCCEEDED');
  await jobs.answered('job-a', 'RUNNING'); // settled: a later answer cannot prove it any more
  expect(learned).toEqual([]);
  expect(await saved()).toBeUndefined();
});

it('nothing to prove when the tenant is already known to run that many', async () => {
  const { jobs, learned } = limits({ learned: 2 });
  await jobs.accepted('w', 'job-b', ['job-a']);
  await jobs.answered('job-a', 'RUNNING');
  expect(learned).toEqual([]);
});

it('a 429 beside our job is busy for certain: saved at once, the limit lowered', async () => {
  const { jobs, saved } = limits();
  await jobs.busy('w', 1, busyAnswer(429));
  expect(jobs.limit).toBe(1);
  expect(await saved()).toMatchObject({ maxJobsInFlight: 1, reason: expect.stringMatching(/busy \(429\)/) });
});

it('a 403 beside our job lowers the limit now and is saved once that window’s own POST is accepted', async () => {
  const { jobs, learned, saved } = limits();
  await jobs.busy('w', 1, busyAnswer(403));
  expect(jobs.limit).toBe(1);
  expect(await saved()).toBeUndefined();
  await jobs.accepted('other window', 'job-c', []);
  expect(await saved()).toBeUndefined();
  await jobs.accepted('w', 'job-d', []);
  expect(learned.map((l) => l.limit)).toEqual([1]);
  expect(await saved()).toMatchObject({ maxJobsInFlight: 1, reason: expect.stringMatching(/busy \(403\)/) });
});

it('a 403 beside our job that turns out to be a missing permission gives the limit back, saves nothing', async () => {
  const { jobs, saved } = limits({ limit: 3 });
  await jobs.busy('w', 2, busyAnswer(403));
  expect(jobs.limit).toBe(2);
  jobs.permissionDenied('w');
  expect(jobs.limit).toBe(3);
  await jobs.accepted('w', 'job-e', []);
  expect(await saved()).toBeUndefined();
});
