// GRPO configuration: ONE zod schema gives the type, the defaults (the 1-shot RLVR paper's
// values), the ranges and the documentation. The run file (`grpo: {...}`), `--set k=v`, the
// presets and the library API (`new GRPOTrainer({ config })`) all go through it.
//
// Defaults are the values the paper's code ran with (verl, Qwen2.5-Math-1.5B on π1; Wang et al.
// 2025, arXiv 2504.20571, Appendix), unless the description says otherwise.
//
// ADDING A FIELD: add one entry to GRPO_FIELDS below: `name: z.<type>().<ranges>.default(<paper
// value>).describe('<what it does>. Paper: <value and source>.')`. That is all: the type
// `GRPOConfig`, PAPER_GRPO_CONFIG, `--set name=value` parsing (numbers, booleans, enums,
// `a:b` lists), unknown-key "did you mean", `rlvr train --help-config` and the run file pick it
// up. A cross-field rule goes in `crossFieldChecks`. A run-level (non-GRPO) setting goes in
// src/run/run-config.ts instead.
// ADDING A PRESET: add an entry to PRESETS (a partial override plus a one-line description);
// it is validated by the same schema when this module loads. An algorithm's preset comes with its
// file in src/algorithms/ (the registry), as do the advantageEstimator and policyLoss values.
import { z } from 'zod';
import { formatIssues, UserError } from '../errors.js';
import type { ComputeDTypeSetting } from '../engine/index.js';
import { ADVANTAGE_ESTIMATOR_REGISTRY, ALGORITHMS, POLICY_LOSS_REGISTRY, namesOf } from '../algorithms/registry.js';
import { OVERLONG_MODES } from './overlong.js';

export const LOSS_AGGREGATIONS = [
  /** Mean over every response token of the mini-batch (later verl's loss_agg_mode token-mean; our default). */
  'token-mean',
  /**
   * The paper's code (its verl 0.2 fork, dynamic batch size): token mean per token-budget
   * micro-batch × (micro-batch sequences / mini-batch sequences), averaged over emulated ranks
   * (forkRanks, forkMaxTokensPerRank); see src/rl/fork-weights.ts.
   */
  'verl-fork',
  /** Mean over sequences of each sequence's token mean (the original GRPO paper). */
  'seq-mean-token-mean',
  /** Mean over sequences of each sequence's token sum divided by maxResponseLength (Dr. GRPO). */
  'seq-mean-token-sum-norm',
] as const;
export type LossAggregation = (typeof LOSS_AGGREGATIONS)[number];

/**
 * How advantages are estimated (verl's algorithm.adv_estimator) and the policy-gradient surrogate
 * (verl's actor.policy_loss.loss_mode): the names registered by the algorithm files
 * (src/algorithms/registry.ts), e.g. 'grpo' | 'gae' (PPO) | 'rloo' and 'vanilla' | 'gspo'.
 */
export const ADVANTAGE_ESTIMATORS = namesOf(ADVANTAGE_ESTIMATOR_REGISTRY);
export type AdvantageEstimator = (typeof ADVANTAGE_ESTIMATORS)[number];
export const POLICY_LOSSES = namesOf(POLICY_LOSS_REGISTRY);
export type PolicyLossMode = (typeof POLICY_LOSSES)[number];

/** "a: what a is; b: what b is" for a field's help, from the registry. */
function registeredHelp(m: ReadonlyMap<string, { name: string; summary: string }>): string {
  return [...m.values()].map((x) => `${x.name}: ${x.summary}`).join('; ');
}

const int = () => z.number().int();

