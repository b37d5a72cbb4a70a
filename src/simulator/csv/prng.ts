/**
 * Seeded randomness for the CSV generators. Every row is derived from a hash of (tenant, entity, time
 * slot, index), never from a running stream that a window would have to start at the beginning of: that
 * is what makes the rows of [a, c) equal the rows of [a, b) plus [b, c).
 */

/** murmur3's finaliser: spreads every input bit over the 32-bit output. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a over UTF-16 code units, finalised; stable across processes and Node versions. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

/** Combines integers into one 32-bit seed; order matters, so (a, b) and (b, a) differ. */
export function mix(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    // Numbers above 2^32 (slot indexes far in the future) keep their high bits too.
    const high = Math.floor(part / 0x1_0000_0000);
    h = fmix32((h ^ (part >>> 0)) + Math.imul(h, 31));
    if (high !== 0) h = fmix32((h ^ (high >>> 0)) + 0x632be5ab);
  }
  return h;
}

/** A uniform number in [0, 1) from one 32-bit hash. */
export function unitFromHash(h: number): number {
  return (h >>> 0) / 0x1_0000_0000;
}

/**
 * sfc32: small, fast, 128 bits of state, so two slots whose seeds collide in one word still differ.
 * A class because it is a tiny mutable state machine, not a service.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(...seed: number[]) {
    this.a = mix(0x1, ...seed);
    this.b = mix(0x2, ...seed);
    this.c = mix(0x3, ...seed);
    this.d = 1;
    // Warm-up: sfc32's first outputs are still correlated with nearby seeds.
    for (let i = 0; i < 12; i++) this.next();
  }

  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** [0, 1) */
  float(): number {
    return this.next() / 0x1_0000_0000;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** An integer in [min, max], both inclusive. */
  between(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  /** Poisson-distributed count: Knuth's method for small means, a normal approximation above 30. */
  poisson(mean: number): number {
    if (mean <= 0) return 0;
    if (mean > 30) {
      const u = Math.max(this.float(), Number.MIN_VALUE);
      const gauss = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.float());
      return Math.max(0, Math.round(mean + Math.sqrt(mean) * gauss));
    }
    const limit = Math.exp(-mean);
    let k = 0;
    let p = this.float();
    while (p > limit) {
      k++;
      p *= this.float();
    }
    return k;
  }
}

/**
 * A small seeded generator (mulberry32) so probabilistic faults repeat run after run: a failing
 * fault test can be replayed with the same seed.
 */
export type Random = () => number;

export function seededRandom(seed: string): Random {
  let state = hashSeed(seed);
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** FNV-1a, 32 bits: spreads similar seeds ("a", "b") far apart. */
function hashSeed(seed: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) {
    hash ^= seed.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
