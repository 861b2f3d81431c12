// The RL loop of 1-shot RLVR (GRPO, and every other algorithm of the registry, src/algorithms/),
// with validation, per-step JSONL metrics, checkpoints and exact resume.
// A step is a pipeline of typed stages (src/rl/stages/): collect (rollouts + rewards) -> prepare
// (log-probs, advantages) -> update (mini-batches, data-parallel reduction, optimizer) -> record
// (metrics, rollouts, history, checkpoints). This class builds what they share and strings them.
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
import { AdamW, resolveComputeDtype, setAllowTF32 } from '../engine/index.js';
import { AccuracyHistory } from '../data/selection.js';
import type { TrainExample } from '../data/examples.js';
import type { CausalLM } from '../model/transformer.js';
import { UserError } from '../errors.js';
import { fmt, planRun, type MemoryPlan } from '../memory-plan/plan.js';
import { estimatorOf } from '../algorithms/registry.js';
import { checkpointName, findCheckpoint } from './checkpoints.js';
import { needsReference, validateConfig, type GRPOConfig } from './config.js';
import { zeroVarianceWarning } from './group-stats.js';
import { openPretrained, openResumed } from '../run/open-run.js';
import type { PretrainedOptions } from '../run/run-settings.js';
import { hashSeed } from './seed.js';
import { stepExamples, tokenizePrompts } from './stages/prompts.js';
import { DataParallel, resolveSamplingShards } from '../distributed/data-parallel.js';
import { createPolicyOptimizer, type PolicyOptimizer } from '../distributed/optimizer.js';
import { deviceCaps, isAccelerator } from '../engine/device.js';
import { deviceMemoryBytes } from '../engine/device-memory.js';
import { collect } from './stages/collect.js';
import { globalRollouts, rankBatch } from './stages/indexing.js';
import { prepare } from './stages/prepare.js';
import { Progress } from './stages/progress.js';
import { loadCheckpointState, Recorder, saveCheckpoint, stepLine } from './stages/record.js';
import { DivergenceError, StepAbandoned, type StageContext, type StepMetrics, type TextCodec, type TrainerOptions, type TrainerTask } from './stages/types.js';
import { update } from './stages/update.js';

export { DivergenceError, type StepMetrics, type TextCodec, type TrainerOptions, type TrainerTask };
export { truncateMetrics } from './stages/record.js';
export { hashSeed };

/** Library options of fromPretrained/resume: the run description plus progress callbacks. */
export type FromPretrainedOptions = PretrainedOptions & Pick<TrainerOptions, 'log' | 'onStep' | 'dataParallel'>;

export type StopMode = 'finish' | 'abandon';

export class GRPOTrainer {
  readonly config: GRPOConfig;
  readonly optimizer: PolicyOptimizer;
  /** The critic's optimizer (PPO), or null. */
  readonly criticOptimizer: AdamW | null;
  history = new AccuracyHistory();
  /** Device memory of this run and the budgets picked for it (src/memory-plan). */
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
  /** What every stage of a step reads. */
  private readonly ctx: StageContext;
  private readonly recorder: Recorder;

