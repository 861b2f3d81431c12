// The GRPO loop of 1-shot RLVR: rollouts → rewards → advantages → update, with validation,
// per-step JSONL metrics, checkpoints and exact resume.
//
// Determinism: every random choice is derived from (config.seed, step) or (config.seed, epoch),
// never from state carried between steps, so a run resumed from a checkpoint (weights +
// optimizer state + step) continues exactly as the uninterrupted run would have.
//
// Stopping: requestStop('finish') ends the run after the current step, requestStop('abandon')
// drops the current step at its next check point (before the update); either way a checkpoint of
// the last completed step is written and `stopped` is set (the CLI maps SIGINT/SIGTERM to these).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AdamW, autocast, cat, zeros, clipGradNorm, clipGradNormTensor, fromBytes, hostReads, resolveComputeDtype, setAllowTF32, tidy, type Tensor } from '../engine/index.js';
import { AccuracyHistory, type AccuracyHistoryState } from '../data/selection.js';
import { Rng } from '../data/rng.js';
import type { TrainExample } from '../data/examples.js';
import { saveModel, tensorToWrite } from '../model/checkpoint.js';
import { SafetensorsReader, writeSafetensors } from '../model/safetensors.js';
import type { CausalLM } from '../model/transformer.js';
import { rolloutSamples, type RolloutOptions } from '../rollout/engine.js';
import type { Sample } from '../rollout/types.js';
import { formatDuration } from '../util/duration.js';
import { UserError } from '../errors.js';
import { fmt, planRun, type MemoryPlan } from '../memory-plan/plan.js';
import { extractAnswer } from '../reward/extract.js';
import { computeAdvantages } from './algorithm.js';
import { atomicWriteFile, checkpointName, findCheckpoint, STATE_FILE, writeCheckpoint } from './checkpoints.js';
import { miniBatchOf, needsReference, overlongBufferOf, validateConfig, type GRPOConfig } from './config.js';
import { CRITIC_FILE, CRITIC_OPTIMIZER_FILE, type ValueModel, type ValueTargets } from './critic.js';
import { extraBatchIndices, informativeGroups } from './dynamic-sampling.js';
import { meanSequenceKL } from './kl-reward.js';
import { forkLossWeights } from './fork-weights.js';
import { zeroVarianceWarning } from './group-stats.js';
import { shapeOverlongReward } from './overlong.js';
import { appendRollouts, rolloutSampleIndices, type RolloutRecord } from './rollout-log.js';
import { metricScalars, TensorBoardWriter } from './tensorboard.js';
import { aggregationWeights } from './losses.js';
import { pretrainedParts, readRunConfig, type PretrainedOptions } from './pretrained.js';
import { scoreRewards, type Rewards } from './rewards.js';
import { DataParallel, resolveSamplingShards, shardsOfRank } from '../distributed/data-parallel.js';
import { createPolicyOptimizer, type PolicyOptimizer } from '../distributed/optimizer.js';
import { ShardedAdamW } from '../distributed/sharded-adamw.js';
import { shardedOnlyProblem } from '../distributed/shard-files.js';
import { STAT_NAMES, accumulatePolicyGradient, microBatches, responseLogprobs, type Sequence, type TokenTargets } from './policy.js';
import { deviceCaps, isAccelerator } from '../engine/device.js';
import { deviceMemoryBytes } from '../engine/device-memory.js';

export interface TextCodec {
  /** `addSpecialTokens: false` for rendered chat prompts: the template already wrote BOS (Llama-3). */
  encode(text: string, opts?: { addSpecialTokens?: boolean }): number[];
  decode(ids: number[]): string;
}

export interface StepMetrics {
  step: number;
  /** Mean training reward (after overlong handling). */
  rewardMean: number;
  /** Share of rollouts the verifier judged correct. */
  trainAccuracy: number;
  entropy: number;
  kl: number;
  pgLoss: number;
  clipFrac: number;
  gradNorm: number;
  lr: number;
  responseLengthMean: number;
  responseLengthMax: number;
  /** Generated tokens per second of rollout time. */
  tokensPerSecond: number;
  timeGeneration: number;
  timeLogprobs: number;
  timeUpdate: number;
  /** Each reward function's unweighted mean over the step's rollouts, by name. */
  rewardsByName?: Record<string, number>;
  /** Whether the old log-probs were the rollout's own (config.reuseRolloutLogprobs) or recomputed. */
  oldLogprobsFrom: 'rollout' | 'recomputed';
  /** Device-to-host reads during the update phase (each one a sync on CUDA); ~1 per optimizer step. */
  updateHostReads: number;
  /** Padded / real tokens of the training micro-batches (1 = no padding). */
  paddingRatio: number;
  /** Standard deviation of the step's rewards (all rollouts). */
  rewardStd: number;
  /** Share of groups whose rollouts all got the same reward: zero advantage, no policy gradient. */
  zeroVarianceGroupFrac: number;
  /** Share of responses cut at maxResponseLength (no stop token). */
  truncatedFrac: number;
  /** Rollout batches generated this step (> 1 only with dynamic sampling). */
  generationBatches?: number;
  /** Seconds spent on the extra batches of dynamic sampling (rollouts + rewards), not in timeGeneration. */
  timeGenerationExtra?: number;
  /** Groups trained on (dynamic sampling keeps only groups whose rewards differ). */
  trainedGroups?: number;
  /** Critic (PPO): value loss, value clip fraction, gradient norm. */
  valueLoss?: number;
  valueClipFrac?: number;
  criticGradNorm?: number;
  /** Mean sequence KL (old − ref) when the KL is in the reward. */
  klReward?: number;
  /** Wall-clock time the step ended (ISO 8601, UTC). */
  time: string;
  /** Validation results (e.g. accuracy), on the steps where validation ran. */
  validation?: Record<string, number>;
}

