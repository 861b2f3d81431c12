// RLOO advantages (REINFORCE leave-one-out; Kool et al. 2019, Ahmadian et al. 2024, arXiv 2402.14740):
// each rollout's reward minus the mean reward of the OTHER rollouts of the same prompt,
//   A_i = r_i − (Σ_{j≠i} r_j)/(n − 1) = n/(n − 1) · (r_i − mean_g),
// as verl's compute_rloo_outcome_advantage; a group of one keeps its reward (verl's convention).
// No std normalisation: the estimator stays unbiased.
import { groupMembers } from './advantages.js';

export function rlooAdvantages(rewards: readonly number[], groups: readonly (string | number)[]): number[] {
  if (rewards.length !== groups.length) throw new Error(`rlooAdvantages: ${rewards.length} rewards but ${groups.length} group ids`);
  const out = new Array<number>(rewards.length);
  for (const idx of groupMembers(groups)) {
    const n = idx.length;
    const sum = idx.reduce((s, i) => s + rewards[i]!, 0);
    for (const i of idx) out[i] = n > 1 ? rewards[i]! - (sum - rewards[i]!) / (n - 1) : rewards[i]!;
  }
  return out;
}
