// The package's public API: `import { GRPOTrainer, verify, ... } from 'rlvr-ts'`.
//
// Named exports only, one name per concept. Importing this module loads no native code: the
// libtorch addon loads on the first tensor operation, so the verifier and the data readers work
// on a machine without libtorch.

// ---- tensors (libtorch through the addon) ----
export {
  Tensor,
  tidy,
  F,
  cuda,
  AdamW,
  clipGradNorm,
  Generator,
  manualSeed,
  noGrad,
  enableGrad,
  inferenceMode,
  zeros,
  ones,
  full,
  arange,
  rand,
  randn,
  randint,
  tensor,
  cat,
  stack,
  where,
  fromBytes,
  liveTensors,
  setNumThreads,
  getNumThreads,
  torchVersion,
  type DType,
  type Device,
  type Shape,
  type AdamWOptions,
} from './engine/index.js';

// ---- models and tokenizers ----
export { CausalLM } from './model/transformer.js';
export type { ModelConfig, Architecture } from './model/config.js';
export { FAMILIES, findFamily, blockSpec, type Family, type BlockSpec, type LayerSpec } from './model/families/index.js';
export { loadModel, saveModel, readConfig } from './model/checkpoint.js';
// LoRA: LoraAdapters.attach(model, loraSettings({ rank })) before building a trainer; checkpoints are PEFT adapter folders.
export { LoraAdapters, loraSettings, withoutAdapters, DEFAULT_LORA_ALPHA, LORA_TARGETS, type LoraSettings, type LoraTarget } from './model/lora.js';
export { saveAdapter, readAdapter, attachAdapterFolder, mergeAdapters, isAdapterFolder, adapterBase } from './model/peft-io.js';
export { Tokenizer, loadTokenizerConfig, renderChat, QWEN2_5_CHAT_TEMPLATE, type TokenizerConfig, type ChatMessage } from './tokenizer/index.js';
export { GEMMA3_CHAT_TEMPLATE } from './tokenizer/index.js';
export { generate } from './rollout/reference-sampler.js';
export type { Sample, SamplingOptions } from './rollout/types.js';

// ---- the math verifier (pure TypeScript) ----
export { verify, type VerifyOptions, type VerifyResult, type Reason as VerifyReason, type Mode as VerifyMode } from './tasks/math/verifier/verifier.js';
export { extractAnswer } from './tasks/math/verifier/extract.js';
export { VerifierPool, type PoolOptions as VerifierPoolOptions } from './tasks/math/verifier/pool.js';

// ---- tasks (what a problem looks like, how it is rewarded and scored; `--task NAME`) ----
export type { Task, TaskScore, TaskScoreContext, TaskRewardContext } from './tasks/task.js';
export { getTask, registerTask, TASK_NAMES } from './tasks/registry.js';
export { mathTask, createMathTask, type MathTaskOptions } from './tasks/math/task.js';
export { arithmeticTask, createArithmeticTask } from './tasks/arithmetic/task.js';
export { countdownTask, createCountdownTask, countdownRewardFn, countdownFormatReward, type CountdownTaskOptions } from './tasks/countdown/task.js';
export { countdownPrompt, countdownPuzzles, parseCountdownPrompt, type CountdownPuzzle } from './tasks/countdown/puzzles.js';

// ---- data ----
export { loadExamples, type TrainExample } from './data/examples.js';
export { TRAIN_PROMPT_SUFFIX, MATH_EVAL_SYSTEM_PROMPT, trainMessages, mathEvalMessages } from './tasks/math/prompts.js';
export { loadBenchmark, PAPER_BENCHMARKS, type Benchmark, type BenchmarkName } from './data/benchmarks.js';
export {
  rankByVariance,
  readHistory,
  AccuracyHistory,
  firstAlive,
  allZeroHistory,
  type HistoryEntry,
  type RankedExample,
  type BaseScore,
} from './data/selection.js';

// ---- GRPO / 1-shot RLVR ----
export { PAPER_GRPO_CONFIG, LOSS_PRESETS, type GRPOConfig, type LossAggregation } from './rl/config.js';
export { scoreRewards, type RewardFunction, type RewardInput, type WeightedReward, type Rewards } from './tasks/reward.js';
export { mathReward } from './tasks/math/reward.js';
export {
  GRPOTrainer,
  Trainer,
  DivergenceError,
  latestCheckpoint,
  type TrainerOptions,
  type FromPretrainedOptions,
  type StepMetrics,
  type TextCodec,
  type TrainerTask,
} from './rl/trainer.js';
export { ALGORITHMS, estimatorOf, policyLossOf, type Algorithm, type AdvantageEstimator, type PolicyLoss } from './algorithms/index.js';
export type { PretrainedOptions } from './run/run-settings.js';
export { groupAdvantages } from './algorithms/advantages.js';

// ---- several processes (c10d: gloo on CPU, NCCL on GPU) ----
export { ProcessGroup, initProcessGroup, fromEnv, DistributedError, type ProcessGroupOptions, type ReduceOp } from './distributed/process-group.js';
export { readDistEnv, type DistEnv } from './distributed/env.js';

// ---- opening a model folder and a run (src/run/) ----
export { ModelBundle, loadModelFolder, chatSpecialTokens, type LoadedModel, type ChatSpecialTokens } from './run/model-bundle.js';

// ---- evaluation ----
export {
  evaluate,
  formatSummaryTable,
  taskPromptBuilder,
  type EvalBenchmark,
  type EvalProblem,
  type EvalResult,
  type EvaluateOptions,
  type BenchmarkSummary,
} from './eval/evaluate.js';

// ---- statistics for comparing numbers (Wilson intervals, pass@k, maj@k, paired tests) ----
export {
  wilson,
  passAtK,
  passAtKCurve,
  avgAtK,
  majAtK,
  mcnemarExact,
  pairedDifference,
  type Proportion,
  type AvgAtK,
  type McNemar,
  type PairedDifference,
} from './stats/index.js';
export { compareOutcomes, readOutcomes, type CompareRow } from './eval/compare.js';