  constructor(opts: TrainerOptions) {
    validateConfig(opts.config);
    if (opts.examples.length === 0) throw new Error('no training examples');
    // With LoRA the reference is the policy itself with its adapters off (no second copy).
    if (needsReference(opts.config) && !opts.reference && !opts.policy.lora)
      throw new Error('klCoef or klRewardCoef > 0 needs a reference model (or LoRA adapters on the policy)');
    const estimator = estimatorOf(opts.config.advantageEstimator);
    if (estimator.needs.critic && !opts.critic) throw new Error(`advantageEstimator '${estimator.name}' (PPO) needs a critic`);
    this.o = opts;
    this.config = opts.config;
    this.dp = opts.dataParallel ?? new DataParallel();
    if (this.dp.worldSize > 1) {
      // Global statistics (a critic's whitening, batch-wide normalisation) are per rank today.
      const why = opts.config.dynamicSampling
        ? 'dynamicSampling'
        : estimator.needs.critic
          ? `advantageEstimator '${estimator.name}' (PPO's critic)`
          : estimator.needs.globalStatistics
            ? `advantageEstimator '${estimator.name}' (whitened over the whole batch)`
            : null;
      if (why) throw new UserError(`${why} is not supported with more than one rank yet; run it in one process`);
      if (resolveSamplingShards(opts.config.samplingShards, this.dp.worldSize) < this.dp.worldSize) {
        throw new UserError(
          `samplingShards ${opts.config.samplingShards} is below the ${this.dp.worldSize} ranks: each rank samples whole shards (set it to a multiple of ${this.dp.worldSize}, or auto)`,
        );
      }
      if (opts.config.trainBatchSize < this.dp.worldSize)
        throw new UserError(`trainBatchSize ${opts.config.trainBatchSize} is below the ${this.dp.worldSize} ranks: each rank needs at least one group`);
    }
    this.log = opts.log ?? ((line) => process.stderr.write(line + '\n'));
    // Every checkpoint is a complete HF folder only with the tokenizer files copied in.
    if (!opts.tokenizerFrom || !fs.existsSync(path.join(opts.tokenizerFrom, 'tokenizer.json'))) {
      this.log(
        `warning: ${opts.tokenizerFrom ? `${opts.tokenizerFrom} has no tokenizer.json` : 'no tokenizerFrom given'}: checkpoints will hold no tokenizer files (rlvr eval and transformers need them)`,
      );
    }
    // Prompts rendered and tokenised once; longer than maxPromptLength: left out with a warning.
    this.examples = tokenizePrompts(opts.examples, opts.config.maxPromptLength, opts.renderPrompt, opts.tokenizer, this.promptIds, this.log);
    opts.policy.requiresGrad_(true);
    this.computeDtype = resolveComputeDtype(opts.config.computeDtype, opts.policy.device);
    if (this.computeDtype !== 'float32' && opts.policy.dtype !== 'float32') {
      throw new Error(`computeDtype ${this.computeDtype} needs float32 master weights, but the policy is ${opts.policy.dtype} (load it as float32)`);
    }
    // float32 matmuls that remain (e.g. with computeDtype float32) use TF32 tensor cores on CUDA.
    const device = opts.policy.device;
    if (deviceCaps(device).tf32) setAllowTF32(true);
    // The memory plan (the same as `rlvr plan`): micro-batch budget, checkpointing and KV budget.
    // An accelerator is the run's own: its capacity. Host RAM is shared with everything else on
    // the machine: what this process holds now plus what the host has available.
    const deviceBytes = opts.deviceMemoryBytes ?? deviceMemoryBytes(device, isAccelerator(device) ? 'total' : 'available');
    const lora = opts.policy.lora ? { rank: opts.policy.lora.settings.rank, targetModules: opts.policy.lora.settings.targetModules } : undefined;
    this.plan = planRun(opts.policy.config, opts.config, device, deviceBytes, this.computeDtype, { worldSize: this.dp.worldSize, lora });
    if (!this.plan.fits && (isAccelerator(device) || opts.deviceMemoryBytes !== undefined)) {
      throw new UserError(`the run does not fit on ${device} (${fmt(deviceBytes)}): ${this.plan.problems.join('; ')}. See \`rlvr plan\` for the breakdown`);
    }
    // Every rank starts from rank 0's weights (they loaded the same files; this makes it certain).
    if (opts.policy.lora) {
      const l = opts.policy.lora.settings;
      const n = opts.policy.lora.parameters().reduce((a, p) => a + p.numel, 0);
      this.log(
        `LoRA: rank ${l.rank}, alpha ${l.alpha}, dropout ${l.dropout}, on ${l.targetModules.join(', ')}: ${n} trainable parameters; the base is frozen and is the KL reference; lr ${opts.config.lr} (LoRA Without Regret: ~10x full fine-tuning's)`,
      );
    }
    // With LoRA only the adapters train: they alone are synced, reduced and have optimizer state.
    this.dp.syncFromMain(opts.policy.trainableParameters());
    this.optimizer = createPolicyOptimizer(
      opts.policy.trainableParameters(),
      {
        lr: opts.config.lr,
        betas: opts.config.betas,
        eps: opts.config.eps,
        weightDecay: opts.config.weightDecay,
      },
      this.dp,
      opts.config.zeroStage,
    );
    const critic = estimator.needs.critic ? (opts.critic ?? null) : null;
    critic?.requiresGrad_(true);
    this.criticOptimizer = critic
      ? new AdamW(critic.parameters(), {
          lr: opts.config.criticLr,
          betas: opts.config.betas,
          eps: opts.config.eps,
          weightDecay: opts.config.criticWeightDecay,
        })
      : null;
    fs.mkdirSync(opts.runDir, { recursive: true });
    this.ctx = {
      cfg: opts.config,
      policy: opts.policy,
      reference: opts.reference ?? (opts.policy.lora && needsReference(opts.config) ? opts.policy : null),
      critic,
      tokenizer: opts.tokenizer,
      renderPrompt: opts.renderPrompt,
      stopTokenIds: opts.stopTokenIds,
      rewards: opts.rewards,
      rolloutOptions: opts.rolloutOptions,
      plan: this.plan,
      computeDtype: this.computeDtype,
      dp: this.dp,
      progress: new Progress(opts.log),
    };
    this.recorder = new Recorder(opts.runDir, this.dp, opts.tensorboard ?? false, opts.task, () => this.step);
  }