/** Every GRPO setting: type, range, default (the paper's value) and description. */
export const GRPO_FIELDS = {
  // ---- data and rollouts ----
  trainBatchSize: int().positive().default(128).describe('Prompts (GRPO groups) per rollout step. Paper: 128 (π1 repeated 128 times).'),
  groupSize: int().min(2).default(8).describe('Rollouts per prompt (the group size; >= 2, or every advantage is 0). Paper: 8.'),
  temperature: z.number().positive().default(0.6).describe('Rollout sampling temperature; log-probs and entropy use logits / temperature too. Paper: 0.6.'),
  topP: z.number().gt(0).max(1).default(1.0).describe('Nucleus sampling for rollouts, in (0, 1]. Paper: 1.0 (off).'),
  topK: int().min(0).default(0).describe('Top-k for rollouts, 0 = off. Paper: off.'),
  maxPromptLength: int()
    .positive()
    .default(1024)
    .describe('Prompts longer than this (tokens) are dropped before step 1 with a count, as verl does. Paper: 1024.'),
  maxResponseLength: int().positive().default(3072).describe('Rollouts stop after this many tokens (longer ones count as truncated). Paper: 3072.'),
  overlong: z
    .enum(OVERLONG_MODES)
    .default('off')
    .describe(
      "Reward of responses cut at maxResponseLength (src/rl/overlong.ts): off keeps the verifier's reward, zero gives them 0, soft adds DAPO's soft overlong penalty. Paper: off.",
    ),
  overlongBuffer: int()
    .min(0)
    .default(0)
    .describe(
      "DAPO's Lcache: the soft penalty ramps over the last this-many tokens; 0 = a fifth of maxResponseLength (DAPO's 4096 of 20480). Default 0 (ours).",
    ),
  rolloutSamples: int().min(0).default(4).describe('Rollouts per step saved to rollouts.jsonl in the run folder (0 = none). Default 4 (ours).'),

  // ---- optimisation ----
  lr: z.number().positive().default(1e-6).describe('AdamW learning rate, constant (no warm-up, no decay). Paper: 1e-6.'),
  betas: z
    .tuple([z.number().min(0).lt(1), z.number().min(0).lt(1)])
    .default([0.9, 0.999])
    .describe('AdamW betas, each in [0, 1) (--set betas=0.9:0.999). Paper (PyTorch default): [0.9, 0.999].'),
  eps: z.number().positive().default(1e-8).describe('AdamW epsilon. Paper (PyTorch default): 1e-8.'),
  weightDecay: z.number().min(0).default(0.01).describe('Decoupled weight decay. Paper: 0.01.'),
  gradClip: z.number().min(0).default(1.0).describe('Global gradient-norm clip; 0 = off (the norm is still reported). Paper: 1.0.'),
  miniBatchSize: int()
    .positive()
    .default(128)
    .describe('Prompts per optimizer step; trainBatchSize / miniBatchSize steps per rollout step. Paper: 128 (one step).'),
  ppoEpochs: int().positive().default(1).describe('Passes over each rollout batch. Paper: 1.'),
  updatesPerRollout: int()
    .positive()
    .nullable()
    .default(null)
    .describe(
      'Optimizer updates per rollout batch and epoch, as the references give it (verl: data.train_batch_size / actor.ppo_mini_batch_size): when set, the mini-batch is trainBatchSize / this (at least one group; it must divide trainBatchSize) and miniBatchSize is not used. null = miniBatchSize decides. Paper: null (one update). Preset dapo: 16 (verl recipe/dapo/run_dapo_qwen2.5_32b.sh: 512 / 32); gspo: 8 (verl examples/gspo_trainer/run_qwen30b_gspo.sh: 256 / 32).',
    ),
  microBatchTokens: z
    .union([z.literal('auto'), int().positive()])
    .default('auto')
    .describe(
      "Tokens per micro-batch (padded; forward/backward chunk, gradients accumulate). A memory knob, not an algorithm setting. 'auto': the memory plan's pick for the device (src/plan; `rlvr plan` prints it). Default auto (ours).",
    ),
  activationCheckpointing: z
    .union([z.literal('auto'), z.boolean()])
    .default('auto')
    .describe("Recompute activations in backward (less memory, ~1/3 more compute). 'auto': on only when the memory plan needs it. Default auto (ours)."),
  kvBudgetBytes: z
    .union([z.literal('auto'), z.number().positive()])
    .default('auto')
    .describe(
      "Bytes of KV cache the rollout engine may hold (rows are admitted in waves under it). 'auto': what the memory plan leaves free during rollouts. Default auto (ours).",
    ),
  zeroStage: int()
    .min(0)
    .max(1)
    .default(0)
    .describe(
      "ZeRO stage of a data-parallel run (rlvr train --nproc N): 0 = every rank keeps the whole AdamW state; 1 = each rank keeps it only for its balanced share of the parameters and broadcasts them after its update (src/distributed/sharded-adamw.ts; that state's memory / N, `rlvr plan --nproc N --set zeroStage=1` shows it). The same updates either way; no effect in one process. Default 0 (ours); the paper's code (verl FSDP, FULL_SHARD) shards weights, gradients and optimizer state.",
    ),
  computeDtype: z
    .enum(['auto', 'float32', 'bfloat16', 'float16'] as const satisfies readonly ComputeDTypeSetting[])
    .default('auto')
    .describe(
      'The dtype matmuls/attention compute in (generation, old and reference log-probs, update); parameters, gradients and AdamW states stay float32 (master weights). auto: bfloat16 (autocast) on CUDA, and on CPUs that multiply bf16 natively (AVX-512 BF16 or AMX-BF16, as libtorch reports them), float32 on other CPUs. Measured on a CPU with AVX-512 BF16 (bench/results/cpu-dtype.json: AMD EPYC, no AMX, SmolLM2-135M, 1 thread, 4 prompts × 8 rollouts × 128 tokens, 3 interleaved pairs, CPU seconds, float32/bf16 medians): step 1.37× (log-probs 1.63×, update 1.40×, generation 1.07×, within noise but not slower; peak RSS 0.93×); log-probs differ from float32 by 5e-3 on average (max 1.04 on 4,096 tokens). Paper (verl FSDP): bf16 compute, fp32 master weights.',
    ),
  reuseRolloutLogprobs: z
    .boolean()
    .default(false)
    .describe(
      "true: use the rollout engine's own per-token log-probs as the old log-probs (saves one forward pass per step). They are not bit-identical to the training forward's: measured gap per token (bench/logprob-gap.ts: a tiny random model on the CPU, 3072 tokens, seeds 0/1/2) float32 mean 1e-6 / max 6e-6 to 8e-6; bfloat16 compute (the CUDA default) mean 2.1e-2 to 2.2e-2 / max 0.15 to 0.22: PPO ratios move by up to ~20% for nothing and GSPO's 3e-4/4e-4 sequence clip fires on 88-98% of the sequences. Default false: recomputed with the training forward, as the paper's code (verl) does, except when the update is exactly on-policy (ppoEpochs 1, one mini-batch over the global batch, klRewardCoef 0): then none are needed and the update uses its own log-probs detached (ratio 1, the same gradient; TRL's GRPOTrainer with num_iterations 1), metric oldLogprobsFrom 'current'. true takes precedence over that.",
    ),

  // ---- loss ----
  policyGradient: z.boolean().default(true).describe('Include the clipped policy-gradient term. Paper: true; false only for the "entropy-only" ablation.'),
  clipRatio: z.number().gt(0).lt(1).default(0.2).describe('PPO ratio clip ε, in (0, 1): the ratio is clipped to [1-ε, 1+ε]. Paper: 0.2.'),
  klCoef: z
    .number()
    .min(0)
    .default(0.001)
    .describe('Coefficient of the low-variance KL loss against the frozen initial model; 0 disables it (and the reference model). Paper: 0.001.'),
  entropyCoef: z.number().default(0.001).describe('Coefficient of the entropy bonus (loss -= coef · entropy); negative minimises entropy. Paper: 0.001.'),
  lossAggregation: z
    .enum(LOSS_AGGREGATIONS)
    .default('token-mean')
    .describe(
      "How per-token losses are averaged: token-mean | verl-fork | seq-mean-token-mean | seq-mean-token-sum-norm. Default token-mean (ours: one mean over the mini-batch's tokens); the paper's code: verl-fork (token mean per token-budget micro-batch × its share of sequences, over 8 ranks; preset paper).",
    ),
  forkRanks: int()
    .positive()
    .default(8)
    .describe('verl-fork only: data-parallel ranks emulated on one device (the mini-batch rollouts must split evenly over them). Paper: 8 GPUs.'),
  forkMaxTokensPerRank: int()
    .positive()
    .default(24000)
    .describe('verl-fork only: micro-batch token budget per rank, prompt + response tokens. Paper: 24000 (ppo_max_token_len_per_gpu).'),
  reward: z
    .enum(['ours', 'paper', 'any'])
    .default('ours')
    .describe(
      "Training reward: ours (our verifier's reward mode: last box group, value equivalence), paper (the fork's DeepScaleR grader, src/tasks/math/paper/paper.ts) or any (the verifier's evaluation mode: the final answer in any format, for models that do not box, e.g. SmolLM2). Default ours; the paper's code: paper (preset paper). With ours and paper a truncated response with an unclosed final box scores 0.",
    ),
  validationScoring: z
    .enum(['eval', 'reward'])
    .default('eval')
    .describe(
      "How in-training validation is scored: eval (our evaluation grader) or reward (the training reward). Default eval (ours); the paper's code: reward (preset paper).",
    ),
  normalizeAdvantageByStd: z
    .boolean()
    .default(true)
    .describe("Divide group-centred rewards by the group's (unbiased) std + 1e-6. Paper: true; Dr. GRPO: false."),

  // ---- algorithm: the estimators and losses registered in src/algorithms/registry.ts ----
  advantageEstimator: z
    .enum(ADVANTAGE_ESTIMATORS)
    .default('grpo')
    .describe(
      `Advantage estimator (src/algorithms/). ${registeredHelp(ADVANTAGE_ESTIMATOR_REGISTRY)}. Paper: grpo (and gae for its PPO runs; verl's algorithm.adv_estimator).`,
    ),
  policyLoss: z
    .enum(POLICY_LOSSES)
    .default('vanilla')
    .describe(`Policy-gradient surrogate (src/algorithms/). ${registeredHelp(POLICY_LOSS_REGISTRY)}. Paper (verl 0.2): vanilla.`),
  clipRatioHigh: z
    .number()
    .min(0)
    .nullable()
    .default(null)
    .describe(
      'Upper clip ε_high: the ratio is clipped to [1 − clipRatio, 1 + clipRatioHigh]; null = clipRatio (symmetric). Paper: null. DAPO clip-higher: 0.28 with clipRatio 0.2 (arXiv 2503.14476, §3.1).',
    ),
  klRewardCoef: z
    .number()
    .min(0)
    .default(0)
    .describe(
      "KL to the reference folded into the reward per token, r_t −= coef·(logp_old − logp_ref) (verl's apply_kl_penalty, kl_penalty 'kl', fixed kl_ctrl); 0 = off. Paper's GRPO: 0 (KL loss instead); verl 0.2 PPO default (use_kl_loss False, algorithm.kl_ctrl.kl_coef): 0.001.",
    ),

  // ---- critic (advantageEstimator gae); values from verl 0.2's ppo_trainer.yaml in the paper's fork ----
  criticLr: z
    .number()
    .positive()
    .default(1e-5)
    .describe(
      "Critic AdamW learning rate, constant. verl 0.2 ppo_trainer.yaml (the paper's fork): critic.optim.lr 1e-5 (Paper: its PPO runs used verl's PPO config).",
    ),
  criticWeightDecay: z
    .number()
    .min(0)
    .default(0.01)
    .describe("Critic AdamW decoupled weight decay. verl 0.2 fsdp_workers (optim weight_decay default): 0.01 (Paper's PPO: verl default)."),
  criticGradClip: z.number().min(0).default(1.0).describe("Critic global gradient-norm clip; 0 = off. Paper's PPO (verl 0.2 critic.grad_clip): 1.0."),
  cliprangeValue: z
    .number()
    .positive()
    .default(0.5)
    .describe("Value clip: new values are clipped to old ± this in the value loss. Paper's PPO (verl 0.2 critic.cliprange_value): 0.5."),
  gamma: z.number().min(0).max(1).default(1.0).describe("GAE discount γ. Paper's PPO (verl 0.2 algorithm.gamma): 1.0."),
  lam: z.number().min(0).max(1).default(1.0).describe("GAE λ. Paper's PPO (verl 0.2 algorithm.lam): 1.0."),
  criticWarmup: int()
    .min(0)
    .default(0)
    .describe('Steps on which only the critic is updated before the actor starts. Paper (its script; verl 0.2 trainer.critic_warmup): 0.'),

  // ---- DAPO (Yu et al. 2025, arXiv 2503.14476) ----
  dynamicSampling: z
    .boolean()
    .default(false)
    .describe('DAPO dynamic sampling (§3.2): drop groups whose rewards are all equal and sample more until trainBatchSize groups are kept. Paper: false.'),
  maxGenerationBatches: int()
    .positive()
    .default(10)
    .describe(
      'Cap on rollout batches per step with dynamic sampling (verl filter_groups.max_num_gen_batches). Default 10 (DAPO recipe). At the cap the step trains on the groups it has (verl raises an error).',
    ),
  overlongFilter: z.boolean().default(false).describe('DAPO overlong filtering (§3.4): truncated responses get no loss (their tokens weigh 0). Paper: false.'),

  // ---- run ----
  steps: int().positive().default(2000).describe('Rollout steps. Paper: 2000 for the headline curve (peak MATH500 near step 1500).'),
  seed: int().min(0).default(1).describe('Seed of everything random in the run (sampling, data order). Default 1 (ours).'),
  samplingShards: z
    .union([z.literal('auto'), int().positive()])
    .default('auto')
    .describe(
      "A step's groups are sampled in this many seeded batches of consecutive groups (seed from (seed, step, shard)); the ranks of a data-parallel run (rlvr train --nproc N) each take whole shards, so the sampled tokens depend on samplingShards, not on N: fix it (e.g. 8) to get the same run on 1, 2, 4 or 8 ranks. 'auto' = one batch per rank (the fastest; one process samples exactly as before). Default auto (ours).",
    ),
  validateEvery: int().min(0).default(20).describe('Validate every k steps and after the last (0 = never). Paper: 20.'),
  saveEvery: int()
    .min(0)
    .default(100)
    .describe(
      "Save a checkpoint every k steps (0 = only at the end). Default 100 (ours); the paper's script saves every 20 (trainer.save_freq=20; preset paper).",
    ),
  keepLast: int().min(0).default(3).describe('Keep the newest k periodic checkpoints (the final one is always kept; 0 = keep all). Default 3 (ours).'),
};

