/**
 * Getting a job for a window without ever re-sending a POST that may have landed. A POST
 * answered 5xx, timed out, or cut off (src/cxone/http-errors.ts `postMayHaveLanded`), or one whose
 * process died before the ledger write, may have created a job. Before posting again for that window,
 * one GET /jobs looks for it: a listed id the worker does not know (cxone_etl.jobs_seen, the ledger)
 * is that POST's job. Exactly one: adopt it and poll it. None: post again. More than one: post again,
 * and the ledger says why. Either way the decision is written to the window's post_note.
 */
import type { CallContext, JobRequest, JobState, JobStatus } from '../cxone/types.js';
import { postMayHaveLanded } from '../cxone/http-errors.js';
import type { Clock } from '../lib/clock.js';
import { crashPoint } from '../lib/crash-points.js';
import { toError } from '../lib/errors.js';
import type { WindowKey, WindowLedger } from './windows.repository.js';

export interface PostJobApi {
  requestJob(req: JobRequest, ctx: CallContext): Promise<string>;
  requestJobSync(req: JobRequest, ctx: CallContext): Promise<JobState>;
  listJobs(ctx: CallContext): Promise<{ id: string; status: JobStatus }[]>;
}

export interface PostJobDeps {
  ledger: WindowLedger;
  api: PostJobApi;
  clock: Clock;
  settings: { useSyncEndpoint: boolean };
  signal?: AbortSignal;
}

export interface ObtainedJob {
  jobId: string;
  /** Set when /jobs/sync answered the final state. */
  state?: JobState;
  /** When this process saw the POST answer, or (adopted) when the job was found. */
  postedAt: number;
  /** False for an adopted job: its POST's moment is unknown, so the poller learns nothing from it. */
  postedHere: boolean;
  attempt: number;
  origin: 'posted' | 'adopted';
  note?: string;
}

export interface PostOptions {
  /** The ledger says a POST went out and no answer came back: look for its job before posting. */
  lostPost: boolean;
  /** Jobs of this run still in flight: RUNNING, but never a lost POST's job, so never waited for. */
  inFlight: ReadonlySet<string>;
}

/**
 * No POST yet: the tenant runs a job that is not one of ours in flight (another caller's, or a lost
 * POST's whose id was already seen). A POST now would be refused as busy or run a second job beside it
 * (one job per tenant, contract "Limits"; found by the crash suite). The engine asks again later,
 * polling its own jobs meanwhile.
 */
export interface TenantBusy {
  running: string[];
  note: string;
}

/** POSTs whose outcome is unknown, per window obtain: after that the window fails with the last error. */
const MAX_UNCERTAIN_POSTS = 3;

export type LostJobVerdict =
  { kind: 'adopt'; id: string; status: JobStatus } | { kind: 'none' } | { kind: 'ambiguous'; ids: string[] };

/**
 * Pure: which listed job is the lost POST's. Known ids are ours already; EXPIRED ones are older than a
 * day (contract: files live 24 h), so neither can be the job a POST made moments ago.
 */
export function findLostJob(
  listing: readonly { id: string; status: JobStatus }[],
  known: ReadonlySet<string>,
): LostJobVerdict {
  const candidates = listing.filter((j) => !known.has(j.id) && j.status !== 'EXPIRED');
  const [only] = candidates;
  if (candidates.length === 1 && only) return { kind: 'adopt', id: only.id, status: only.status };
  if (candidates.length === 0) return { kind: 'none' };
  return { kind: 'ambiguous', ids: candidates.map((j) => j.id) };
}

/**
 * A job for the window: adopted when a POST may have landed (`lostPost`: the ledger says a POST went
 * out and no answer came back, e.g. the last process died before the ledger write), else posted,
 * looking for the job after each uncertain answer.
 */
