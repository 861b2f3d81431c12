// DAPO's dynamic sampling (Yu et al. 2025, arXiv 2503.14476, §3.2): a group whose rollouts all earned
// the same reward has zero advantage everywhere and only dilutes the batch, so it is dropped and more
// prompts are sampled until the batch is full (verl's filter_groups with metric 'seq_reward').

/** Group ids (in first-seen order) whose rewards are not all equal. */
export function informativeGroups(rewards: readonly number[], groups: readonly (string | number)[]): (string | number)[] {
  if (rewards.length !== groups.length) throw new Error(`informativeGroups: ${rewards.length} rewards but ${groups.length} group ids`);
  const seen = new Map<string | number, { min: number; max: number }>();
  groups.forEach((g, i) => {
    const r = rewards[i]!;
    const s = seen.get(g);
    if (!s) seen.set(g, { min: r, max: r });
    else { s.min = Math.min(s.min, r); s.max = Math.max(s.max, r); }
  });
  // verl's DAPO trainer keeps a group when std(rewards) > 0 or when it has a single rollout.
  const counts = new Map<string | number, number>();
  for (const g of groups) counts.set(g, (counts.get(g) ?? 0) + 1);
  return [...seen.entries()].filter(([g, s]) => s.max > s.min || counts.get(g) === 1).map(([g]) => g);
}