export interface TrainerOptions {
  policy: CausalLM;
  /** Frozen initial model for the KL loss; null when config.klCoef is 0. */
  reference: CausalLM | null;
  /** The critic, for advantageEstimator 'gae' (PPO); see critic.ts. */
  critic?: ValueModel | null;
  tokenizer: TextCodec;
  /** The training set, duplicates included (a 1-shot set is one example repeated). */
  examples: TrainExample[];
  /** Renders an example's messages into the prompt text (the chat template). */
  renderPrompt: (ex: TrainExample) => string;
  stopTokenIds: number[];
  /** One reward function or several weighted ones (src/rl/rewards.ts); e.g. mathReward(pool), the paper's. */
  rewards: Rewards;
  config: GRPOConfig;
  /** Metrics, checkpoints and history go here. */
  runDir: string;
  /** Folder whose tokenizer files are copied into every checkpoint (so each is a complete HF model). */
  tokenizerFrom?: string;
  /** Called every config.validateEvery steps and after the last; returns named metrics. */
  validate?: (step: number) => Promise<Record<string, number>>;
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
  /** Called after every step with its metrics. */
  onStep?: (m: StepMetrics) => void;
  /** Device memory the plan fits the run into. Default: the CUDA device's total memory, or the host's RAM on CPU. */
  deviceMemoryBytes?: number;
  /** Called by close(): frees what was built for this trainer (fromPretrained: models, verifier workers). */
  dispose?: () => Promise<void>;
  /** Extra rollout-engine settings (KV budget, forced lengths in benchmarks); the config's sampling fields win. */
  rolloutOptions?: Partial<RolloutOptions>;
  /** The ranks of a data-parallel run (src/distributed/data-parallel.ts). Default: this process alone. */
  dataParallel?: DataParallel;
  /** Also write TensorBoard event files (runDir/tensorboard/): the metrics as scalars, the sampled rollouts as text. */
  tensorboard?: boolean;
}

/** Library options of fromPretrained/resume: the run description plus progress callbacks. */
export type FromPretrainedOptions = PretrainedOptions & Pick<TrainerOptions, 'log' | 'onStep' | 'dataParallel'>;

/** Thrown when the loss or gradient stops being finite; the last good checkpoint is untouched. */
export class DivergenceError extends Error {}

/** Thrown inside a step abandoned by requestStop('abandon'); the step leaves no trace. */
class StepAbandoned extends Error {}

export type StopMode = 'finish' | 'abandon';

export class GRPOTrainer {
  readonly config: GRPOConfig;
  readonly optimizer: PolicyOptimizer;
  /** The critic's optimizer (PPO), or null. */
  readonly criticOptimizer: AdamW | null;
  history = new AccuracyHistory();
  /** Device memory of this run and the budgets picked for it (src/plan). */
  readonly plan: MemoryPlan;
  /** The dtype forward passes compute in (config.computeDtype resolved for the policy's device). */
  readonly computeDtype: 'float32' | 'bfloat16' | 'float16';
  /** Steps completed. */
  step = 0;
  /** Set when train() returned early because of requestStop(). */
  stopped: StopMode | null = null;
  private stopMode: StopMode | null = null;
  private readonly o: TrainerOptions;
  private readonly log: (line: string) => void;
  /** The training examples whose prompts fit maxPromptLength, and their token ids (tokenised once, before step 1). */
  private readonly examples: TrainExample[];
  private readonly promptIds = new Map<TrainExample, number[]>();
  /** This rank and its peers (one process: a world of one, every exchange a no-op). */
  readonly dp: DataParallel;

  constructor(opts: TrainerOptions) {
    validateConfig(opts.config);
    if (opts.examples.length === 0) throw new Error('no training examples');
    if (needsReference(opts.config) && !opts.reference) throw new Error('klCoef or klRewardCoef > 0 needs a reference model');
    if (opts.config.advantageEstimator === 'gae' && !opts.critic) throw new Error("advantageEstimator 'gae' (PPO) needs a critic");
    this.o = opts;
    this.config = opts.config;
    this.dp = opts.dataParallel ?? new DataParallel();
    if (this.dp.worldSize > 1) {
      const why = opts.config.dynamicSampling ? 'dynamicSampling' : opts.config.advantageEstimator === 'gae' ? "advantageEstimator 'gae' (PPO's critic)" : null;
      if (why) throw new UserError(`${why} is not supported with more than one rank yet; run it in one process`);
      if (resolveSamplingShards(opts.config.samplingShards, this.dp.worldSize) < this.dp.worldSize) {
        throw new UserError(`samplingShards ${opts.config.samplingShards} is below the ${this.dp.worldSize} ranks: each rank samples whole shards (set it to a multiple of ${this.dp.worldSize}, or auto)`);
      }
      if (opts.config.trainBatchSize < this.dp.worldSize) throw new UserError(`trainBatchSize ${opts.config.trainBatchSize} is below the ${this.dp.worldSize} ranks: each rank needs at least one group`);
    }
    this.log = opts.log ?? ((line) => process.stderr.write(line + '\n'));
    // Every checkpoint is a complete HF folder only with the tokenizer files copied in.
    if (!opts.tokenizerFrom || !fs.existsSync(path.join(opts.tokenizerFrom, 'tokenizer.json'))) {
      this.log(`warning: ${opts.tokenizerFrom ? `${opts.tokenizerFrom} has no tokenizer.json` : 'no tokenizerFrom given'}: checkpoints will hold no tokenizer files (rlvr eval and transformers need them)`);
    }
    this.examples = this.tokenizePrompts(opts.examples);
    opts.policy.requiresGrad_(true);
    this.computeDtype = resolveComputeDtype(opts.config.computeDtype, opts.policy.device);
    if (this.computeDtype !== 'float32' && opts.policy.dtype !== 'float32') {
      throw new Error(`computeDtype ${this.computeDtype} needs float32 master weights, but the policy is ${opts.policy.dtype} (load it as float32)`);
    }
    // float32 matmuls that remain (e.g. with computeDtype float32) use TF32 tensor cores on CUDA.
    const device = opts.policy.device;
    if (deviceCaps(device).tf32) setAllowTF32(true);
    // The memory plan (the same as `rlvr plan`): micro-batch budget, checkpointing and KV budget.
    const deviceBytes = opts.deviceMemoryBytes ?? deviceMemoryBytes(device, 'total');
    this.plan = planRun(opts.policy.config, opts.config, device, deviceBytes, this.computeDtype, { worldSize: this.dp.worldSize });
    if (!this.plan.fits && (isAccelerator(device) || opts.deviceMemoryBytes !== undefined)) {
      throw new UserError(`the run does not fit on ${device} (${fmt(deviceBytes)}): ${this.plan.problems.join('; ')}. See \`rlvr plan\` for the breakdown`);
    }
    // Every rank starts from rank 0's weights (they loaded the same files; this makes it certain).
    this.dp.syncFromMain(opts.policy.parameters());
    this.optimizer = createPolicyOptimizer(opts.policy.parameters(), {
      lr: opts.config.lr, betas: opts.config.betas, eps: opts.config.eps, weightDecay: opts.config.weightDecay,
    }, this.dp, opts.config.zeroStage);
    const critic = opts.config.advantageEstimator === 'gae' ? opts.critic ?? null : null;
    critic?.requiresGrad_(true);
    this.criticOptimizer = critic ? new AdamW(critic.parameters(), {
      lr: opts.config.criticLr, betas: opts.config.betas, eps: opts.config.eps, weightDecay: opts.config.criticWeightDecay,
    }) : null;
    fs.mkdirSync(opts.runDir, { recursive: true });
  }

