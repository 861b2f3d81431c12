// Everything a GRPO trainer needs, built from a Hugging Face model folder and a run description:
// buildTrainerParts is the one place that builds it, behind `rlvr train` (src/cli/train.ts) and
// GRPOTrainer.fromPretrained / GRPOTrainer.resume alike, so the two cannot drift. The library's
// options are validated by the same schema as `rlvr train`'s run file and flags
// (src/run/run-config.ts), and run_config.json is written by the same function, so a run
// started from code can be resumed by `rlvr train --resume` and the other way round.
// (Kept apart from trainer.ts, which it does not import: no cycle.)
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { cuda, resolveComputeDtype, setNumThreads } from '../engine/index.js';
import { RunConfigBuilder, resolvePaths, type RunConfig, type RunConfigInput } from '../run/run-config.js';
import { loadExamples, type TrainExample } from '../data/examples.js';
import { TRAIN_PROMPT_SUFFIX } from '../tasks/math/prompts.js';
import { evaluate, loadModelFolder, type EvalProblem } from '../eval/evaluate.js';
import { loadModel } from '../model/checkpoint.js';
import { verifyWithDeadline } from '../tasks/math/verifier/deadline.js';
import { VerifierPool } from '../tasks/math/verifier/pool.js';
import { UserError } from '../errors.js';
import { readDistEnv } from '../distributed/env.js';
import { atomicWriteFile } from './checkpoints.js';
import { checkResume, fingerprint } from './fingerprint.js';
import { acquireRunLock } from './run-lock.js';
import { renderChat, QWEN2_5_CHAT_TEMPLATE, type Tokenizer } from '../tokenizer/index.js';
import { needsReference, type GRPOConfig } from './config.js';
import { ValueModel } from './critic.js';
import { mathReward, rewardList, type Rewards } from './rewards.js';
import type { TrainerOptions } from './stages/types.js';
import { extractAnswer } from '../tasks/math/verifier/extract.js';
import { estimatorOf } from '../algorithms/registry.js';

/**
 * The run description for library use: the run file's fields (src/run/run-config.ts; all but
 * `data` optional, the GRPO settings default to the paper's) plus what only code can give.
 */
export interface PretrainedOptions extends Omit<RunConfigInput, 'model' | 'data' | 'validation' | 'resumes'> {
  /** Training data: a .parquet (verl layout) / .jsonl / .json file, or examples built in code. */
  data: string | TrainExample[];
  /** In-training greedy validation: a problems file (jsonl/parquet) or problems in code. */
  validation?: { data: string | EvalProblem[]; limit?: number; maxTokens?: number; batchSize?: number };
  /** Reward function(s). Default: the math verifier (mathReward) in a 2-worker pool. */
  rewards?: Rewards;
}

/** The trainer's inputs that fromPretrained builds (structurally a subset of TrainerOptions). */
/**
 * What fromPretrained builds: the trainer's options (see TrainerOptions for each field), with the
 * tokenizer, critic, tokenizer folder and dispose always set.
 */
export type PretrainedParts = Required<Pick<TrainerOptions, 'policy' | 'reference' | 'examples' | 'renderPrompt' | 'stopTokenIds' | 'rewards' | 'config' | 'runDir' | 'tokenizerFrom' | 'dispose'>>
  & Pick<TrainerOptions, 'validate' | 'tensorboard' | 'task'>
  & { tokenizer: Tokenizer; critic: ValueModel | null };

/** The run file written into every run folder (what resume and `rlvr train --resume` read back). */
export const RUN_CONFIG_FILE = 'run_config.json';

/** Stands in for `data` in run_config.json when the examples were passed in code. */
const IN_CODE = '(examples passed in code: resume with GRPOTrainer.resume(runDir, { data }))';

/** The options validated by the run schema: the run description and the complete GRPO config. */
export function validateRunOptions(modelDir: string, opts: PretrainedOptions, label = 'GRPOTrainer.fromPretrained'): { run: RunConfig; grpo: GRPOConfig } {
  const { data, validation, rewards: _rewards, ...rest } = opts as PretrainedOptions & Record<string, unknown>;
  for (const k of ['log', 'onStep']) delete rest[k];
  const raw: Record<string, unknown> = resolvePaths({
    ...rest,
    model: modelDir,
    data: typeof data === 'string' ? data : IN_CODE,
    ...(validation && typeof validation.data === 'string' ? { validation } : {}),
  }, process.cwd());
  if (typeof data !== 'string') raw['data'] = IN_CODE;
  return RunConfigBuilder.fromObject(raw, label).buildWithGRPO();
}

