// `rlvr train`: GRPO (1-shot RLVR) on a Hugging Face model folder.
//
//   rlvr train --model DIR --data ../shared/data/train/pi1_r128.parquet      (the paper's run)
//   rlvr train --config examples/pi1-qwen2.5-math-1.5b.json [--resume]
//
// A run folder (--out) holds run_config.json, metrics.jsonl, accuracy_history.json and
// checkpoints/step-N (HF layout + optimizer state); --resume continues from the newest one.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { resolveComputeDtype, setNumThreads, type DType } from '../engine/index.js';
import { loadExamples, type TrainExample } from '../data/examples.js';
import { evaluate, evalStopTokenIds, loadModelFolder } from '../eval/evaluate.js';
import { loadModel } from '../model/checkpoint.js';
import { VerifierPool } from '../reward/pool.js';
import { LOSS_PRESETS, PAPER_GRPO_CONFIG, validateConfig, type GRPOConfig } from '../rl/config.js';
import { mathReward } from '../rl/rewards.js';
import { DivergenceError, GRPOTrainer, latestCheckpoint } from '../rl/trainer.js';
import { renderChat, QWEN2_5_CHAT_TEMPLATE } from '../tokenizer/index.js';
import { CliError, dtypeOption, numberOption, parseArgs } from './args.js';

/** The run description, as a --config file or assembled from flags. */
export interface RunConfig {
  /** HF model folder of the initial policy (also the frozen KL reference). */
  model: string;
  /** Training data: verl parquet or jsonl. */
  data: string;
  /** Run folder. Default runs/train-<timestamp>. */
  out?: string;
  device?: string;
  /** Parameter dtype. Default float32. */
  dtype?: DType;
  /** A loss ablation / variant from LOSS_PRESETS (default 'full', the paper's loss). */
  preset?: string;
  /** Overrides of the paper's GRPO configuration (see src/rl/config.ts). */
  grpo?: Partial<GRPOConfig>;
  /** In-training validation (greedy): any jsonl/parquet of problems with answers. */
  validation?: { data: string; limit?: number; maxTokens?: number; batchSize?: number };
  /** CPU threads for libtorch. */
  threads?: number;
}

const USAGE = 'usage: rlvr train (--config FILE | --model DIR --data FILE) [options]';
const OPTIONS = {
  config: { type: 'string', help: 'run description (JSON); flags below override it' },
  model: { type: 'string', help: 'HF model folder (config.json, *.safetensors, tokenizer.json)' },
  data: { type: 'string', help: 'training data (.parquet in verl layout, or .jsonl with problem/answer)' },
  out: { type: 'string', help: 'run folder (default runs/train-<time>)' },
  resume: { type: 'boolean', help: 'continue the run in --out from its newest checkpoint' },
  steps: { type: 'string', help: 'rollout steps (paper: 2000)' },
  preset: { type: 'string', help: `loss variant: ${Object.keys(LOSS_PRESETS).join(', ')} (default full)` },
  set: { type: 'string', help: 'GRPO overrides, comma-separated key=value (e.g. lr=1e-6,groupSize=8)' },
  'val-data': { type: 'string', help: 'validation problems (jsonl/parquet), greedy' },
  'val-limit': { type: 'string', help: 'validate on the first N problems' },
  device: { type: 'string', help: 'cpu (default), cuda, cuda:1, mps' },
  dtype: { type: 'string', help: 'parameter (master weight) dtype: float32 (default); compute runs in computeDtype (auto: bf16 on CUDA)' },
  threads: { type: 'string', help: 'CPU threads for libtorch' },
} as const;

