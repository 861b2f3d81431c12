// RLOO (REINFORCE leave-one-out; Kool et al. 2019, Ahmadian et al. 2024, arXiv 2402.14740): each
// rollout's reward minus the mean reward of the OTHER rollouts of its prompt, no std normalisation
// (src/algorithms/rloo-advantages.ts; verl's compute_rloo_outcome_advantage), KL in the reward. No critic; group statistics only.
import { rlooAdvantages } from './rloo-advantages.js';
import { sequenceRewards } from './grpo.js';
import type { Algorithm } from './types.js';

export const rloo: Algorithm = {
  name: 'rloo',
  description: "RLOO (arXiv 2402.14740): leave-one-out baseline, KL in the reward (0.001, 'kl'), no KL loss (verl examples/rloo_trainer/run_qwen2-7b.sh)",
  overrides: { advantageEstimator: 'rloo', klCoef: 0, klRewardCoef: 0.001 },
  advantageEstimator: {
    name: 'rloo',
    summary: "REINFORCE leave-one-out: reward minus the mean of the group's other rewards (Ahmadian et al. 2024)",
    needs: { critic: false, globalStatistics: false },
    compute: (x) => ({ advantages: rlooAdvantages(sequenceRewards(x.tokenRewards), x.groups), returns: null }),
  },
};
