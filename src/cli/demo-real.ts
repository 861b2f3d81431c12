// `rlvr demo --model DIR|NAME` (`npm run demo:real`): 1-shot RLVR on a real pretrained model,
// CPU-sized (src/demo/real.ts). NAME is a catalog model (`rlvr models list`), fetched and
// converted once when missing.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CliError, intOption, numberOption, parseArgs } from './args.js';
import { MODEL_CATALOG, ModelFetchError, getModel } from '../model/catalog.js';
import { DEFAULT_LORA_ALPHA } from '../model/lora.js';
import {
  LORA_LR_FACTOR,
  QUICK_REAL_DEMO,
  REAL_DEMO,
  formatRealTable,
  reusedBase,
  runRealDemo,
  type RealDemoConfig,
  type RealDemoOptions,
  type RealDemoResult,
} from '../demo/real.js';

const USAGE =
  'usage: rlvr demo --model DIR|NAME [--seeds 0,1] [--steps N] [--lr LR] [--out DIR] [--results FILE] [--threads T] [--held-out N] [--gsm8k N] [--format chat|plain] [--lora-ranks 0,1,8] [--lora-alpha A] [--lora-lr LR] [--quick] [--json]';

const SPEC = {
  model: { type: 'string', help: `HF model folder, or a catalog name (${MODEL_CATALOG.map((m) => m.name).join(', ')}; fetched once)` },
  seeds: { type: 'string', help: `comma-separated GRPO seeds, one run each from the base weights (default ${REAL_DEMO.seeds.join(',')})` },
  steps: { type: 'string', help: `1-shot GRPO steps per seed (default ${REAL_DEMO.grpo.steps})` },
  lr: { type: 'string', help: `learning rate (default ${REAL_DEMO.grpo.lr})` },
  'held-out': { type: 'string', help: `generated held-out problems per kind, 5 kinds (default ${REAL_DEMO.heldOutPerKind})` },
  gsm8k: { type: 'string', help: `GSM8K problems in the held-out slice, 0 = none (default ${REAL_DEMO.gsm8k})` },
  'eval-dir': { type: 'string', help: `folder holding gsm8k/test.jsonl (default ${REAL_DEMO.evalDir})` },
  reward: {
    type: 'string',
    help: `training and selection reward: boxed (the paper's: the last \\boxed{}) or any (the answer in any format) (default ${REAL_DEMO.reward})`,
  },
  format: {
    type: 'string',
    help: 'how the user turn reaches the model: chat (its chat template; default) or plain (the bare text, stopping at the first newline: for a pretrained base model)',
  },
  prompt: { type: 'string', help: 'the user turn, with {problem} (default: the problem + " Give the final answer in the form \\boxed{N}.")' },
  pool: { type: 'string', help: `candidate pool: generated problems per kind (default ${REAL_DEMO.poolPerKind})` },
  temperature: { type: 'string', help: `rollout temperature (default ${REAL_DEMO.grpo.temperature})` },
  'max-tokens': { type: 'string', help: `rollout length limit (default ${REAL_DEMO.grpo.maxResponseLength}); the held-out evaluation's is --eval-tokens` },
  'eval-tokens': { type: 'string', help: `held-out evaluation length limit (default ${REAL_DEMO.evalMaxTokens})` },
  'entropy-coef': {
    type: 'string',
    help: "entropy bonus coefficient (default: the paper's 0.001); 0 when most groups score all 0: Adam turns the bonus alone into full-size steps",
  },
  batch: { type: 'string', help: `copies of π1 per step (GRPO groups; default ${REAL_DEMO.grpo.trainBatchSize})` },
  out: { type: 'string', help: 'output folder (default runs/demo-real)' },
  results: { type: 'string', help: 'also write the summary JSON here (e.g. bench/results/demo-real.json)' },
  threads: { type: 'string', help: `libtorch CPU threads (default ${REAL_DEMO.threads}: on a busy 2-core machine one thread is fastest)` },
  'lora-rank': { type: 'string', help: 'train LoRA adapters of this rank on every linear layer of a frozen base (default: off, full fine-tuning)' },
  'lora-ranks': {
    type: 'string',
    help: 'comma-separated configurations sharing one base evaluation and selection, each run for every seed: 0 = full fine-tuning, r = LoRA rank r (e.g. 0,1,8,64)',
  },
  'lora-alpha': { type: 'string', help: `LoRA alpha; updates scaled by alpha/rank (default ${DEFAULT_LORA_ALPHA}, as LoRA Without Regret)` },
  'lora-lr': {
    type: 'string',
    help: `learning rate of the LoRA runs (default ${LORA_LR_FACTOR}x --lr: LoRA Without Regret, Schulman et al. 2025, ~10x full fine-tuning's)`,
  },
  'micro-batch-tokens': {
    type: 'string',
    help: "tokens per update micro-batch (gradients accumulate; a memory knob, not an algorithm setting; default: the memory plan's, from host RAM)",
  },
  'base-from': {
    type: 'string',
    help: 'a results file of the same settings (all but --seeds and the LoRA options): reuse its base evaluation and selection instead of running them',
  },
  quick: { type: 'boolean', help: 'a tiny configuration (tests; its numbers mean nothing)' },
  json: { type: 'boolean', help: 'print the summary as JSON on the last line' },
} as const;

