// GRPO advantages: each rollout's reward compared with the other rollouts of the same prompt.

export interface AdvantageOptions {
  /** Divide by the group's std (+ eps). Default true (GRPO, the paper); false for Dr. GRPO. */
  normalizeByStd?: boolean;
  /** Added to the std. Default 1e-6 (verl). */
  eps?: number;
}

/**
 * A_i = (r_i − mean_g) / (std_g + eps) within each group g of rollouts of the same prompt, with
 * the unbiased std (torch.std), as verl's compute_grpo_outcome_advantage. A group of one gets
 * mean 0 and std 1 (verl's convention). `groups[i]` names rollout i's group; groups need not be
 * contiguous. A group whose rewards are all equal gets advantage 0 for every rollout.
 */
export function groupAdvantages(rewards: readonly number[], groups: readonly (string | number)[], opts: AdvantageOptions = {}): number[] {
  if (rewards.length !== groups.length) throw new Error(`groupAdvantages: ${rewards.length} rewards but ${groups.length} group ids`);
  const normalize = opts.normalizeByStd ?? true;
  const eps = opts.eps ?? 1e-6;
  const out = new Array<number>(rewards.length);
  for (const idx of groupMembers(groups)) {
    const n = idx.length;
    let mean = 0;
    let std = 1;
    if (n > 1) {
      mean = idx.reduce((s, i) => s + rewards[i]!, 0) / n;
      const ss = idx.reduce((s, i) => s + (rewards[i]! - mean) ** 2, 0);
      std = Math.sqrt(ss / (n - 1));
    }
    for (const i of idx) out[i] = normalize ? (rewards[i]! - mean) / (std + eps) : rewards[i]! - mean;
  }
  return out;
}

/** The sample indices of each group, in first-appearance order of the group ids. */
export function groupMembers(groups: readonly (string | number)[]): number[][] {
  const members = new Map<string | number, number[]>();
  groups.forEach((g, i) => {
    let m = members.get(g);
    if (!m) members.set(g, (m = []));
    m.push(i);
  });
  return [...members.values()];
}
