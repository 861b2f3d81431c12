// A small seeded PRNG (mulberry32) shared by every part that needs reproducible randomness
// (example selection, the demo's synthetic data, shuffles). Math.random cannot be seeded, and
// reproducibility matters more here than statistical strength: mulberry32 passes the usual
// smoke tests, has a 2^32 period per seed and is a few lines of integer arithmetic.

/** Returns a function giving uniform floats in [0, 1); the same seed always gives the same stream. */
export function mulberry32(seed: number): () => number {
  // Only the low 32 bits of the seed are used; `>>> 0` also maps negatives and fractions to a uint32.
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seeded random source with the few helpers the project needs. */
export class Rng {
  private readonly next: () => number;

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`Rng: seed must be a finite number, got ${seed}`);
    this.next = mulberry32(seed);
  }

  /** Uniform float in [0, 1). */
  float(): number {
    return this.next();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new Error(`Rng.int: n must be a positive integer, got ${n}`);
    return Math.floor(this.next() * n);
  }

  /** Standard normal sample (Box-Muller; one of the pair is discarded to keep the state simple). */
  normal(): number {
    // 1 - u keeps the argument of log in (0, 1].
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Shuffles `items` in place (Fisher-Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i]!;
      items[i] = items[j]!;
      items[j] = tmp;
    }
    return items;
  }

  /** k distinct items drawn without replacement, in draw order (a partial Fisher-Yates on a copy). */
  sample<T>(items: readonly T[], k: number): T[] {
    if (!Number.isInteger(k) || k < 0 || k > items.length) {
      throw new Error(`Rng.sample: k must be an integer in [0, ${items.length}], got ${k}`);
    }
    const pool = items.slice();
    for (let i = 0; i < k; i++) {
      const j = i + this.int(pool.length - i);
      const tmp = pool[i]!;
      pool[i] = pool[j]!;
      pool[j] = tmp;
    }
    return pool.slice(0, k);
  }
}