  /**
   * A trainer for the HF model folder `modelDir`: the paper's GRPO config with `opts.grpo` on top,
   * the math verifier as reward unless `opts.rewards` is given. Writes run_config.json into the
   * run folder; call close() when done.
   */
  static async fromPretrained(modelDir: string, opts: FromPretrainedOptions): Promise<GRPOTrainer> {
    const { log, onStep, dataParallel, ...rest } = opts;
    const parts = await pretrainedParts(modelDir, rest);
    return new GRPOTrainer({ ...parts, log, onStep, dataParallel });
  }

  /**
   * Continues the run in `runDir` from its newest checkpoint (weights, optimizer, step). Options
   * given here override the recorded ones (e.g. `grpo: { steps }` to extend a run); code-only
   * ones (rewards, in-code examples) must be given again.
   */
  static async resume(runDir: string, opts: Partial<FromPretrainedOptions> = {}): Promise<GRPOTrainer> {
    const checkpoint = latestCheckpoint(runDir, opts.log ?? ((line) => process.stderr.write(line + '\n')));
    if (!checkpoint) throw new Error(`resume: no complete checkpoint under ${path.join(runDir, 'checkpoints')}`);
    const { model, data, resumes, ...recorded } = readRunConfig(runDir);
    const { log, onStep, dataParallel, ...given } = opts;
    const merged = { ...recorded, ...given, data: given.data ?? data, grpo: { ...recorded.grpo, ...given.grpo }, out: runDir };
    if (typeof merged.data === 'string' && !fs.existsSync(merged.data)) throw new Error(`resume: the run's data ${merged.data} is not a file; pass the examples again (resume(runDir, { data }))`);
    const parts = await pretrainedParts(model, merged, checkpoint, resumes);
    const trainer = new GRPOTrainer({ ...parts, log, onStep, dataParallel });
    trainer.loadCheckpointState(checkpoint);
    return trainer;
  }

  /** The model being trained. */
  get policy(): CausalLM {
    return this.o.policy;
  }

  /** Frees the optimizer state and whatever fromPretrained/resume built (models, verifier workers). */
  private tbWriter: TensorBoardWriter | null = null;

  /** The TensorBoard writer (main rank, with options.tensorboard), opened on first use. */
  private tensorboard(): TensorBoardWriter | null {
    if (!this.o.tensorboard || !this.dp.isMain) return null;
    this.tbWriter ??= new TensorBoardWriter(path.join(this.o.runDir, 'tensorboard'), this.step + 1);
    return this.tbWriter;
  }

  /** Frees the optimizers' state (the policy's and the critic's); the models belong to the caller. */
  disposeOptimizers(): void {
    this.tbWriter?.close();
    this.tbWriter = null;
    this.optimizer.dispose();
    this.criticOptimizer?.dispose();
  }

  async close(): Promise<void> {
    this.disposeOptimizers();
    await this.o.dispose?.();
  }

  /** The token ids of an example's prompt (tokenised once, before step 1); undefined when it was dropped as too long. */
  promptIdsFor(ex: TrainExample): readonly number[] | undefined {
    return this.promptIds.get(ex);
  }

  get metricsFile(): string {
    return path.join(this.o.runDir, 'metrics.jsonl');
  }

  /**
   * Renders and tokenises every prompt before step 1. Prompts longer than maxPromptLength are
   * dropped with one warning line giving the count and rows (verl's filter_overlong_prompts);
   * when none is left, a UserError. The rendered chat template already holds the special
   * tokens (a Llama-3 BOS), so no BOS is added here, as in eval and generate.
   */
  private tokenizePrompts(examples: TrainExample[]): TrainExample[] {
    const max = this.config.maxPromptLength;
    const kept: TrainExample[] = [];
    const dropped: { index: number; length: number }[] = [];
    const cache = new Map<string, number[]>();
    for (const ex of examples) {
      const text = this.o.renderPrompt(ex);
      const ids = cache.get(text) ?? this.o.tokenizer.encode(text, { addSpecialTokens: false });
      cache.set(text, ids);
      if (ids.length > max) {
        dropped.push({ index: ex.index, length: ids.length });
      } else {
        kept.push(ex);
        this.promptIds.set(ex, ids);
      }
    }
    if (dropped.length > 0) {
      const rows = [...new Set(dropped.map((d) => d.index))];
      const longest = Math.max(...dropped.map((d) => d.length));
      const what = `${dropped.length} of ${examples.length} prompts are longer than maxPromptLength ${max} tokens (longest ${longest}; rows ${rows.slice(0, 10).join(', ')}${rows.length > 10 ? ', ...' : ''})`;
      if (kept.length === 0) throw new UserError(`${what}: nothing left to train on; raise grpo.maxPromptLength`);
      this.log(`warning: ${what}; they are left out, as verl's filter_overlong_prompts does`);
    }
    return kept;
  }

  get rolloutsFile(): string {
    return path.join(this.o.runDir, 'rollouts.jsonl');
  }

  /** Ends train() after the current step ('finish') or at the current step's next check point ('abandon'). */
  requestStop(mode: StopMode): void {
    if (this.stopMode !== 'abandon') this.stopMode = mode;
  }

  /** The examples of step s: consecutive slices of a per-epoch shuffle of the data (drop-last). */
  batchFor(step: number): { examples: TrainExample[]; epoch: number; lastOfEpoch: boolean } {
    const n = this.examples.length;
    const per = Math.floor(n / this.config.trainBatchSize) || 1;
    const epoch = Math.floor(step / per);
    const slot = step % per;
    const order = new Rng(hashSeed(this.config.seed, 1_000_003 + epoch)).shuffle([...Array(n).keys()]);
    const size = Math.min(this.config.trainBatchSize, n);
    const examples = order.slice(slot * size, slot * size + size).map((i) => this.examples[i]!);
    return { examples, epoch, lastOfEpoch: slot === per - 1 };
  }

