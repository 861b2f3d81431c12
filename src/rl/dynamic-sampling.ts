// DAPO's dynamic sampling (Yu et al. 2025, arXiv 2503.14476, §3.2): a group whose rollouts all have
// the same accuracy has zero advantage everywhere and only dilutes the batch, so it is dropped and
// NEW prompts are drawn from the data until the batch is full. verl recipe/dapo/run_dapo_qwen2.5_32b.sh:
// algorithm.filter_groups.metric=acc (the verifier's accuracy, not the overlong-shaped reward);
// recipe/dapo/dapo_ray_trainer.py draws each further generation batch as the data loader's next batch.
import { Rng } from '../data/rng.js';

/** Group ids (in first-seen order) whose rewards are not all equal. */
export function informativeGroups(rewards: readonly number[], groups: readonly (string | number)[]): (string | number)[] {
  if (rewards.length !== groups.length) throw new Error(`informativeGroups: ${rewards.length} rewards but ${groups.length} group ids`);
  const seen = new Map<string | number, { min: number; max: number }>();
  groups.forEach((g, i) => {
    const r = rewards[i]!;
    const s = seen.get(g);
    if (!s) seen.set(g, { min: r, max: r });
    else {
      s.min = Math.min(s.min, r);
      s.max = Math.max(s.max, r);
    }
  });
  // verl's DAPO trainer keeps a group when std(rewards) > 0 or when it has a single rollout.
  const counts = new Map<string | number, number>();
  for (const g of groups) counts.set(g, (counts.get(g) ?? 0) + 1);
  return [...seen.entries()].filter(([g, s]) => s.max > s.min || counts.get(g) === 1).map(([g]) => g);
}

/**
 * The examples of an extra generation batch: `count` indices into data of `n` examples, a shuffle
 * of the whole data seeded by `seed` (the trainer derives it from (run seed, step, batch)), starting at
 * `offset` (a data-parallel rank's first group) and wrapping around. Our stand-in for verl's "next
 * batch of the data loader" (which would shift every later step's data; docs/PAPER.md); with
 * one-example data every draw is that example, as the recipe would draw it.
 */
export function extraBatchIndices(n: number, count: number, seed: number, offset = 0): number[] {
  if (n <= 0) throw new Error('extraBatchIndices: no data');
  const order = new Rng(seed).shuffle([...Array(n).keys()]);
  return Array.from({ length: count }, (_, i) => order[(offset + i) % n]!);
}