export async function run(argv: string[]): Promise<number> {
  const { options, positionals } = parseArgs(argv, SPEC, USAGE);
  if (positionals.length > 0) throw new CliError(`unexpected argument '${positionals[0]}'\n${USAGE}`);
  const base = options.quick ? QUICK_REAL_DEMO : REAL_DEMO;
  const m = options.model;
  if (typeof m !== 'string') throw new CliError(`--model is required\n${USAGE}`);
  let model = m;
  if (!fs.existsSync(m) && MODEL_CATALOG.some((e) => e.name === m)) {
    try {
      model = await getModel(m);
    } catch (e) {
      if (e instanceof ModelFetchError) throw new CliError(e.message);
      throw e;
    }
  }
  if (!fs.existsSync(path.join(model, 'config.json')))
    throw new CliError(`--model ${m}: not a model folder (no config.json) nor a catalog name (${MODEL_CATALOG.map((e) => e.name).join(', ')})`);
  const seeds = typeof options.seeds === 'string' ? options.seeds.split(',').map((s) => intOption(s.trim(), 'seeds', 0, 0)) : base.seeds;
  if (seeds.length === 0) throw new CliError('--seeds: at least one seed');
  const lr = numberOption(options.lr, 'lr', base.grpo.lr!);
  if (!(lr > 0)) throw new CliError(`--lr must be > 0, got ${lr}`);
  const reward = options.reward ?? base.reward;
  if (reward !== 'boxed' && reward !== 'any') throw new CliError(`--reward must be boxed or any, got '${String(reward)}'`);
  const prompt = typeof options.prompt === 'string' ? options.prompt : base.prompt;
  if (!prompt.includes('{problem}')) throw new CliError('--prompt must contain {problem}');
  const format = options.format ?? 'chat';
  if (format !== 'chat' && format !== 'plain') throw new CliError(`--format must be chat or plain, got '${String(format)}'`);
  const temperature = numberOption(options.temperature, 'temperature', base.grpo.temperature!);
  if (!(temperature > 0)) throw new CliError(`--temperature must be > 0, got ${temperature}`);
  const batch = intOption(options.batch, 'batch', base.grpo.trainBatchSize!);
  const lora = loraOptions(options['lora-rank'], options['lora-ranks'], options['lora-alpha'], options['lora-lr']);
  const config: RealDemoConfig = {
    ...base,
    model,
    seeds,
    threads: intOption(options.threads, 'threads', base.threads),
    heldOutPerKind: intOption(options['held-out'], 'held-out', base.heldOutPerKind),
    gsm8k: intOption(options.gsm8k, 'gsm8k', base.gsm8k, 0),
    evalDir: typeof options['eval-dir'] === 'string' ? options['eval-dir'] : base.evalDir,
    poolPerKind: intOption(options.pool, 'pool', base.poolPerKind),
    evalMaxTokens: intOption(options['eval-tokens'], 'eval-tokens', base.evalMaxTokens),
    reward,
    prompt,
    ...(format === 'plain' ? { format } : {}),
    ...lora,
    grpo: {
      ...base.grpo,
      steps: intOption(options.steps, 'steps', base.grpo.steps!),
      lr,
      temperature,
      trainBatchSize: batch,
      miniBatchSize: batch,
      maxResponseLength: intOption(options['max-tokens'], 'max-tokens', base.grpo.maxResponseLength!),
      ...(options['entropy-coef'] !== undefined ? { entropyCoef: numberOption(options['entropy-coef'], 'entropy-coef', 0.001) } : {}),
      ...(options['micro-batch-tokens'] !== undefined ? { microBatchTokens: intOption(options['micro-batch-tokens'], 'micro-batch-tokens', 0) } : {}),
    },
  };
  if (config.gsm8k > 0 && !fs.existsSync(path.join(config.evalDir, 'gsm8k', 'test.jsonl'))) {
    throw new CliError(`no ${path.join(config.evalDir, 'gsm8k', 'test.jsonl')}: pass --eval-dir DIR, or --gsm8k 0`);
  }
  const outDir = typeof options.out === 'string' ? options.out : path.join('runs', 'demo-real');
  const log = (line: string) => process.stderr.write(line + '\n');
  let reuse: RealDemoOptions['reuse'];
  if (typeof options['base-from'] === 'string') {
    const file = options['base-from'];
    let result: RealDemoResult;
    try {
      result = JSON.parse(fs.readFileSync(file, 'utf8')) as RealDemoResult;
    } catch (e) {
      throw new CliError(`--base-from ${file}: ${(e as Error).message.split('\n')[0]}`);
    }
    if (!result.base || !result.selected || !result.config) throw new CliError(`--base-from ${file}: not a results file of rlvr demo --model`);
    try {
      reusedBase({ file, result }, config);
    } catch (e) {
      throw new CliError(`--base-from ${(e as Error).message}`);
    }
    reuse = { file, result };
  }
  const r = await runRealDemo({ config, outDir, log, ...(reuse ? { reuse } : {}) });
  if (typeof options.results === 'string') {
    fs.mkdirSync(path.dirname(options.results), { recursive: true });
    fs.writeFileSync(options.results, JSON.stringify(r, null, 2) + '\n');
  }
  const s = r.seconds;
  console.log(
    [
      '',
      `1-shot RLVR on ${model}: π1 = "${r.selected.problem}" (answer ${r.selected.answer}), ${r.grpo.steps} steps per seed; held-out accuracy (any format | boxed):`,
      formatRealTable(r),
      ...Object.entries(r.spread).map(
        ([k, x]) =>
          `${k}: after, over ${r.runs.length} seeds: any ${(100 * x.any.mean).toFixed(1)}% [${(100 * x.any.min).toFixed(1)}, ${(100 * x.any.max).toFixed(1)}], boxed ${(100 * x.boxed.mean).toFixed(1)}% [${(100 * x.boxed.min).toFixed(1)}, ${(100 * x.boxed.max).toFixed(1)}]`,
      ),
      ...Object.entries(r.configs ?? {}).map(
        ([k, c]) =>
          `${k}: lr ${c.lr}, ${c.trainableParams} trainable parameters, ${c.secondsPerStep?.wall.mean}s wall / ${c.secondsPerStep?.cpu.mean}s CPU per step, peak RSS ${((c.peakRssKiB ?? 0) / 1024).toFixed(0)} MiB (${c.rssScope}); after: ${Object.entries(
            c.spread,
          )
            .map(([n, x]) => `${n} any ${(100 * x.any.mean).toFixed(1)}% [${(100 * x.any.min).toFixed(1)}, ${(100 * x.any.max).toFixed(1)}]`)
            .join(', ')}`,
      ),
      `time: base eval ${s.base.wall}s | selection ${s.selection.wall}s | ${r.runs.map((x) => `${x.rank !== undefined ? `r${x.rank} ` : ''}seed ${x.seed} ${x.seconds.wall}s`).join(' | ')} | total ${s.total.wall}s wall, ${s.total.cpu}s CPU`,
      `summary: ${path.join(outDir, 'summary.json')}`,
    ].join('\n'),
  );
  if (options.json === true) console.log(JSON.stringify({ base: r.base, after: r.runs.map((x) => ({ seed: x.seed, ...x.after })), seconds: s.total }));
  return 0;
}