  /** Runs steps until config.steps; validates and checkpoints on schedule. */
  async train(): Promise<StepMetrics[]> {
    const all: StepMetrics[] = [];
    const started = Date.now();
    const first = this.step;
    const p = this.plan;
    this.log(`memory plan: micro-batches of ${p.training.microBatchTokens} tokens${p.training.activationCheckpointing ? ', activation checkpointing' : ''}, ` +
      `KV budget ${fmt(p.kv.budget)}, peak ${fmt(Math.max(p.rolloutPeak, p.updatePeak))} of ${fmt(p.deviceBytes)} (${this.computeDtype} compute)` +
      (p.fits ? '' : ` — does not fit: ${p.problems.join('; ')}`));
    if (this.dp.isMain) fs.writeFileSync(path.join(this.o.runDir, 'plan.json'), JSON.stringify(p, null, 2) + '\n');
    if (first === 0 && this.o.validate && this.config.validateEvery > 0 && this.dp.isMain) {
      const v = await this.o.validate(0);
      this.appendMetrics({ step: 0, validation: v });
    }
    while (this.step < this.config.steps && this.stopMode === null) {
      let m: StepMetrics;
      try {
        m = await this.trainStep();
      } catch (e) {
        if (e instanceof StepAbandoned) break;
        throw e;
      }
      const done = this.step;
      const last = done === this.config.steps;
      if (this.o.validate && this.dp.isMain && ((this.config.validateEvery > 0 && done % this.config.validateEvery === 0) || last)) {
        m.validation = await this.o.validate(done);
      }
      this.appendMetrics(m);
      all.push(m);
      this.o.onStep?.(m);
      // A stop request on any rank stops every rank after this step.
      if (this.dp.anyRank(this.stopMode !== null) && this.stopMode === null) this.stopMode = 'finish';
      if ((this.config.saveEvery > 0 && done % this.config.saveEvery === 0) || last || this.stopMode !== null) this.saveCheckpoint();
      const elapsed = (Date.now() - started) / 1000;
      const eta = (elapsed / (done - first)) * (this.config.steps - done);
      this.log(`step ${done}/${this.config.steps} | reward ${m.rewardMean.toFixed(3)} | entropy ${m.entropy.toFixed(3)} | ` +
        `len ${m.responseLengthMean.toFixed(1)} | ${m.tokensPerSecond.toFixed(0)} tok/s | gen ${m.timeGeneration.toFixed(1)}s ` +
        `logp ${m.timeLogprobs.toFixed(1)}s upd ${m.timeUpdate.toFixed(1)}s | ETA ${formatDuration(eta)}` +
        (m.validation ? ` | val ${Object.entries(m.validation).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(' ')}` : ''));
      const warning = zeroVarianceWarning(done, m.zeroVarianceGroupFrac, m.rewardMean);
      if (warning) this.log(warning);
    }
    if (this.stopMode !== null && this.step < this.config.steps) {
      this.stopped = this.stopMode;
      // An abandoned step has left nothing behind; the checkpoint of the last completed one may be missing.
      if (latestCheckpoint(this.o.runDir) !== path.join(this.o.runDir, 'checkpoints', checkpointName(this.step))) this.saveCheckpoint();
    }
    return all;
  }

