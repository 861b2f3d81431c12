// The reward API: what a reward function sees and how several are combined.
//
// A reward function scores a batch of rollouts (TRL's shape): each item carries the rendered
// prompt, the completion text and ids, the training example with every column of its data row,
// and the step. Several rewards combine as a weighted sum; each one's mean is logged per step
// (metrics.jsonl `rewardsByName`). Every task's reward has this shape (the math verifier's is
// `mathReward`, src/tasks/math/reward.ts); it sits below the trainer so tasks need not import it.
import type { TrainExample } from '../data/examples.js';

export interface RewardInput {
  /** The prompt text the policy saw (chat template applied). */
  prompt: string;
  /** The sampled response text (stop tokens removed). */
  completion: string;
  /** The sampled token ids (the stop token included when one was generated). */
  completionIds: number[];
  /** The completion hit maxResponseLength (no stop token). */
  truncated: boolean;
  /** The training example: `groundTruth`, `messages`, and every column of its data row in `columns`. */
  example: TrainExample;
  /** The rollout step being computed (1-based). */
  step: number;
}

/** Scores a batch of rollouts: one number per item, in order. */
export type RewardFunction = (batch: RewardInput[]) => number[] | Promise<number[]>;

export interface WeightedReward {
  /** Name in the logs (metrics.jsonl `rewardsByName`); unique within a run. */
  name: string;
  fn: RewardFunction;
  /** Weight in the summed reward. Default 1. */
  weight?: number;
}

/** What a trainer accepts: one function (logged as "reward") or several weighted ones. */
export type Rewards = RewardFunction | WeightedReward[];

export interface ScoredRewards {
  /** The weighted sum per item: what the advantages are computed from. */
  total: number[];
  /** Each reward's unweighted mean over the batch. */
  meanByName: Record<string, number>;
}

/** The rewards as a list of named, weighted functions. */
export function rewardList(rewards: Rewards): WeightedReward[] {
  const list = typeof rewards === 'function' ? [{ name: 'reward', fn: rewards, weight: 1 }] : rewards;
  if (list.length === 0) throw new Error('rewards: at least one reward function is needed');
  const seen = new Set<string>();
  for (const r of list) {
    if (typeof r.fn !== 'function') throw new Error(`rewards: '${r.name}' has no function (fn)`);
    if (seen.has(r.name)) throw new Error(`rewards: the name '${r.name}' is used twice`);
    if (r.weight !== undefined && !Number.isFinite(r.weight)) throw new Error(`rewards: '${r.name}' has weight ${r.weight}`);
    seen.add(r.name);
  }
  return list;
}

/**
 * Runs every reward on the batch (concurrently) and sums them with their weights. A reward that
 * returns the wrong count is an error naming it; non-finite values are passed on (the trainer's
 * divergence guard stops the run before the update).
 */
export async function scoreRewards(rewards: Rewards, batch: RewardInput[]): Promise<ScoredRewards> {
  const list = rewardList(rewards);
  const outputs = await Promise.all(
    list.map(async (r) => {
      const out = await r.fn(batch);
      if (!Array.isArray(out) || out.length !== batch.length) {
        throw new Error(`reward '${r.name}' returned ${Array.isArray(out) ? `${out.length} values` : typeof out} for ${batch.length} completions`);
      }
      return out.map(Number);
    }),
  );
  const total = batch.map((_, i) => list.reduce((acc, r, k) => acc + (r.weight ?? 1) * outputs[k]![i]!, 0));
  const meanByName: Record<string, number> = {};
  list.forEach((r, k) => {
    const xs = outputs[k]!;
    meanByName[r.name] = xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0;
  });
  return { total, meanByName };
}
