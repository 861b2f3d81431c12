// Our GRPO step vs TRL's GRPOTrainer (transformers generation, no vLLM) on CPU, and our LoRA vs
// TRL + PEFT: issue 27 item 6. One step per fresh process, pairs interleaved (ours, TRL, ours,
// TRL, ...); per case and phase the median, min-max and TRL/ours; peak RSS of each process.
//
// Configuration (both sides): 1 thread (our libtorch threads 1; TRL torch.set_num_threads(1),
// OMP_NUM_THREADS=MKL_NUM_THREADS=1), float32 weights and compute (-bf16 cases: bf16 autocast on both sides, TRL's default), fp32 AdamW (lr 1e-6 full,
// 1e-5 LoRA; weight decay 0.01, grad clip 1, constant lr), the same 4 chat prompts (the first rows
// of ../shared/data/train/dsr_sub.parquet) × 8 rollouts, temperature 0.6, KL 0.001 (full: a second
// model as reference; LoRA: the base with adapters off), entropy bonus 0.001, token-mean loss, one
// optimizer step per batch. "exact" cases: exactly --tokens new tokens (ours: no stop tokens; TRL:
// min_new_tokens = max_completion_length); "-eos" cases: the model's EOS ends a completion.
// LoRA: rank 8 on every linear layer, alpha = our default (32) on both sides (PEFT target_modules
// 'all-linear'). No warm-up step on either side: each process runs exactly one step, the first.
// Old log-probs: with one optimizer step per batch both sides take them as the current ones,
// detached (ours: oldLogprobsFrom 'current', no forward; TRL: num_iterations 1), so each logprobs
// phase is the reference forward only; --reuse-rollout-logprobs takes ours from the rollout engine
// instead. (Results recorded before that change show 'recomputed': two forwards on our side.)
// Phases: ours from the step's metrics (generation incl. rewards, log-probs, update) and the whole
// trainStep() wall time; TRL's from timers around GRPOTrainer methods (bench/cpu_step_trl.py says
// which). Peak RSS: VmHWM (ours), ru_maxrss (TRL).
//
//   npm run bench:cpu-step -- [--cases smollm2-full,smollm2-lora8] [--pairs 3] [--tokens 128] [--quick]
//     [--smollm2 DIR] [--qwen2 DIR] [--python python3] [--out bench/results/cpu-step.json] [--fresh] [--verbose]
//     [--trl-no-checkpointing]   (TRL's GRPOConfig default is gradient checkpointing on) [--no-case-after HH:MM]
//     [--reuse-rollout-logprobs]   (ours: old log-probs from the rollout engine, no recomputing forward)
// --quick: 16 tokens, 1 pair, written to bench/results/cpu-step-quick.json (checks that both sides run).
// Results are written after every pair; cases of an earlier file that this run does not redo are
// kept (each case carries its own provenance) unless --fresh.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadExamples } from '../src/data/examples.js';
import { manualSeed, setNumThreads, torchVersion } from '../src/engine/index.js';
import { loadModel } from '../src/model/checkpoint.js';
import { LoraAdapters, loraSettings } from '../src/model/lora.js';
import { GRPOTrainer } from '../src/rl/trainer.js';
import { ModelBundle } from '../src/run/model-bundle.js';
import type { ChatMessage } from '../src/tokenizer/index.js';
import { provenance } from '../src/util/provenance.js';
import { formatTable, summarize, type StepRun } from './cpu-step-summary.js';
import { peakRssBytes } from '../src/util/peak-rss.js';
import { oneStepConfig, runJsonChild } from './one-step.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..'); // dist/bench -> repo root
const LORA_RANK = 8;
const LR = { full: 1e-6, lora: 1e-5 };

