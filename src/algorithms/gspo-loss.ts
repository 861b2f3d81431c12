// GSPO's policy loss (Zheng et al. 2025, "Group Sequence Policy Optimization", arXiv 2507.18071):
// the importance ratio is the sequence likelihood ratio, length-normalised,
//   s_i = (π(y_i|x) / π_old(y_i|x))^(1/|y_i|) = exp( mean_t (logp_t − oldLogp_t) ),
// and it is clipped per sequence: loss_i = max(−A_i·s_i, −A_i·clip(s_i, 1−ε_low, 1+ε_high)), averaged
// over sequences (seq-mean-token-mean). As verl's compute_policy_loss_gspo, every token carries
//   s_{i,t} = sg[s_i] · π(y_t) / sg[π(y_t)]          (log s_{i,t} clamped at 10)
// whose value is s_i and whose gradient is s_i·∇log π(y_t): the paper's sequence-level gradient,
// spread over the tokens, which lets the loss be computed chunk by chunk like the others.
import type { Tensor } from '../engine/index.js';

/**
 * Per-token GSPO surrogate. seqLogRatio: for each token, its sequence's mean (logp − oldLogp),
 * computed beforehand and detached ([N]). Returns the loss per token and the clipped flags.
 */
export function gspoPolicyLoss(
  logp: Tensor,
  seqLogRatio: Tensor,
  advantages: Tensor,
  clipRatio: number,
  clipRatioHigh: number = clipRatio,
): { loss: Tensor; clipped: Tensor } {
  const logRatio = logp.sub(logp.detach()).add(seqLogRatio.detach()).clamp(null, 10);
  const ratio = logRatio.exp();
  const unclipped = advantages.neg().mul(ratio);
  const clippedLoss = advantages.neg().mul(ratio.clamp(1 - clipRatio, 1 + clipRatioHigh));
  return { loss: unclipped.maximum(clippedLoss), clipped: clippedLoss.gt(unclipped) };
}

/** Each sequence's mean (logp − oldLogp) repeated over its tokens: the seqLogRatio input, from plain numbers. */
export function sequenceLogRatios(logp: readonly (readonly number[])[], oldLogp: readonly (readonly number[])[]): number[][] {
  return logp.map((lp, i) => {
    const old = oldLogp[i]!;
    const m = lp.length ? lp.reduce((s, x, t) => s + x - old[t]!, 0) / lp.length : 0;
    return new Array<number>(lp.length).fill(m);
  });
}
