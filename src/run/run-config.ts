// The run description of `rlvr train`: ONE zod schema for the run file (`--config`), the flags
// and `--set`, and run_config.json. The GRPO part is src/rl/config.ts (GRPOOverridesSchema).
//
// Every source goes through the same validation: the run file is read, `_`-prefixed keys are
// dropped (comments), relative paths are resolved against the file's folder; flags and
// `--set key=value` pairs are placed at their path and coerced by the target field's type
// (so `--steps 1.5` and `"steps": 1.5` fail the same way); then the whole object is parsed.
// Errors are one line naming the source: `--set lr: must be > 0, got -1`,
// `run.json: grpo.stesp: unknown setting (did you mean 'steps'?)`.
//
// ADDING A RUN SETTING: one entry in RUN_FIELDS (type, range, default, description); add a
// flag for it with one line in RUN_FLAGS if it deserves one. Paths that name files go in
// PATH_FIELDS so that they are resolved against the file that named them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { dotted, formatIssues, jsonErrorText, show, UserError } from '../errors.js';
import { GRPO_FIELDS, GRPO_KEYS, GRPOConfigSchema, GRPOOverridesSchema, grpoConfig, PRESETS, withMatchingMiniBatch, type GRPOConfig } from '../rl/config.js';
import { LORA_TARGETS } from '../model/lora-targets.js';
import { OVERLONG_MODES } from '../rl/overlong.js';
import { TRAIN_PROMPT_SUFFIX } from '../tasks/math/prompts.js';
import { TASK_NAMES } from '../tasks/registry.js';

export const PARAM_DTYPES = ['float32', 'bfloat16', 'float16', 'float64'] as const;
/** Loggers of `log` / --log. */
export const LOGGERS = ['tensorboard'] as const;

const ValidationSchema = z.strictObject({
  data: z.string().min(1).describe('Validation problems (jsonl/parquet with answers), scored greedily.'),
  limit: z.number().int().positive().optional().describe('Validate on the first N problems. Default: all.'),
  maxTokens: z.number().int().positive().optional().describe('Max new tokens per validation answer. Default: grpo.maxResponseLength.'),
  batchSize: z.number().int().positive().default(16).describe('Problems generated together. Default 16.'),
});

/** A change applied when the run was resumed (written by rlvr, kept in run_config.json). */
const ResumeRecordSchema = z.strictObject({
  step: z.number().int().min(0),
  time: z.string(),
  changed: z.record(z.string(), z.tuple([z.unknown(), z.unknown()])),
});

/** Digests of the run's model and data, written at the start (src/rl/fingerprint.ts). */
const FingerprintSchema = z.strictObject({
  architecture: z.string(),
  weights: z.string(),
  data: z.string(),
});

/** Data parallel over several processes (src/distributed/; docs/distributed.md). */
const DistributedSchema = z.strictObject({
  nproc: z
    .number()
    .int()
    .min(1)
    .max(1024)
    .default(1)
    .describe(
      'Ranks (processes; one per GPU) that `rlvr train` starts on this node, each running the same command with the torchrun variables (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT) set. 1 = this process trains alone. A scheduler of your own can instead start every rank itself with those variables set. Default 1.',
    ),
  nnodes: z
    .number()
    .int()
    .min(1)
    .max(1024)
    .default(1)
    .describe('Nodes (machines) of the run, each starting nproc ranks; world size = nproc × nnodes. Default 1.'),
  nodeRank: z.number().int().min(0).default(0).describe("This node's index, 0..nnodes-1 (node 0 holds rank 0 and the rendezvous store). Default 0."),
  masterAddr: z
    .string()
    .min(1)
    .default('127.0.0.1')
    .describe('Address of node 0 as the other nodes reach it (rank 0 listens there). Default 127.0.0.1 (one node).'),
  masterPort: z
    .number()
    .int()
    .min(0)
    .max(65535)
    .default(0)
    .describe('Port of the rendezvous store on node 0; 0 = a free port picked at start (one node only). Default 0.'),
  backend: z
    .enum(['auto', 'gloo', 'nccl'])
    .default('auto')
    .describe('c10d backend: nccl between GPUs, gloo on CPU; auto picks nccl for CUDA devices when the addon has it. Default auto.'),
  timeoutSeconds: z
    .number()
    .positive()
    .default(1800)
    .describe(
      "How long a rank waits in a collective for a peer that is alive but does not arrive (slow rollouts, validation on rank 0). A peer that DIES fails the others at once (its connections close), and the launcher stops the rest. Default 1800 (PyTorch's).",
    ),
  graceSeconds: z
    .number()
    .min(0)
    .default(10)
    .describe(
      'When a rank exits with an error, how long the launcher lets the others fail on their own (printing their error) before it kills them. Default 10.',
    ),
});