function crossFieldChecks(
  c: {
    trainBatchSize: number;
    miniBatchSize: number;
    updatesPerRollout: number | null;
    groupSize: number;
    lossAggregation: LossAggregation;
    forkRanks: number;
    forkMaxTokensPerRank: number;
    maxPromptLength: number;
    maxResponseLength: number;
    overlongBuffer: number;
  },
  ctx: z.RefinementCtx,
): void {
  if (c.overlongBuffer > c.maxResponseLength) {
    ctx.addIssue({
      code: 'custom',
      path: ['overlongBuffer'],
      input: c.overlongBuffer,
      message: `must be at most maxResponseLength ${c.maxResponseLength}, got ${c.overlongBuffer}`,
    });
  }
  if (c.updatesPerRollout !== null && c.trainBatchSize % Math.min(c.updatesPerRollout, c.trainBatchSize) !== 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['updatesPerRollout'],
      input: c.updatesPerRollout,
      message: `must divide trainBatchSize ${c.trainBatchSize} (or be null: miniBatchSize decides), got ${c.updatesPerRollout}`,
    });
  }
  if (c.miniBatchSize > c.trainBatchSize || c.trainBatchSize % c.miniBatchSize !== 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['miniBatchSize'],
      input: c.miniBatchSize,
      message: `must divide trainBatchSize ${c.trainBatchSize}, got ${c.miniBatchSize}`,
    });
  }
  if (c.lossAggregation === 'verl-fork') {
    const rollouts = miniBatchOf(c) * c.groupSize;
    if (rollouts % c.forkRanks !== 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['forkRanks'],
        input: c.forkRanks,
        message: `verl-fork needs the ${rollouts} rollouts of a mini-batch (miniBatchSize × groupSize) to split evenly over forkRanks, got ${c.forkRanks}`,
      });
    }
    if (c.forkMaxTokensPerRank < c.maxPromptLength + c.maxResponseLength) {
      ctx.addIssue({
        code: 'custom',
        path: ['forkMaxTokensPerRank'],
        input: c.forkMaxTokensPerRank,
        message: `must hold one whole sequence (maxPromptLength + maxResponseLength = ${c.maxPromptLength + c.maxResponseLength}), got ${c.forkMaxTokensPerRank}`,
      });
    }
  }
}

