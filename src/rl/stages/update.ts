// Stage 3 of a training step, update: ppoEpochs passes over mini-batches of whole groups (the
// global layout from stages/indexing.ts), each an optimizer step over token-budget micro-batches:
// PPO's critic first (verl's order), then the actor. Data parallel: gradients and loss statistics
// are summed over the ranks before the step. Loss statistics stay on the device; one read per
// optimizer step (stats + gradient norm) decides whether to step (divergence guard) and feeds
// the metrics.
import { autocast, cat, clipGradNorm, clipGradNormTensor, hostReads, tidy, zeros, type AdamW, type Tensor } from '../../engine/index.js';
import type { PolicyOptimizer } from '../../distributed/optimizer.js';
import type { ValueModel, ValueTargets } from '../critic.js';
import { aggregationWeights } from '../losses.js';
import { STAT_NAMES, accumulatePolicyGradient, microBatches, type Sequence, type TokenTargets } from '../policy.js';
import { globalLayout } from './indexing.js';
import { DivergenceError, type Prepared, type RankBatch, type StageContext, type Updated, type UpdateStats } from './types.js';

export interface Optimizers {
  policy: PolicyOptimizer;
  /** PPO's critic optimizer, or null. */
  critic: AdamW | null;
}

/** Runs the step's updates; `step` is the step being run (1-based, for messages and the critic warm-up). */
export function update(ctx: StageContext, opt: Optimizers, step: number, rb: RankBatch, p: Prepared, keptGroups: number): Updated {
  const { cfg, policy } = ctx;
  const t2 = performance.now();
  const reads0 = hostReads();
  const { minis, weights: miniWeights } = globalLayout(cfg, ctx.dp, rb, p, keptGroups);
  const { seqs, oldLogp, refLogp, advantages } = p;
  const stats: UpdateStats = { loss: 0, pg: 0, entropy: 0, kl: 0, clipFrac: 0, gradNorm: 0, updates: 0 };
  let padded = 0;
  let real = 0;
  // The critic first (verl's order), on the values and returns prepare computed.
  const critic = ctx.critic && opt.critic && p.values && p.returns ? updateCritic(ctx, ctx.critic, opt.critic, step, seqs, p.values, p.returns, minis) : null;
  // Critic warm-up: the actor waits for the first criticWarmup steps (verl: critic_warmup <= global_steps).
  const actorEpochs = step > cfg.criticWarmup ? cfg.ppoEpochs : 0;
  const compute = { computeDtype: ctx.computeDtype };
  for (let epoch = 0; epoch < actorEpochs; epoch++) {
    for (let m = 0; m < minis.length; m++) {
      const members = minis[m]!;
      const weights = miniWeights[m]!;
      const targets: TokenTargets[] = members.map((i, k) => ({
        oldLogp: oldLogp ? oldLogp[i]! : null,
        refLogp: refLogp ? refLogp[i]! : null,
        advantage: advantages[i]!,
        weights: weights[k]!,
      }));
      opt.policy.zeroGrad();
      const memberSeqs = members.map((i) => seqs[i]!);
      const values = tidy(() => {
        // One autocast region per update: the bf16 cast of each weight is made once and shared
        // by all micro-batches; it closes before the optimizer changes the weights.
        const sums = autocast(policy.device, ctx.computeDtype, () => {
          let acc: Tensor | null = null;
          for (const mb of microBatches(memberSeqs, ctx.plan.training.microBatchTokens)) {
            for (const k of mb) {
              const len = memberSeqs[k]!.promptIds.length + memberSeqs[k]!.responseIds.length;
              real += len;
            }
            padded += mb.length * Math.max(...mb.map((k) => memberSeqs[k]!.promptIds.length + memberSeqs[k]!.responseIds.length));
            const r = accumulatePolicyGradient(
              policy,
              mb.map((k) => memberSeqs[k]!),
              mb.map((k) => targets[k]!),
              cfg.temperature,
              {
                clipRatio: cfg.clipRatio,
                clipRatioHigh: cfg.clipRatioHigh ?? cfg.clipRatio,
                policyLoss: cfg.policyLoss,
                klCoef: cfg.klCoef,
                entropyCoef: cfg.entropyCoef,
                policyGradient: cfg.policyGradient,
              },
              { checkpointing: ctx.plan.training.activationCheckpointing, ...compute },
            );
            acc = acc ? acc.add(r) : r;
          }
          return acc ?? zeros([STAT_NAMES.length], { device: policy.device }); // no rows of this rank in this mini-batch
        });
        // Data parallel: gradients and loss statistics summed over the ranks (one process: nothing).
        ctx.dp.reduceGradients(policy.trainableParameters(), [sums]);
        // gradClip 0 = off: the norm is measured, nothing is scaled.
        const gradNorm = clipGradNormTensor(policy.trainableParameters(), cfg.gradClip > 0 ? cfg.gradClip : Infinity);
        return cat([sums, gradNorm.reshape(1)], 0).toNumbers(); // the one host read of this update
      });
      const part = Object.fromEntries(STAT_NAMES.map((k, j) => [k, values[j]!])) as Record<(typeof STAT_NAMES)[number], number>;
      const gradNorm = values[STAT_NAMES.length]!;
      if (!Number.isFinite(part.loss)) throw new DivergenceError(`loss is ${part.loss} at step ${step}; stopped before the update (last checkpoint kept)`);
      if (!Number.isFinite(gradNorm))
        throw new DivergenceError(`gradient norm is ${gradNorm} at step ${step}; stopped before the update (last checkpoint kept)`);
      opt.policy.step();
      opt.policy.zeroGrad();
      for (const k of STAT_NAMES) stats[k] += part[k];
      stats.gradNorm += gradNorm;
      stats.updates++;
    }
  }
  return { stats, critic, padded, real, hostReads: hostReads() - reads0, seconds: (performance.now() - t2) / 1000 };
}

