// From the (overlong-shaped) rewards and log-probs to per-token advantages, for whichever
// estimator the config names: the KL goes into the per-token reward when klRewardCoef is set
// (kl-reward.ts), then the registered estimator (src/algorithms/registry.ts) takes over. The
// trainer calls this and stays the same loop for every algorithm (the loss side differs only in
// LossCoefficients and the registered policy loss).
import { estimatorOf } from '../algorithms/registry.js';
import type { AdvantageResult } from '../algorithms/types.js';
import type { GRPOConfig } from './config.js';
import { tokenLevelRewards } from './kl-reward.js';

export type { AdvantageResult };

export interface AdvantageInputs {
  /** Outcome reward per rollout (after overlong handling). */
  scores: readonly number[];
  /** Group (prompt) id per rollout. */
  groups: readonly (string | number)[];
  /** Rollout-time log-probs per token ([B][len_i]). */
  oldLogp: readonly (readonly number[])[];
  /** Reference log-probs, when the KL is in the reward. */
  refLogp: readonly (readonly number[])[] | null;
  /** Critic values per token, for an estimator with a critic ('gae'). */
  values: readonly (readonly number[])[] | null;
}

export function computeAdvantages(cfg: GRPOConfig, x: AdvantageInputs): AdvantageResult {
  const tokenRewards = tokenLevelRewards(x.scores, x.oldLogp, cfg.klRewardCoef !== 0 ? x.refLogp : null, cfg.klRewardCoef);
  return estimatorOf(cfg.advantageEstimator).compute({ tokenRewards, groups: x.groups, values: x.values }, cfg);
}