export async function obtainJob(
  deps: PostJobDeps,
  key: WindowKey,
  request: JobRequest,
  ctx: CallContext,
  opts: PostOptions,
): Promise<ObtainedJob | TenantBusy> {
  let uncertain: { why: string; error?: unknown } | undefined = opts.lostPost
    ? { why: 'an earlier POST for this window got no answer (a stop before the ledger write, or a failure)' }
    : undefined;
  let note: string | undefined;
  for (let round = 1; ; round++) {
    if (uncertain) {
      const found = await lookForLostJob(deps, key, ctx, uncertain, opts);
      if (found.adopted) return found.adopted;
      if (found.running.length > 0) return { running: found.running, note: found.note };
      note = found.note;
    }
    const attempt = await deps.ledger.beginRequest(key, deps.clock.now());
    let jobId: string;
    let state: JobState | undefined;
    try {
      if (deps.settings.useSyncEndpoint) {
        state = await deps.api.requestJobSync(request, ctx);
        jobId = state.id;
      } else {
        jobId = await deps.api.requestJob(request, ctx);
      }
    } catch (error) {
      if (!postMayHaveLanded(error)) {
        if (!deps.signal?.aborted) await deps.ledger.clearPostUncertain(key);
        throw error;
      }
      // Still uncertain in the ledger: a later attempt or run looks for this POST's job first.
      if (round >= MAX_UNCERTAIN_POSTS || deps.signal?.aborted) throw error;
      uncertain = { why: `POST attempt ${attempt} failed (${toError(error).message})`, error };
      continue;
    }
    const postedAt = deps.clock.now();
    crashPoint('post');
    await deps.ledger.setJobId(key, jobId, postedAt, {
      source: 'posted',
      ...(note ? { note } : {}),
    });
    return {
      jobId,
      ...(state ? { state } : {}),
      postedAt,
      postedHere: true,
      attempt,
      origin: 'posted',
      ...(note ? { note } : {}),
    };
  }
}

async function lookForLostJob(
  deps: PostJobDeps,
  key: WindowKey,
  ctx: CallContext,
  uncertain: { why: string; error?: unknown },
  { inFlight }: PostOptions,
): Promise<{ adopted?: ObtainedJob; running: string[]; note: string }> {
  let listing: { id: string; status: JobStatus }[];
  try {
    listing = await deps.api.listJobs(ctx);
  } catch (error) {
    // The POST's own failure says more than the listing's (which failed the same way, most likely).
    if (uncertain.error !== undefined && !deps.signal?.aborted) throw uncertain.error;
    throw error;
  }
  const known = await deps.ledger.knownJobIds(
    key.tenantId,
    listing.map((j) => j.id),
  );
  const verdict = findLostJob(listing, known);
  const now = deps.clock.now();
  if (verdict.kind === 'adopt') {
    const note = `${uncertain.why}; adopted job ${verdict.id} (${verdict.status}), the one new job GET /jobs listed`;
    // Adopted first (in jobs_seen as 'adopted'), then the rest as seen: a crash in between loses nothing.
    await deps.ledger.setJobId(key, verdict.id, now, { source: 'adopted', note });
    await deps.ledger.rememberJobs(
      key.tenantId,
      listing.filter((j) => j.id !== verdict.id).map((j) => j.id),
      'listed',
      now,
    );
    return {
      adopted: { jobId: verdict.id, postedAt: now, postedHere: false, attempt: 0, origin: 'adopted', note },
      running: [],
      note,
    };
  }
  const note =
    verdict.kind === 'none'
      ? `${uncertain.why}; GET /jobs listed no new job: posted again`
      : `${uncertain.why}; GET /jobs listed ${verdict.ids.length} new jobs (${verdict.ids.join(', ')}), ` +
        'so none could be told to be this window’s: posted again';
  // Every listed id is now known: an orphan seen here is never adopted by a later window.
  await deps.ledger.rememberJobs(
    key.tenantId,
    listing.map((j) => j.id),
    'listed',
    now,
  );
  await deps.ledger.recordPostNote(key, note, now);
  // A job of ours in flight is never the lost one: waiting for it to end would leave it unpolled and
  // the run silent until then.
  const running = listing.filter((j) => j.status === 'RUNNING' && !inFlight.has(j.id)).map((j) => j.id);
  return { running, note };
}