/** PPO's critic update: ppoEpochs passes of the clipped value loss over the mini-batches (token-mean). */
function updateCritic(
  ctx: StageContext,
  critic: ValueModel,
  opt: AdamW,
  step: number,
  seqs: Sequence[],
  values: number[][],
  returns: number[][],
  minis: number[][],
): { valueLoss: number; valueClipFrac: number; criticGradNorm: number } {
  const { cfg } = ctx;
  const acc = { loss: 0, clipFrac: 0, gradNorm: 0, updates: 0 };
  for (let epoch = 0; epoch < cfg.ppoEpochs; epoch++) {
    for (const members of minis) {
      const weights = aggregationWeights(
        members.map((i) => seqs[i]!.responseIds.length),
        'token-mean',
        cfg.maxResponseLength,
      );
      const targets: ValueTargets[] = members.map((i, k) => ({ oldValues: values[i]!, returns: returns[i]!, weights: weights[k]! }));
      opt.zeroGrad();
      let loss = 0,
        clipFrac = 0;
      for (const mb of microBatches(
        members.map((i) => seqs[i]!),
        ctx.plan.training.microBatchTokens,
      )) {
        const r = critic.accumulateValueGradient(
          mb.map((k) => seqs[members[k]!]!),
          mb.map((k) => targets[k]!),
          cfg.cliprangeValue,
        );
        loss += r.loss;
        clipFrac += r.clipFrac;
      }
      if (!Number.isFinite(loss)) throw new DivergenceError(`value loss is ${loss} at step ${step}; stopped before the update (last checkpoint kept)`);
      const gradNorm = clipGradNorm(critic.parameters(), cfg.criticGradClip > 0 ? cfg.criticGradClip : Infinity);
      if (!Number.isFinite(gradNorm))
        throw new DivergenceError(`critic gradient norm is ${gradNorm} at step ${step}; stopped before the update (last checkpoint kept)`);
      opt.step();
      opt.zeroGrad();
      acc.loss += loss;
      acc.clipFrac += clipFrac;
      acc.gradNorm += gradNorm;
      acc.updates++;
    }
  }
  const u = Math.max(1, acc.updates);
  return { valueLoss: acc.loss / u, valueClipFrac: acc.clipFrac / u, criticGradNorm: acc.gradNorm / u };
}
