// The critic's loss: PPO's clipped value loss, as verl 0.2's core_algos.compute_value_loss (from TRL):
//   v_clip = clip(v, v_old − c, v_old + c)
//   ℓ_t    = ½ · max((v − R)², (v_clip − R)²)
// per response token; the batch loss is Σ_t w_t ℓ_t with token-mean weights (verl's masked_mean).
import type { Tensor } from '../engine/index.js';

/** Per-token clipped value loss and whether the clipped branch was larger (the vf_clipfrac metric). */
export function clippedValueLoss(values: Tensor, returns: Tensor, oldValues: Tensor, cliprangeValue: number): { loss: Tensor; clipped: Tensor } {
  const vClipped = values.minimum(oldValues.add(cliprangeValue)).maximum(oldValues.sub(cliprangeValue));
  const l1 = values.sub(returns).square();
  const l2 = vClipped.sub(returns).square();
  return { loss: l1.maximum(l2).mul(0.5), clipped: l2.gt(l1) };
}
