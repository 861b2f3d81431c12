// The GRPO loss, term by term, as small pure functions on per-token tensors.
//
// All inputs are flat over the response tokens of a (micro-)batch: [N]. The loss of a batch is
// Σ_t w_t · ℓ_t with per-token weights w from the aggregation mode (aggregationWeights), and
//   ℓ_t = pg_t − entropyCoef · H_t + klCoef · KL_t.
// Because ℓ is a per-token sum, it can be computed chunk by chunk (never all logits at once)
// and still equal the whole-batch loss exactly.
import type { Tensor } from '../engine/index.js';
import { policyLossOf } from '../algorithms/registry.js';
import type { LossAggregation, PolicyLossMode } from './config.js';

export { clippedPolicyLoss } from '../algorithms/clipped-loss.js';

/**
 * Log-probability of each target token and the entropy of each position's distribution, from
 * logits [N, V] divided by the sampling temperature (verl computes both on logits / T).
 */
export function tokenLogprobsAndEntropy(logits: Tensor, targets: Tensor, temperature: number): { logp: Tensor; entropy: Tensor } {
  const scaled = temperature === 1 ? logits.float() : logits.float().div(temperature);
  const logZ = scaled.logsumexp(-1, true);
  const logp = scaled.sub(logZ); // log_softmax
  const tokenLogp = logp.gather(1, targets.unsqueeze(1)).squeeze(1);
  // H = logZ − Σ p·z  (verl's entropy_from_logits)
  const entropy = logZ.squeeze(1).sub(logp.exp().mul(scaled).sum(-1));
  return { logp: tokenLogp, entropy };
}

/** verl's 'low_var_kl' (k3 estimator): exp(ref − logp) − (ref − logp) − 1, clamped to [−10, 10]. */
export function lowVarKL(logp: Tensor, refLogp: Tensor): Tensor {
  const diff = refLogp.sub(logp);
  return diff.exp().sub(diff).sub(1).clamp(-10, 10);
}

export interface TokenLossInputs {
  logp: Tensor;
  oldLogp: Tensor;
  /** null when klCoef is 0. */
  refLogp: Tensor | null;
  entropy: Tensor;
  advantages: Tensor;
  /** Aggregation weights (sum to 1 over the whole mini-batch for token-mean). */
  weights: Tensor;
  /** GSPO only: each token's sequence mean of (logp − oldLogp), detached (see gspo.ts). */
  seqLogRatio?: Tensor;
}

export interface LossCoefficients {
  clipRatio: number;
  klCoef: number;
  entropyCoef: number;
  policyGradient: boolean;
  /** Upper clip ε_high (default clipRatio). */
  clipRatioHigh?: number;
  /** A registered policy loss (src/algorithms/): 'vanilla' (per-token ratio, default), 'gspo' (sequence-level ratio; needs seqLogRatio). */
  policyLoss?: PolicyLossMode;
}

/** Σ_t w_t (pg_t − c_H H_t + c_KL KL_t), and the weighted parts for metrics. */
export function grpoLoss(x: TokenLossInputs, c: LossCoefficients): { loss: Tensor; pg: Tensor; entropy: Tensor; kl: Tensor | null; clipFrac: Tensor } {
  const high = c.clipRatioHigh ?? c.clipRatio;
  const { loss: pgTok, clipped } = policyLossOf(c.policyLoss ?? 'vanilla').compute(x, c.clipRatio, high);
  const pg = pgTok.mul(x.weights).sum();
  const entropy = x.entropy.mul(x.weights).sum();
  let loss = c.policyGradient ? pg : pg.mul(0);
  if (c.entropyCoef !== 0) loss = loss.sub(entropy.mul(c.entropyCoef));
  let kl: Tensor | null = null;
  if (x.refLogp && c.klCoef !== 0) {
    kl = lowVarKL(x.logp, x.refLogp).mul(x.weights).sum();
    loss = loss.add(kl.mul(c.klCoef));
  }
  const clipFrac = clipped.float().mul(x.weights).sum();
  return { loss, pg, entropy, kl, clipFrac };
}

/**
 * Per-token weights for a mini-batch of sequences with the given response lengths, so that
 * Σ_t w_t ℓ_t is the aggregated loss:
 *   token-mean:               1 / (total tokens)
 *   seq-mean-token-mean:      1 / (sequences · len_i)
 *   seq-mean-token-sum-norm:  1 / (sequences · maxResponseLength)   (Dr. GRPO)
 */
export function aggregationWeights(lengths: readonly number[], mode: LossAggregation, maxResponseLength: number, keep?: readonly boolean[]): number[][] {
  // A sequence with keep[i] false (DAPO's overlong filtering) weighs 0 and is left out of the counts,
  // as a zeroed response mask is in verl's masked means.
  const kept = (i: number) => !keep || keep[i] !== false;
  const total = lengths.reduce((a, b, i) => a + (kept(i) ? b : 0), 0);
  const n = lengths.filter((_, i) => kept(i)).length;
  return lengths.map((len, i) => {
    const w = !kept(i) ? 0 : mode === 'token-mean' ? 1 / total : mode === 'seq-mean-token-mean' ? 1 / (n * len) : 1 / (n * maxResponseLength);
    return new Array<number>(len).fill(w);
  });
}
