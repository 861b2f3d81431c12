// GRPO configuration. Every default is the value the 1-shot RLVR paper's code ran with
// (verl, Qwen2.5-Math-1.5B on π1; Wang et al. 2025, arXiv 2504.20571, Appendix), unless noted.

import type { ComputeDTypeSetting } from '../engine/index.js';

export type LossAggregation =
  /** Mean over every response token of the mini-batch (verl's token-mean; the paper). */
  | 'token-mean'
  /** Mean over sequences of each sequence's token mean (the original GRPO paper). */
  | 'seq-mean-token-mean'
  /** Mean over sequences of each sequence's token sum divided by maxResponseLength (Dr. GRPO). */
  | 'seq-mean-token-sum-norm';

export interface GRPOConfig {
  // ---- data and rollouts ----
  /** Prompts (GRPO groups) per rollout step. Paper: 128 (π1 repeated 128 times). */
  trainBatchSize: number;
  /** Rollouts per prompt (the group size). Paper: 8. */
  groupSize: number;
  /** Rollout sampling temperature; log-probs and entropy are computed on logits / temperature too. Paper: 0.6. */
  temperature: number;
  /** Nucleus sampling for rollouts. Paper: 1.0 (off). */
  topP: number;
  /** Top-k for rollouts, 0 = off. Paper: off. */
  topK: number;
  /** Prompts longer than this (tokens) are rejected with an error. Paper: 1024. */
  maxPromptLength: number;
  /** Rollouts stop after this many tokens. Paper: 3072. */
  maxResponseLength: number;

  // ---- optimisation ----
  /** AdamW learning rate, constant (no warm-up, no decay). Paper: 1e-6. */
  lr: number;
  /** AdamW betas. Paper: [0.9, 0.999]. */
  betas: [number, number];
  /** AdamW epsilon. Paper (PyTorch default): 1e-8. */
  eps: number;
  /** Decoupled weight decay. Paper: 0.01. */
  weightDecay: number;
  /** Global gradient-norm clip. Paper: 1.0. */
  gradClip: number;
  /** Prompts per optimizer step; trainBatchSize / miniBatchSize steps per rollout step. Paper: 128 (one step). */
  miniBatchSize: number;
  /** Passes over each rollout batch. Paper: 1. */
  ppoEpochs: number;
  /** Tokens per micro-batch (forward/backward chunk, gradients accumulate). Memory knob, not an algorithm setting. */
  microBatchTokens: number;
  /** Recompute activations in backward (less memory, ~1/3 more compute). Default false. */
  activationCheckpointing: boolean;
  /**
   * The dtype matmuls/attention compute in; parameters, gradients and AdamW states stay float32
   * (master weights). 'auto': bfloat16 on CUDA (autocast), float32 on CPU. Default 'auto'.
   * (The paper's verl run: FSDP with bf16 compute and fp32 master weights.)
   */
  computeDtype: ComputeDTypeSetting;
  /**
   * Use the rollout's own per-token log-probs (sampled at the same temperature, in the same
   * compute dtype) as the old log-probs instead of a second forward pass. Default true; false
   * recomputes them with the training forward, as the paper's code (verl) does.
   */
  reuseRolloutLogprobs: boolean;

  // ---- loss ----
  /** Include the clipped policy-gradient term. Paper: true; false only for the "entropy-only" ablation. */
  policyGradient: boolean;
  /** PPO ratio clip ε: ratio is clipped to [1-ε, 1+ε]. Paper: 0.2. */
  clipRatio: number;
  /** Coefficient of the low-variance KL loss against the frozen initial model; 0 disables it (and the reference model). Paper: 0.001. */
  klCoef: number;
  /** Coefficient of the entropy bonus (loss -= coef · entropy). Paper: 0.001. */
  entropyCoef: number;
  /** How per-token losses are averaged. Paper: 'token-mean'. */
  lossAggregation: LossAggregation;
  /** Divide group-centred rewards by the group's (unbiased) std + 1e-6. Paper: true; Dr. GRPO: false. */
  normalizeAdvantageByStd: boolean;

