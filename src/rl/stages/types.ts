// The types the trainer's stages pass to each other (collect -> prepare -> update -> record) and
// what every stage reads: the run's fixed parts (StageContext), and the trainer's options. Kept apart so that
// none of them imports another one's module just for a type.
import type { TrainExample } from '../../data/examples.js';
import type { DataParallel } from '../../distributed/data-parallel.js';
import type { MemoryPlan } from '../../memory-plan/plan.js';
import type { CausalLM } from '../../model/transformer.js';
import type { RolloutOptions } from '../../rollout/engine.js';
import type { Sample } from '../../rollout/types.js';
import type { Task } from '../../tasks/task.js';
import type { GRPOConfig } from '../config.js';
import type { ValueModel } from '../critic.js';
import type { Sequence } from '../policy.js';
import type { Rewards } from '../../tasks/reward.js';
import type { Progress } from './progress.js';

export interface TextCodec {
  /** `addSpecialTokens: false` for rendered chat prompts: the template already wrote BOS (Llama-3). */
  encode(text: string, opts?: { addSpecialTokens?: boolean }): number[];
  decode(ids: number[]): string;
}

/** The trainer's options (GRPOTrainer's constructor; here so that run assembly can name them without importing the trainer). */
export interface TrainerOptions {
  policy: CausalLM;
  /** Frozen initial model for the KL loss; null when config.klCoef is 0. */
  reference: CausalLM | null;
  /** The critic, for an algorithm that has one (advantageEstimator 'gae', PPO); see critic.ts. */
  critic?: ValueModel | null;
  tokenizer: TextCodec;
  /** The training set, duplicates included (a 1-shot set is one example repeated). */
  examples: TrainExample[];
  /** Renders an example's messages into the prompt text (the chat template). */
  renderPrompt: (ex: TrainExample) => string;
  stopTokenIds: number[];
  /** One reward function or several weighted ones (src/tasks/reward.ts); e.g. mathReward(pool), the paper's. */
  rewards: Rewards;
  config: GRPOConfig;
  /** Metrics, checkpoints and history go here. */
  runDir: string;
  /**
   * The task (src/tasks/task.ts): rollouts.jsonl's `extracted` is task.extract(response) (null
   * without a task), and with binaryReward false a rollout counts as solved when its reward is > 0.
   */
  task?: TrainerTask;
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

/** What the trainer needs of a task: its name, the answer a response gave, whether rewards are 0/1 accuracies. */
export type TrainerTask = Pick<Task, 'name' | 'extract' | 'binaryReward'>;

/** Thrown when the loss or gradient stops being finite; the last good checkpoint is untouched. */
export class DivergenceError extends Error {}

/** Thrown inside a step abandoned by requestStop('abandon'); the step leaves no trace. */
export class StepAbandoned extends Error {}

/** The run's fixed parts every stage reads (built once by the trainer). */
export interface StageContext {
  readonly cfg: GRPOConfig;
  readonly policy: CausalLM;
  /** Frozen reference model (KL loss or KL in the reward), or null. */
  readonly reference: CausalLM | null;
  /** The critic when the algorithm has one (PPO), else null. */
  readonly critic: ValueModel | null;
  readonly tokenizer: TextCodec;
  readonly renderPrompt: (ex: TrainExample) => string;
  readonly stopTokenIds: number[];
  readonly rewards: Rewards;
  readonly rolloutOptions: Partial<RolloutOptions> | undefined;
  readonly plan: MemoryPlan;
  readonly computeDtype: 'float32' | 'bfloat16' | 'float16';
  readonly dp: DataParallel;
  readonly progress: Progress;
}

/** This rank's part of a step's batch (stages/indexing.ts). */
export interface RankBatch {
  /** Every group of the step, over all ranks. */
  all: TrainExample[];
  /** This rank's groups: all.slice(offset, offset + examples.length). */
  examples: TrainExample[];
  /** Global index of this rank's first group. */
  offset: number;
  /** This rank's sampling shards: local group ranges and their seeds. */
  shards: { start: number; end: number; seed: number }[];
  /** The step closes an epoch of the data. */
  lastOfEpoch: boolean;
}

/** One rollout batch, generated and scored (stages/collect.ts). */
export interface ScoredBatch {
  examples: TrainExample[];
  promptTexts: string[];
  promptIds: number[][];
  /** Rollouts; promptIndex indexes `examples`. */
  samples: Sample[];
  /** Decoded responses, stop tokens removed. */
  texts: string[];
  /** The reward functions' weighted sum (what accuracy is read from). */
  verified: number[];
  /** After overlong handling: what advantages use. */
  rewards: number[];
  truncated: boolean[];
  /** Each reward function's mean, by name. */
  meanByName: Record<string, number>;
  /** Seconds from the step's start to the decoded rollouts (rewards not included). */
  genSeconds: number;
}

/** One rollout of the training batch. */
export interface KeptRollout {
  sample: Sample;
  /** Shaped reward. */
  reward: number;
  /** Local group index (0-based on this rank). */
  group: number;
  promptIds: number[];
}

/** What collect hands on: the policy's first batch (logs, metrics, history) and the training batch. */
export interface Collected {
  first: ScoredBatch;
  kept: KeptRollout[];
  keptGroups: number;
  /** Rollout batches generated (> 1 only with dynamic sampling). */
  genBatches: number;
  /** Seconds of the extra batches (dynamic sampling). */
  extraSeconds: number;
}

/** Every rank's first-batch rollouts as numbers, in rank order (metrics and history are global). */
export interface GlobalRollouts {
  group: number[];
  rewards: number[];
  verified: number[];
  lengths: number[];
  truncated: number[];
}

/** Where a step's old log-probs came from (stages/prepare.ts). */
export type OldLogprobsFrom = 'rollout' | 'recomputed' | 'current';

/** What prepare hands to update: sequences, log-probs, advantages (stages/prepare.ts). */
export interface Prepared {
  seqs: Sequence[];
  /** Local group of each sequence. */
  groups: number[];
  /** null: the update is exactly on-policy and uses its own log-probs, detached ('current'). */
  oldLogp: number[][] | null;
  refLogp: number[][] | null;
  values: number[][] | null;
  advantages: (number | number[])[];
  returns: number[][] | null;
  /** DAPO's overlong filtering: false for sequences that contribute no loss. */
  keepLoss: boolean[] | undefined;
  oldLogprobsFrom: OldLogprobsFrom;
  logpSeconds: number;
}

/** The update's mini-batches over the global batch, seen from this rank (stages/indexing.ts). */
export interface Layout {
  /** Per optimizer step: this rank's local sequence indices. */
  minis: number[][];
  /** Per optimizer step and member: the per-token loss weights. */
  weights: number[][][];
}

export interface UpdateStats {
  loss: number;
  pg: number;
  entropy: number;
  kl: number;
  clipFrac: number;
  gradNorm: number;
  updates: number;
}

/** What update hands to record (stages/update.ts). */
export interface Updated {
  stats: UpdateStats;
  critic: { valueLoss: number; valueClipFrac: number; criticGradNorm: number } | null;
  padded: number;
  real: number;
  hostReads: number;
  seconds: number;
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
  /** Whether the old log-probs were the rollout's own (config.reuseRolloutLogprobs), recomputed, or the update's own detached (an exactly on-policy update). */
  oldLogprobsFrom: OldLogprobsFrom;
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