  /** One rollout step and its update(s). */
  async trainStep(): Promise<StepMetrics> {
    const cfg = this.config;
    const { policy, tokenizer } = this.o;
    const { examples: allExamples, lastOfEpoch } = this.batchFor(this.step);
    // This rank's groups: whole sampling shards (src/distributed/data-parallel.ts); one process: all of them.
    const shards = resolveSamplingShards(cfg.samplingShards, this.dp.worldSize);
    const mine = shardsOfRank(allExamples.length, shards, this.dp.worldSize, this.dp.rank);
    const examples = allExamples.slice(mine.start, mine.end);

    // ---- rollouts ----
    const t0 = performance.now();
    const promptTexts = examples.map((ex) => this.o.renderPrompt(ex));
    const promptIds = examples.map((ex) => this.promptIds.get(ex)!);
    const samples = mine.shards.flatMap((sh) => autocast(policy.device, this.computeDtype, () => rolloutSamples(policy, promptIds.slice(sh.start - mine.start, sh.end - mine.start), {
      kvBudgetBytes: this.plan.kv.budget, ...this.o.rolloutOptions,
      maxNewTokens: cfg.maxResponseLength, temperature: cfg.temperature, topP: cfg.topP, topK: cfg.topK,
      // One shard: the step's seed, as before shards existed; else one seed per (step, shard).
      n: cfg.groupSize, seed: shards === 1 ? hashSeed(cfg.seed, this.step) : hashSeed(hashSeed(cfg.seed, this.step), 0x5eed_0000 + sh.index), stopTokenIds: this.o.stopTokenIds,
      onStep: this.rolloutProgress(t0, examples.length * cfg.groupSize),
    })).map((x) => ({ ...x, promptIndex: x.promptIndex + sh.start - mine.start })));
    this.progressLine(null);
    const texts = samples.map((s) => tokenizer.decode(s.tokens.filter((t) => !this.o.stopTokenIds.includes(t))));
    const genSeconds = (performance.now() - t0) / 1000;
    const generated = samples.reduce((a, s) => a + s.tokens.length, 0);

    // ---- rewards and advantages ----
    const scored = await scoreRewards(this.o.rewards, samples.map((s, i) => ({
      prompt: promptTexts[s.promptIndex]!, completion: texts[i]!, completionIds: s.tokens, truncated: s.finishReason === 'length', example: examples[s.promptIndex]!, step: this.step + 1,
    })));
    // The first point where a stop request can be seen (generation holds the event loop).
    if (this.stopMode === 'abandon') throw new StepAbandoned();
    // `verified`: the reward functions' sum; `rewards`: after overlong handling (what advantages use).
    const verified = scored.total;
    const truncated = samples.map((s) => s.finishReason === 'length');
    const overlong = { mode: cfg.overlong, maxLength: cfg.maxResponseLength, buffer: overlongBufferOf(cfg) };
    const rewards = verified.map((r, i) => shapeOverlongReward(r, samples[i]!.tokens.length, truncated[i]!, overlong));
    if (this.dp.isMain) {
      const records = rolloutSampleIndices(samples.length, cfg.rolloutSamples).map((i): RolloutRecord => ({
        step: this.step + 1, promptId: examples[samples[i]!.promptIndex]!.index, sample: samples[i]!.sampleIndex, text: texts[i]!,
        reward: rewards[i]!, verified: verified[i]!, extracted: extractAnswer(texts[i]!, { mode: 'reward' }),
        length: samples[i]!.tokens.length, truncated: truncated[i]!,
      }));
      appendRollouts(this.rolloutsFile, records);
      if (records.length > 0) this.tensorboard()?.text(this.step + 1, 'rollouts', rolloutsMarkdown(records));
    }
    // Every rank's rollouts as numbers (global group index, reward, verified, length, truncated): metrics and history are global.
    const rows = this.dp.gatherRows([samples.map((x) => x.promptIndex + mine.start), rewards, verified, samples.map((x) => x.tokens.length), truncated.map(Number)]).columns;
    const [rowGroup, allRewards, allVerified, lengths, allTruncated] = rows as [number[], number[], number[], number[], number[]];
    allExamples.forEach((ex, g) => {
      // The history is the verifier's accuracy (what selection ranks), not the shaped reward.
      const rs = allVerified.filter((_, i) => rowGroup[i] === g);
      const acc = rs.reduce((a, b) => a + b, 0) / rs.length;
      // A non-finite reward poisons the loss; the divergence guard below stops the run.
      if (Number.isFinite(acc)) this.history.record(ex.index, acc);
    });
    if (lastOfEpoch) this.history.endEpoch();

    // ---- the training batch: these rollouts, or (DAPO's dynamic sampling) their informative groups plus more ----
    let kept = samples.map((x, i) => ({ sample: x, reward: rewards[i]!, group: x.promptIndex, promptIds: promptIds[x.promptIndex]! }));
    let keptGroups = examples.length;
    let genBatches = 1;
    let genMore = 0;
    if (cfg.dynamicSampling) {
      const d = await this.dynamicSampling(examples, mine.start, promptIds, samples, rewards, verified, t0);
      ({ kept, keptGroups, genBatches } = d);
      genMore = d.seconds;
    }

    // ---- old and reference log-probs (no gradients) ----
    // The old policy is the one that sampled the rollouts (the weights before this step's
    // updates, for every mini-batch and epoch). By default its log-probs are recomputed with the
    // training forward, as the paper's code does: the rollout engine's own differ by kernel
    // rounding, which under bf16 is large enough to move PPO ratios (reuseRolloutLogprobs).
    const t1 = performance.now();
    const seqs: Sequence[] = kept.map((k) => ({ promptIds: k.promptIds, responseIds: k.sample.tokens }));
    const compute = { computeDtype: this.computeDtype };
    const reuse = cfg.reuseRolloutLogprobs && kept.every((k) => k.sample.logprobs.length === k.sample.tokens.length);
    const oldLogp = reuse ? kept.map((k) => k.sample.logprobs) : responseLogprobs(policy, seqs, cfg.temperature, this.plan.training.microBatchTokens, compute).logp;
    const ref = this.o.reference && needsReference(cfg)
      ? responseLogprobs(this.o.reference, seqs, cfg.temperature, this.plan.training.microBatchTokens, { computeDtype: this.refComputeDtype() }) : null;
    const critic = this.criticOptimizer ? this.o.critic! : null;
    const values = critic ? critic.responseValues(seqs, this.plan.training.microBatchTokens) : null;
    const logpSeconds = (performance.now() - t1) / 1000;

    // ---- advantages (algorithm.ts: GRPO / GAE / RLOO, KL in the reward) ----
    const { advantages, returns } = seqs.length ? computeAdvantages(cfg, {
      scores: kept.map((k) => k.reward), groups: kept.map((k) => k.group), oldLogp, refLogp: ref ? ref.logp : null, values,
    }) : { advantages: [], returns: null };
    // DAPO's overlong filtering: truncated responses contribute no loss.
    const keepLoss = cfg.overlongFilter ? kept.map((k) => k.sample.finishReason !== 'length') : undefined;

    // ---- update: ppoEpochs passes over mini-batches of whole groups ----
    // Loss statistics stay on the device; one read per optimizer step (stats + gradient norm)
    // decides whether to step (divergence guard) and feeds the metrics.
    const t2 = performance.now();
    const reads0 = hostReads();
    const groupsPerMini = miniBatchOf(cfg);
    // Mini-batches and loss weights are over the GLOBAL batch (every rank's sequences, in rank
    // order; this rank's are [offset, offset + seqs.length)), exactly as one process computes them.
    const glob = this.dp.gatherRows([kept.map((k) => k.group + mine.start), seqs.map((q) => q.promptIds.length), seqs.map((q) => q.responseIds.length), kept.map((_, i) => (keepLoss && !keepLoss[i] ? 0 : 1))]);
    const [gGroup, gPromptLen, gRespLen, gKeep] = glob.columns as [number[], number[], number[], number[]];
    const offset = glob.offset;
    const globalGroups = this.dp.worldSize > 1 ? allExamples.length : keptGroups;
    // The paper's code: its mini-batches and per-token weights (rank/micro-batch layout emulated).
    const fork = cfg.lossAggregation === 'verl-fork'
      ? forkLossWeights(gPromptLen.map((p, i) => p + gRespLen[i]!), gRespLen, {
        ranks: cfg.forkRanks, maxTokensPerRank: cfg.forkMaxTokensPerRank, miniBatchPerRank: (miniBatchOf(cfg) * cfg.groupSize) / cfg.forkRanks,
      })
      : null;
    const stats = { loss: 0, pg: 0, entropy: 0, kl: 0, clipFrac: 0, gradNorm: 0, updates: 0 };
    let padded = 0;
    let real = 0;
    const globalMinis: number[][] = []; // global sequence indices per optimizer step
    for (let g0 = 0; g0 < globalGroups; g0 += groupsPerMini) {
      globalMinis.push(fork
        ? fork.miniBatch.flatMap((b, i) => (b === g0 / groupsPerMini ? [i] : []))
        : gGroup.map((g, i) => ({ g, i })).filter(({ g }) => g >= g0 && g < g0 + groupsPerMini).map(({ i }) => i));
    }
    const miniWeights = globalMinis.map((members) => fork
      ? members.map((i) => new Array<number>(gRespLen[i]!).fill(fork.weight[i]!))
      : aggregationWeights(members.map((i) => gRespLen[i]!), cfg.lossAggregation, cfg.maxResponseLength, keepLoss && members.map((i) => gKeep[i]! === 1)));
    // This rank's part of each: local sequence indices and their weights.
    const mineOf = (m: number) => globalMinis[m]!.map((g, k) => ({ i: g - offset, k })).filter(({ i }) => i >= 0 && i < seqs.length);
    const minis = globalMinis.map((_, m) => mineOf(m).map(({ i }) => i));
    // The critic first (verl's order), on the values and returns computed above.
    const cstats = critic && values && returns ? this.updateCritic(critic, seqs, values, returns, minis) : null;
    // Critic warm-up: the actor waits for the first criticWarmup steps (verl: critic_warmup <= global_steps).
    const actorEpochs = this.step + 1 > cfg.criticWarmup ? cfg.ppoEpochs : 0;
    for (let epoch = 0; epoch < actorEpochs; epoch++) {
      for (let m = 0; m < minis.length; m++) {
        const members = minis[m]!;
        const weights = mineOf(m).map(({ k }) => miniWeights[m]![k]!);
        const targets: TokenTargets[] = members.map((i, k) => ({
          oldLogp: oldLogp[i]!, refLogp: ref ? ref.logp[i]! : null, advantage: advantages[i]!, weights: weights[k]!,
        }));
        this.optimizer.zeroGrad();
        const memberSeqs = members.map((i) => seqs[i]!);
        const values = tidy(() => {
          // One autocast region per update: the bf16 cast of each weight is made once and shared
          // by all micro-batches; it closes before the optimizer changes the weights.
          const sums = autocast(policy.device, this.computeDtype, () => {
            let acc: Tensor | null = null;
            for (const mb of microBatches(memberSeqs, this.plan.training.microBatchTokens)) {
              for (const k of mb) { const len = memberSeqs[k]!.promptIds.length + memberSeqs[k]!.responseIds.length; real += len; }
              padded += mb.length * Math.max(...mb.map((k) => memberSeqs[k]!.promptIds.length + memberSeqs[k]!.responseIds.length));
              const r = accumulatePolicyGradient(policy, mb.map((k) => memberSeqs[k]!), mb.map((k) => targets[k]!), cfg.temperature,
                { clipRatio: cfg.clipRatio, clipRatioHigh: cfg.clipRatioHigh ?? cfg.clipRatio, policyLoss: cfg.policyLoss, klCoef: cfg.klCoef, entropyCoef: cfg.entropyCoef, policyGradient: cfg.policyGradient },
                { checkpointing: this.plan.training.activationCheckpointing, ...compute });
              acc = acc ? acc.add(r) : r;
            }
            return acc ?? zeros([STAT_NAMES.length], { device: policy.device }); // no rows of this rank in this mini-batch
          });
          // Data parallel: gradients and loss statistics summed over the ranks (one process: nothing).
          this.dp.reduceGradients(policy.parameters(), [sums]);
          // gradClip 0 = off: the norm is measured, nothing is scaled.
          const gradNorm = clipGradNormTensor(policy.parameters(), cfg.gradClip > 0 ? cfg.gradClip : Infinity);
          return cat([sums, gradNorm.reshape(1)], 0).toNumbers(); // the one host read of this update
        });
        const part = Object.fromEntries(STAT_NAMES.map((k, j) => [k, values[j]!])) as Record<(typeof STAT_NAMES)[number], number>;
        const gradNorm = values[STAT_NAMES.length]!;
        if (!Number.isFinite(part.loss)) throw new DivergenceError(`loss is ${part.loss} at step ${this.step + 1}; stopped before the update (last checkpoint kept)`);
        if (!Number.isFinite(gradNorm)) throw new DivergenceError(`gradient norm is ${gradNorm} at step ${this.step + 1}; stopped before the update (last checkpoint kept)`);
        this.optimizer.step();
        this.optimizer.zeroGrad();
        for (const k of STAT_NAMES) stats[k] += part[k];
        stats.gradNorm += gradNorm;
        stats.updates++;
      }
    }
    const updateHostReads = hostReads() - reads0;
    const updSeconds = (performance.now() - t2) / 1000;
    this.step++;
    const u = Math.max(1, stats.updates);
    const extra: Partial<StepMetrics> = {};
    if (cfg.dynamicSampling) Object.assign(extra, { generationBatches: genBatches, trainedGroups: keptGroups, timeGenerationExtra: genMore });
    if (cstats) Object.assign(extra, cstats);
    if (ref && cfg.klRewardCoef !== 0) extra.klReward = meanSequenceKL(oldLogp, ref.logp);
    const groups = allExamples.map((_, g) => allRewards.filter((__, i) => rowGroup[i] === g));
    // Generated tokens over every rank; the times are the slowest rank's (what the step waited for).
    const [allGenerated, byNameSums] = [this.dp.reduceNumbers([generated])[0]!, this.dp.reduceNumbers(Object.values(scored.meanByName).map((v) => v * samples.length))];
    const [genMax, logpMax, updMax] = this.dp.reduceNumbers([genSeconds, logpSeconds, updSeconds], 'max') as [number, number, number];
    const rewardsByName = Object.fromEntries(Object.keys(scored.meanByName).map((k, j) => [k, byNameSums[j]! / allRewards.length]));
    return {
      step: this.step,
      rewardMean: mean(allRewards),
      trainAccuracy: mean(allVerified.map((r) => (r > 0 ? 1 : 0))),
      entropy: stats.entropy / u,
      kl: stats.kl / u,
      pgLoss: stats.pg / u,
      clipFrac: stats.clipFrac / u,
      gradNorm: stats.gradNorm / u,
      lr: cfg.lr,
      responseLengthMean: mean(lengths),
      responseLengthMax: Math.max(...lengths),
      tokensPerSecond: allGenerated / genMax,
      timeGeneration: genMax,
      timeLogprobs: logpMax,
      timeUpdate: updMax,
      rewardsByName,
      oldLogprobsFrom: reuse ? 'rollout' : 'recomputed',
      updateHostReads,
      paddingRatio: real > 0 ? padded / real : 1,
      rewardStd: std(allRewards),
      zeroVarianceGroupFrac: mean(groups.map((rs) => (rs.every((r) => r === rs[0]) ? 1 : 0))),
      truncatedFrac: mean(allTruncated),
      time: new Date().toISOString(),
      ...extra,
    };
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
  private async dynamicSampling(examples: TrainExample[], offset: number, promptIds: number[][], samples: Sample[], rewards: number[], accuracy: number[], t0: number):
    Promise<{ kept: { sample: Sample; reward: number; group: number; promptIds: number[] }[]; keptGroups: number; genBatches: number; seconds: number }> {
    const cfg = this.config;
    const { policy, tokenizer } = this.o;
    const kept: { sample: Sample; reward: number; group: number; promptIds: number[] }[] = [];
    let keptGroups = 0;
    const take = (batch: Sample[], ids: number[][], rs: number[], acc: number[]) => {
      const keep = new Set(informativeGroups(acc, batch.map((x) => x.promptIndex)));
      const groupOf = new Map<number, number>();
      batch.forEach((x, i) => {
        if (!keep.has(x.promptIndex)) return;
        let g = groupOf.get(x.promptIndex);
        if (g === undefined) {
          if (keptGroups >= examples.length) return; // the batch is full (verl: batch[:traj_bsz])
          groupOf.set(x.promptIndex, (g = keptGroups++));
        }
        kept.push({ sample: x, reward: rs[i]!, group: g, promptIds: ids[x.promptIndex]! });
      });
    };
    take(samples, promptIds, rewards, accuracy);
    let genBatches = 1;
    const started = performance.now();
    const overlong = { mode: cfg.overlong, maxLength: cfg.maxResponseLength, buffer: overlongBufferOf(cfg) };
    while (genBatches < cfg.maxGenerationBatches && keptGroups < examples.length) {
      const drawn = extraBatchIndices(this.examples.length, examples.length, hashSeed(hashSeed(cfg.seed, 0xda90_0000 + this.step), genBatches), offset)
        .map((i) => this.examples[i]!);
      const ids = drawn.map((ex) => this.promptIds.get(ex)!);
      const texts0 = drawn.map((ex) => this.o.renderPrompt(ex));
      const batch = autocast(policy.device, this.computeDtype, () => rolloutSamples(policy, ids, {
        kvBudgetBytes: this.plan.kv.budget, ...this.o.rolloutOptions,
        maxNewTokens: cfg.maxResponseLength, temperature: cfg.temperature, topP: cfg.topP, topK: cfg.topK,
        n: cfg.groupSize, seed: hashSeed(hashSeed(cfg.seed, this.step), genBatches), stopTokenIds: this.o.stopTokenIds,
        onStep: this.rolloutProgress(t0, drawn.length * cfg.groupSize),
      }));
      this.progressLine(null);
      const texts = batch.map((x) => tokenizer.decode(x.tokens.filter((t) => !this.o.stopTokenIds.includes(t))));
      const scored = await scoreRewards(this.o.rewards, batch.map((x, i) => ({
        prompt: texts0[x.promptIndex]!, completion: texts[i]!, completionIds: x.tokens, truncated: x.finishReason === 'length', example: drawn[x.promptIndex]!, step: this.step + 1,
      })));
      take(batch, ids, scored.total.map((r, i) => shapeOverlongReward(r, batch[i]!.tokens.length, batch[i]!.finishReason === 'length', overlong)), scored.total);
      genBatches++;
    }
    return { kept, keptGroups, genBatches, seconds: (performance.now() - started) / 1000 };
  }

  /** PPO's critic update: ppoEpochs passes of the clipped value loss over the mini-batches (token-mean). */
  private updateCritic(critic: ValueModel, seqs: Sequence[], values: number[][], returns: number[][], minis: number[][]): { valueLoss: number; valueClipFrac: number; criticGradNorm: number } {
    const cfg = this.config;
    const opt = this.criticOptimizer!;
    const acc = { loss: 0, clipFrac: 0, gradNorm: 0, updates: 0 };
    for (let epoch = 0; epoch < cfg.ppoEpochs; epoch++) {
      for (const members of minis) {
        const weights = aggregationWeights(members.map((i) => seqs[i]!.responseIds.length), 'token-mean', cfg.maxResponseLength);
        const targets: ValueTargets[] = members.map((i, k) => ({ oldValues: values[i]!, returns: returns[i]!, weights: weights[k]! }));
        opt.zeroGrad();
        let loss = 0, clipFrac = 0;
        for (const mb of microBatches(members.map((i) => seqs[i]!), this.plan.training.microBatchTokens)) {
          const r = critic.accumulateValueGradient(mb.map((k) => seqs[members[k]!]!), mb.map((k) => targets[k]!), cfg.cliprangeValue);
          loss += r.loss;
          clipFrac += r.clipFrac;
        }
        if (!Number.isFinite(loss)) throw new DivergenceError(`value loss is ${loss} at step ${this.step + 1}; stopped before the update (last checkpoint kept)`);
        const gradNorm = clipGradNorm(critic.parameters(), cfg.criticGradClip > 0 ? cfg.criticGradClip : Infinity);
        if (!Number.isFinite(gradNorm)) throw new DivergenceError(`critic gradient norm is ${gradNorm} at step ${this.step + 1}; stopped before the update (last checkpoint kept)`);
        opt.step();
        opt.zeroGrad();
        acc.loss += loss; acc.clipFrac += clipFrac; acc.gradNorm += gradNorm; acc.updates++;
      }
    }
    const u = Math.max(1, acc.updates);
    return { valueLoss: acc.loss / u, valueClipFrac: acc.clipFrac / u, criticGradNorm: acc.gradNorm / u };
  }

  /** The reference model computes in the trainer's dtype when its weights are float32 (bf16 weights: as they are). */
  private refComputeDtype(): 'float32' | 'bfloat16' | 'float16' {
    return this.o.reference && this.o.reference.dtype === 'float32' ? this.computeDtype : 'float32';
  }

  /** A throttled progress callback for the rollouts of one step (tokens, tok/s, rows still generating). */
  private rolloutProgress(start: number, rows: number): (tokens: number, active: number) => void {
    let last = 0;
    return (tokens, active) => {
      const now = performance.now();
      if (now - last < 2000) return;
      last = now;
      const rate = tokens / ((now - start) / 1000);
      this.progressLine(`  step ${this.step + 1} rollouts: ${tokens} tokens, ${rate.toFixed(0)} tok/s, ${active}/${rows} still generating`);
    };
  }

  /** On a terminal, one line rewritten in place; elsewhere (logs), plain lines. null ends it. */
  private progressLine(text: string | null): void {
    if (this.o.log) {
      if (text) this.o.log(text);
      return;
    }
    if (process.stderr.isTTY) process.stderr.write(text === null ? '\r\x1b[K' : `\r\x1b[K${text}`);
    else if (text) process.stderr.write(text + '\n');
  }

  private appendMetrics(m: object): void {
    if (!this.dp.isMain) return;
    fs.appendFileSync(this.metricsFile, JSON.stringify(m) + '\n');
    const row = m as Record<string, unknown>;
    this.tensorboard()?.scalars(row.step as number, metricScalars(row));
  }

  // ---- checkpoints (the file I/O: src/rl/checkpoints.ts) ----

  /**
   * Writes runDir/checkpoints/step-N: the HF model folder, optimizer.safetensors and
   * trainer_state.json (step, config, the accuracy history with its open epoch), durably and
   * atomically; then accuracy_history.json; old periodic checkpoints beyond keepLast go.
   */
  saveCheckpoint(): string {
    const root = path.join(this.o.runDir, 'checkpoints');
    // Rank 0 writes; the others hold the same weights and optimizer state (zeroStage 0), or
    // write their own optimizer shard into the folder rank 0 is filling (ZeRO-1; save() waits for all).
    const sharded = this.optimizer instanceof ShardedAdamW ? this.optimizer : null;
    if (!this.dp.isMain) { sharded?.save(`${path.join(root, checkpointName(this.step))}.tmp`); return path.join(root, checkpointName(this.step)); }
    const dir = writeCheckpoint(root, this.step, { final: this.step === this.config.steps, keepLast: this.config.keepLast }, (tmp) => {
      saveModel(this.o.policy, tmp, { dtype: this.o.policy.dtype, tokenizerFrom: this.o.tokenizerFrom });
      if (sharded) sharded.save(tmp);
      else saveOptimizer(this.optimizer as AdamW, path.join(tmp, 'optimizer.safetensors'));
      if (this.criticOptimizer) {
        // PPO: the critic's weights and optimizer state, next to the policy's.
        this.o.critic!.saveWeights(path.join(tmp, CRITIC_FILE));
        saveOptimizer(this.criticOptimizer, path.join(tmp, CRITIC_OPTIMIZER_FILE));
      }
      fs.writeFileSync(path.join(tmp, STATE_FILE), JSON.stringify({ step: this.step, config: this.config, history: this.history.toState() }, null, 2));
    });
    atomicWriteFile(path.join(this.o.runDir, 'accuracy_history.json'), this.history.serialize());
    return dir;
  }

  /**
   * Restores optimizer state, step and accuracy history from a checkpoint folder (the policy
   * weights are loaded by the caller), and cuts the per-step files (metrics.jsonl,
   * rollouts.jsonl) back to that step so that the steps run again are not logged twice.
   */
  loadCheckpointState(dir: string): void {
    const state = JSON.parse(fs.readFileSync(path.join(dir, STATE_FILE), 'utf8')) as { step: number; history?: AccuracyHistoryState };
    if (this.optimizer instanceof ShardedAdamW) this.optimizer.load(dir);
    else loadOptimizer(this.optimizer, path.join(dir, 'optimizer.safetensors'), shardedOnlyProblem(dir));
    if (this.criticOptimizer) {
      if (!fs.existsSync(path.join(dir, CRITIC_FILE))) throw new Error(`${dir} holds no critic (${CRITIC_FILE}): was it saved by a run without one?`);
      this.o.critic!.loadWeights(path.join(dir, CRITIC_FILE));
      loadOptimizer(this.criticOptimizer, path.join(dir, CRITIC_OPTIMIZER_FILE));
    }
    this.step = state.step;
    // Checkpoints written before the history was stored in them: the run folder's file (completed epochs).
    const historyFile = path.join(this.o.runDir, 'accuracy_history.json');
    if (state.history) this.history = AccuracyHistory.fromState(state.history);
    else if (fs.existsSync(historyFile)) this.history = AccuracyHistory.parse(fs.readFileSync(historyFile, 'utf8'), historyFile);
    if (this.dp.isMain) {
      atomicWriteFile(historyFile, this.history.serialize());
      truncateMetrics(this.metricsFile, this.step);
      truncateMetrics(this.rolloutsFile, this.step);
      // TensorBoard keeps what it read: this session's event file starts at the next step, which makes it drop the steps run again.
      this.tensorboard();
    }
  }
}

/** AdamW state as exp_avg.i / exp_avg_sq.i / step.i (float32) in one safetensors file. */
function saveOptimizer(opt: AdamW, file: string): void {
  const st = opt.state();
  const tensors = [
    ...st.expAvg.map((t, i) => ({ name: `exp_avg.${i}`, t })),
    ...st.expAvgSq.map((t, i) => ({ name: `exp_avg_sq.${i}`, t })),
    ...st.steps.map((t, i) => ({ name: `step.${i}`, t })),
  ];
  writeSafetensors(file, tensors.map(({ name, t }) => tensorToWrite(name, t, 'float32')));
}

function loadOptimizer(opt: AdamW, file: string, problem: string | null = null): void {
  if (problem) throw new UserError(problem);
  const reader = new SafetensorsReader(file);
  try {
    const n = opt.params.length;
    const load = (prefix: string): Tensor[] => Array.from({ length: n }, (_, i) => {
      const info = reader.info(`${prefix}.${i}`);
      return fromBytes(reader.read(info.name), 'float32', info.shape);
    });
    tidy(() => {
      opt.loadState({ expAvg: load('exp_avg'), expAvgSq: load('exp_avg_sq'), steps: load('step') });
    });
  } finally {
    reader.close();
  }
}

/** The sampled rollouts of a step as markdown (TensorBoard's Text tab). */
function rolloutsMarkdown(records: readonly RolloutRecord[]): string {
  return records.map((r) => `**example ${r.promptId}, sample ${r.sample}**: reward ${r.reward}, ${r.length} tokens${r.truncated ? ' (cut at the limit)' : ''}, answer ${r.extracted === null ? 'none' : '`' + r.extracted + '`'}\n\n\`\`\`\n${r.text.replace(/```/g, "'''")}\n\`\`\``).join('\n\n');
}

/** Keeps the lines of a per-step JSONL file (metrics, rollouts) with step <= step (and drops a torn last line); atomic. */
export function truncateMetrics(file: string, step: number): void {
  if (!fs.existsSync(file)) return;
  const keep = fs.readFileSync(file, 'utf8').split('\n').filter((line) => {
    try {
      const m = JSON.parse(line) as { step?: unknown };
      return typeof m.step === 'number' && m.step <= step;
    } catch {
      return false;
    }
  });
  atomicWriteFile(file, keep.map((l) => l + '\n').join(''));
}

/** The newest intact checkpoint of a run, or null; damaged newer ones are skipped with a warning (`warn`). */
export function latestCheckpoint(runDir: string, warn?: (line: string) => void): string | null {
  return findCheckpoint(runDir, warn);
}


/** A 32-bit seed from (seed, salt): distinct steps/epochs get unrelated streams. */
export function hashSeed(seed: number, salt: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ (salt + 0x7f4a7c15), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0;
}

/** Population standard deviation. */
function std(xs: number[]): number {
  const m = mean(xs);
  return Math.sqrt(mean(xs.map((x) => (x - m) ** 2)));
}
