// hashSeed: the one way a run derives its random streams from (seed, salt), so that every random
// choice depends only on (config.seed, step) or (config.seed, epoch) and a resumed run is exact.

/** A 32-bit seed from (seed, salt): distinct steps/epochs get unrelated streams. */
export function hashSeed(seed: number, salt: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ (salt + 0x7f4a7c15), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}