/** LoRA adapters (src/model/lora.ts): present = train adapters on a frozen base instead of every weight. */
const LoraSchema = z.strictObject({
  rank: z
    .number()
    .int()
    .positive()
    .describe(
      'Adapter rank r (--lora-rank). "LoRA Without Regret" (Schulman et al., 2025): RL matches full fine-tuning even at rank 1 when every linear layer is adapted. Required in a lora section.',
    ),
  alpha: z
    .number()
    .positive()
    .optional()
    .describe(
      "lora_alpha: the update is scaled by alpha / rank (--lora-alpha). Default 32 at every rank, as LoRA Without Regret (Schulman et al., 2025), which keeps the best lr nearly rank-independent; PEFT's LoraConfig default is alpha 8 at r 8.",
    ),
  dropout: z
    .number()
    .min(0)
    .lt(1)
    .default(0)
    .describe("Dropout on the adapter input during the update (--lora-dropout). Default 0 (PEFT's default; exact resume assumes 0)."),
  targetModules: z
    .array(z.enum(LORA_TARGETS))
    .min(1)
    .default([...LORA_TARGETS])
    .describe(
      `Linear layers that get adapters (--lora-targets q_proj:v_proj). Default all of them: ${LORA_TARGETS.join(', ')} (LoRA Without Regret: MLP layers matter most).`,
    ),
});

