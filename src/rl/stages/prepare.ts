// Stage 2 of a training step, prepare: the training batch as sequences, their old and reference
// log-probs and critic values (no gradients), and advantages from the run's registered estimator
// (src/algorithms/). The global layout of the update (stages/indexing.ts) is computed by update,
// inside its timed phase.
import { withoutAdapters } from '../../model/lora.js';
import { needsReference } from '../config.js';
import { computeAdvantages } from '../algorithm.js';
import { responseLogprobs, type Sequence } from '../policy.js';
import { globalGroupCount, onPolicyUpdate } from './indexing.js';
import type { Collected, Prepared, RankBatch, StageContext } from './types.js';

export function prepare(ctx: StageContext, c: Collected, rb: RankBatch): Prepared {
  const { cfg, policy, reference, critic } = ctx;
  const { kept } = c;
  // The old policy is the one that sampled the rollouts (the weights before this step's
  // updates, for every mini-batch and epoch). By default its log-probs are recomputed with the
  // training forward, as the paper's code does: the rollout engine's own differ by kernel
  // rounding, which under bf16 is large enough to move PPO ratios (reuseRolloutLogprobs).
  // An exactly on-policy update (one optimizer step, stages/indexing.ts) needs none: the update
  // uses its own log-probs detached (oldLogp null, 'current').
  const t1 = performance.now();
  const seqs: Sequence[] = kept.map((k) => ({ promptIds: k.promptIds, responseIds: k.sample.tokens }));
  const tokens = ctx.plan.training.microBatchTokens;
  const reuse = cfg.reuseRolloutLogprobs && kept.every((k) => k.sample.logprobs.length === k.sample.tokens.length);
  const current = !reuse && onPolicyUpdate(cfg, globalGroupCount(ctx.dp, rb, c.keptGroups));
  const oldLogp = reuse
    ? kept.map((k) => k.sample.logprobs)
    : current
      ? null
      : responseLogprobs(policy, seqs, cfg.temperature, tokens, { computeDtype: ctx.computeDtype }).logp;
  // The reference computes in the trainer's dtype when its weights are float32 (bf16 weights: as they are).
  const refDtype = reference && reference.dtype === 'float32' ? ctx.computeDtype : 'float32';
  // The reference never carries adapters: with LoRA it is the policy's base (adapters off).
  const refLogp =
    reference && needsReference(cfg)
      ? withoutAdapters(reference, () => responseLogprobs(reference, seqs, cfg.temperature, tokens, { computeDtype: refDtype }).logp)
      : null;
  const values = critic ? critic.responseValues(seqs, tokens) : null;
  const logpSeconds = (performance.now() - t1) / 1000;

  const groups = kept.map((k) => k.group);
  const { advantages, returns } = seqs.length
    ? computeAdvantages(cfg, {
        scores: kept.map((k) => k.reward),
        groups,
        // Without old log-probs (on-policy, so klRewardCoef is 0) only their lengths are read.
        oldLogp: oldLogp ?? seqs.map((q) => new Array<number>(q.responseIds.length).fill(0)),
        refLogp,
        values,
      })
    : { advantages: [], returns: null };
  // DAPO's overlong filtering: truncated responses contribute no loss.
  const keepLoss = cfg.overlongFilter ? kept.map((k) => k.sample.finishReason !== 'length') : undefined;
  return {
    seqs,
    groups,
    oldLogp,
    refLogp,
    values,
    advantages,
    returns,
    keepLoss,
    oldLogprobsFrom: reuse ? 'rollout' : current ? 'current' : 'recomputed',
    logpSeconds,
  };
}
