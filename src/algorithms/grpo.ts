// GRPO (Shao et al. 2024, arXiv 2402.03300; the 1-shot RLVR paper's main algorithm): each rollout's
// reward compared with the other rollouts of the same prompt, A_i = (r_i − mean_g) / (std_g + eps)
// (src/algorithms/advantages.ts; verl's compute_grpo_outcome_advantage), every token of a rollout carrying
// its advantage; PPO's clipped surrogate (ppo.ts 'vanilla'). Needs no critic; group statistics only.
import { groupAdvantages } from './advantages.js';
import type { Algorithm } from './types.js';

/** The sequence's total reward (verl sums token_level_rewards for outcome estimators). */
export function sequenceRewards(tokenRewards: readonly (readonly number[])[]): number[] {
  return tokenRewards.map((r) => r.reduce((a, b) => a + b, 0));
}

export const grpo: Algorithm = {
  name: 'grpo',
  description: "the paper's GRPO (= full; named so that ablations read grpo,ppo,dapo,gspo,rloo)",
  overrides: {},
  advantageEstimator: {
    name: 'grpo',
    summary: "group-normalised outcome reward (the paper's main algorithm)",
    needs: { critic: false, globalStatistics: false },
    compute: (x, s) => ({
      advantages: groupAdvantages(sequenceRewards(x.tokenRewards), x.groups, { normalizeByStd: s.normalizeAdvantageByStd }),
      returns: null,
    }),
  },
};