const RUN_FIELDS = {
  model: z.string().min(1).describe('HF model folder of the initial policy (also the frozen KL reference). Required.'),
  data: z.string().min(1).describe('Training data: verl parquet or jsonl with problem/answer. Required.'),
  out: z.string().min(1).optional().describe('Run folder. Default runs/train-<time>.'),
  device: z
    .string()
    .regex(/^(cpu|cuda(:\d+)?|mps)$/, 'must be cpu, cuda, cuda:N or mps')
    .optional()
    .describe('cpu, cuda, cuda:N or mps. Default: cuda when available, else cpu (as eval and generate).'),
  dtype: z.enum(PARAM_DTYPES).default('float32').describe('Parameter dtype. Default float32.'),
  task: z
    .string()
    .default('math')
    .describe(
      `The task (src/tasks/registry.ts): what a problem looks like, its reward and validation scoring: ${TASK_NAMES.join(', ')}. Default math (the paper's).`,
    ),
  preset: z
    .string()
    .default('full')
    .describe(`GRPO preset applied before grpo: ${Object.keys(PRESETS).join(', ')}. Default full (the paper).`),
  grpo: GRPOOverridesSchema.default({}).describe("Overrides of the paper's GRPO configuration (src/rl/config.ts)."),
  validation: ValidationSchema.optional().describe('In-training validation (greedy). Default: none.'),
  lora: LoraSchema.optional().describe(
    'LoRA: adapters on a frozen base (the base with adapters off is the KL reference; checkpoints are PEFT adapter folders). Under LoRA use ~10x the full fine-tuning lr (LoRA Without Regret). Default: none (full fine-tuning).',
  ),
  threads: z
    .number()
    .int()
    .positive()
    .optional()
    .describe('CPU threads for libtorch. Default: half the logical CPUs (src/engine/threads.ts), printed at start.'),
  stop: z
    .array(z.string().min(1))
    .default([])
    .describe(
      "Extra stop tokens for rollouts, each one token of the model's vocabulary (--stop A:B). The model's EOS ids (config.json, generation_config.json, tokenizer_config.json) always stop, as vLLM did in the paper's run. Default none.",
    ),
  promptSuffix: z
    .string()
    .optional()
    .describe(
      `Appended to the user turn of {problem, answer} rows (they carry no answer-format instruction, the reward needs a \\boxed{}); "none" or "" for nothing; verl rows keep their prompt. Default: the paper's "${TRAIN_PROMPT_SUFFIX.trim()}".`,
    ),
  rewardModule: z
    .string()
    .min(1)
    .optional()
    .describe(
      'A JS module (path) whose default export, or export `rewards`, is the training reward: a RewardFunction or [{ name, fn, weight }] (src/rl/rewards.ts), validated as the library validates it. Replaces grpo.reward; validation keeps the verifier. Default: none.',
    ),
  distributed: DistributedSchema.default(DistributedSchema.parse({})).describe(
    'Data parallel over several processes and machines (rlvr train --nproc N; docs/distributed.md). Default: one process.',
  ),
  loggers: z
    .array(z.enum(LOGGERS))
    .default([])
    .describe(
      'Extra logs besides metrics.jsonl and rollouts.jsonl (--log tensorboard): "tensorboard" writes event files into <out>/tensorboard/ (the metrics as scalars, the sampled rollouts as text; tensorboard --logdir runs/). Default none.',
    ),
  resumes: z.array(ResumeRecordSchema).default([]).describe('Written by rlvr: settings changed at each --resume.'),
  fingerprint: FingerprintSchema.optional().describe(
    'Written by rlvr when the run starts (src/rl/fingerprint.ts): what --resume checks the checkpoint, model and data against.',
  ),
};

function knownPreset(rc: { preset?: string; task?: string }, ctx: z.RefinementCtx): void {
  if (rc.preset !== undefined && !PRESETS[rc.preset]) {
    ctx.addIssue({ code: 'invalid_value', path: ['preset'], input: rc.preset, values: Object.keys(PRESETS), message: 'unknown preset' });
  }
  if (rc.task !== undefined && !TASK_NAMES.includes(rc.task)) {
    ctx.addIssue({ code: 'invalid_value', path: ['task'], input: rc.task, values: [...TASK_NAMES], message: 'unknown task' });
  }
}

export const RunConfigSchema = z.strictObject(RUN_FIELDS).superRefine(knownPreset);
/** The same with model and data optional: for commands that only plan a run (`rlvr plan`). */
const PartialRunConfigSchema = z.strictObject({ ...RUN_FIELDS, model: RUN_FIELDS.model.optional(), data: RUN_FIELDS.data.optional() }).superRefine(knownPreset);

export type RunConfig = z.output<typeof RunConfigSchema>;
export type RunConfigInput = z.input<typeof RunConfigSchema>;

/** Fields holding file paths: resolved against the folder of the file that named them. */
export const PATH_FIELDS: readonly (readonly string[])[] = [['model'], ['data'], ['out'], ['validation', 'data'], ['rewardModule']];

