// What differs between GRPO, PPO (critic + GAE) and RLOO, in one place: from the (overlong-shaped)
// rewards and log-probs to per-token advantages. The trainer calls these and stays
// the same loop for every algorithm (the loss side differs only in LossCoefficients).
import { groupAdvantages } from './advantages.js';
import type { GRPOConfig } from './config.js';
import { gaeAdvantages } from './gae.js';
import { tokenLevelRewards } from './kl-reward.js';
import { rlooAdvantages } from './rloo.js';

export interface AdvantageInputs {
  /** Outcome reward per rollout (after overlong handling). */
  scores: readonly number[];
  /** Group (prompt) id per rollout. */
  groups: readonly (string | number)[];
  /** Rollout-time log-probs per token ([B][len_i]). */
  oldLogp: readonly (readonly number[])[];
  /** Reference log-probs, when the KL is in the reward. */
  refLogp: readonly (readonly number[])[] | null;
  /** Critic values per token, for 'gae'. */
  values: readonly (readonly number[])[] | null;
}

export interface AdvantageResult {
  /** Per rollout: one advantage for every token ('grpo', 'rloo') or one per token ('gae'). */
  advantages: (number | number[])[];
  /** Value targets per token ('gae' only). */
  returns: number[][] | null;
}

export function computeAdvantages(cfg: GRPOConfig, x: AdvantageInputs): AdvantageResult {
  const tokenRewards = tokenLevelRewards(x.scores, x.oldLogp, cfg.klRewardCoef !== 0 ? x.refLogp : null, cfg.klRewardCoef);
  if (cfg.advantageEstimator === 'gae') {
    if (!x.values) throw new Error("advantageEstimator 'gae' needs critic values");
    const { advantages, returns } = gaeAdvantages(tokenRewards, x.values, cfg.gamma, cfg.lam);
    return { advantages, returns };
  }
  // Outcome estimators see the sequence's total reward (verl sums token_level_rewards).
  const seqRewards = tokenRewards.map((r) => r.reduce((a, b) => a + b, 0));
  const adv = cfg.advantageEstimator === 'rloo'
    ? rlooAdvantages(seqRewards, x.groups)
    : groupAdvantages(seqRewards, x.groups, { normalizeByStd: cfg.normalizeAdvantageByStd });
  return { advantages: adv, returns: null };
}
