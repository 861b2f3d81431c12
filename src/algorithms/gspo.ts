// GSPO (Zheng et al. 2025, arXiv 2507.18071): the sequence-level, length-normalised importance
// ratio and clip (src/algorithms/gspo-loss.ts; verl's compute_policy_loss_gspo), registered as the 'gspo'
// policy loss; GRPO's estimator. Needs each sequence's mean log-ratio before the loss (a no-grad pass).
import { gspoPolicyLoss } from './gspo-loss.js';
import type { Algorithm } from './types.js';

export const gspo: Algorithm = {
  name: 'gspo',
  description:
    'GSPO (arXiv 2507.18071): sequence-level ratio and clip, ε 3e-4/4e-4 (its §5.1; verl examples/gspo_trainer), seq-mean-token-mean, no KL, no entropy bonus, 8 updates per rollout batch (verl examples/gspo_trainer/run_qwen30b_gspo.sh: train_batch_size 256 / ppo_mini_batch_size 32)',
  overrides: {
    policyLoss: 'gspo',
    clipRatio: 3e-4,
    clipRatioHigh: 4e-4,
    lossAggregation: 'seq-mean-token-mean',
    klCoef: 0,
    entropyCoef: 0,
    updatesPerRollout: 8,
  },
  policyLoss: {
    name: 'gspo',
    summary: "GSPO's sequence-level ratio (geometric mean of the token ratios) and clip (Zheng et al. 2025, arXiv 2507.18071)",
    needs: { sequenceLogRatio: true },
    compute: (x, low, high) => {
      if (!x.seqLogRatio) throw new Error('grpoLoss: the gspo policy loss needs seqLogRatio');
      return gspoPolicyLoss(x.logp, x.seqLogRatio, x.advantages, low, high);
    },
  },
};
