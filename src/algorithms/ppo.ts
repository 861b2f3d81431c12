// PPO with a critic (Schulman et al. 2017) as verl 0.2 runs it (the paper's fork's
// ppo_trainer.yaml): generalised advantage estimation on the critic's values, whitened over every
// response token of the batch (src/algorithms/gae.ts; verl's compute_gae_advantage_return), and PPO's
// per-token clipped surrogate, registered as the 'vanilla' policy loss (verl's loss_mode vanilla)
// that GRPO, DAPO and RLOO use too.
import { clippedPolicyLoss } from './clipped-loss.js';
import { gaeAdvantages } from './gae.js';
import type { Algorithm } from './types.js';

export const ppo: Algorithm = {
  name: 'ppo',
  description:
    "PPO with a critic as verl 0.2 runs it (the paper's fork's ppo_trainer.yaml): GAE γ = λ = 1 on a critic initialised from the policy checkpoint, value clip 0.5, critic lr 1e-5, no warm-up, KL in the reward (0.001, 'kl') instead of the KL loss",
  overrides: { advantageEstimator: 'gae', klCoef: 0, klRewardCoef: 0.001 },
  advantageEstimator: {
    name: 'gae',
    summary: "PPO with a critic: generalised advantage estimation on the critic's values (the paper's PPO runs)",
    needs: { critic: true, globalStatistics: true },
    compute: (x, s) => {
      if (!x.values) throw new Error("advantageEstimator 'gae' needs critic values");
      return gaeAdvantages(x.tokenRewards, x.values, s.gamma, s.lam);
    },
  },
  policyLoss: {
    name: 'vanilla',
    summary: "PPO's per-token clipped ratio (GRPO, PPO, DAPO, RLOO)",
    needs: { sequenceLogRatio: false },
    compute: (x, low, high) => clippedPolicyLoss(x.logp, x.oldLogp, x.advantages, low, high),
  },
};