/** Flags of `rlvr train` that set a run field (the rest: --config, --resume, --set, --debug). */
export const RUN_FLAGS: Record<string, { path: readonly string[]; help: string }> = {
  model: { path: ['model'], help: 'HF model folder (config.json, *.safetensors, tokenizer.json)' },
  data: { path: ['data'], help: 'training data (.parquet in verl layout, or .jsonl with problem/answer)' },
  out: { path: ['out'], help: 'run folder (default runs/train-<time>)' },
  task: { path: ['task'], help: `the task: ${TASK_NAMES.join(', ')} (default math)` },
  steps: { path: ['grpo', 'steps'], help: 'rollout steps (paper: 2000)' },
  preset: {
    path: ['preset'],
    help: `GRPO preset: ${Object.keys(PRESETS).join(', ')} (default full); several, comma-separated (rlvr train): run one after another into --out/<preset>/ and compared in comparison.md/.json`,
  },
  'val-data': { path: ['validation', 'data'], help: 'validation problems (jsonl/parquet), greedy' },
  'val-limit': { path: ['validation', 'limit'], help: 'validate on the first N problems' },
  device: { path: ['device'], help: 'cpu, cuda, cuda:1, mps (default: cuda when available, else cpu)' },
  dtype: {
    path: ['dtype'],
    help: `parameter (master weight) dtype: ${PARAM_DTYPES.join(', ')} (default float32); compute runs in grpo.computeDtype (auto: bf16 on CUDA and on CPUs with AVX-512 BF16 or AMX, else float32)`,
  },
  threads: { path: ['threads'], help: 'CPU threads for libtorch (default: half the logical CPUs)' },
  reward: {
    path: ['grpo', 'reward'],
    help: "training reward: ours (default), paper (the fork's DeepScaleR grader) or any (the verifier's evaluation mode: the answer in any format)",
  },
  'reward-module': {
    path: ['rewardModule'],
    help: "a JS module whose default export (or `rewards`) is your RewardFunction or [{ name, fn, weight }] (the library's Rewards); replaces the verifier reward",
  },
  stop: { path: ['stop'], help: "extra stop tokens, ':'-separated (e.g. '<|im_end|>'); the model's EOS ids always stop" },
  'prompt-suffix': {
    path: ['promptSuffix'],
    help: `appended to {problem, answer} rows (default the paper's: "${TRAIN_PROMPT_SUFFIX.trim()}"; none for nothing)`,
  },
  nproc: { path: ['distributed', 'nproc'], help: 'data-parallel ranks (processes, one per GPU) to start on this node (default 1)' },
  nnodes: { path: ['distributed', 'nnodes'], help: 'nodes of the run, each starting --nproc ranks (default 1)' },
  'node-rank': { path: ['distributed', 'nodeRank'], help: "this node's index, 0..nnodes-1 (default 0)" },
  'master-addr': { path: ['distributed', 'masterAddr'], help: 'address of node 0, where rank 0 listens (default 127.0.0.1)' },
  'master-port': { path: ['distributed', 'masterPort'], help: 'rendezvous port on node 0 (default: a free one; required with --nnodes > 1)' },
  'dist-backend': { path: ['distributed', 'backend'], help: 'c10d backend: auto (default; nccl on CUDA), gloo, nccl' },
  'dist-timeout': {
    path: ['distributed', 'timeoutSeconds'],
    help: 'seconds a rank waits for a live peer in a collective (default 1800; a dead peer fails the others at once)',
  },
  log: { path: ['loggers'], help: 'extra logs: tensorboard (event files in <out>/tensorboard/: metrics as scalars, sampled rollouts as text)' },
  'lora-rank': {
    path: ['lora', 'rank'],
    help: 'train LoRA adapters of this rank on a frozen base (default: off, full fine-tuning); use ~10x the full fine-tuning lr',
  },
  'lora-alpha': { path: ['lora', 'alpha'], help: 'LoRA alpha; updates scaled by alpha/rank (default 32, as LoRA Without Regret)' },
  'lora-dropout': { path: ['lora', 'dropout'], help: 'dropout on the adapter input in the update (default 0)' },
  'lora-targets': { path: ['lora', 'targetModules'], help: `':'-separated layers to adapt (default all: ${LORA_TARGETS.join(':')})` },
  overlong: {
    path: ['grpo', 'overlong'],
    help: `reward of responses cut at the length limit: ${OVERLONG_MODES.join(', ')} (default off; soft = DAPO's penalty)`,
  },
};