/** A complete GRPO configuration; missing fields get the paper's values. Unknown keys are rejected. */
export const GRPOConfigSchema = z.strictObject(GRPO_FIELDS).superRefine(crossFieldChecks);

export type GRPOConfig = z.output<typeof GRPOConfigSchema>;
/** A partial GRPO configuration (overrides of the defaults / a preset). */
export type GRPOOverrides = Partial<GRPOConfig>;

type Unwrapped = { [K in keyof typeof GRPO_FIELDS]: z.ZodOptional<ReturnType<(typeof GRPO_FIELDS)[K]['removeDefault']>> };
/** Overrides: the same field types and ranges, every field optional, no defaults filled in. */
export const GRPOOverridesSchema = z.strictObject(
  Object.fromEntries(Object.entries(GRPO_FIELDS).map(([k, f]) => [k, f.removeDefault().optional()])) as Unwrapped,
);

export const GRPO_KEYS = Object.keys(GRPO_FIELDS) as (keyof GRPOConfig)[];

/** The paper's configuration (every default). */
export const PAPER_GRPO_CONFIG: Readonly<GRPOConfig> = Object.freeze(GRPOConfigSchema.parse({}));

/** Presets: partial overrides of the paper's configuration, applied before the user's own settings. */
export const PRESETS: Record<string, { description: string; overrides: GRPOOverrides }> = {
  full: { description: "the paper's loss: policy gradient + weight decay + KL + entropy", overrides: {} },
  'pg-only': { description: 'policy gradient only (Table 5)', overrides: { weightDecay: 0, klCoef: 0, entropyCoef: 0 } },
  'pg+wd': { description: '+ weight decay (Table 5)', overrides: { klCoef: 0, entropyCoef: 0 } },
  'pg+wd+kl': { description: '+ weight decay + KL (Table 5)', overrides: { entropyCoef: 0 } },
  'pg+wd+entropy': { description: '+ weight decay + entropy, no KL (Table 5)', overrides: { klCoef: 0 } },
  'entropy-only': {
    description: "entropy loss alone, no policy gradient (the paper's ablation)",
    overrides: { policyGradient: false, weightDecay: 0, klCoef: 0 },
  },
  'dr-grpo': {
    description: 'Dr. GRPO: no std normalisation, sequence sums normalised by the max length',
    overrides: { normalizeAdvantageByStd: false, lossAggregation: 'seq-mean-token-sum-norm' },
  },
  paper: {
    description:
      "the paper's code as it ran (docs/PAPER.md): its loss weighting over 8 emulated ranks, the DeepScaleR reward, validation by that reward, old log-probs recomputed, a checkpoint every 20 steps and every one kept (its evaluation walks through them)",
    // One-Shot-RLVR scripts/train/training_1.5b_pi1_r128.sh: trainer.save_freq=20, trainer.test_freq=20; verl keeps every checkpoint.
    overrides: {
      lossAggregation: 'verl-fork',
      forkRanks: 8,
      forkMaxTokensPerRank: 24000,
      reward: 'paper',
      validationScoring: 'reward',
      saveEvery: 20,
      validateEvery: 20,
      keepLast: 0,
      reuseRolloutLogprobs: false,
    },
  },
  // The algorithms' presets (grpo, ppo, dapo, ...): each algorithm file's, added from the registry below.
};
for (const a of ALGORITHMS) {
  if (PRESETS[a.name]) throw new Error(`preset '${a.name}': an algorithm and a preset share the name`);
  PRESETS[a.name] = { description: a.description, overrides: a.overrides as GRPOOverrides };
}
for (const [name, p] of Object.entries(PRESETS)) {
  const r = GRPOOverridesSchema.safeParse(p.overrides, { reportInput: true });
  if (!r.success) throw new Error(`preset '${name}': ${formatIssues(r.error.issues, (path) => path.join('.'))}`);
}