interface CaseSpec {
  model: 'smollm2' | 'qwen2';
  lora: number;
  exact: boolean;
  /** bf16 autocast with float32 master weights on both sides (ours computeDtype bfloat16; TRL bf16=True, its GRPOConfig default); else float32. */
  bf16?: boolean;
}
const CASES: Record<string, CaseSpec> = {
  'smollm2-full': { model: 'smollm2', lora: 0, exact: true },
  'smollm2-lora8': { model: 'smollm2', lora: LORA_RANK, exact: true },
  'qwen2-small-full': { model: 'qwen2', lora: 0, exact: true },
  'qwen2-small-lora8': { model: 'qwen2', lora: LORA_RANK, exact: true },
  'smollm2-full-eos': { model: 'smollm2', lora: 0, exact: false },
  'smollm2-lora8-eos': { model: 'smollm2', lora: LORA_RANK, exact: false },
  'qwen2-small-full-eos': { model: 'qwen2', lora: 0, exact: false },
  'qwen2-small-lora8-eos': { model: 'qwen2', lora: LORA_RANK, exact: false },
  'smollm2-full-bf16': { model: 'smollm2', lora: 0, exact: true, bf16: true },
  'smollm2-lora8-bf16': { model: 'smollm2', lora: LORA_RANK, exact: true, bf16: true },
  'qwen2-small-full-bf16': { model: 'qwen2', lora: 0, exact: true, bf16: true },
};
const DEFAULT_CASES = ['smollm2-full', 'smollm2-lora8', 'qwen2-small-full', 'smollm2-full-eos'];

/** What one child run is given (ours reads it as JSON; TRL's script as flags). */
interface RunSpec {
  model: string;
  prompts: string;
  tokens: number;
  exact: boolean;
  lora: number;
  loraAlpha: number;
  lr: number;
  /** Ours: old log-probs from the rollout engine instead of a recomputing forward (TRL computes none here). */
  reuseRolloutLogprobs: boolean;
  /** bf16 autocast on both sides (float32 weights); false: float32 compute. */
  bf16: boolean;
}

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const arg = (name: string, def: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : def;
};

/** Ours: one step in this process; prints the run's record as the last stdout line. */
async function oursChild(spec: RunSpec): Promise<void> {
  setNumThreads(1);
  manualSeed(1);
  const bundle = ModelBundle.load(spec.model, { dtype: 'float32' });
  const policy = bundle.model;
  const reference = spec.lora > 0 ? null : loadModel(spec.model, { dtype: 'float32' });
  if (spec.lora > 0) LoraAdapters.attach(policy, loraSettings({ rank: spec.lora, alpha: spec.loraAlpha }), { seed: 1 });
  const messages = JSON.parse(fs.readFileSync(spec.prompts, 'utf8')) as ChatMessage[][];
  const examples = messages.map((m, index) => ({ index, messages: m, groundTruth: '', dataSource: 'bench' }));
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cpu-step-'));
  const trainer = new GRPOTrainer({
    policy,
    reference,
    tokenizer: bundle.tokenizer,
    examples,
    renderPrompt: (ex) => bundle.renderPrompt(ex.messages),
    // Exact: no stop token, every rollout runs to maxResponseLength.
    stopTokenIds: spec.exact ? [] : bundle.stopTokenIds().ids,
    // Cheap and independent of the text, as on TRL's side: the rewards' cost is not measured.
    rewards: async (items) => items.map((it) => (it.completionIds[0] ?? 0) % 2),
    config: {
      ...oneStepConfig({ tokens: spec.tokens, lr: spec.lr, prompts: messages.length, maxPromptLength: 1024 }),
      reuseRolloutLogprobs: spec.reuseRolloutLogprobs === true,
      computeDtype: spec.bf16 ? 'bfloat16' : 'float32',
    },
    runDir,
    tokenizerFrom: spec.model,
    log: () => {},
  });
  const t0 = performance.now();
  const m = await trainer.trainStep();
  const step = (performance.now() - t0) / 1000;
  const rec = {
    side: 'ours',
    step,
    generation: m.timeGeneration,
    logprobs: m.timeLogprobs,
    update: m.timeUpdate,
    peakRssBytes: peakRssBytes(),
    oldLogprobsFrom: m.oldLogprobsFrom,
    responseLengthMean: m.responseLengthMean,
    promptTokens: examples.map((ex) => trainer.promptIdsFor(ex)?.length ?? null),
    microBatchTokens: trainer.plan.training.microBatchTokens,
    activationCheckpointing: trainer.plan.training.activationCheckpointing,
    trainableParameters: policy.trainableParameters().reduce((a, p) => a + p.numel, 0),
  };
  trainer.disposeOptimizers();
  policy.dispose();
  reference?.dispose();
  fs.rmSync(runDir, { recursive: true, force: true });
  console.log(JSON.stringify(rec));
}

