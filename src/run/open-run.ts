// Opening a run: the one path from validated settings (src/run/run-settings.ts) to everything a
// GRPO trainer needs, behind `rlvr train` (src/cli/train.ts), GRPOTrainer.fromPretrained and
// GRPOTrainer.resume alike, so they cannot drift. The model folder is opened as a ModelBundle
// (src/run/model-bundle.ts); the task (src/tasks/registry.ts, run setting `task`) gives the
// default reward and validation scoring. run_config.json is written by the same function, so a
// run started from code can be resumed by `rlvr train --resume` and the other way round.
// (Moved from src/rl/pretrained.ts; it does not import the trainer: no cycle.)
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { cuda, resolveComputeDtype, setNumThreads } from '../engine/index.js';
import { isAccelerator, rankDevice } from '../engine/device.js';
import type { RunConfig } from './run-config.js';
import { loadExamples, type TrainExample } from '../data/examples.js';
import { TRAIN_PROMPT_SUFFIX } from '../tasks/math/prompts.js';
import { evaluate, type EvalProblem, type Score, type Scorer } from '../eval/evaluate.js';
import { loadModel } from '../model/checkpoint.js';
import { LoraAdapters, loraSettings } from '../model/lora.js';
import { readAdapter } from '../model/peft-io.js';
import { verifyWithDeadline } from '../tasks/math/verifier/deadline.js';
import { VerifierPool } from '../tasks/math/verifier/pool.js';
import { UserError } from '../errors.js';
import { readDistEnv } from '../distributed/env.js';
import { atomicWriteFile, findCheckpoint } from '../rl/checkpoints.js';
import { checkResume, fingerprint } from '../rl/fingerprint.js';
import { acquireRunLock } from '../rl/run-lock.js';
import type { Tokenizer } from '../tokenizer/index.js';
import { needsReference, type GRPOConfig } from '../rl/config.js';
import { ValueModel } from '../rl/critic.js';
import { rewardList, type Rewards } from '../tasks/reward.js';
import { mathReward } from '../tasks/math/reward.js';
import type { CausalLM } from '../model/transformer.js';
import { getTask } from '../tasks/registry.js';
import { estimatorOf } from '../algorithms/registry.js';
import type { Task } from '../tasks/task.js';
import { ModelBundle } from './model-bundle.js';
import { IN_CODE, RUN_CONFIG_FILE, resumeWithOptions, validateRunOptions, type PretrainedOptions, type RunSettings } from './run-settings.js';

/**
 * What opening a run builds for the trainer: its options (src/rl/trainer.ts TrainerOptions, which
 * these fields match; written out here so the run layer does not import the trainer).
 */
export interface PretrainedParts {
  policy: CausalLM;
  /** The frozen reference, when the config needs one (KL). */
  reference: CausalLM | null;
  /** PPO's critic, or null. */
  critic: ValueModel | null;
  tokenizer: Tokenizer;
  examples: TrainExample[];
  renderPrompt: (ex: TrainExample) => string;
  stopTokenIds: number[];
  rewards: Rewards;
  config: GRPOConfig;
  runDir: string;
  /** The model folder whose tokenizer files every checkpoint gets. */
  tokenizerFrom: string;
  validate?: (step: number) => Promise<Record<string, number>>;
  tensorboard?: boolean;
  /** Frees the models, the reward's workers and the run lock. */
  dispose: () => Promise<void>;
}

/**
 * GRPOTrainer.fromPretrained: validates the library's options with the run schema, then opens
 * the run as `rlvr train` does (openRun) and writes run_config.json.
 */
export async function openPretrained(modelDir: string, opts: PretrainedOptions): Promise<OpenedRun> {
  const settings = validateRunOptions(modelDir, opts);
  return openFromLibrary(settings, opts, null);
}

/**
 * GRPOTrainer.resume: the run's recorded settings with `given` laid over them (the same merge as
 * `rlvr train --resume`), opened from its newest intact checkpoint. Code-only options (rewards,
 * examples built in code) must be given again.
 */
export async function openResumed(
  runDir: string,
  given: Partial<PretrainedOptions>,
  log: (line: string) => void,
): Promise<{ opened: OpenedRun; checkpoint: string }> {
  const checkpoint = findCheckpoint(runDir, log);
  if (!checkpoint) throw new Error(`resume: no complete checkpoint under ${path.join(runDir, 'checkpoints')}`);
  const settings = resumeWithOptions(runDir, given);
  const data = settings.run.data;
  if (given.data === undefined && !fs.existsSync(data))
    throw new Error(`resume: the run's data ${data} is not a file; pass the examples again (resume(runDir, { data }))`);
  const opened = await openFromLibrary(settings, given, checkpoint);
  return { opened, checkpoint };
}