/** Preset name → its overrides (kept for callers of the former name). */
export const LOSS_PRESETS: Record<string, GRPOOverrides> = Object.fromEntries(Object.entries(PRESETS).map(([k, p]) => [k, p.overrides]));

/**
 * The library entry point: the paper's values, then a preset, then `overrides`, validated.
 * Throws a UserError (one line, naming the field) for a bad value or an unknown key.
 */
export function grpoConfig(overrides: GRPOOverrides = {}, preset = 'full'): GRPOConfig {
  const p = PRESETS[preset];
  if (!p) throw new UserError(`unknown preset '${preset}' (known: ${Object.keys(PRESETS).join(', ')})`);
  return parseGRPOConfig({ ...p.overrides, ...withMatchingMiniBatch(overrides) });
}

/**
 * Overrides that set trainBatchSize but not miniBatchSize also set miniBatchSize to match (one
 * optimizer step per rollout step, as the paper), instead of failing against the paper's 128.
 */
export function withMatchingMiniBatch<T extends GRPOOverrides>(overrides: T): T {
  if (overrides.trainBatchSize !== undefined && overrides.miniBatchSize === undefined) return { ...overrides, miniBatchSize: overrides.trainBatchSize };
  return overrides;
}

/**
 * Groups per optimizer update: trainBatchSize / updatesPerRollout when that is set (at most
 * trainBatchSize updates: one group each), else miniBatchSize.
 */
