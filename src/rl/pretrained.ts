// Everything a GRPO trainer needs, built from a Hugging Face model folder and a partial run
// description: the library path behind GRPOTrainer.fromPretrained / GRPOTrainer.resume.
// The run description is validated by the same schema as `rlvr train`'s run file and flags
// (src/config/run-config.ts), and run_config.json is written in the same format, so a run
// started from code can be resumed by `rlvr train --resume` and the other way round.
// (Kept apart from trainer.ts, which it does not import: no cycle.)
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cuda, resolveComputeDtype, setNumThreads } from '../engine/index.js';
import { RunConfigBuilder, resolvePaths, type RunConfig, type RunConfigInput } from '../config/run-config.js';
import { loadExamples, type TrainExample } from '../data/examples.js';
import { TRAIN_PROMPT_SUFFIX } from '../data/prompts.js';
import { evaluate, evalStopTokenIds, loadModelFolder, type EvalProblem } from '../eval/evaluate.js';
import { loadModel } from '../model/checkpoint.js';
import { VerifierPool } from '../reward/pool.js';
import { renderChat, QWEN2_5_CHAT_TEMPLATE, type Tokenizer } from '../tokenizer/index.js';
import { needsReference, type GRPOConfig } from './config.js';
import { ValueModel } from './critic.js';
import { mathReward, type Rewards } from './rewards.js';
import type { TrainerOptions } from './trainer.js';

/**
 * The run description for library use: the run file's fields (src/config/run-config.ts; all but
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
  & Pick<TrainerOptions, 'validate'>
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
 * Loads the policy (and, when klCoef > 0, the frozen reference) from `modelDir` — or the policy
 * from `checkpoint` when resuming — with its tokenizer, chat template and stop tokens; loads the
 * data; writes run_config.json.
 */
export async function pretrainedParts(modelDir: string, opts: PretrainedOptions, checkpoint: string | null = null, resumes: RunConfig['resumes'] = []): Promise<PretrainedParts> {
  const { run, grpo: config } = validateRunOptions(modelDir, opts, checkpoint ? 'GRPOTrainer.resume' : 'GRPOTrainer.fromPretrained');
  if (run.threads) setNumThreads(run.threads);
  // {problem, answer} rows get the run's prompt suffix (default the paper's), as in `rlvr train`.
  const suffix = run.promptSuffix === undefined ? TRAIN_PROMPT_SUFFIX : run.promptSuffix === 'none' ? '' : run.promptSuffix;
  const examples = typeof opts.data === 'string' ? await loadExamples(run.data, { suffix }) : opts.data;
  if (examples.length === 0) throw new Error('no training examples');
  const valProblems = opts.validation ? await validationProblems(run.validation?.data ?? opts.validation.data, opts.validation.limit) : null;
  const runDir = path.resolve(run.out ?? path.join('runs', `train-${new Date().toISOString().replace(/[:.]/g, '-')}`));
  const device = run.device ?? cuda.defaultDevice();
  const computeDtype = resolveComputeDtype(config.computeDtype, device);
  if (computeDtype !== 'float32' && run.dtype !== 'float32') {
    throw new Error(`dtype ${run.dtype}: computeDtype ${computeDtype} keeps float32 master weights; use dtype float32 (or grpo.computeDtype float32)`);
  }

  const loaded = loadModelFolder(run.model, { device, dtype: run.dtype });
  const { tokenizer, tokenizerConfig } = loaded;
  let policy = loaded.model;
  if (checkpoint) {
    policy.dispose();
    policy = loadModel(checkpoint, { device, dtype: run.dtype });
  }
  const reference = needsReference(config) ? loadModel(run.model, { device, dtype: computeDtype === 'float32' ? run.dtype : computeDtype }) : null;
  // On resume the trainer copies the critic's weights from the checkpoint (loadCheckpointState).
  const critic = config.advantageEstimator === 'gae' ? ValueModel.fromPolicy(run.model, { device, dtype: run.dtype, seed: config.seed }) : null;
  const template = tokenizerConfig.chatTemplate ?? QWEN2_5_CHAT_TEMPLATE;
  const specialTokens = { bosToken: tokenizerConfig.bosToken, eosToken: tokenizerConfig.eosToken, padToken: tokenizerConfig.padToken, unkToken: tokenizerConfig.unkToken };
  const renderPrompt = (ex: TrainExample) => renderChat(template, ex.messages, { addGenerationPrompt: true, specialTokens });
  const stopTokenIds = evalStopTokenIds(tokenizer, loaded.eosTokenIds);

  const pool = opts.rewards ? null : new VerifierPool({ size: 2 });
  const rewards = opts.rewards ?? mathReward(pool!);

  // run_config.json as `rlvr train` writes it: every setting, absolute paths, the complete GRPO config.
  fs.mkdirSync(runDir, { recursive: true });
  const file = path.join(runDir, RUN_CONFIG_FILE);
  // The temporary name is per process: the ranks of a data-parallel run write the same file.
  fs.writeFileSync(`${file}.${process.pid}.tmp`, JSON.stringify({ ...run, out: runDir, grpo: config, resumes }, null, 2) + '\n');
  fs.renameSync(`${file}.${process.pid}.tmp`, file);

  const v = opts.validation;
  const validate = valProblems && v ? async () => {
    const r = evaluate(policy, tokenizer, [{ name: 'validation', problems: valProblems, decoding: { greedy: true } }], {
      maxNewTokens: v.maxTokens ?? config.maxResponseLength, batchSize: v.batchSize ?? 16,
      chatTemplate: tokenizerConfig.chatTemplate, tokenizerConfig, stopTokenIds, keepRecords: false,
    });
    return { accuracy: r.benchmarks['validation']!.accuracy };
  } : undefined;

  return {
    policy, reference, critic, tokenizer, examples, renderPrompt, stopTokenIds, rewards, config, runDir, tokenizerFrom: run.model, validate,
    dispose: async () => {
      policy.dispose();
      reference?.dispose();
      critic?.dispose();
      await pool?.close();
    },
  };
}

/** A run's recorded settings (its run_config.json, validated), for resume. */
export function readRunConfig(runDir: string): RunConfig {
  const file = path.join(runDir, RUN_CONFIG_FILE);
  if (!fs.existsSync(file)) throw new Error(`${runDir} has no ${RUN_CONFIG_FILE} (is it a run folder?)`);
  return RunConfigBuilder.fromFile(file).build();
}

async function validationProblems(data: string | EvalProblem[], limit?: number): Promise<EvalProblem[]> {
  const problems = typeof data === 'string'
    ? (await loadExamples(data)).map((ex) => ({ problem: ex.messages.filter((m) => m.role === 'user').map((m) => m.content).join('\n'), answer: ex.groundTruth }))
    : data;
  return limit ? problems.slice(0, limit) : problems;
}
