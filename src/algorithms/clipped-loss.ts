// PPO's clipped surrogate per token (Schulman et al. 2017): the 'vanilla' policy loss of the
// algorithm registry (src/algorithms/ppo.ts), used by GRPO, PPO, DAPO and RLOO.
import type { Tensor } from '../engine/index.js';

/**
 * PPO clipped surrogate per token: max(−A·r, −A·clip(r, 1−ε_low, 1+ε_high)), r = exp(logp − oldLogp);
 * ε_high defaults to ε_low (symmetric PPO; DAPO's clip-higher sets it larger). Also returns whether the
 * clipped branch was taken (for the clip fraction metric).
 */
export function clippedPolicyLoss(
  logp: Tensor,
  oldLogp: Tensor,
  advantages: Tensor,
  clipRatio: number,
  clipRatioHigh: number = clipRatio,
): { loss: Tensor; clipped: Tensor } {
  const ratio = logp.sub(oldLogp).exp();
  const unclipped = advantages.neg().mul(ratio);
  const clippedLoss = advantages.neg().mul(ratio.clamp(1 - clipRatio, 1 + clipRatioHigh));
  return { loss: unclipped.maximum(clippedLoss), clipped: clippedLoss.gt(unclipped) };
}