  /**
   * A trainer for the HF model folder `modelDir`: the paper's GRPO config with `opts.grpo` on top,
   * the math verifier as reward unless `opts.rewards` is given. Writes run_config.json into the
   * run folder; call close() when done.
   */
  static async fromPretrained(modelDir: string, opts: FromPretrainedOptions): Promise<GRPOTrainer> {
    const { log, onStep, dataParallel, ...rest } = opts;
    const opened = await openPretrained(modelDir, rest);
    return new GRPOTrainer({ ...opened, log, onStep, dataParallel });
  }

  /**
   * Continues the run in `runDir` from its newest checkpoint (weights, optimizer, step). Options
   * given here override the recorded ones (e.g. `grpo: { steps }` to extend a run); code-only
   * ones (rewards, in-code examples) must be given again.
   */
  static async resume(runDir: string, opts: Partial<FromPretrainedOptions> = {}): Promise<GRPOTrainer> {
    const { log, onStep, dataParallel, ...given } = opts;
    const { opened, checkpoint } = await openResumed(runDir, given, log ?? ((line) => process.stderr.write(line + '\n')));
    const trainer = new GRPOTrainer({ ...opened, log, onStep, dataParallel });
    trainer.loadCheckpointState(checkpoint);
    return trainer;
  }

  /** The model being trained. */
  get policy(): CausalLM {
    return this.o.policy;
  }

  /** Frees the optimizers' state (the policy's and the critic's); the models belong to the caller. */
  disposeOptimizers(): void {
    this.recorder.close();
    this.optimizer.dispose();
    this.criticOptimizer?.dispose();
  }

  /** Frees the optimizer state and whatever fromPretrained/resume built (models, verifier workers). */
  async close(): Promise<void> {
    this.disposeOptimizers();
    await this.o.dispose?.();
  }

  /** The token ids of an example's prompt (tokenised once, before step 1); undefined when it was dropped as too long. */
  promptIdsFor(ex: TrainExample): readonly number[] | undefined {
    return this.promptIds.get(ex);
  }

  get metricsFile(): string {
    return this.recorder.metricsFile;
  }

  get rolloutsFile(): string {
    return this.recorder.rolloutsFile;
  }

  /** Ends train() after the current step ('finish') or at the current step's next check point ('abandon'). */
  requestStop(mode: StopMode): void {
    if (this.stopMode !== 'abandon') this.stopMode = mode;
  }

  /** The examples of step s: consecutive slices of a per-epoch shuffle of the data (drop-last). */
  batchFor(step: number): { examples: TrainExample[]; epoch: number; lastOfEpoch: boolean } {
    return stepExamples(this.examples, this.config, step);
  }

