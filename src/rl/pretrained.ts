// Everything a GRPO trainer needs, built from a Hugging Face model folder and a partial run
// description: the library path behind GRPOTrainer.fromPretrained / GRPOTrainer.resume.
// (Kept apart from trainer.ts, which it does not import: no cycle.)
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Device, DType } from '../engine/index.js';
import { loadExamples, type TrainExample } from '../data/examples.js';
import { evaluate, evalStopTokenIds, loadModelFolder, type EvalProblem } from '../eval/evaluate.js';
import { loadModel } from '../model/checkpoint.js';
import type { CausalLM } from '../model/transformer.js';
import { VerifierPool } from '../reward/pool.js';
import { renderChat, QWEN2_5_CHAT_TEMPLATE, type Tokenizer } from '../tokenizer/index.js';
import { LOSS_PRESETS, PAPER_GRPO_CONFIG, validateConfig, type GRPOConfig } from './config.js';
import { mathReward, type Rewards } from './rewards.js';

/** The run description for library use: the run file's fields (all optional but data) plus code-only ones. */
export interface PretrainedOptions {
  /** Training data: a .parquet (verl layout) / .jsonl / .json file, or examples built in code. */
  data: string | TrainExample[];
  /** Run folder (metrics.jsonl, checkpoints/...). Default runs/train-<time>. */
  out?: string;
  /** Overrides of the paper's GRPO configuration (src/rl/config.ts); everything else is the paper's value. */
  grpo?: Partial<GRPOConfig>;
  /** A loss ablation / variant from LOSS_PRESETS (default 'full', the paper's loss). */
  preset?: string;
  /** Default 'cpu'. */
  device?: Device;
  /** Parameter dtype. Default float32. */
  dtype?: DType;
  /** In-training greedy validation: a problems file (jsonl/parquet) or problems in code. */
  validation?: { data: string | EvalProblem[]; limit?: number; maxTokens?: number; batchSize?: number };
  /** Reward function(s). Default: the math verifier (mathReward) in a 2-worker pool. */
  rewards?: Rewards;
}

/** The trainer's inputs that fromPretrained builds (structurally a subset of TrainerOptions). */
export interface PretrainedParts {
  policy: CausalLM;
  reference: CausalLM | null;
  tokenizer: Tokenizer;
  examples: TrainExample[];
  renderPrompt: (ex: TrainExample) => string;
  stopTokenIds: number[];
  rewards: Rewards;
  config: GRPOConfig;
  runDir: string;
  tokenizerFrom: string;
  validate?: (step: number) => Promise<Record<string, number>>;
  /** Frees the models and the verifier workers built here. */
  dispose: () => Promise<void>;
}

/** The run file written into every run folder (what resume and `rlvr train --resume` read back). */
export const RUN_CONFIG_FILE = 'run_config.json';

/** The merged, validated GRPO config: paper defaults, then the preset, then the overrides. */
export function resolveGRPOConfig(preset: string | undefined, grpo: Partial<GRPOConfig> | undefined): GRPOConfig {
  if (preset && !LOSS_PRESETS[preset]) throw new Error(`unknown preset '${preset}' (known: ${Object.keys(LOSS_PRESETS).join(', ')})`);
  const unknown = Object.keys(grpo ?? {}).filter((k) => !(k in PAPER_GRPO_CONFIG));
  if (unknown.length) throw new Error(`unknown GRPO field(s): ${unknown.join(', ')} (known: ${Object.keys(PAPER_GRPO_CONFIG).join(', ')})`);
  const config: GRPOConfig = { ...PAPER_GRPO_CONFIG, ...LOSS_PRESETS[preset ?? 'full'], ...grpo };
  validateConfig(config);
  return config;
}

/**
 * Loads the policy (and, when klCoef > 0, the frozen reference) from `modelDir` — or the policy
 * from `checkpoint` when resuming — with its tokenizer, chat template and stop tokens; loads the
 * data; writes run_config.json for a new run.
 */
