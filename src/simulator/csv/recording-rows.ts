/**
 * recording-interaction-metadata: one row per call segment, filtered by the segment's start (UTC).
 * A call's later segments (transfers) start after the earlier ones end, possibly in a later minute
 * than the slot that generated them; `spillMs` tells the window logic how far back to look.
 */
import { indexColumns, RECORDING_COLUMNS } from './columns.js';
import {
  MAX_UNITS_PER_MINUTE,
  minuteMean,
  type EntityGenerator,
  type GeneratedRow,
} from './entity-generator.js';
import { clock, formatDateTime, hex8, MINUTE_MS, pad } from './format.js';
import { hashString, mix, Rng } from './prng.js';
import { forcedQuirksForMinute, pickText, type Quirk } from './quirks.js';
import {
  CAMPAIGNS,
  CUSTOMER_NAMES,
  DISPOSITIONS,
  POINTS_OF_CONTACT,
  RECORDING_STATUSES,
  SCREEN_STATUSES,
  TAGS,
} from './text-pools.js';
import type { Person, Skill, TenantPool } from './tenant-pool.js';

const C = indexColumns(RECORDING_COLUMNS);
const KEY = hashString('recording-interaction-metadata');

/** Segments per call: 1 (78 %), 2 (17 %), 3 (5 %); mean 1.27, used to turn rows/day into calls/day. */
const MEAN_SEGMENTS = 1.27;
const MAX_SEGMENT_SECONDS = 1800;
const MAX_TRANSFER_GAP_SECONDS = 20;
/** Latest possible start of a 3rd segment: a minute into the slot plus two maximal segments and gaps. */
const SPILL_MS = (60 + 2 * (MAX_SEGMENT_SECONDS + MAX_TRANSFER_GAP_SECONDS)) * 1000;

/** -1.00 .. 1.00 in steps of 0.01, formatted once (toFixed per row showed in large-mode profiles). */
const SENTIMENTS: readonly string[] = Array.from({ length: 201 }, (_, i) => ((i - 100) / 100).toFixed(2));

export interface CallDraft {
  readonly contactId: number;
  /** Formatted once per call: large mode writes it into every segment row. */
  readonly contactIdText: string;
  readonly hash: number;
  readonly hashText: string;
  readonly segments: number;
  readonly inbound: boolean;
  readonly ani: string;
  readonly dnis: string;
  readonly pointOfContact: string;
  readonly campaign: string;
  readonly customer: string;
  readonly language: string;
  readonly tags: string;
  readonly skill: Skill;
}

export function drawCall(rng: Rng, pool: TenantPool, contactId: number): CallDraft {
  const r = rng.float();
  const segments = r < 0.78 ? 1 : r < 0.95 ? 2 : 3;
  const inbound = rng.chance(0.8);
  const customerPhone = drawPhone(rng);
  const line = rng.pick(pool.dnis);
  const campaign = rng.pick(CAMPAIGNS);
  const hash = mix(pool.hash, contactId);
  return {
    contactId,
    contactIdText: String(contactId),
    hash,
    hashText: hex8(hash),
    segments,
    inbound,
    ani: inbound ? customerPhone : line,
    dnis: inbound ? line : customerPhone,
    pointOfContact: rng.pick(POINTS_OF_CONTACT),
    campaign: inbound || campaign !== '' ? campaign : 'Retention Q2',
    customer: rng.pick(CUSTOMER_NAMES),
    language: rng.chance(0.85) ? 'ko-KR' : 'en-US',
    tags: rng.pick(TAGS),
    skill: rng.pick(pool.skills),
  };
}

/** Caller numbers: mostly Korean mobiles; some foreign, some withheld, some missing. */
function drawPhone(rng: Rng): string {
  const r = rng.float();
  const a = pad(rng.int(10_000), 4);
  const b = pad(rng.int(10_000), 4);
  if (r < 0.9) return `010-${a}-${b}`;
  if (r < 0.94) return `+1 212-555-${b}`;
  return r < 0.97 ? 'Anonymous' : '';
}

/**
 * Writes every column of one segment row into `out` (reused by large mode, so nothing is left over
 * from the previous row) and returns the segment's duration in seconds.
 */