/** --lora-rank R | --lora-ranks 0,1,8 (0 = full fine-tuning), --lora-alpha, --lora-lr: checked, each fault in one line. */
type Opt = string | boolean | undefined;

export function loraOptions(rank: Opt, ranks: Opt, alpha: Opt, lr: Opt): Pick<RealDemoConfig, 'loraRanks' | 'loraAlpha' | 'loraLr'> {
  if (rank !== undefined && ranks !== undefined) throw new CliError('give --lora-rank or --lora-ranks, not both');
  const list =
    typeof ranks === 'string'
      ? ranks.split(',').map((s) => intOption(s.trim(), 'lora-ranks', 0, 0))
      : rank !== undefined
        ? [intOption(rank, 'lora-rank', 0, 1)]
        : undefined;
  if (list && new Set(list).size !== list.length) throw new CliError(`--lora-ranks: a rank is listed twice (${String(ranks)})`);
  if (!list && (alpha !== undefined || lr !== undefined)) throw new CliError('--lora-alpha and --lora-lr need --lora-rank or --lora-ranks');
  const out: Pick<RealDemoConfig, 'loraRanks' | 'loraAlpha' | 'loraLr'> = {};
  if (list) out.loraRanks = list;
  if (alpha !== undefined) {
    const a = numberOption(alpha, 'lora-alpha', DEFAULT_LORA_ALPHA);
    if (!(a > 0)) throw new CliError(`--lora-alpha must be > 0, got ${a}`);
    out.loraAlpha = a;
  }
  if (lr !== undefined) {
    const l = numberOption(lr, 'lora-lr', 0);
    if (!(l > 0)) throw new CliError(`--lora-lr must be > 0, got ${l}`);
    out.loraLr = l;
  }
  return out;
}