/** A child's record with the machine's 1-minute load average before and after it (the machine is shared). */
async function measured<T extends object>(run: () => Promise<T>): Promise<T & { loadAverage: [number, number] }> {
  const before = os.loadavg()[0]!;
  const r = await run();
  return { ...r, loadAverage: [before, os.loadavg()[0]!] };
}

/** The next time of day `hhmm` (UTC) at or after `now`. */
function nextUtc(hhmm: string, now: Date): Date {
  const m = /^(\d{1,2}):(\d{2})$/.exec(hhmm);
  if (!m) throw new Error(`--no-case-after: expected HH:MM, got '${hhmm}'`);
  const t = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), Number(m[1]), Number(m[2])));
  if (t.getTime() < now.getTime()) t.setUTCDate(t.getUTCDate() + 1);
  return t;
}

function log(line: string): void {
  process.stderr.write(`[cpu-step ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

/** The first `n` chat prompts of `data`, as message lists (the same file feeds both sides). */
async function writePrompts(data: string, n: number, file: string): Promise<void> {
  const examples = (await loadExamples(data)).slice(0, n);
  fs.writeFileSync(file, JSON.stringify(examples.map((e) => e.messages)) + '\n');
}

async function ensureQwen2(dir: string, tokenizerDir: string, python: string): Promise<void> {
  if (fs.existsSync(path.join(dir, 'model.safetensors'))) return;
  log(`building the small random Qwen2 in ${dir}`);
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  await runJsonChild(python, [path.join(ROOT, 'bench/cpu_step_qwen2.py'), '--tokenizer', tokenizerDir, '--out', dir], { quiet: true }).catch((e: Error) => {
    // The builder prints the folder (not JSON): success is the folder being there.
    if (!fs.existsSync(path.join(dir, 'model.safetensors'))) throw e;
  });
}

async function main(): Promise<void> {
  const quick = flag('quick');
  const tokens = Number(arg('tokens', quick ? '16' : '128'));
  const pairs = Number(arg('pairs', quick ? '1' : '3'));
  const caseNames = arg('cases', DEFAULT_CASES.join(',')).split(',');
  for (const c of caseNames) if (!CASES[c]) throw new Error(`unknown case '${c}' (known: ${Object.keys(CASES).join(', ')})`);
  const cache = path.join(os.homedir(), '.cache/rlvr');
  const dirs = {
    smollm2: arg('smollm2', path.join(cache, 'models/smollm2-135m-instruct')),
    qwen2: arg('qwen2', path.join(cache, 'bench/qwen2-small-random')),
  };
  const python = arg('python', process.env['PYTHON'] ?? 'python3');
  const out = path.resolve(arg('out', path.join(ROOT, `bench/results/cpu-step${quick ? '-quick' : ''}.json`)));
  const data = arg('data', path.join(ROOT, '../shared/data/train/dsr_sub.parquet'));
  const nPrompts = Number(arg('prompts', '4'));
  const promptsFile = path.join(os.tmpdir(), `cpu-step-prompts-${process.pid}.json`);
  await writePrompts(data, nPrompts, promptsFile);
  if (caseNames.some((c) => CASES[c]!.model === 'qwen2')) await ensureQwen2(dirs.qwen2, dirs.smollm2, python);
  const loraAlpha = loraSettings({ rank: LORA_RANK }).alpha;
  const env = { ...process.env, OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1', TOKENIZERS_PARALLELISM: 'false' };
  const quiet = !flag('verbose');
  // TRL's GRPOConfig turns gradient checkpointing on by default; --trl-no-checkpointing turns it off.
  const trlCheckpointing = !flag('trl-no-checkpointing');

  const previous = !flag('fresh') && fs.existsSync(out) ? (JSON.parse(fs.readFileSync(out, 'utf8')) as { cases?: Record<string, unknown> }) : {};
  const cases: Record<string, unknown> = { ...(previous.cases ?? {}) };
  const write = () => {
    const summaries = Object.entries(cases).flatMap(([name, c]) => {
      const s = (c as { summary?: ReturnType<typeof summarize> }).summary;
      return s ? [{ name, summary: s }] : [];
    });
    const result = {
      bench: 'cpu-step',
      description:
        "One GRPO step, ours vs TRL's GRPOTrainer (no vLLM), on CPU; pairs interleaved (ours then TRL), one step per fresh process, no warm-up step on either side. Seconds; peak RSS in bytes.",
      shared: true,
      sharedNote:
        "The machine has 2 cores and was shared: another long benchmark ran on the other core, and other helpers' builds, tests and demos ran at times (each run records the 1-minute load average before and after it). Both sides were equally exposed (interleaved pairs); compare ratios, not absolute times.",
      config: {
        threads: 1,
        prompts: nPrompts,
        rolloutsPerPrompt: 8,
        promptsFrom: path.relative(ROOT, data),
        temperature: 0.6,
        topP: 1,
        topK: 0,
        klCoef: 0.001,
        entropyCoef: 0.001,
        weightDecay: 0.01,
        gradClip: 1,
        lr: LR,
        loraRank: LORA_RANK,
        loraAlpha,
        loraTargets: 'all linear layers (ours: LORA_TARGETS; PEFT: all-linear)',
        dtype:
          'float32 weights and fp32 AdamW on both sides; compute float32, or bf16 autocast in the -bf16 cases (ours computeDtype bfloat16, TRL bf16=True: its GRPOConfig default)',
        optimizerSteps: 1,
        trl: `per_device_train_batch_size 32, gradient_accumulation_steps 1, steps_per_generation 1, num_iterations 1 (no old log-probs), loss_type dapo, gradient_checkpointing ${trlCheckpointing} (GRPOConfig's default: true)`,
        phases:
          'ours: generation (rollouts + rewards), logprobs (reference and old log-probs), update (forward+backward+AdamW), step = trainStep() wall time; TRL: see bench/cpu_step_trl.py (generation = _generate, logprobs = _get_per_token_logps_and_entropies inside _generate_and_score_completions, update = step - _prepare_inputs, step = on_step_begin..on_step_end)',
        peakRss: 'ours: VmHWM of the process; TRL: ru_maxrss of the process',
        oldLogprobs: flag('reuse-rollout-logprobs')
          ? "ours: the rollout engine's (reuseRolloutLogprobs); TRL: none (one optimizer step per generation: the current log-probs, detached)"
          : "ours: none when the step is exactly on-policy (oldLogprobsFrom 'current': one optimizer step, the current log-probs detached), else recomputed with a training forward; TRL: none (one optimizer step per generation: the current log-probs, detached), its logprobs phase is the reference forward only",
        models: { smollm2: dirs.smollm2, qwen2: `${dirs.qwen2} (bench/cpu_step_qwen2.py: Qwen2, 4 layers, hidden 256, seed 0, SmolLM2 tokenizer)` },
        command: `npm run bench:cpu-step -- ${argv.join(' ')}`.trim(),
      },
      cases,
      table: formatTable(summaries).split('\n'),
    };
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
  };

  const started = performance.now();
  const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0)} s elapsed`;
  // --no-case-after HH:MM (UTC, its next occurrence): cases not started by then are skipped (a time-boxed run).
  const cutoff = arg('no-case-after', '');
  const deadline = cutoff ? nextUtc(cutoff, new Date()) : null;
  const done: string[] = [];
  for (const name of caseNames) {
    if (deadline && Date.now() >= deadline.getTime()) {
      log(`${name}: skipped (past --no-case-after ${cutoff} UTC)`);
      continue;
    }
    done.push(name);
    const c = CASES[name]!;
    const spec: RunSpec = {
      model: dirs[c.model],
      prompts: promptsFile,
      tokens,
      exact: c.exact,
      lora: c.lora,
      loraAlpha,
      lr: c.lora > 0 ? LR.lora : LR.full,
      reuseRolloutLogprobs: flag('reuse-rollout-logprobs'),
      bf16: c.bf16 === true,
    };
    const ours: (StepRun & Record<string, unknown>)[] = [];
    const trl: (StepRun & Record<string, unknown>)[] = [];
    // A run that fails (e.g. killed by the kernel's OOM killer on a shared machine) is recorded and
    // its pair left out; the bench goes on with the next pair.
    const failures: { pair: number; side: string; error: string }[] = [];
    const unpaired: (StepRun & Record<string, unknown>)[] = [];
    const attempt = async (pair: number, side: string, run: () => Promise<StepRun & Record<string, unknown>>) => {
      try {
        return await measured(run);
      } catch (e) {
        const error = (e as Error).message.split('\n')[0]!.slice(-300);
        failures.push({ pair, side, error });
        log(`${name}: pair ${pair}, ${side} FAILED: ${error}`);
        return null;
      }
    };
    const gib = (b: number) => `${(b / 2 ** 30).toFixed(2)} GiB`;
    for (let i = 1; i <= pairs; i++) {
      log(`${name}: pair ${i}/${pairs}, ours (${elapsed()})`);
      const o = await attempt(i, 'ours', () =>
        runJsonChild(process.execPath, [fileURLToPath(import.meta.url), '--child', JSON.stringify(spec)], { env, quiet }),
      );
      if (o) log(`${name}: pair ${i}/${pairs}, ours step ${o.step.toFixed(1)} s, peak RSS ${gib(o.peakRssBytes)}; TRL (${elapsed()})`);
      const trlArgs = [
        path.join(ROOT, 'bench/cpu_step_trl.py'),
        ...['--model', spec.model, '--prompts', spec.prompts, '--tokens', String(tokens), '--exact', c.exact ? '1' : '0'],
        ...['--lora', String(c.lora), '--lora-alpha', String(loraAlpha), '--lr', String(spec.lr)],
        ...['--gradient-checkpointing', trlCheckpointing ? '1' : '0', '--bf16', c.bf16 ? '1' : '0'],
      ];
      const t = await attempt(i, 'trl', () => runJsonChild(python, trlArgs, { env, quiet }));
      if (t) log(`${name}: pair ${i}/${pairs}, TRL step ${t.step.toFixed(1)} s, peak RSS ${gib(t.peakRssBytes)} (${elapsed()})`);
      if (o && t) {
        ours.push(o);
        trl.push(t);
      } else {
        // The other side's run of a broken pair: kept for the record, left out of the summary.
        for (const r of [o, t]) if (r) unpaired.push(r);
      }
      cases[name] = {
        ...c,
        tokens,
        pairs: ours.length,
        provenance: provenance({ threads: 1, libtorch: torchVersion() }),
        summary: ours.length ? summarize(ours, trl) : null,
        ours,
        trl,
        failures,
        unpaired,
      };
      write();
    }
  }
  fs.rmSync(promptsFile, { force: true });
  const summaries = done.flatMap((name) => {
    const summary = (cases[name] as { summary: ReturnType<typeof summarize> | null }).summary;
    return summary ? [{ name, summary }] : [];
  });
  console.log(formatTable(summaries));
  log(`wrote ${path.relative(process.cwd(), out)} (${elapsed()})`);
}

if (argv[0] === '--child') await oursChild(JSON.parse(argv[1]!) as RunSpec);
else await main();