/**
 * The library path (GRPOTrainer.fromPretrained / resume): validates the options with the run
 * schema, then builds the parts as `rlvr train` does (buildTrainerParts).
 */
export async function pretrainedParts(modelDir: string, opts: PretrainedOptions, checkpoint: string | null = null, resumes: RunConfig['resumes'] = []): Promise<PretrainedParts> {
  const { run, grpo } = validateRunOptions(modelDir, opts, checkpoint ? 'GRPOTrainer.resume' : 'GRPOTrainer.fromPretrained');
  if (run.threads) setNumThreads(run.threads);
  const parts = await buildTrainerParts({
    run, grpo, checkpoint,
    examples: typeof opts.data === 'string' ? undefined : opts.data,
    // Problems given in code are not in the run description: their settings come along.
    ...(opts.validation && typeof opts.validation.data !== 'string' ? { validationProblems: opts.validation.data, validation: opts.validation } : {}),
    rewards: opts.rewards,
  });
  // In a data-parallel run (RANK set) rank 0 writes, as in `rlvr train`.
  const dist = readDistEnv();
  if (!dist || dist.rank === 0) parts.saveRunConfig(resumes);
  return parts;
}

/** What buildTrainerParts needs: validated settings, plus what only code (or the CLI) gives. */
export interface BuildInputs {
  /** The validated run description (run file + flags, or the library's options). */
  run: RunConfig;
  grpo: GRPOConfig;
  /** Examples built in code instead of run.data. */
  examples?: TrainExample[];
  /** Validation problems built in code instead of run.validation.data. */
  validationProblems?: EvalProblem[];
  /** Validation settings when the problems are given in code (run.validation otherwise). */
  validation?: { limit?: number; maxTokens?: number; batchSize?: number };
  /** Reward function(s). Default: the math verifier (mathReward, grpo.reward's mode) in a 2-worker pool. */
  rewards?: Rewards;
  /** Resuming: the checkpoint folder the policy's weights come from. */
  checkpoint?: string | null;
  /** Overrides run.device (a data-parallel rank's own GPU). */
  device?: string;
}

/** The parts, and what the CLI reports from them. */
export interface BuiltParts extends PretrainedParts {
  /** The device the models are on. */
  device: string;
  /** The suffix {problem, answer} rows got. */
  promptSuffix: string;
  /** The verifier pool of the default reward (its timeouts are worth reporting), or null. */
  pool: VerifierPool | null;
  /**
   * Writes run_config.json: every setting, absolute paths, the complete GRPO config and the resume
   * records (default run.resumes): what `rlvr train --resume` and GRPOTrainer.resume read back.
   */
  saveRunConfig: (resumes?: RunConfig['resumes']) => void;
}

/**
 * The one place that builds a trainer's inputs, for `rlvr train` and the library alike: loads the
 * data ({problem, answer} rows get the run's prompt suffix, default the paper's), the validation
 * problems, the policy from the model folder (or from `checkpoint` when resuming), the frozen
 * reference when the config needs one, PPO's critic, the tokenizer, chat template and stop tokens
 * (the model's EOS ids plus run.stop, as vLLM did in the paper's run); the reward (the math
 * verifier by default, in grpo.reward's mode); validation (greedy, scored like the training reward
 * when grpo.validationScoring is 'reward'); saveRunConfig() writes run_config.json. Bad data or
 * model files are one-line UserErrors.
 */