  // ---- run ----
  /** Rollout steps. Paper: 2000 for the headline curve (peak MATH500 near step 1500). */
  steps: number;
  /** Seed of everything random in the run (sampling, data order). */
  seed: number;
  /** Validate every k steps (0 = never). */
  validateEvery: number;
  /** Save a checkpoint every k steps (0 = only at the end). */
  saveEvery: number;
}

/** The paper's configuration. */
export const PAPER_GRPO_CONFIG: GRPOConfig = {
  trainBatchSize: 128,
  groupSize: 8,
  temperature: 0.6,
  topP: 1.0,
  topK: 0,
  maxPromptLength: 1024,
  maxResponseLength: 3072,
  lr: 1e-6,
  betas: [0.9, 0.999],
  eps: 1e-8,
  weightDecay: 0.01,
  gradClip: 1.0,
  miniBatchSize: 128,
  ppoEpochs: 1,
  microBatchTokens: 16384,
  activationCheckpointing: false,
  computeDtype: 'auto',
  reuseRolloutLogprobs: true,
  policyGradient: true,
  clipRatio: 0.2,
  klCoef: 0.001,
  entropyCoef: 0.001,
  lossAggregation: 'token-mean',
  normalizeAdvantageByStd: true,
  steps: 2000,
  seed: 1,
  validateEvery: 20,
  saveEvery: 100,
};

/** The paper's loss ablations (Table 5) and common variants, as config overrides. */
export const LOSS_PRESETS: Record<string, Partial<GRPOConfig>> = {
  /** Full loss: policy gradient + weight decay + KL + entropy. */
  full: {},
  /** Policy gradient only. */
  'pg-only': { weightDecay: 0, klCoef: 0, entropyCoef: 0 },
  /** + weight decay. */
  'pg+wd': { klCoef: 0, entropyCoef: 0 },
  /** + weight decay + KL. */
  'pg+wd+kl': { entropyCoef: 0 },
  /** + weight decay + entropy (no KL). */
  'pg+wd+entropy': { klCoef: 0 },
  /** Entropy loss alone (no policy gradient): the paper's "entropy-only" ablation. */
  'entropy-only': { policyGradient: false, weightDecay: 0, klCoef: 0 },
  /** Dr. GRPO: no std normalisation, sequence-level sum normalised by the max length. */
  'dr-grpo': { normalizeAdvantageByStd: false, lossAggregation: 'seq-mean-token-sum-norm' },
};

export function validateConfig(c: GRPOConfig): void {
  const positive: (keyof GRPOConfig)[] = ['trainBatchSize', 'groupSize', 'temperature', 'maxPromptLength', 'maxResponseLength', 'miniBatchSize', 'ppoEpochs', 'microBatchTokens'];
  for (const k of positive) {
    if (!(typeof c[k] === 'number' && (c[k] as number) > 0)) throw new Error(`config: ${k} must be > 0, got ${String(c[k])}`);
  }
  if (c.trainBatchSize % c.miniBatchSize !== 0) throw new Error(`config: trainBatchSize ${c.trainBatchSize} must be a multiple of miniBatchSize ${c.miniBatchSize}`);
  if (!(c.topP > 0 && c.topP <= 1)) throw new Error(`config: topP must be in (0, 1], got ${c.topP}`);
  if (!['auto', 'float32', 'bfloat16', 'float16'].includes(c.computeDtype)) {
    throw new Error(`config: computeDtype must be auto, float32, bfloat16 or float16, got '${String(c.computeDtype)}'`);
  }
  if (!['token-mean', 'seq-mean-token-mean', 'seq-mean-token-sum-norm'].includes(c.lossAggregation)) {
    throw new Error(`config: unknown lossAggregation '${c.lossAggregation}'`);
  }
}