export async function run(argv: string[]): Promise<number> {
  const { options } = parseArgs(argv, OPTIONS, USAGE);
  let rc: RunConfig = { model: '', data: '' };
  if (typeof options.config === 'string') rc = readRunConfig(options.config);
  if (typeof options.model === 'string') rc.model = options.model;
  if (typeof options.data === 'string') rc.data = options.data;
  if (typeof options.out === 'string') rc.out = options.out;
  if (typeof options.device === 'string') rc.device = options.device;
  const dtypeFlag = dtypeOption(options.dtype);
  if (dtypeFlag) rc.dtype = dtypeFlag;
  if (typeof options.preset === 'string') rc.preset = options.preset;
  if (options.threads !== undefined) rc.threads = numberOption(options.threads, 'threads', 0);
  rc.grpo = { ...rc.grpo, ...parseOverrides(typeof options.set === 'string' ? options.set : '') };
  if (options.steps !== undefined) rc.grpo.steps = numberOption(options.steps, 'steps', PAPER_GRPO_CONFIG.steps);
  if (typeof options['val-data'] === 'string') rc.validation = { ...rc.validation, data: options['val-data'] };
  if (options['val-limit'] !== undefined && rc.validation) rc.validation.limit = numberOption(options['val-limit'], 'val-limit', 0);

  const runDir = rc.out ?? path.join('runs', `train-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  const resume = options.resume === true;
  if (resume) {
    const saved = path.join(runDir, 'run_config.json');
    if (!fs.existsSync(saved)) throw new CliError(`--resume: ${runDir} has no run_config.json (give the run's --out folder)`);
    rc = { ...readRunConfig(saved), out: runDir };
    // A resumed run may be extended: --steps still applies.
    if (options.steps !== undefined) rc.grpo = { ...rc.grpo, steps: numberOption(options.steps, 'steps', PAPER_GRPO_CONFIG.steps) };
  }
  if (!rc.model) throw new CliError(`--model is required\n${USAGE}`);
  if (!rc.data) throw new CliError(`--data is required\n${USAGE}`);
  if (rc.preset && !LOSS_PRESETS[rc.preset]) throw new CliError(`unknown --preset '${rc.preset}' (known: ${Object.keys(LOSS_PRESETS).join(', ')})`);
  const config: GRPOConfig = { ...PAPER_GRPO_CONFIG, ...LOSS_PRESETS[rc.preset ?? 'full'], ...rc.grpo };
  try {
    validateConfig(config);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  if (rc.threads) setNumThreads(rc.threads);

  let examples: TrainExample[];
  try {
    examples = await loadExamples(rc.data);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  const device = rc.device ?? 'cpu';
  const dtype = rc.dtype ?? 'float32';
  let loaded;
  try {
    loaded = loadModelFolder(rc.model, { device, dtype });
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  const { tokenizer, tokenizerConfig } = loaded;
  let policy = loaded.model;
  const template = tokenizerConfig.chatTemplate ?? QWEN2_5_CHAT_TEMPLATE;
  const specialTokens = { bosToken: tokenizerConfig.bosToken, eosToken: tokenizerConfig.eosToken, padToken: tokenizerConfig.padToken, unkToken: tokenizerConfig.unkToken };
  const renderPrompt = (ex: TrainExample) => renderChat(template, ex.messages, { addGenerationPrompt: true, specialTokens });
  const stopTokenIds = evalStopTokenIds(tokenizer, loaded.eosTokenIds);
  // The frozen reference only runs forward passes: with bf16 compute its weights are stored in
  // bf16 (half the memory of float32 master weights).
  const computeDtype = resolveComputeDtype(config.computeDtype, device);
  if (computeDtype !== 'float32' && dtype !== 'float32') {
    throw new CliError(`--dtype ${dtype}: computeDtype ${computeDtype} keeps float32 master weights; use --dtype float32 (or --set computeDtype=float32 for pure ${dtype} training, which loses updates at lr 1e-6)`);
  }
  const reference = config.klCoef !== 0 ? loadModel(rc.model, { device, dtype: computeDtype === 'float32' ? dtype : computeDtype }) : null;

  const checkpoint = resume ? latestCheckpoint(runDir) : null;
  if (resume && !checkpoint) throw new CliError(`--resume: no complete checkpoint under ${runDir}/checkpoints`);
  if (checkpoint) {
    policy.dispose();
    policy = loadModel(checkpoint, { device, dtype });
  }
  fs.mkdirSync(runDir, { recursive: true });
  if (!resume) fs.writeFileSync(path.join(runDir, 'run_config.json'), JSON.stringify({ ...rc, out: runDir, grpo: config }, null, 2) + '\n');

  const valProblems = rc.validation ? await loadValidation(rc.validation.data, rc.validation.limit) : null;
  const pool = new VerifierPool({ size: 2 });
  const trainer = new GRPOTrainer({
    policy, reference, tokenizer, examples, renderPrompt, stopTokenIds, config, runDir, tokenizerFrom: rc.model,
    rewards: mathReward(pool),
    validate: valProblems ? async () => {
      const r = evaluate(policy, tokenizer, [{ name: 'validation', problems: valProblems, decoding: { greedy: true } }], {
        maxNewTokens: rc.validation!.maxTokens ?? config.maxResponseLength, batchSize: rc.validation!.batchSize ?? 16,
        chatTemplate: tokenizerConfig.chatTemplate, tokenizerConfig, stopTokenIds, keepRecords: false,
      });
      return { accuracy: r.benchmarks.validation!.accuracy };
    } : undefined,
  });
  if (checkpoint) trainer.loadCheckpointState(checkpoint);
  console.error(`rlvr train: ${examples.length} examples from ${rc.data}, ${config.trainBatchSize} prompts × ${config.groupSize} rollouts per step, ` +
    `${config.steps} steps, run folder ${runDir}${checkpoint ? ` (resuming at step ${trainer.step})` : ''}`);
  try {
    await trainer.train();
  } catch (e) {
    if (e instanceof DivergenceError) throw new CliError(e.message);
    throw e;
  } finally {
    await pool.close();
  }
  console.log(`done: ${trainer.step} steps; metrics in ${path.join(runDir, 'metrics.jsonl')}, model in ${latestCheckpoint(runDir)}`);
  return 0;
}

function readRunConfig(file: string): RunConfig {
  if (!fs.existsSync(file)) throw new CliError(`no such file: ${file}`);
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new CliError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null) throw new CliError(`${file}: expected a JSON object`);
  const rc = json as RunConfig;
  // Relative paths in a config file are relative to the file.
  const base = path.dirname(path.resolve(file));
  const rel = (p: string | undefined) => (p && !path.isAbsolute(p) ? path.resolve(base, p) : p);
  return { ...rc, model: rel(rc.model) ?? '', data: rel(rc.data) ?? '', validation: rc.validation && { ...rc.validation, data: rel(rc.validation.data)! } };
}

/** "lr=1e-6,groupSize=8,betas=0.9:0.99" → typed overrides of known GRPO fields. */
export function parseOverrides(text: string): Partial<GRPOConfig> {
  const out: Record<string, unknown> = {};
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq < 0) throw new CliError(`--set: expected key=value, got '${part}'`);
    const key = part.slice(0, eq) as keyof GRPOConfig;
    const raw = part.slice(eq + 1);
    const current = PAPER_GRPO_CONFIG[key];
    if (current === undefined) throw new CliError(`--set: unknown GRPO field '${key}' (known: ${Object.keys(PAPER_GRPO_CONFIG).join(', ')})`);
    if (typeof current === 'number') {
      const n = Number(raw);
      if (!Number.isFinite(n)) throw new CliError(`--set: ${key} must be a number, got '${raw}'`);
      out[key] = n;
    } else if (typeof current === 'boolean') {
      if (raw !== 'true' && raw !== 'false') throw new CliError(`--set: ${key} must be true or false`);
      out[key] = raw === 'true';
    } else if (Array.isArray(current)) {
      out[key] = raw.split(':').map(Number);
    } else {
      out[key] = raw;
    }
  }
  return out as Partial<GRPOConfig>;
}

async function loadValidation(file: string, limit?: number): Promise<{ problem: string; answer: string }[]> {
  let examples: TrainExample[];
  try {
    examples = await loadExamples(file);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  const problems = examples.map((ex) => ({ problem: ex.messages.filter((m) => m.role === 'user').map((m) => m.content).join('\n'), answer: ex.groundTruth }));
  return limit ? problems.slice(0, limit) : problems;
}
