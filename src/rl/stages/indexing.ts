// Every rank / shard / global-index computation of a step, in one place. A data-parallel step is
// one global batch: each rank samples whole shards of consecutive groups (src/distributed/
// data-parallel.ts), and metrics, history, mini-batches and loss weights are computed over every
// rank's rows in rank order, exactly as one process computes them. One process: offset 0, one
// shard, every gather a copy.
import type { TrainExample } from '../../data/examples.js';
import { resolveSamplingShards, shardsOfRank, type DataParallel } from '../../distributed/data-parallel.js';
import { miniBatchOf, type GRPOConfig } from '../config.js';
import { forkLossWeights } from '../fork-weights.js';
import { aggregationWeights } from '../losses.js';
import { hashSeed } from '../seed.js';
import type { GlobalRollouts, Layout, Prepared, RankBatch, ScoredBatch } from './types.js';

/** This rank's groups of the step's batch (`all`: every rank's) and the seeds of its sampling shards; `step`: steps completed before this one. */
export function rankBatch(cfg: GRPOConfig, dp: DataParallel, step: number, batch: { examples: TrainExample[]; lastOfEpoch: boolean }): RankBatch {
  const all = batch.examples;
  const shards = resolveSamplingShards(cfg.samplingShards, dp.worldSize);
  const mine = shardsOfRank(all.length, shards, dp.worldSize, dp.rank);
  return {
    all,
    examples: all.slice(mine.start, mine.end),
    offset: mine.start,
    // One shard: the step's seed, as before shards existed; else one seed per (step, shard).
    shards: mine.shards.map((sh) => ({
      start: sh.start - mine.start,
      end: sh.end - mine.start,
      seed: shards === 1 ? hashSeed(cfg.seed, step) : hashSeed(hashSeed(cfg.seed, step), 0x5eed_0000 + sh.index),
    })),
    lastOfEpoch: batch.lastOfEpoch,
  };
}

/** Every rank's first-batch rollouts as numbers (global group index, reward, verified, length, truncated). */
export function globalRollouts(dp: DataParallel, rb: RankBatch, first: ScoredBatch): GlobalRollouts {
  const { samples } = first;
  const rows = dp.gatherRows([
    samples.map((x) => x.promptIndex + rb.offset),
    first.rewards,
    first.verified,
    samples.map((x) => x.tokens.length),
    first.truncated.map(Number),
  ]).columns;
  const [group, rewards, verified, lengths, truncated] = rows as [number[], number[], number[], number[], number[]];
  return { group, rewards, verified, lengths, truncated };
}

/** Groups of the step's global batch that globalLayout cuts into mini-batches. */
export function globalGroupCount(dp: DataParallel, rb: RankBatch, keptGroups: number): number {
  return dp.worldSize > 1 ? rb.all.length : keptGroups;
}

/**
 * Whether the step's update is exactly on-policy: one epoch of one mini-batch (a single optimizer
 * step, on every rank alike) and nothing reads the old log-probs before it (the KL in the reward
 * does). Then the old policy is the current one when the loss is taken, and the old log-probs
 * are the current ones detached (TRL's GRPOTrainer with num_iterations 1): no forward is needed.
 */
export function onPolicyUpdate(
  cfg: Pick<GRPOConfig, 'ppoEpochs' | 'klRewardCoef' | 'trainBatchSize' | 'miniBatchSize' | 'updatesPerRollout'>,
  globalGroups: number,
): boolean {
  return cfg.ppoEpochs === 1 && cfg.klRewardCoef === 0 && Math.ceil(globalGroups / miniBatchOf(cfg)) <= 1;
}

/**
 * The update's mini-batches (whole groups, miniBatchOf(cfg) per optimizer step) and per-token loss
 * weights, over the GLOBAL batch (every rank's sequences in rank order; this rank's are
 * [offset, offset + seqs.length)), then cut down to this rank's members.
 */
export function globalLayout(cfg: GRPOConfig, dp: DataParallel, rb: RankBatch, p: Prepared, keptGroups: number): Layout {
  const { seqs, keepLoss } = p;
  const groupsPerMini = miniBatchOf(cfg);
  const glob = dp.gatherRows([
    p.groups.map((g) => g + rb.offset),
    seqs.map((q) => q.promptIds.length),
    seqs.map((q) => q.responseIds.length),
    seqs.map((_, i) => (keepLoss && !keepLoss[i] ? 0 : 1)),
  ]);
  const [gGroup, gPromptLen, gRespLen, gKeep] = glob.columns as [number[], number[], number[], number[]];
  const offset = glob.offset;
  const globalGroups = globalGroupCount(dp, rb, keptGroups);
  // The paper's code: its mini-batches and per-token weights (rank/micro-batch layout emulated).
  const fork =
    cfg.lossAggregation === 'verl-fork'
      ? forkLossWeights(
          gPromptLen.map((q, i) => q + gRespLen[i]!),
          gRespLen,
          {
            ranks: cfg.forkRanks,
            maxTokensPerRank: cfg.forkMaxTokensPerRank,
            miniBatchPerRank: (groupsPerMini * cfg.groupSize) / cfg.forkRanks,
          },
        )
      : null;
  const globalMinis: number[][] = []; // global sequence indices per optimizer step
  for (let g0 = 0; g0 < globalGroups; g0 += groupsPerMini) {
    globalMinis.push(
      fork
        ? fork.miniBatch.flatMap((b, i) => (b === g0 / groupsPerMini ? [i] : []))
        : gGroup
            .map((g, i) => ({ g, i }))
            .filter(({ g }) => g >= g0 && g < g0 + groupsPerMini)
            .map(({ i }) => i),
    );
  }
  const miniWeights = globalMinis.map((members) =>
    fork
      ? members.map((i) => new Array<number>(gRespLen[i]!).fill(fork.weight[i]!))
      : aggregationWeights(
          members.map((i) => gRespLen[i]!),
          cfg.lossAggregation,
          cfg.maxResponseLength,
          keepLoss && members.map((i) => gKeep[i]! === 1),
        ),
  );
  // This rank's part of each: local sequence indices and their weights.
  const mine = globalMinis.map((members) => members.map((g, k) => ({ i: g - offset, k })).filter(({ i }) => i >= 0 && i < seqs.length));
  return {
    minis: mine.map((m) => m.map(({ i }) => i)),
    weights: mine.map((m, j) => m.map(({ k }) => miniWeights[j]![k]!)),
  };
}