export async function buildTrainerParts(inputs: BuildInputs): Promise<BuiltParts> {
  const { run, grpo: config } = inputs;
  const runDir = path.resolve(run.out ?? path.join('runs', `train-${new Date().toISOString().replace(/[:.]/g, '-')}`));
  const promptSuffix = run.promptSuffix === undefined ? TRAIN_PROMPT_SUFFIX : run.promptSuffix === 'none' ? '' : run.promptSuffix;
  const examples = inputs.examples ?? await userErrors(() => loadExamples(run.data, { suffix: promptSuffix }));
  if (examples.length === 0) throw new UserError(`${inputs.examples ? 'data' : run.data}: no training examples`);
  const v = inputs.validationProblems ? inputs.validation ?? {} : run.validation ?? {};
  const valSource = inputs.validationProblems ?? run.validation?.data;
  const valProblems = valSource === undefined ? null : await validationProblems(valSource, v.limit);

  const device = inputs.device ?? run.device ?? cuda.defaultDevice();
  // The frozen reference only runs forward passes: with bf16 compute its weights are stored in
  // bf16 (half the memory of float32 master weights).
  const computeDtype = resolveComputeDtype(config.computeDtype, device);
  if (computeDtype !== 'float32' && run.dtype !== 'float32') {
    throw new UserError(`dtype ${run.dtype}: computeDtype ${computeDtype} keeps float32 master weights; use dtype float32 (--dtype float32), or grpo.computeDtype float32 for pure ${run.dtype} training, which loses updates at lr 1e-6`);
  }
  // One writer per run folder (src/rl/run-lock.ts); in a data-parallel run rank 0 writes and locks.
  const dist = readDistEnv();
  const lock = !dist || dist.rank === 0 ? acquireRunLock(runDir, (line) => process.stderr.write(line + '\n')) : null;
  const models: { dispose(): void }[] = [];
  try {
    const loaded = await userErrors(() => loadModelFolder(run.model, { device, dtype: run.dtype }));
    const { tokenizer, tokenizerConfig } = loaded;
    let policy = loaded.model;
    models.push(policy);
    // What the run is (model, weights, data): recorded at the start, checked on resume (src/rl/fingerprint.ts).
    const dataForDigest = inputs.examples ?? run.data;
    if (inputs.checkpoint) checkResume({ checkpoint: inputs.checkpoint, model: run.model, data: dataForDigest, recorded: run.fingerprint });
    const runFingerprint = inputs.checkpoint && run.fingerprint ? run.fingerprint : fingerprint(run.model, dataForDigest);
    // Rollouts stop at the model's EOS ids (generation_config.json / tokenizer_config.json), as
    // vLLM did in the paper's run; run.stop (--stop) adds more (e.g. '<|im_end|>').
    const stopTokenIds = [...new Set([...loaded.eosTokenIds, ...run.stop.map((t) => {
      const id = tokenizer.tokenToId(t);
      if (id === undefined) throw new UserError(`--stop: '${t}' is not a token of this model's vocabulary (run setting stop)`);
      return id;
    })])];
    if (stopTokenIds.length === 0) throw new UserError(`${run.model} names no EOS token (config.json, generation_config.json, tokenizer_config.json): give a stop token (--stop TOKEN, or stop: [TOKEN])`);
    const reference = needsReference(config) ? await userErrors(() => loadModel(run.model, { device, dtype: computeDtype === 'float32' ? run.dtype : computeDtype })) : null;
    if (reference) models.push(reference);
    if (inputs.checkpoint) {
      const checkpoint = inputs.checkpoint;
      policy.dispose();
      models.shift();
      policy = await userErrors(() => loadModel(checkpoint, { device, dtype: run.dtype }));
      models.push(policy);
    }
    // PPO's critic starts from the same folder as the policy; on resume the trainer copies its
    // weights from the checkpoint (loadCheckpointState).
    const critic = estimatorOf(config.advantageEstimator).needs.critic ? await userErrors(() => ValueModel.fromPolicy(run.model, { device, dtype: run.dtype, seed: config.seed })) : null;
    if (critic) models.push(critic);
    const template = tokenizerConfig.chatTemplate ?? QWEN2_5_CHAT_TEMPLATE;
    const specialTokens = { bosToken: tokenizerConfig.bosToken, eosToken: tokenizerConfig.eosToken, padToken: tokenizerConfig.padToken, unkToken: tokenizerConfig.unkToken };
    const renderPrompt = (ex: TrainExample) => renderChat(template, ex.messages, { addGenerationPrompt: true, specialTokens });

    const rewardMode = config.reward === 'paper' ? 'paper' : config.reward === 'any' ? 'eval' : 'reward';
    const userRewards = inputs.rewards ?? (run.rewardModule ? await loadRewardModule(run.rewardModule) : undefined);
    const pool = userRewards ? null : new VerifierPool({ size: 2 });
    const rewards = userRewards ?? mathReward(pool!, { mode: rewardMode });

    const validate = valProblems ? async (step?: number) => {
      const r = evaluate(policy, tokenizer, [{ name: 'validation', problems: valProblems, decoding: { greedy: true } }], {
        maxNewTokens: v.maxTokens ?? config.maxResponseLength, batchSize: v.batchSize ?? 16,
        chatTemplate: tokenizerConfig.chatTemplate, tokenizerConfig, stopTokenIds, keepRecords: true,
        // The paper's code scored validation with its training reward (greedy, same stops), under the verifier's deadline.
        scorer: config.validationScoring === 'reward'
          ? (gold, response, ctx) => {
            const s = verifyWithDeadline(gold, response, { mode: rewardMode, truncated: ctx.truncated });
            return { correct: s.correct, extracted: s.extractedPred, reason: s.reason };
          }
          : undefined,
      });
      // Per-problem outcomes ('1'/'0' in problem order) to validation.jsonl: what paired tests
      // between runs on the same problems need (src/rl/ablation.ts, rlvr compare).
      const outcomes = Array.from({ length: valProblems.length }, () => '0');
      for (const rec of r.records['validation'] ?? []) if (rec.correct) outcomes[rec.index] = '1';
      fs.mkdirSync(runDir, { recursive: true });
      fs.appendFileSync(path.join(runDir, 'validation.jsonl'), JSON.stringify({ step: step ?? null, n: valProblems.length, outcomes: outcomes.join('') }) + '\n');
      return { accuracy: r.benchmarks['validation']!.accuracy };
    } : undefined;

    const saveRunConfig = (resumes: RunConfig['resumes'] = run.resumes) => {
      fs.mkdirSync(runDir, { recursive: true });
      const record = inputs.examples ? { ...run, data: IN_CODE } : run;
      atomicWriteFile(path.join(runDir, RUN_CONFIG_FILE), JSON.stringify({ ...record, out: runDir, grpo: config, resumes, fingerprint: runFingerprint }, null, 2) + '\n');
    };

    return {
      policy, reference, critic, tokenizer, examples, renderPrompt, stopTokenIds, rewards, config, runDir, tokenizerFrom: run.model, validate,
      tensorboard: run.loggers.includes('tensorboard'), task: { name: 'math', extract: (text: string) => extractAnswer(text, { mode: 'reward' }), binaryReward: true },
      device, promptSuffix, pool, saveRunConfig,
      dispose: async () => {
        policy.dispose();
        reference?.dispose();
        critic?.dispose();
        await pool?.close();
        lock?.release();
      },
    };
  } catch (e) {
    for (const m of models) m.dispose();
    lock?.release();
    throw e;
  }
}