async function openFromLibrary(settings: RunSettings, opts: Partial<PretrainedOptions>, checkpoint: string | null): Promise<OpenedRun> {
  const { run } = settings;
  if (run.threads) setNumThreads(run.threads);
  const opened = await openRun({
    settings,
    checkpoint,
    examples: opts.data === undefined || typeof opts.data === 'string' ? undefined : opts.data,
    // Problems given in code are not in the run description: their settings come along.
    ...(opts.validation && typeof opts.validation.data !== 'string' ? { validationProblems: opts.validation.data, validation: opts.validation } : {}),
    rewards: opts.rewards,
  });
  // In a data-parallel run (RANK set) rank 0 writes, as in `rlvr train`; a resume that changes
  // settings records them as `rlvr train --resume` does (at the checkpoint's step).
  const dist = readDistEnv();
  const changed = settings.changes ?? {};
  const step = checkpoint ? Number(/step-(\d+)$/.exec(path.basename(checkpoint))?.[1] ?? 0) : 0;
  const resumes = Object.keys(changed).length > 0 ? [...run.resumes, { step, time: new Date().toISOString(), changed }] : run.resumes;
  if (!dist || dist.rank === 0) opened.saveRunConfig(resumes);
  return opened;
}

/** What openRun needs: validated settings, plus what only code (or the CLI) gives. */
export interface OpenInputs {
  /** The validated settings (run file + flags, or the library's options): src/run/run-settings.ts. */
  settings: RunSettings;
  /** Examples built in code instead of run.data. */
  examples?: TrainExample[];
  /** Validation problems built in code instead of run.validation.data. */
  validationProblems?: EvalProblem[];
  /** Validation settings when the problems are given in code (run.validation otherwise). */
  validation?: { limit?: number; maxTokens?: number; batchSize?: number };
  /** Reward function(s). Default: the task's (math: the verifier, mathReward in grpo.reward's mode, in a 2-worker pool). */
  rewards?: Rewards;
  /** Resuming: the checkpoint folder the policy's weights come from. */
  checkpoint?: string | null;
}

/** The opened run: the trainer's parts, and what the CLI reports from them. */
export interface OpenedRun extends PretrainedParts {
  /** The device the models are on (a data-parallel rank's own GPU). */
  device: string;
  /** The task of the run (run.task), resolved in the registry. */
  task: Task;
  /** The suffix {problem, answer} rows got. */
  promptSuffix: string;
  /** The verifier pool of the default math reward (its timeouts are worth reporting), or null. */
  pool: VerifierPool | null;
  /**
   * Writes run_config.json: every setting, absolute paths, the complete GRPO config and the resume
   * records (default run.resumes): what `rlvr train --resume` and GRPOTrainer.resume read back.
   */
  saveRunConfig: (resumes?: RunConfig['resumes']) => void;
}

/**
 * The one place that opens a run, for `rlvr train` and the library alike: loads the data
 * ({problem, answer} rows get the run's prompt suffix, default the paper's), the validation
 * problems, the model folder as a ModelBundle (the policy from `checkpoint` when resuming), the
 * frozen reference when the config needs one, PPO's critic, the stop tokens (the model's EOS ids
 * plus run.stop, as vLLM did in the paper's run); the task's reward (math: the verifier in
 * grpo.reward's mode) unless rewards are given; validation (greedy, scored like the training
 * reward when grpo.validationScoring is 'reward'); saveRunConfig() writes run_config.json. In a
 * data-parallel run each rank takes its own GPU (cuda:LOCAL_RANK). Bad data or model files are
 * one-line UserErrors.
 */
