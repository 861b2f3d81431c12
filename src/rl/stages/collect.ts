// Stage 1 of a training step, collect: rollouts of this rank's groups and their rewards (the
// reward functions' sum, then overlong shaping), and with DAPO's dynamic sampling the extra
// batches until the training batch is full. One function generates and scores a batch; the
// first batch and every extra batch go through it.
import type { TrainExample } from '../../data/examples.js';
import { autocast } from '../../engine/index.js';
import { rolloutSamples } from '../../rollout/engine.js';
import { overlongBufferOf } from '../config.js';
import { extraBatchIndices, informativeGroups } from '../dynamic-sampling.js';
import { shapeOverlongReward } from '../overlong.js';
import { scoreRewards } from '../../tasks/reward.js';
import { hashSeed } from '../seed.js';
import type { Collected, KeptRollout, RankBatch, ScoredBatch, StageContext } from './types.js';

/** Where the examples' prompt token ids come from (tokenised once, before step 1). */
export interface PromptSource {
  /** Every trainable example (dynamic sampling draws from them). */
  readonly examples: readonly TrainExample[];
  promptIds(ex: TrainExample): number[];
}

/**
 * Generates `groupSize` rollouts for each example, in shards (local group ranges, one seed each),
 * and scores them. `step` is the step being run (1-based); `t0` its start (progress and timing).
 */
export async function rolloutAndScore(
  ctx: StageContext,
  step: number,
  examples: TrainExample[],
  promptIds: number[][],
  shards: readonly { start: number; end: number; seed: number }[],
  t0: number,
): Promise<ScoredBatch> {
  const { cfg, policy, tokenizer, stopTokenIds } = ctx;
  const promptTexts = examples.map((ex) => ctx.renderPrompt(ex));
  const samples = shards.flatMap((sh) =>
    autocast(policy.device, ctx.computeDtype, () =>
      rolloutSamples(policy, promptIds.slice(sh.start, sh.end), {
        kvBudgetBytes: ctx.plan.kv.budget,
        ...ctx.rolloutOptions,
        maxNewTokens: cfg.maxResponseLength,
        temperature: cfg.temperature,
        topP: cfg.topP,
        topK: cfg.topK,
        n: cfg.groupSize,
        seed: sh.seed,
        stopTokenIds,
        onStep: ctx.progress.rollouts(step, t0, examples.length * cfg.groupSize),
      }),
    ).map((x) => ({ ...x, promptIndex: x.promptIndex + sh.start })),
  );
  ctx.progress.line(null);
  const texts = samples.map((s) => tokenizer.decode(s.tokens.filter((t) => !stopTokenIds.includes(t))));
  const genSeconds = (performance.now() - t0) / 1000;
  const scored = await scoreRewards(
    ctx.rewards,
    samples.map((s, i) => ({
      prompt: promptTexts[s.promptIndex]!,
      completion: texts[i]!,
      completionIds: s.tokens,
      truncated: s.finishReason === 'length',
      example: examples[s.promptIndex]!,
      step,
    })),
  );
  const verified = scored.total;
  const truncated = samples.map((s) => s.finishReason === 'length');
  const overlong = { mode: cfg.overlong, maxLength: cfg.maxResponseLength, buffer: overlongBufferOf(cfg) };
  const rewards = verified.map((r, i) => shapeOverlongReward(r, samples[i]!.tokens.length, truncated[i]!, overlong));
  return { examples, promptTexts, promptIds, samples, texts, verified, rewards, truncated, meanByName: scored.meanByName, genSeconds };
}

/**
 * The step's rollouts: this rank's groups (rb), then `afterFirst` (the step's stop check point),
 * then, with cfg.dynamicSampling, extra batches (dynamicSampling below). `step` is 1-based.
 */
export async function collect(ctx: StageContext, step: number, rb: RankBatch, data: PromptSource, afterFirst: () => void): Promise<Collected> {
  const t0 = performance.now();
  const first = await rolloutAndScore(
    ctx,
    step,
    rb.examples,
    rb.examples.map((ex) => data.promptIds(ex)),
    rb.shards,
    t0,
  );
  afterFirst();
  if (!ctx.cfg.dynamicSampling) {
    const kept = first.samples.map(
      (x, i): KeptRollout => ({ sample: x, reward: first.rewards[i]!, group: x.promptIndex, promptIds: first.promptIds[x.promptIndex]! }),
    );
    return { first, kept, keptGroups: rb.examples.length, genBatches: 1, extraSeconds: 0 };
  }
  return dynamicSampling(ctx, step, rb, data, first, t0);
}

/**
 * DAPO's dynamic sampling (verl recipe/dapo): keeps the groups of the first batch whose
 * ACCURACY (the verifier's reward, before overlong shaping; filter_groups.metric=acc) differs,
 * then draws NEW prompts from the data (extraBatchIndices: seeds from (seed, step, batch), so
 * resume is exact; one-example data draws that example again) and samples them, until
 * trainBatchSize groups are kept or maxGenerationBatches batches were drawn. Kept rollouts train
 * on their shaped reward. Extra batches are not in rollouts.jsonl or the step's reward metrics
 * (those describe the policy's first batch, comparable across algorithms).
 */
async function dynamicSampling(ctx: StageContext, step: number, rb: RankBatch, data: PromptSource, first: ScoredBatch, t0: number): Promise<Collected> {
  const { cfg } = ctx;
  const want = rb.examples.length;
  const kept: KeptRollout[] = [];
  let keptGroups = 0;
  const take = (b: ScoredBatch) => {
    const keep = new Set(
      informativeGroups(
        b.verified,
        b.samples.map((x) => x.promptIndex),
      ),
    );
    const groupOf = new Map<number, number>();
    b.samples.forEach((x, i) => {
      if (!keep.has(x.promptIndex)) return;
      let g = groupOf.get(x.promptIndex);
      if (g === undefined) {
        if (keptGroups >= want) return; // the batch is full (verl: batch[:traj_bsz])
        groupOf.set(x.promptIndex, (g = keptGroups++));
      }
      kept.push({ sample: x, reward: b.rewards[i]!, group: g, promptIds: b.promptIds[x.promptIndex]! });
    });
  };
  take(first);
  let genBatches = 1;
  const started = performance.now();
  // The step's seeds: the trainer's step counter before this step (step - 1), as it always was.
  const s = step - 1;
  while (genBatches < cfg.maxGenerationBatches && keptGroups < want) {
    const drawn = extraBatchIndices(data.examples.length, want, hashSeed(hashSeed(cfg.seed, 0xda90_0000 + s), genBatches), rb.offset).map(
      (i) => data.examples[i]!,
    );
    const seed = hashSeed(hashSeed(cfg.seed, s), genBatches);
    take(
      await rolloutAndScore(
        ctx,
        step,
        drawn,
        drawn.map((ex) => data.promptIds(ex)),
        [{ start: 0, end: drawn.length, seed }],
        t0,
      ),
    );
    genBatches++;
  }
  return { first, kept, keptGroups, genBatches, extraSeconds: (performance.now() - started) / 1000 };
}