/** The schema of the field at `p` (through objects, optionals and defaults), or null. */
function schemaAt(p: readonly string[]): z.ZodType | null {
  let s: z.ZodType = RunConfigSchema;
  for (const key of p) {
    s = unwrap(s);
    const shape = (s as unknown as { shape?: Record<string, z.ZodType> }).shape;
    if (!shape || !(key in shape)) return null;
    s = shape[key]!;
  }
  return unwrap(s);
}

function unwrap(s: z.ZodType): z.ZodType {
  for (;;) {
    const def = s.def as { type: string; innerType?: z.ZodType; in?: z.ZodType; schema?: z.ZodType };
    if ((def.type === 'optional' || def.type === 'default' || def.type === 'nullable' || def.type === 'prefault') && def.innerType) s = def.innerType;
    else if (def.type === 'pipe' && def.in) s = def.in;
    else return s;
  }
}

/**
 * A command-line string as the value the field at `p` expects: numbers for number fields,
 * true/false for booleans, `a:b` for lists. Anything that does not convert stays a string, so
 * the schema reports it (`expected a number, got "abc"`).
 */
export function coerceFlag(p: readonly string[], raw: string): unknown {
  const s = schemaAt(p);
  return s ? coerceTo(s, raw) : raw;
}

function coerceTo(s: z.ZodType, raw: string): unknown {
  const type = (s.def as { type: string }).type;
  if (type === 'union') {
    // e.g. 'auto' | boolean: a literal as typed, else the first option the string converts to.
    const options = ((s.def as { options?: z.ZodType[] }).options ?? []).map(unwrap);
    for (const o of options) {
      const def = o.def as unknown as { type: string; values?: unknown[] };
      const values = def.type === 'literal' ? (def.values ?? []) : [];
      if (values.includes(raw)) return raw;
    }
    for (const o of options) {
      const v = coerceTo(o, raw);
      if (v !== raw) return v;
    }
    return raw;
  }
  if (type === 'number') return raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  if (type === 'boolean') return raw === 'true' ? true : raw === 'false' ? false : raw;
  if (type === 'union') {
    // e.g. 'auto' | number: the first option the string converts to.
    for (const o of (s.def as unknown as { options: z.ZodType[] }).options) {
      const v = coerceTo(unwrap(o), raw);
      if (v !== raw) return v;
    }
    return raw;
  }
  if (type === 'tuple' || type === 'array') {
    const items = (s.def as { items?: z.ZodType[]; element?: z.ZodType }).items;
    const element = (s.def as { element?: z.ZodType }).element;
    return raw.split(':').map((v, i) => {
      const e = items ? items[i] : element;
      return e ? coerceTo(unwrap(e), v) : v;
    });
  }
  return raw;
}

/** Collects the layers of a run description and where each value came from. */
export class RunConfigBuilder {
  private raw: Record<string, unknown> = {};
  private readonly origins = new Map<string, string>();
  private fileLabel = 'run config';

  /** Starts from a run file (JSON). Relative paths are resolved against its folder. */
  static fromFile(file: string): RunConfigBuilder {
    const b = new RunConfigBuilder();
    b.raw = readRunFile(file);
    b.fileLabel = file;
    return b;
  }

  /** Starts from an already parsed object (e.g. the library API), labelled `label`. */
  static fromObject(obj: unknown, label = 'run config'): RunConfigBuilder {
    const b = new RunConfigBuilder();
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new UserError(`${label}: expected a JSON object, got ${show(obj)}`);
    b.raw = structuredClone(obj) as Record<string, unknown>;
    b.fileLabel = label;
    return b;
  }

  /** The value at `p` before validation (undefined when unset). */
  get(p: readonly string[]): unknown {
    let o: unknown = this.raw;
    for (const k of p) o = typeof o === 'object' && o !== null ? (o as Record<string, unknown>)[k] : undefined;
    return o;
  }

  /** Sets one field from a command-line string (coerced by its type), remembering the source label. */
  set(p: readonly string[], raw: string, label: string): void {
    setAt(this.raw, p, coerceFlag(p, raw), label);
    this.origins.set(dotted(p), label);
  }

