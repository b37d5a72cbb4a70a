/**
 * Per-tenant cast: agents, evaluators, phone numbers, skills. Drawn once from the tenant id, so two
 * tenants see different people and ids, and every entity of one tenant sees the same ones (a QM
 * evaluation names an agent who also appears in the recordings and the payroll).
 */
import { pad } from './format.js';
import { hashString, Rng } from './prng.js';
import { KOREAN_NAMES, OTHER_NAMES, PAYROLL_UNIT_NAMES, SKILL_NAMES, TEAMS } from './text-pools.js';

export interface Person {
  readonly acdId: string;
  readonly employeeId: string;
  readonly name: string;
  readonly team: string;
  /** Comma-separated, as the `Agent 1 Skills` column shows them. */
  readonly skills: string;
}

export interface Skill {
  readonly id: string;
  readonly name: string;
}

export interface ScheduleUnit {
  readonly id: string;
  readonly name: string;
}

export interface TenantPool {
  readonly tenantId: string;
  readonly hash: number;
  readonly agents: readonly Person[];
  readonly evaluators: readonly Person[];
  readonly skills: readonly Skill[];
  readonly dnis: readonly string[];
  readonly scheduleUnits: readonly ScheduleUnit[];
}

const AGENT_COUNT = 28;
const EVALUATOR_COUNT = 6;
/** Pools are tiny; the bound only stops a long-running simulator with many tenants from growing. */
const CACHE_LIMIT = 256;
const cache = new Map<string, TenantPool>();

export function tenantPool(tenantId: string): TenantPool {
  let pool = cache.get(tenantId);
  if (!pool) {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    pool = buildPool(tenantId);
    cache.set(tenantId, pool);
  }
  return pool;
}

function buildPool(tenantId: string): TenantPool {
  const hash = hashString(tenantId);
  const rng = new Rng(hash, 0x7e4a47);
  const names = shuffle(rng, [...KOREAN_NAMES, ...OTHER_NAMES]);
  const idBase = 1_000_000 + rng.int(8_000) * 100;
  const skills = SKILL_NAMES.map((name, i) => ({ id: String(4_000_000 + rng.int(900) * 1000 + i), name }));
  const person = (name: string, i: number): Person => ({
    acdId: String(idBase + i),
    employeeId: `E${pad(rng.int(100_000), 5)}`,
    name,
    team: rng.pick(TEAMS),
    skills: shuffle(
      rng,
      skills.map((s) => s.name),
    )
      .slice(0, rng.between(1, 3))
      .join(', '),
  });
  const people = names.slice(0, AGENT_COUNT + EVALUATOR_COUNT).map(person);
  return {
    tenantId,
    hash,
    agents: people.slice(0, AGENT_COUNT),
    evaluators: people.slice(AGENT_COUNT),
    skills,
    dnis: Array.from({ length: 4 }, () => `1588-${pad(rng.int(10_000), 4)}`),
    scheduleUnits: PAYROLL_UNIT_NAMES.map((name, i) => ({ id: String(100 + rng.int(800) * 10 + i), name })),
  };
}

function shuffle<T>(rng: Rng, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}
