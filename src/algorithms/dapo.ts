// DAPO (Yu et al. 2025, arXiv 2503.14476): GRPO's estimator and PPO's clipped surrogate with
// clip-higher, dynamic sampling on accuracy (src/rl/dynamic-sampling.ts, stages/collect.ts),
// token-level loss and the soft overlong penalty (src/rl/overlong.ts). It registers no estimator
// or loss of its own: it is settings. Dynamic sampling refills the batch per rank: one process for now.
import type { Algorithm } from './types.js';

export const dapo: Algorithm = {
  name: 'dapo',
  description:
    'DAPO (arXiv 2503.14476; verl recipe/dapo/run_dapo_qwen2.5_32b.sh): clip-higher 0.2/0.28, dynamic sampling on accuracy (cap 10 batches), token-level loss, soft overlong punishment, 16 updates per rollout batch (512 prompts / mini-batch 32); no KL, no entropy bonus',
  // The recipe: clip_ratio_low 0.2, clip_ratio_high 0.28, filter_groups.enable True, metric acc,
  // max_num_gen_batches 10, train_prompt_bsz 512 / train_prompt_mini_bsz 32, use_token_level_loss,
  // overlong_buffer.enable True (the soft punishment; no overlong filtering), kl 0, entropy_coeff 0.
  overrides: {
    clipRatio: 0.2,
    clipRatioHigh: 0.28,
    dynamicSampling: true,
    maxGenerationBatches: 10,
    lossAggregation: 'token-mean',
    overlong: 'soft',
    klCoef: 0,
    entropyCoef: 0,
    updatesPerRollout: 16,
  },
};