  /** Runs steps until config.steps; validates and checkpoints on schedule. */
  async train(): Promise<StepMetrics[]> {
    const all: StepMetrics[] = [];
    const started = Date.now();
    const first = this.step;
    const p = this.plan;
    this.log(
      `memory plan: micro-batches of ${p.training.microBatchTokens} tokens${p.training.activationCheckpointing ? ', activation checkpointing' : ''}, ` +
        `KV budget ${fmt(p.kv.budget)}, peak ${fmt(Math.max(p.rolloutPeak, p.updatePeak))} of ${fmt(p.deviceBytes)} (${this.computeDtype} compute)` +
        (p.fits ? '' : ` — does not fit: ${p.problems.join('; ')}`),
    );
    if (this.dp.isMain) fs.writeFileSync(path.join(this.o.runDir, 'plan.json'), JSON.stringify(p, null, 2) + '\n');
    if (first === 0 && this.o.validate && this.config.validateEvery > 0 && this.dp.isMain) {
      const v = await this.o.validate(0);
      this.recorder.appendMetrics({ step: 0, validation: v });
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
      this.recorder.appendMetrics(m);
      all.push(m);
      this.o.onStep?.(m);
      // A stop request on any rank stops every rank after this step.
      if (this.dp.anyRank(this.stopMode !== null) && this.stopMode === null) this.stopMode = 'finish';
      if ((this.config.saveEvery > 0 && done % this.config.saveEvery === 0) || last || this.stopMode !== null) this.saveCheckpoint();
      const elapsed = (Date.now() - started) / 1000;
      const eta = (elapsed / (done - first)) * (this.config.steps - done);
      this.log(stepLine(m, this.config.steps, eta));
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

  /** One rollout step and its update(s): collect -> prepare -> update -> record. */
  async trainStep(): Promise<StepMetrics> {
    const ctx = this.ctx;
    const step = this.step + 1;
    const rb = rankBatch(this.config, this.dp, this.step, this.batchFor(this.step));
    const data = { examples: this.examples, promptIds: (ex: TrainExample) => this.promptIds.get(ex)! };
    // The first point where a stop request can be seen (generation holds the event loop).
    const collected = await collect(ctx, step, rb, data, () => {
      if (this.stopMode === 'abandon') throw new StepAbandoned();
    });
    this.recorder.logRollouts(step, collected.first, this.config.rolloutSamples);
    const global = globalRollouts(this.dp, rb, collected.first);
    this.recorder.recordHistory(this.history, rb, global);
    const prepared = prepare(ctx, collected, rb);
    const updated = update(ctx, { policy: this.optimizer, critic: this.criticOptimizer }, step, rb, prepared, collected.keptGroups);
    this.step = step;
    return this.recorder.stepMetrics(ctx, step, rb, global, collected, prepared, updated);
  }

  // ---- checkpoints (the file I/O: src/rl/checkpoints.ts, stages/record.ts) ----

  /** Writes runDir/checkpoints/step-N (model, optimizer state, trainer state) and accuracy_history.json. */
  saveCheckpoint(): string {
    return saveCheckpoint({
      runDir: this.o.runDir,
      step: this.step,
      config: this.config,
      policy: this.o.policy,
      optimizer: this.optimizer,
      critic: this.ctx.critic,
      criticOptimizer: this.criticOptimizer,
      history: this.history,
      tokenizerFrom: this.o.tokenizerFrom,
      dp: this.dp,
    });
  }

  /**
   * Restores optimizer state, step and accuracy history from a checkpoint folder (the policy
   * weights are loaded by the caller), and cuts the per-step files (metrics.jsonl,
   * rollouts.jsonl) back to that step so that the steps run again are not logged twice.
   */
  loadCheckpointState(dir: string): void {
    const restored = loadCheckpointState(dir, {
      runDir: this.o.runDir,
      optimizer: this.optimizer,
      critic: this.ctx.critic,
      criticOptimizer: this.criticOptimizer,
      history: this.history,
    });
    this.step = restored.step;
    this.history = restored.history;
    this.recorder.restored(this.history);
  }
}

/** The newest intact checkpoint of a run, or null; damaged newer ones are skipped with a warning (`warn`). */
export function latestCheckpoint(runDir: string, warn?: (line: string) => void): string | null {
  return findCheckpoint(runDir, warn);
}

/** The same class under a name that does not say GRPO: it runs every registered algorithm (PPO, RLOO, ...). */
export { GRPOTrainer as Trainer };