export async function pretrainedParts(modelDir: string, opts: PretrainedOptions, checkpoint: string | null = null): Promise<PretrainedParts> {
  const config = resolveGRPOConfig(opts.preset, opts.grpo);
  const examples = typeof opts.data === 'string' ? await loadExamples(opts.data) : opts.data;
  if (examples.length === 0) throw new Error('no training examples');
  const valProblems = opts.validation ? await validationProblems(opts.validation.data, opts.validation.limit) : null;
  const runDir = path.resolve(opts.out ?? path.join('runs', `train-${new Date().toISOString().replace(/[:.]/g, '-')}`));
  const device = opts.device ?? 'cpu';
  const dtype = opts.dtype ?? 'float32';

  const loaded = loadModelFolder(modelDir, { device, dtype });
  const { tokenizer, tokenizerConfig } = loaded;
  let policy = loaded.model;
  if (checkpoint) {
    policy.dispose();
    policy = loadModel(checkpoint, { device, dtype });
  }
  const reference = config.klCoef !== 0 ? loadModel(modelDir, { device, dtype }) : null;
  const template = tokenizerConfig.chatTemplate ?? QWEN2_5_CHAT_TEMPLATE;
  const specialTokens = { bosToken: tokenizerConfig.bosToken, eosToken: tokenizerConfig.eosToken, padToken: tokenizerConfig.padToken, unkToken: tokenizerConfig.unkToken };
  const renderPrompt = (ex: TrainExample) => renderChat(template, ex.messages, { addGenerationPrompt: true, specialTokens });
  const stopTokenIds = evalStopTokenIds(tokenizer, loaded.eosTokenIds);

  const pool = opts.rewards ? null : new VerifierPool({ size: 2 });
  const rewards = opts.rewards ?? mathReward(pool!);

  fs.mkdirSync(runDir, { recursive: true });
  if (!checkpoint) {
    // Serializable part only; paths absolute so the run resumes from anywhere.
    const abs = (p: string) => path.resolve(p);
    const record = {
      model: abs(modelDir),
      data: typeof opts.data === 'string' ? abs(opts.data) : null,
      out: runDir, device, dtype, preset: opts.preset, grpo: config,
      validation: opts.validation && typeof opts.validation.data === 'string' ? { ...opts.validation, data: abs(opts.validation.data) } : undefined,
    };
    fs.writeFileSync(path.join(runDir, RUN_CONFIG_FILE), JSON.stringify(record, null, 2) + '\n');
  }

  const v = opts.validation;
  const validate = valProblems && v ? async () => {
    const r = evaluate(policy, tokenizer, [{ name: 'validation', problems: valProblems, decoding: { greedy: true } }], {
      maxNewTokens: v.maxTokens ?? config.maxResponseLength, batchSize: v.batchSize ?? 16,
      chatTemplate: tokenizerConfig.chatTemplate, tokenizerConfig, stopTokenIds, keepRecords: false,
    });
    return { accuracy: r.benchmarks['validation']!.accuracy };
  } : undefined;

  return {
    policy, reference, tokenizer, examples, renderPrompt, stopTokenIds, rewards, config, runDir, tokenizerFrom: modelDir, validate,
    dispose: async () => {
      policy.dispose();
      reference?.dispose();
      await pool?.close();
    },
  };
}

/** The options a run was started with, read back from its run_config.json (for resume). */
export function readRunOptions(runDir: string): PretrainedOptions & { model: string } {
  const file = path.join(runDir, RUN_CONFIG_FILE);
  if (!fs.existsSync(file)) throw new Error(`${runDir} has no ${RUN_CONFIG_FILE} (is it a run folder?)`);
  const rc = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown> & { model: string; data?: string | null };
  const base = path.dirname(path.resolve(file));
  const rel = (p: string) => (path.isAbsolute(p) ? p : path.resolve(base, p));
  const validation = rc['validation'] as PretrainedOptions['validation'] | undefined;
  return {
    model: rel(rc.model),
    data: rc.data ? rel(rc.data) : [],
    out: runDir,
    grpo: rc['grpo'] as Partial<GRPOConfig>,
    preset: rc['preset'] as string | undefined,
    device: rc['device'] as string | undefined,
    dtype: rc['dtype'] as DType | undefined,
    validation: validation && typeof validation.data === 'string' ? { ...validation, data: rel(validation.data) } : undefined,
  };
}

async function validationProblems(data: string | EvalProblem[], limit?: number): Promise<EvalProblem[]> {
  const problems = typeof data === 'string'
    ? (await loadExamples(data)).map((ex) => ({ problem: ex.messages.filter((m) => m.role === 'user').map((m) => m.content).join('\n'), answer: ex.groundTruth }))
    : data;
  return limit ? problems.slice(0, limit) : problems;
}