export async function openRun(inputs: OpenInputs): Promise<OpenedRun> {
  const { run, grpo: config, runDir } = inputs.settings;
  const task = getTask(run.task);
  const promptSuffix = run.promptSuffix === undefined ? TRAIN_PROMPT_SUFFIX : run.promptSuffix === 'none' ? '' : run.promptSuffix;
  const examples = inputs.examples ?? (await userErrors(() => loadExamples(run.data, { suffix: promptSuffix })));
  if (examples.length === 0) throw new UserError(`${inputs.examples ? 'data' : run.data}: no training examples`);
  const v = inputs.validationProblems ? (inputs.validation ?? {}) : (run.validation ?? {});
  const valSource = inputs.validationProblems ?? run.validation?.data;
  const valProblems = valSource === undefined ? null : await validationProblems(valSource, v.limit);

  // Each rank of a data-parallel run uses its own GPU: cuda:LOCAL_RANK.
  const dist = readDistEnv();
  const baseDevice = run.device ?? cuda.defaultDevice();
  const device = dist ? rankDevice(baseDevice, dist.localRank, dist.worldSize) : baseDevice;
  // The current device before any CUDA work: stream pools (CUDA graphs) and NCCL otherwise use cuda:0.
  // (Without CUDA, --device cuda fails later with the model checks' own message.)
  if (isAccelerator(device) && cuda.isAvailable()) cuda.setDevice(device);
  // The frozen reference only runs forward passes: with bf16 compute its weights are stored in
  // bf16 (half the memory of float32 master weights).
  const computeDtype = resolveComputeDtype(config.computeDtype, device);
  if (computeDtype !== 'float32' && run.dtype !== 'float32') {
    throw new UserError(
      `dtype ${run.dtype}: computeDtype ${computeDtype} keeps float32 master weights; use dtype float32 (--dtype float32), or grpo.computeDtype float32 for pure ${run.dtype} training, which loses updates at lr 1e-6`,
    );
  }
  // One writer per run folder (src/rl/run-lock.ts); in a data-parallel run rank 0 writes and locks.
  const lock = !dist || dist.rank === 0 ? acquireRunLock(runDir, (line) => process.stderr.write(line + '\n')) : null;
  const models: { dispose(): void }[] = [];
  try {
    const bundle = await userErrors(() => ModelBundle.load(run.model, { device, dtype: run.dtype }));
    const { tokenizer, tokenizerConfig } = bundle;
    let policy = bundle.model;
    models.push(policy);
    // What the run is (model, weights, data): recorded at the start, checked on resume (src/rl/fingerprint.ts).
    const dataForDigest = inputs.examples ?? run.data;
    if (inputs.checkpoint) checkResume({ checkpoint: inputs.checkpoint, model: run.model, data: dataForDigest, recorded: run.fingerprint });
    const runFingerprint = inputs.checkpoint && run.fingerprint ? run.fingerprint : fingerprint(run.model, dataForDigest);
    // Rollouts stop at the model's EOS ids (generation_config.json / tokenizer_config.json), as
    // vLLM did in the paper's run; run.stop (--stop) adds more (e.g. '<|im_end|>').
    const stops = bundle.stopTokenIds(run.stop);
    if (stops.unknown !== null) throw new UserError(`--stop: '${stops.unknown}' is not a token of this model's vocabulary (run setting stop)`);
    const stopTokenIds = stops.ids;
    if (stopTokenIds.length === 0)
      throw new UserError(
        `${run.model} names no EOS token (config.json, generation_config.json, tokenizer_config.json): give a stop token (--stop TOKEN, or stop: [TOKEN])`,
      );
    // With LoRA the reference is the policy's base with its adapters off: no second copy.
    const reference =
      needsReference(config) && !run.lora
        ? await userErrors(() => loadModel(run.model, { device, dtype: computeDtype === 'float32' ? run.dtype : computeDtype }))
        : null;
    if (reference) models.push(reference);
    if (run.lora) {
      // LoRA: the base stays the run's model; adapters start fresh (A seeded by grpo.seed) or
      // come from the checkpoint (a PEFT adapter folder).
      const settings = loraSettings(run.lora);
      if (inputs.checkpoint) {
        const saved = await userErrors(() => readAdapter(inputs.checkpoint!));
        try {
          await userErrors(() => LoraAdapters.attach(policy, settings, { weights: saved.weights }));
        } finally {
          for (const t of saved.weights.values()) t.dispose();
        }
      } else {
        LoraAdapters.attach(policy, settings, { seed: config.seed });
      }
    } else if (inputs.checkpoint) {
      const checkpoint = inputs.checkpoint;
      policy.dispose();
      models.shift();
      policy = await userErrors(() => loadModel(checkpoint, { device, dtype: run.dtype }));
      models.push(policy);
    }
    // PPO's critic starts from the same folder as the policy; on resume the trainer copies its
    // weights from the checkpoint (loadCheckpointState).
    const critic = estimatorOf(config.advantageEstimator).needs.critic
      ? await userErrors(() => ValueModel.fromPolicy(run.model, { device, dtype: run.dtype, seed: config.seed }))
      : null;
    if (critic) models.push(critic);
    const renderPrompt = (ex: TrainExample) => bundle.renderPrompt(ex.messages);

    // The reward: the user's, else the task's. Math keeps its own pool (its timeouts are
    // reported) and grpo.reward's mode, a math setting that still sits in the GRPO schema.
    const rewardMode = config.reward === 'paper' ? 'paper' : config.reward === 'any' ? 'eval' : 'reward';
    const isMath = task.name === 'math';
    const userRewards = inputs.rewards ?? (run.rewardModule ? await loadRewardModule(run.rewardModule) : undefined);
    const pool = userRewards || !isMath ? null : new VerifierPool({ size: 2 });
    const rewards = userRewards ?? (pool ? mathReward(pool, { mode: rewardMode }) : task.rewards({ workers: 2 }));

    // Validation scoring: math as before (the verifier's evaluation mode, or its training reward
    // with grpo.validationScoring 'reward'); any other task scores with its own score().
    const scorer: Scorer | undefined = !isMath
      ? (gold, response, ctx) => {
          const s = task.score(gold, response, ctx);
          return { ...s, reason: s.reason as Score['reason'] };
        }
      : config.validationScoring === 'reward'
        ? // The paper's code scored validation with its training reward (greedy, same stops), under the verifier's deadline.
          (gold, response, ctx) => {
            const s = verifyWithDeadline(gold, response, { mode: rewardMode, truncated: ctx.truncated });
            return { correct: s.correct, extracted: s.extractedPred, reason: s.reason };
          }
        : undefined;
    const validate = valProblems
      ? async (step?: number) => {
          const r = evaluate(policy, tokenizer, [{ name: 'validation', problems: valProblems, decoding: { greedy: true } }], {
            maxNewTokens: v.maxTokens ?? config.maxResponseLength,
            batchSize: v.batchSize ?? 16,
            chatTemplate: tokenizerConfig.chatTemplate,
            tokenizerConfig,
            stopTokenIds,
            keepRecords: true,
            scorer,
            ...(isMath ? {} : { promptBuilder: (problem: string) => bundle.renderPrompt(task.evalMessages(problem)) }),
          });
          // Per-problem outcomes ('1'/'0' in problem order) to validation.jsonl: what paired tests
          // between runs on the same problems need (src/rl/ablation.ts, rlvr compare).
          const outcomes = Array.from({ length: valProblems.length }, () => '0');
          for (const rec of r.records['validation'] ?? []) if (rec.correct) outcomes[rec.index] = '1';
          fs.mkdirSync(runDir, { recursive: true });
          fs.appendFileSync(
            path.join(runDir, 'validation.jsonl'),
            JSON.stringify({ step: step ?? null, n: valProblems.length, outcomes: outcomes.join('') }) + '\n',
          );
          return { accuracy: r.benchmarks['validation']!.accuracy };
        }
      : undefined;

    const saveRunConfig = (resumes: RunConfig['resumes'] = run.resumes) => {
      fs.mkdirSync(runDir, { recursive: true });
      const record = inputs.examples ? { ...run, data: IN_CODE } : run;
      atomicWriteFile(
        path.join(runDir, RUN_CONFIG_FILE),
        JSON.stringify({ ...record, out: runDir, grpo: config, resumes, fingerprint: runFingerprint }, null, 2) + '\n',
      );
    };

    return {
      policy,
      reference,
      critic,
      tokenizer,
      examples,
      renderPrompt,
      stopTokenIds,
      rewards,
      config,
      runDir,
      tokenizerFrom: run.model,
      validate,
      tensorboard: run.loggers.includes('tensorboard'),
      device,
      task,
      promptSuffix,
      pool,
      saveRunConfig,
      dispose: async () => {
        policy.dispose();
        reference?.dispose();
        critic?.dispose();
        await pool?.close();
        await task.close?.();
        lock?.release();
      },
    };
  } catch (e) {
    for (const m of models) m.dispose();
    await task.close?.();
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

async function validationProblems(data: string | EvalProblem[], limit?: number): Promise<EvalProblem[]> {
  const problems =
    typeof data === 'string'
      ? (await userErrors(() => loadExamples(data))).map((ex) => ({
          problem: ex.messages
            .filter((m) => m.role === 'user')
            .map((m) => m.content)
            .join('\n'),
          answer: ex.groundTruth,
        }))
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
    mod = (await import(pathToFileURL(abs).href)) as Record<string, unknown>;
  } catch (err) {
    throw new UserError(`--reward-module ${file}: cannot load it: ${(err as Error).message.split('\n')[0]}`);
  }
  const r = mod['default'] ?? mod['rewards'];
  if (r === undefined) throw new UserError(`--reward-module ${file}: export the reward as default or as 'rewards' (a function, or [{ name, fn, weight }])`);
  if (typeof r !== 'function' && !Array.isArray(r))
    throw new UserError(`--reward-module ${file}: the export is a ${typeof r}, not a reward function or a list of { name, fn, weight }`);
  try {
    rewardList(r as Rewards);
  } catch (err) {
    throw new UserError(`--reward-module ${file}: ${(err as Error).message}`);
  }
  return r as Rewards;
}