  /** Applies `--set k=v,k2=v2`: GRPO fields by name (a dotted path like validation.limit reaches run fields). */
  applySets(text: string): void {
    const seen = new Map<string, string>();
    for (const part of text
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      const eq = part.indexOf('=');
      if (eq < 0) throw new UserError(`--set: expected key=value, got '${part}'`);
      const key = part.slice(0, eq).trim();
      const before = seen.get(key);
      if (before !== undefined) throw new UserError(`--set ${key}: given twice (${before} and ${part.slice(eq + 1).trim()}); keep one`);
      seen.set(key, part.slice(eq + 1).trim());
      const p = key.includes('.') ? key.split('.') : ['grpo', key];
      this.set(p, part.slice(eq + 1).trim(), `--set ${key}`);
    }
  }

  /**
   * Lays `obj` (library options: plain values, not strings to coerce) over the layers so far:
   * grpo and distributed key by key, every other field whole. Errors name `label` and the field.
   */
  overlay(obj: Record<string, unknown>, label: string): void {
    for (const [k, v] of Object.entries(obj)) {
      if (v === undefined) continue;
      const nested = (k === 'grpo' || k === 'distributed') && typeof v === 'object' && v !== null && !Array.isArray(v);
      for (const [p, x] of nested ? Object.entries(v).map(([kk, vv]) => [[k, kk], vv] as const) : [[[k], v] as const]) {
        if (x === undefined) continue;
        setAt(this.raw, p, structuredClone(x), label);
        this.origins.set(dotted(p), `${label}: ${dotted(p)}`);
      }
    }
  }

  /** A copy with the same layers and sources (what a resume applies its changes to). */
  clone(): RunConfigBuilder {
    const b = new RunConfigBuilder();
    b.raw = structuredClone(this.raw);
    for (const [k, v] of this.origins) b.origins.set(k, v);
    b.fileLabel = this.fileLabel;
    return b;
  }

  /** Validates everything; throws one UserError line naming each bad value's source. */
  build(opts: { partial?: boolean } = {}): RunConfig {
    const schema = opts.partial ? PartialRunConfigSchema : RunConfigSchema;
    const r = schema.safeParse(this.raw, { reportInput: true });
    if (!r.success) throw new UserError(formatIssues(r.error.issues, (p) => this.labelFor(p), knownKeysAt, hintFor));
    return r.data as RunConfig;
  }

  /** The run and its complete GRPO configuration (paper defaults, then the preset, then grpo), validated. */
  buildWithGRPO(opts: { partial?: boolean } = {}): { run: RunConfig; grpo: GRPOConfig } {
    const run = this.build(opts);
    const r = GRPOConfigSchema.safeParse({ ...PRESETS[run.preset]!.overrides, ...withMatchingMiniBatch(run.grpo) }, { reportInput: true });
    if (!r.success) {
      const issues = r.error.issues.map((i) => ({ ...i, path: ['grpo', ...i.path] }));
      throw new UserError(formatIssues(issues, (p) => this.labelFor(p), knownKeysAt, hintFor));
    }
    return { run, grpo: r.data };
  }

  /** Raw values of the layers, before defaults (what the user actually wrote). */
  get rawValues(): Record<string, unknown> {
    return this.raw;
  }

  private labelFor(p: readonly PropertyKey[]): string {
    for (let n = p.length; n > 0; n--) {
      const o = this.origins.get(dotted(p.slice(0, n)));
      if (o) return o;
    }
    return `${this.fileLabel}: ${dotted(p) || '(top level)'}`;
  }
}

function setAt(obj: Record<string, unknown>, p: readonly string[], value: unknown, label: string): void {
  let o = obj;
  for (const k of p.slice(0, -1)) {
    const next = o[k];
    if (next === undefined) o[k] = {};
    else if (typeof next !== 'object' || next === null || Array.isArray(next)) throw new UserError(`${label}: ${k} is ${show(next)}, not an object`);
    o = o[k] as Record<string, unknown>;
  }
  o[p.at(-1)!] = value;
}