export function fillSegment(
  out: string[],
  rng: Rng,
  pool: TenantPool,
  call: CallDraft,
  segment: number,
  startMs: number,
  forced?: Quirk,
): number {
  const seconds = drawDuration(rng);
  const agent = rng.pick(pool.agents);
  const second: Person | undefined = rng.chance(0.08) ? rng.pick(pool.agents) : undefined;
  const holds = rng.chance(0.7) ? 0 : rng.between(1, 2);
  out[C['ACD Call ID']] = call.contactIdText;
  out[C['Segment ID']] = segmentId(call, segment);
  out[C['Segment Number']] = String(segment);
  out[C['Start Date']] = formatDateTime(startMs);
  out[C['End Date']] = formatDateTime(startMs + seconds * 1000);
  out[C['Duration']] = clock(seconds);
  out[C['Direction']] = call.inbound ? 'Inbound' : 'Outbound';
  out[C['Media Type']] = 'Voice';
  out[C['Voice Recording Status']] = rng.pick(RECORDING_STATUSES);
  out[C['Screen Recording Status']] = rng.pick(SCREEN_STATUSES);
  out[C['Recording ID']] = String(call.contactId * 10 + segment);
  out[C['Agent 1 ACD ID']] = agent.acdId;
  out[C['Agent 1 Name']] = agent.name;
  out[C['Agent 1 Team']] = agent.team;
  out[C['Agent 1 Skills']] = agent.skills;
  out[C['Agent 1 Contact Number']] = legContactId(call, segment, 1);
  out[C['Agent 2 ACD ID']] = second ? second.acdId : '';
  out[C['Agent 2 Name']] = second ? second.name : '';
  out[C['Agent 2 Team']] = second ? second.team : '';
  out[C['Agent 2 Skills']] = second ? second.skills : '';
  out[C['Agent 2 Contact Number']] = second ? legContactId(call, segment, 2) : '';
  out[C['ANI']] = call.ani;
  out[C['DNIS']] = call.dnis;
  out[C['Skill Name']] = call.skill.name;
  out[C['Skill ID']] = call.skill.id;
  out[C['Campaign']] = call.campaign;
  out[C['Point of Contact']] = call.pointOfContact;
  out[C['Disposition']] = segment < call.segments ? 'Transferred' : rng.pick(DISPOSITIONS);
  out[C['Hold Time']] = clock(holds * rng.between(10, 240));
  out[C['Hold Count']] = String(holds);
  out[C['Customer Name']] = call.customer;
  out[C['Language']] = call.language;
  out[C['Sentiment Score']] = rng.pick(SENTIMENTS);
  out[C['Tags']] = call.tags;
  out[C['Agent Notes']] = pickText(rng, 0.6, forced);
  return seconds;
}

/**
 * `Agent N Contact Number`: the numeric CXone contact id of that agent's leg, which clients join to other
 * CXone APIs (contract "CSV files"), not a phone number. 12 digits, unique per tenant, segment and agent.
 */
const LEG_CONTACT_ID_BASE = 400_000_000_000;
function legContactId(call: CallDraft, segment: number, agent: 1 | 2): string {
  return String(LEG_CONTACT_ID_BASE + (call.contactId * 4 + segment) * 2 + agent - 1);
}

/** Talk time in seconds: mostly a few minutes, a long tail, capped so SPILL_MS holds. */
function drawDuration(rng: Rng): number {
  const base = 20 + rng.int(400);
  return Math.min(MAX_SEGMENT_SECONDS, rng.chance(0.1) ? base * 4 : base);
}

/**
 * UUID-shaped; the last group is (contact * 4 + segment) in hex, so ids are unique within a tenant
 * (contact ids stay below 2^46, well inside 12 hex digits).
 */
function segmentId(call: CallDraft, segment: number): string {
  const h = hex8(mix(call.hash, segment));
  const unique = call.contactId * 4 + segment;
  const high = hex8(Math.floor(unique / 0x1_0000_0000)).slice(4);
  return `${call.hashText}-${h.slice(0, 4)}-4${h.slice(4, 7)}-a${h.slice(1, 4)}-${high}${hex8(unique >>> 0)}`;
}

export const recordingGenerator: EntityGenerator = {
  columns: RECORDING_COLUMNS,
  driftColumn: 'Sentiment Score',
  slotMs: MINUTE_MS,
  spillMs: SPILL_MS,
  defaultRowsPerDay: 400,
  slotRows(pool, minute, rowsPerDay) {
    if (rowsPerDay <= 0) return [];
    const forced = forcedQuirksForMinute(pool.hash, KEY, minute);
    const drawn = new Rng(pool.hash, KEY, minute).poisson(minuteMean(minute, rowsPerDay / MEAN_SEGMENTS));
    const calls = Math.min(MAX_UNITS_PER_MINUTE, Math.max(forced.length, drawn));
    const rows: GeneratedRow[] = [];
    for (let c = 0; c < calls; c++) {
      const rng = new Rng(pool.hash, KEY, minute, c + 1);
      const call = drawCall(rng, pool, minute * 1000 + c);
      let start = minute * MINUTE_MS + rng.int(60) * 1000;
      for (let segment = 1; segment <= call.segments; segment++) {
        const values = new Array<string>(RECORDING_COLUMNS.length);
        const seconds = fillSegment(
          values,
          rng,
          pool,
          call,
          segment,
          start,
          segment === 1 ? forced[c] : undefined,
        );
        rows.push({ ts: start, seed: mix(call.hash, segment, 0x1a7e), values });
        start += (seconds + rng.between(1, MAX_TRANSFER_GAP_SECONDS)) * 1000;
      }
    }
    return rows;
  },
};
