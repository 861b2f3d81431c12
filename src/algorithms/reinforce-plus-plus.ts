// REINFORCE++ (Hu 2025, arXiv 2501.03262), as verl's compute_reinforce_plus_plus_outcome_advantage
// (verl/trainer/ppo/core_algos.py) computes it: no critic, no group baseline; the KL to the
// reference is in the per-token reward (klRewardCoef, kl-reward.ts), each token's return is the
// discounted sum of the rewards after it within its response,
//   G_t = r_t + γ·G_{t+1}      (G past the last response token is 0: verl resets at the mask's end)
// and the advantages are the returns whitened over every response token of the batch (verl's
// masked_whiten: (G − mean) · rsqrt(unbiased var + 1e-8)). The whitening is a global statistic:
// one process only for now. Preset: KL in the reward 0.001 instead of the KL loss, γ = 1 (the
// schema's default), as the paper's token-level KL penalty.
import { maskedWhiten } from './gae.js';
import type { Algorithm } from './types.js';

/** Per-token discounted returns within each response ([B][len_i]). */
export function discountedReturns(tokenRewards: readonly (readonly number[])[], gamma: number): number[][] {
  return tokenRewards.map((r) => {
    const g = new Array<number>(r.length);
    let running = 0;
    for (let t = r.length - 1; t >= 0; t--) g[t] = running = r[t]! + gamma * running;
    return g;
  });
}

export const reinforcePlusPlus: Algorithm = {
  name: 'reinforce++',
  description:
    "REINFORCE++ (arXiv 2501.03262; verl's reinforce_plus_plus estimator): token-level discounted returns (γ = gamma, 1) with the KL in the reward (0.001, 'kl'), whitened over the whole batch; no critic, no KL loss",
  overrides: { advantageEstimator: 'reinforce_plus_plus', klCoef: 0, klRewardCoef: 0.001 },
  advantageEstimator: {
    name: 'reinforce_plus_plus',
    summary: "REINFORCE++: per-token discounted returns, whitened over the batch's tokens (Hu 2025)",
    needs: { critic: false, globalStatistics: true },
    compute: (x, s) => ({ advantages: maskedWhiten(discountedReturns(x.tokenRewards, s.gamma)), returns: null }),
  },
};