function knownKeysAt(p: readonly PropertyKey[]): readonly string[] {
  const s = schemaAt(p.map(String));
  const shape = s && (s as unknown as { shape?: Record<string, unknown> }).shape;
  return shape ? Object.keys(shape) : [];
}

/** A GRPO key written at the top level of a run file belongs under grpo. */
function hintFor(key: string, p: readonly PropertyKey[]): string | null {
  return p.length === 0 && (GRPO_KEYS as string[]).includes(key) ? `grpo.${key}` : null;
}

/** Reads a run file: JSON object, `_`-prefixed keys dropped, relative paths made absolute against the file's folder. */
export function readRunFile(file: string): Record<string, unknown> {
  if (!fs.existsSync(file)) throw new UserError(`no such file: ${file}`);
  if (fs.statSync(file).isDirectory()) throw new UserError(`${file} is a folder, expected a JSON run file`);
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    const yaml = /\.ya?ml$/i.test(file) ? '; run files are JSON (YAML is not read): see examples/*.json' : '';
    throw new UserError(`${file}: not valid JSON (${jsonErrorText(e)})${yaml}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new UserError(`${file}: expected a JSON object, got ${show(json)}`);
  const obj = Object.fromEntries(Object.entries(json).filter(([k]) => !k.startsWith('_')));
  return resolvePaths(obj, path.dirname(path.resolve(file)));
}

/** Makes every PATH_FIELDS string absolute against `base` (non-strings are left for the schema to report). */
export function resolvePaths<T extends Record<string, unknown>>(obj: T, base: string): T {
  const out = structuredClone(obj) as Record<string, unknown>;
  for (const p of PATH_FIELDS) {
    let o: unknown = out;
    for (const k of p.slice(0, -1)) o = typeof o === 'object' && o !== null ? (o as Record<string, unknown>)[k] : undefined;
    if (typeof o !== 'object' || o === null) continue;
    const rec = o as Record<string, unknown>;
    const v = rec[p.at(-1)!];
    if (typeof v === 'string' && v !== '') rec[p.at(-1)!] = path.resolve(base, v);
  }
  return out as T;
}

/** Every run and GRPO field with its default and description (for `rlvr train --help-config`). */
export function describeConfig(preset?: string): string {
  const rows: string[] = [];
  // With a preset: every GRPO setting shows the value that preset runs with ("(preset)": set by it).
  const values = preset === undefined ? null : grpoConfig({}, preset);
  const own = preset === undefined ? {} : PRESETS[preset]!.overrides;
  if (preset !== undefined) rows.push(`  preset ${preset}: ${PRESETS[preset]!.description}`);
  const walk = (shape: Record<string, z.ZodType>, prefix: string) => {
    for (const [k, s] of Object.entries(shape)) {
      const inner = unwrap(s);
      if (k === 'grpo') {
        walk(GRPO_FIELDS as unknown as Record<string, z.ZodType>, 'grpo.');
        continue;
      }
      if (k === 'resumes' || k === 'fingerprint') continue;
      const nested = (inner as unknown as { shape?: Record<string, z.ZodType> }).shape;
      if (nested) {
        walk(nested, `${prefix}${k}.`);
        continue;
      }
      if (k === 'resumes' || k === 'fingerprint') continue;
      if (values && prefix === 'grpo.') {
        const v = values[k as keyof GRPOConfig];
        rows.push(`  ${(prefix + k).padEnd(26)} = ${JSON.stringify(v)}${k in own ? ` (${preset})` : ''}. ${s.description ?? ''}`);
        continue;
      }
      rows.push(`  ${(prefix + k).padEnd(26)} ${s.description ?? ''}`);
    }
  };
  walk(RUN_FIELDS as unknown as Record<string, z.ZodType>, '');
  return rows.join('\n');
}