export function miniBatchOf(c: Pick<GRPOConfig, 'trainBatchSize' | 'miniBatchSize' | 'updatesPerRollout'>): number {
  return c.updatesPerRollout === null ? c.miniBatchSize : c.trainBatchSize / Math.min(c.updatesPerRollout, c.trainBatchSize);
}

/** DAPO's Lcache for this config: overlongBuffer, or a fifth of maxResponseLength when 0 (at least 1). */
export function overlongBufferOf(c: GRPOConfig): number {
  return c.overlongBuffer > 0 ? c.overlongBuffer : Math.max(1, Math.floor(c.maxResponseLength / 5));
}

/** Validates a (possibly partial) GRPO config object, filling the paper's defaults. */
export function parseGRPOConfig(raw: unknown, labelFor: (path: readonly PropertyKey[]) => string = (p) => `config: ${p.join('.')}`): GRPOConfig {
  const r = GRPOConfigSchema.safeParse(raw, { reportInput: true });
  if (!r.success) throw new UserError(formatIssues(r.error.issues, labelFor, () => GRPO_KEYS));
  return r.data;
}

/** Throws a UserError (one line) unless `c` is a valid, complete GRPO configuration. */
export function validateConfig(c: GRPOConfig): void {
  for (const k of GRPO_KEYS) if (c[k] === undefined) throw new UserError(`config: ${k}: required`);
  parseGRPOConfig(c);
}

/** Whether a run needs the frozen reference model (KL as a loss or in the reward). */
export function needsReference(c: Pick<GRPOConfig, 'klCoef' | 'klRewardCoef'>): boolean {
  return c.klCoef !== 0 || c.klRewardCoef !== 0;
}