/** Runs `f`, turning its errors into one-line UserErrors (a missing file, a bad model folder, a bad data row). */
async function userErrors<T>(f: () => T | Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError((e as Error).message);
  }
}

/** A run's recorded settings (its run_config.json, validated), for resume. */
export function readRunConfig(runDir: string): RunConfig {
  const file = path.join(runDir, RUN_CONFIG_FILE);
  if (!fs.existsSync(file)) throw new Error(`${runDir} has no ${RUN_CONFIG_FILE} (is it a run folder?)`);
  return RunConfigBuilder.fromFile(file).build();
}

async function validationProblems(data: string | EvalProblem[], limit?: number): Promise<EvalProblem[]> {
  const problems = typeof data === 'string'
    ? (await userErrors(() => loadExamples(data))).map((ex) => ({ problem: ex.messages.filter((m) => m.role === 'user').map((m) => m.content).join('\n'), answer: ex.groundTruth }))
    : data;
  if (problems.length === 0) throw new UserError(`validation data${typeof data === 'string' ? ` ${data}` : ''}: no problems`);
  return limit ? problems.slice(0, limit) : problems;
}

/**
 * The training reward from a user's JS module (`rlvr train --reward-module FILE`): its default
 * export, or its export `rewards`, must be what the library's GRPOTrainer accepts (a
 * RewardFunction, or [{ name, fn, weight }]); checked by rewardList as the trainer checks it.
 * Every problem is one line (UserError).
 */
export async function loadRewardModule(file: string): Promise<Rewards> {
  const abs = path.resolve(file);
  if (!fs.existsSync(abs)) throw new UserError(`--reward-module: no such file: ${file}`);
  let mod: Record<string, unknown>;
  try {
    mod = await import(pathToFileURL(abs).href) as Record<string, unknown>;
  } catch (err) {
    throw new UserError(`--reward-module ${file}: cannot load it: ${(err as Error).message.split('\n')[0]}`);
  }
  const r = mod['default'] ?? mod['rewards'];
  if (r === undefined) throw new UserError(`--reward-module ${file}: export the reward as default or as 'rewards' (a function, or [{ name, fn, weight }])`);
  if (typeof r !== 'function' && !Array.isArray(r)) throw new UserError(`--reward-module ${file}: the export is a ${typeof r}, not a reward function or a list of { name, fn, weight }`);
  try {
    rewardList(r as Rewards);
  } catch (err) {
    throw new UserError(`--reward-module ${file}: ${(err as Error).message}`);
  }
  return r as Rewards;
}
