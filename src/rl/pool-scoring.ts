// Scoring a candidate pool for example selection: for every example, `rollouts` sampled responses
// per epoch and their rewards, with no update. The per-epoch accuracies form the same
// accuracy_history.json a training run writes, which `rlvr select` ranks by historical variance.
//
// With no updates between epochs, an example's variance across epochs is the sampling variance
// of its accuracy, p(1-p)/rollouts: highest for the examples the model solves about half the
// time, i.e. the ones whose GRPO groups have reward variance. This is the cheap first step of
// the paper's recipe on a new model; the paper's own ranking comes from a full training run.
//
// The rewards see what training's see (RewardInput: prompt, completion, ids, the example with its
// data row's columns, the epoch as step), so any task's reward scores a pool (`--task NAME`).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AccuracyHistory } from '../data/selection.js';
import type { TrainExample } from '../data/examples.js';
import type { CausalLM } from '../model/transformer.js';
import type { Sample, SamplingOptions } from '../rollout/types.js';
import { hashSeed } from './seed.js';
import { scoreRewards, type Rewards } from '../tasks/reward.js';

export interface PoolScoringOptions {
  policy: CausalLM;
  tokenizer: { encode(text: string, opts?: { addSpecialTokens?: boolean }): number[]; decode(ids: number[]): string };
  examples: TrainExample[];
  renderPrompt: (ex: TrainExample) => string;
  stopTokenIds: number[];
  /**
   * The reward (a task's rewards(), e.g. the math verifier's): one function or several weighted
   * ones, as the trainer takes them. A response counts as solved when the summed reward is > 0.
   */
  rewards: Rewards;
  /** The sampler (the rollout engine by default in the CLI). */
  sampler: (model: CausalLM, prompts: number[][], opts: SamplingOptions & { kvBudgetBytes?: number }) => Sample[];
  /** Responses per example per epoch. */
  rollouts: number;
  epochs: number;
  /** Examples per sampler call (bounds the sampling workspace: rows = promptsPerBatch × rollouts). */
  promptsPerBatch: number;
  maxNewTokens: number;
  temperature: number;
  topP: number;
  seed: number;
  /** KV bytes the sampler may hold (from planScoring). */
  kvBudgetBytes?: number;
  /** accuracy_history.json is (re)written here after every epoch. */
  outDir: string;
  /** Progress after each batch. */
  onBatch?: (p: { epoch: number; done: number; total: number; tokens: number; seconds: number; meanAccuracy: number }) => void;
  /** Checked between batches: true stops after the current batch (history of complete epochs kept). */
  shouldStop?: () => boolean;
}

export interface PoolScores {
  history: AccuracyHistory;
  epochsDone: number;
  /** Per example, the mean accuracy over all epochs. */
  meanAccuracy: Map<number, number>;
  tokens: number;
  truncated: number;
  responses: number;
}

export async function scorePool(o: PoolScoringOptions): Promise<PoolScores> {
  const history = new AccuracyHistory();
  const sums = new Map<number, { sum: number; n: number }>();
  const t0 = performance.now();
  let tokens = 0,
    truncated = 0,
    responses = 0,
    epochsDone = 0;
  const promptIds = o.examples.map((ex) => o.tokenizer.encode(o.renderPrompt(ex), { addSpecialTokens: false }));
  const total = o.examples.length * o.epochs;
  let done = 0;
  outer: for (let epoch = 0; epoch < o.epochs; epoch++) {
    for (let b0 = 0, batch = 0; b0 < o.examples.length; b0 += o.promptsPerBatch, batch++) {
      if (o.shouldStop?.()) break outer;
      const exs = o.examples.slice(b0, b0 + o.promptsPerBatch);
      const samples = o.sampler(o.policy, promptIds.slice(b0, b0 + o.promptsPerBatch), {
        maxNewTokens: o.maxNewTokens,
        temperature: o.temperature,
        topP: o.topP,
        n: o.rollouts,
        seed: hashSeed(o.seed, epoch * 1_000_003 + batch),
        stopTokenIds: o.stopTokenIds,
        kvBudgetBytes: o.kvBudgetBytes,
      });
      const texts = samples.map((s) => o.tokenizer.decode(s.tokens.filter((t) => !o.stopTokenIds.includes(t))));
      const prompts = exs.map((ex) => o.renderPrompt(ex));
      const { total: rewards } = await scoreRewards(
        o.rewards,
        samples.map((s, i) => ({
          prompt: prompts[s.promptIndex]!,
          completion: texts[i]!,
          completionIds: s.tokens,
          truncated: s.finishReason === 'length',
          example: exs[s.promptIndex]!,
          step: epoch + 1,
        })),
      );
      exs.forEach((ex, g) => {
        const rs = rewards.filter((_, i) => samples[i]!.promptIndex === g);
        const acc = rs.reduce((a, r) => a + (r > 0 ? 1 : 0), 0) / rs.length;
        history.record(ex.index, acc);
        const m = sums.get(ex.index) ?? { sum: 0, n: 0 };
        sums.set(ex.index, { sum: m.sum + acc, n: m.n + 1 });
      });
      tokens += samples.reduce((n, s) => n + s.tokens.length, 0);
      truncated += samples.filter((s) => s.finishReason === 'length').length;
      responses += samples.length;
      done += exs.length;
      const all = [...sums.values()];
      o.onBatch?.({
        epoch: epoch + 1,
        done,
        total,
        tokens,
        seconds: (performance.now() - t0) / 1000,
        meanAccuracy: all.reduce((a, m) => a + m.sum / m.n, 0) / all.length,
      });
    }
    history.endEpoch();
    epochsDone++;
    fs.mkdirSync(o.outDir, { recursive: true });
    const file = path.join(o.outDir, 'accuracy_history.json');
    fs.writeFileSync(file + '.tmp', history.serialize());
    fs.renameSync(file + '.tmp', file);
  }
  return { history, epochsDone, meanAccuracy: new Map([...sums].map(([k, m]) => [k, m.sum / m.n])), tokens, truncated, responses };
}
