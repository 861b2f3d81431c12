// 1-shot RLVR on a REAL pretrained model (SmolLM2-135M-Instruct, `rlvr models get`), CPU-sized:
//   held-out sets (seeded arithmetic word problems + a GSM8K slice) → base accuracy (boxed and any
//   format) → ONE example picked by historical variance from a short rollout-only run over a
//   candidate pool → 1-shot GRPO per seed → held-out accuracy again, per seed.
// The base evaluation and the selection are greedy / seeded once; each seed is its own GRPO run
// from the base weights. Wall and CPU seconds are recorded per phase (the machine may be shared).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { provenance, type Provenance } from '../util/provenance.js';
import { formatDifference, formatProportion, pairedDifference, wilson, type PairedDifference } from '../stats/index.js';
import { manualSeed, setNumThreads, torchVersion } from '../engine/index.js';
import { loadBenchmark } from '../data/benchmarks.js';
import { rankByVariance } from '../data/selection.js';
import type { TrainExample } from '../data/examples.js';
import { evaluate, type BenchmarkSummary, type EvalBenchmark, type EvalProblem, type EvalRecord } from '../eval/evaluate.js';
import { stylePromptBuilder } from '../eval/prompt-styles.js';
import { VerifierPool } from '../tasks/math/verifier/pool.js';
import { PAPER_GRPO_CONFIG, type GRPOConfig } from '../rl/config.js';
import { scorePool } from '../rl/pool-scoring.js';
import { mathReward } from '../tasks/math/reward.js';
import { mathTask } from '../tasks/math/task.js';
import { GRPOTrainer, type StepMetrics } from '../rl/trainer.js';
import { rolloutSamples } from '../rollout/engine.js';
import { ModelBundle } from '../run/model-bundle.js';
import { LoraAdapters, loraSettings } from '../model/lora.js';
import { peakRssMeter, type PeakRss } from '../util/peak-rss.js';
import { wordProblems, type WordProblem } from './word-problems.js';

export interface RealDemoConfig {
  /** HF model folder (e.g. `rlvr models get smollm2-135m-instruct`). */
  model: string;
  /** One GRPO run per seed, each from the base weights. */
  seeds: number[];
  threads: number;
  /** Seed of the generated held-out set and candidate pool (fixed across the RL seeds). */
  dataSeed: number;
  /** Generated held-out problems per kind (5 kinds: add, sub, mul, add-sub, mul-add). */
  heldOutPerKind: number;
  /** GSM8K problems in the held-out slice (the first ones whose solution has at most gsm8kMaxSteps calculations). */
  gsm8k: number;
  gsm8kMaxSteps: number;
  /** Folder holding gsm8k/test.jsonl. */
  evalDir: string;
  /** Candidate pool for selection: generated problems per kind (disjoint from the held-out set). */
  poolPerKind: number;
  /** Selection: rollouts per example per epoch, epochs (historical variance needs >= 2), max tokens. */
  selectionRollouts: number;
  selectionEpochs: number;
  /** The user turn; {problem} is replaced. Used for evaluation, selection and training alike. */
  prompt: string;
  /** Max new tokens of the greedy held-out evaluation. */
  evalMaxTokens: number;
  /**
   * The training (and selection) reward: 'boxed' — the paper's, the verifier's reward mode (the last
   * \\boxed{} only); 'any' — the verifier's evaluation mode (the answer in any format, as the held-out
   * any-format accuracy is scored).
   */
  reward: 'boxed' | 'any';
  /** 1-shot GRPO: overrides of the paper's config (maxResponseLength also bounds selection rollouts). */
  grpo: Partial<GRPOConfig>;
  /**
   * How the user turn reaches the model: 'chat' (default) — through the model's chat template;
   * 'plain' — the bare text after the BOS token, for a pretrained base model that has never seen
   * its template's turns (generation then stops at the first newline: one line, one answer).
   */
  format?: 'chat' | 'plain';
  /**
   * The configurations trained from the same base evaluation and selection: 0 = full fine-tuning,
   * r > 0 = LoRA adapters of rank r on every linear layer (src/model/lora.ts). Absent: [0].
   */
  loraRanks?: number[];
  /** LoRA alpha (updates scaled by alpha / rank); absent: the library's default (DEFAULT_LORA_ALPHA, 32). */
  loraAlpha?: number;
  /** The learning rate under LoRA; absent: 10x grpo.lr ("LoRA Without Regret", Schulman et al. 2025: ~10x full fine-tuning's). */
  loraLr?: number;
}

/** The LoRA learning rate when none is given, as a multiple of the full fine-tuning lr (LoRA Without Regret's ~10x). */
export const LORA_LR_FACTOR = 10;

/** The 'plain' format's template: BOS + the user turn(s), no turn markers. */
export const PLAIN_TEMPLATE = "{{ bos_token }}{% for m in messages %}{{ m['content'] }}{% endfor %}";

/**
 * The user turn. SmolLM2-135M-Instruct answers "The answer is: N" (MetaMathQA style) and greedily
 * never boxed with the paper's suffix or "within \\boxed{}" (0/40 and 0/20 measured); with this
 * wording it writes "The answer is \\boxed{N}." on some problems (2/20 greedy), so GRPO's boxed
 * reward has a signal to start from.
 */
export const REAL_PROMPT = '{problem} Give the final answer in the form \\boxed{N}.';

/**
 * `npm run demo:real` (README "A real model", bench/results/demo-real.json). Measured on one
 * thread: base evaluation 61 s CPU, selection 109 s, one seed (8 steps + the evaluation after)
 * 153-399 s; on a 2-core machine shared with other jobs the wall time was 2.5-4x the CPU time.
 */
export const REAL_DEMO: Omit<RealDemoConfig, 'model'> = {
  seeds: [0, 1],
  threads: 1,
  dataSeed: 0,
  heldOutPerKind: 4,
  gsm8k: 10,
  gsm8kMaxSteps: 2,
  evalDir: '../shared/data/eval',
  poolPerKind: 2,
  selectionRollouts: 8,
  selectionEpochs: 2,
  prompt: REAL_PROMPT,
  evalMaxTokens: 128,
  // The boxed reward had no signal on this model: 1.3% of 320 selection rollouts and 0 of 16 in
  // GRPO step 1 were boxed and correct (README, "settings that did not work").
  reward: 'any',
  grpo: {
    trainBatchSize: 2,
    miniBatchSize: 2,
    groupSize: 8,
    maxResponseLength: 96,
    lr: 1e-5,
    temperature: 0.6,
    klCoef: 0,
    overlong: 'zero',
    steps: 8,
    validateEvery: 0,
    saveEvery: 0,
    rolloutSamples: 8,
    // float32 whatever the CPU ('auto' picks bf16 on CPUs with AVX-512 BF16 / AMX): the recorded
    // results (bench/results/demo-real*.json) were made in float32.
    computeDtype: 'float32',
  },
};

/** For tests: the whole pipeline in seconds (its numbers mean nothing). */
export const QUICK_REAL_DEMO: Omit<RealDemoConfig, 'model'> = {
  ...REAL_DEMO,
  heldOutPerKind: 1,
  gsm8k: 2,
  poolPerKind: 1,
  selectionRollouts: 2,
  evalMaxTokens: 8,
  grpo: { ...REAL_DEMO.grpo, trainBatchSize: 1, miniBatchSize: 1, groupSize: 2, maxResponseLength: 8, steps: 2 },
};

/** Accuracy of one held-out set: any format (the paper's evaluation) and boxed (the reward's format). */
export interface SetScore {
  n: number;
  any: number;
  boxed: number;
  truncated: number;
  meanTokens: number;
  /** The generated set per problem kind (add, sub, ...): what a 1-shot run on one kind does to the others. */
  kinds?: Record<string, { n: number; any: number; boxed: number }>;
  /** Any-format verdict per problem, in the set's order ('1'/'0'): for paired tests against the base. */
  outcomes?: string;
}

/** Per-kind accuracies of scored records whose id is `<kind>-<i>` (the generated set's ids). */
export function perKind(
  records: readonly { id: string; correct: boolean; rewardCorrect: boolean }[],
): Record<string, { n: number; any: number; boxed: number }> {
  const out: Record<string, { n: number; any: number; boxed: number }> = {};
  for (const r of records) {
    const kind = r.id.slice(0, r.id.lastIndexOf('-'));
    const k = (out[kind] ??= { n: 0, any: 0, boxed: 0 });
    k.n++;
    if (r.correct) k.any++;
    if (r.rewardCorrect) k.boxed++;
  }
  for (const k of Object.values(out)) {
    k.any = round(k.any / k.n);
    k.boxed = round(k.boxed / k.n);
  }
  return out;
}

export type HeldOutScores = Record<string, SetScore>;

/**
 * After vs base, paired per problem on each set's any-format outcomes; `kinds[name]` lists the
 * kind of every problem of a set (the generated set), for the per-kind tests.
 */
export function pairedVsBase(base: HeldOutScores, after: HeldOutScores, seed: number, kinds: Record<string, string[]> = {}): NonNullable<SeedRun['paired']> {
  const out: NonNullable<SeedRun['paired']> = {};
  const bits = (x: string) => [...x].map((c) => c === '1');
  for (const [name, b] of Object.entries(base)) {
    const a = after[name];
    if (!b.outcomes || !a?.outcomes) continue;
    const x = bits(b.outcomes),
      y = bits(a.outcomes);
    const d: PairedDifference & { kinds?: Record<string, PairedDifference> } = pairedDifference(x, y, { seed });
    const ks = kinds[name];
    if (ks && ks.length === x.length) {
      d.kinds = {};
      for (const k of [...new Set(ks)]) {
        const idx = ks.flatMap((kk, i) => (kk === k ? [i] : []));
        d.kinds[k] = pairedDifference(
          idx.map((i) => x[i]!),
          idx.map((i) => y[i]!),
          { seed },
        );
      }
    }
    out[name] = d;
  }
  return out;
}

export interface SeedRun {
  seed: number;
  /** 0 = full fine-tuning, r > 0 = LoRA rank r (absent in results written before LoRA: full fine-tuning). */
  rank?: number;
  lr?: number;
  /** LoRA alpha (LoRA runs only). */
  alpha?: number;
  trainableParams?: number;
  /** The GRPO steps alone (not the evaluation after): mean per step, wall and CPU seconds of this process. */
  secondsPerStep?: Phase;
  /** Peak RSS over this run (loading, training and the evaluation after; src/util/peak-rss.ts). */
  memory?: PeakRss;
  after: HeldOutScores;
  /**
   * Per set, after vs the base on the same problems (any format): the paired difference with its
   * bootstrap interval and McNemar's exact test; the generated set also per kind.
   */
  paired?: Record<string, PairedDifference & { kinds?: Record<string, PairedDifference> }>;
  steps: (Pick<StepMetrics, 'step' | 'rewardMean' | 'trainAccuracy' | 'responseLengthMean' | 'truncatedFrac' | 'entropy' | 'gradNorm'> &
    Partial<Pick<StepMetrics, 'timeGeneration' | 'timeLogprobs' | 'timeUpdate'>>)[];
  seconds: Phase;
}

/** Wall-clock and CPU (user + system of this process) seconds of a phase. */
export interface Phase {
  wall: number;
  cpu: number;
}

export interface RealDemoResult {
  config: RealDemoConfig;
  grpo: GRPOConfig;
  sets: Record<string, { n: number; source: string }>;
  base: HeldOutScores;
  selection: { pool: number; rollouts: number; epochs: number; top: { index: number; problem: string; answer: string; accs: number[]; variance: number }[] };
  selected: { index: number; problem: string; answer: string };
  runs: SeedRun[];
  /**
   * Per set: mean and spread (min, max) over the seeds of the after-training accuracies, of the
   * first configuration of config.loraRanks (all runs when there is one configuration).
   */
  spread: Spread;
  /** Per configuration ('full', 'lora-r8', ...), when config.loraRanks is given: its runs summarised. */
  configs?: Record<string, ConfigSummary>;
  seconds: { base: Phase; selection: Phase; total: Phase };
  machine: { threads: number; note: string };
  /** Machine (CPU model, ISA flags, cores), versions and commit (src/util/provenance.ts). */
  provenance?: Provenance;
  /** The results file whose base evaluation and selection this run reused (RealDemoOptions.reuse); seconds.base and .selection are then 0. */
  baseFrom?: string;
}

export type Spread = Record<string, { any: { mean: number; min: number; max: number }; boxed: { mean: number; min: number; max: number } }>;

export interface ConfigSummary {
  rank: number;
  lr: number;
  alpha?: number;
  /** null where a run did not record it (results written before LoRA). */
  trainableParams: number | null;
  seeds: number[];
  spread: Spread;
  /** Mean seconds per GRPO step over the seeds' means, with min and max. */
  secondsPerStep: { wall: { mean: number; min: number; max: number }; cpu: { mean: number; min: number; max: number } } | null;
  /** The largest per-run peak RSS of this configuration (KiB), and the scope of the measurement. */
  peakRssKiB: number | null;
  rssScope: PeakRss['scope'] | null;
  /**
   * A LoRA configuration against full fine-tuning of the same seed, per set and seed, paired on the
   * same problems (any format): diff = LoRA − full, its bootstrap 95% interval and McNemar's p.
   * Present when full fine-tuning ran with that seed.
   */
  vsFull?: Record<string, (PairedDifference & { seed: number })[]>;
}

/** The key of a configuration in RealDemoResult.configs. */
/** The settings that make the base evaluation and the selection (and the runs) comparable: all but the seeds and the LoRA options. */
function sameExperiment(c: RealDemoConfig): string {
  const { seeds: _s, loraRanks: _r, loraAlpha: _a, loraLr: _l, ...rest } = c;
  return JSON.stringify(rest, Object.keys(rest).sort());
}

/** Checks that an earlier result was made with these settings and returns its base and selection. */
export function reusedBase(
  reuse: NonNullable<RealDemoOptions['reuse']>,
  cfg: RealDemoConfig,
): Pick<RealDemoResult, 'base' | 'selected'> & { top: RealDemoResult['selection']['top'] } {
  const a = reuse.result.config,
    b = cfg;
  // microBatchTokens chunks the update (a memory knob): it changes neither the base nor the selection.
  const norm = (c: RealDemoConfig) => {
    const { microBatchTokens: _m, ...g } = c.grpo;
    return { ...c, grpo: JSON.stringify(g, Object.keys(g).sort()) };
  };
  if (sameExperiment(norm(a) as unknown as RealDemoConfig) !== sameExperiment(norm(b) as unknown as RealDemoConfig)) {
    const differ = Object.keys({ ...a, ...b }).filter(
      (k) => !['seeds', 'loraRanks', 'loraAlpha', 'loraLr'].includes(k) && JSON.stringify((norm(a) as never)[k]) !== JSON.stringify((norm(b) as never)[k]),
    );
    throw new Error(`${reuse.file} was made with other settings (${differ.join(', ')}): its base evaluation and selection do not apply`);
  }
  return { base: reuse.result.base, selected: reuse.result.selected, top: reuse.result.selection.top };
}

export function configKey(rank: number): string {
  return rank === 0 ? 'full' : `lora-r${rank}`;
}

const stat = (xs: number[]) => ({ mean: round(xs.reduce((a, b) => a + b, 0) / xs.length), min: Math.min(...xs), max: Math.max(...xs) });

/** Per set, mean/min/max over `runs` of the after-training accuracies. */
export function spreadOf(runs: readonly SeedRun[], names: readonly string[]): Spread {
  const out: Spread = {};
  for (const n of names) out[n] = { any: stat(runs.map((r) => r.after[n]!.any)), boxed: stat(runs.map((r) => r.after[n]!.boxed)) };
  return out;
}

/** The per-configuration summaries of runs that carry a rank (LoRA-aware results). */
export function summarizeConfigs(runs: readonly SeedRun[], names: readonly string[], lrOfFull?: number): Record<string, ConfigSummary> {
  const out: Record<string, ConfigSummary> = {};
  const ranks = [...new Set(runs.map((r) => r.rank ?? 0))];
  for (const rank of ranks) {
    const rs = runs.filter((r) => (r.rank ?? 0) === rank);
    const first = rs[0]!;
    out[configKey(rank)] = {
      rank,
      lr: first.lr ?? lrOfFull ?? NaN,
      ...(first.alpha !== undefined ? { alpha: first.alpha } : {}),
      trainableParams: first.trainableParams ?? null,
      seeds: rs.map((r) => r.seed),
      spread: spreadOf(rs, names),
      secondsPerStep: rs.every((r) => r.secondsPerStep)
        ? { wall: stat(rs.map((r) => r.secondsPerStep!.wall)), cpu: stat(rs.map((r) => r.secondsPerStep!.cpu)) }
        : null,
      peakRssKiB: rs.every((r) => r.memory) ? Math.max(...rs.map((r) => r.memory!.peakKiB)) : null,
      rssScope: rs.every((r) => r.memory) ? (rs.every((r) => r.memory!.scope === 'run') ? 'run' : 'process') : null,
    };
    const full = (seed: number) => runs.find((r) => (r.rank ?? 0) === 0 && r.seed === seed);
    if (rank !== 0 && rs.some((r) => full(r.seed))) {
      const bits = (x: string) => [...x].map((c) => c === '1');
      const vs: NonNullable<ConfigSummary['vsFull']> = {};
      for (const n of names) {
        vs[n] = rs.flatMap((r) => {
          const f = full(r.seed)?.after[n]?.outcomes,
            l = r.after[n]?.outcomes;
          return f && l ? [{ ...pairedDifference(bits(f), bits(l), { seed: r.seed }), seed: r.seed }] : [];
        });
      }
      out[configKey(rank)]!.vsFull = vs;
    }
  }
  return out;
}

export interface RealDemoOptions {
  config: RealDemoConfig;
  /**
   * An earlier result of the same settings (all but the seeds and the LoRA options): its base
   * evaluation and selection are used instead of being run again (both are greedy or seeded), so
   * that configurations and seeds can run in parallel processes from one base.
   */
  reuse?: { file: string; result: Pick<RealDemoResult, 'config' | 'base' | 'selection' | 'selected'> };
  outDir: string;
  log: (line: string) => void;
}

function timer(): () => Phase {
  const w0 = performance.now();
  const c0 = process.cpuUsage();
  return () => {
    const c = process.cpuUsage(c0);
    return { wall: round((performance.now() - w0) / 1000, 1), cpu: round((c.user + c.system) / 1e6, 1) };
  };
}

function round(x: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** The GSM8K slice: the first `n` test problems whose reference solution makes at most `maxSteps` calculations. */
export function gsm8kSlice(evalDir: string, n: number, maxSteps: number): EvalProblem[] {
  if (n === 0) return [];
  const bench = loadBenchmark(evalDir, 'gsm8k');
  const file = path.join(evalDir, 'gsm8k', 'test.jsonl');
  const rows = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { answer: string });
  const out: EvalProblem[] = [];
  bench.problems.forEach((p, i) => {
    const steps = (rows[i]!.answer.match(/<</g) ?? []).length;
    if (out.length < n && steps <= maxSteps) out.push({ id: p.id, problem: p.problem, answer: p.answer });
  });
  return out;
}

/** The held-out sets: `arithmetic` (generated, seeded) and `gsm8k` (the slice). */
export function heldOutSets(cfg: Pick<RealDemoConfig, 'dataSeed' | 'heldOutPerKind' | 'gsm8k' | 'gsm8kMaxSteps' | 'evalDir' | 'poolPerKind'>): {
  sets: EvalBenchmark[];
  pool: WordProblem[];
} {
  const test = wordProblems(cfg.dataSeed, cfg.heldOutPerKind);
  // The pool is drawn from another stream and never repeats a held-out problem.
  const pool = wordProblems(cfg.dataSeed + 7919, cfg.poolPerKind, new Set(test.map((p) => p.problem)));
  const sets: EvalBenchmark[] = [
    { name: 'arithmetic', problems: test.map((p, i) => ({ id: `${p.kind}-${i}`, problem: p.problem, answer: p.answer })), decoding: { greedy: true } },
  ];
  const gsm = gsm8kSlice(cfg.evalDir, cfg.gsm8k, cfg.gsm8kMaxSteps);
  if (gsm.length > 0) sets.push({ name: 'gsm8k', problems: gsm, decoding: { greedy: true } });
  return { sets, pool };
}

function scores(summaries: Record<string, BenchmarkSummary>): HeldOutScores {
  const out: HeldOutScores = {};
  for (const [k, s] of Object.entries(summaries)) {
    out[k] = { n: s.n, any: s.accuracy, boxed: s.rewardAccuracy, truncated: s.truncatedShare, meanTokens: s.meanResponseTokens };
  }
  return out;
}

export async function runRealDemo(o: RealDemoOptions): Promise<RealDemoResult> {
  const cfg = o.config;
  const log = o.log;
  const total = timer();
  setNumThreads(cfg.threads);
  fs.mkdirSync(o.outDir, { recursive: true });
  const grpo: GRPOConfig = { ...PAPER_GRPO_CONFIG, ...cfg.grpo };
  const ranks = cfg.loraRanks ?? [0];
  if (ranks.length === 0) throw new Error('loraRanks: at least one configuration');
  for (const r of ranks) if (!Number.isInteger(r) || r < 0) throw new Error(`loraRanks: ranks are integers >= 0 (0 = full fine-tuning), got ${r}`);

  const { sets, pool: poolProblems } = heldOutSets(cfg);
  const loaded = ModelBundle.load(cfg.model);
  const { tokenizer, tokenizerConfig } = loaded;
  const plain = cfg.format === 'plain';
  const promptBuilder = stylePromptBuilder({ template: cfg.prompt }, plain ? PLAIN_TEMPLATE : loaded.chatTemplate, tokenizerConfig);
  const plainTurn = stylePromptBuilder({ template: '{problem}' }, PLAIN_TEMPLATE, tokenizerConfig);
  const renderPrompt = (ex: TrainExample) => (plain ? plainTurn(ex.messages.map((m) => m.content).join('')) : loaded.renderPrompt(ex.messages));
  // Gemma's generation_config names only <eos>; its template's turn ends with <end_of_turn>.
  // Plain text has no turn end: the first newline ends the answer.
  // (Gemma has one token for "\n\n" too.)
  const extraStops = [...(plain ? ['\n', '\n\n'] : []), '<end_of_turn>'].map((t) => tokenizer.tokenToId(t)).filter((id): id is number => id !== undefined);
  const stopTokenIds = [...new Set([...loaded.evalStopTokenIds(), ...extraStops])].sort((a, b) => a - b);
  const toExample = (p: WordProblem, index: number): TrainExample => ({
    index,
    messages: [{ role: 'user', content: cfg.prompt.split('{problem}').join(p.problem) }],
    groundTruth: p.answer,
    dataSource: 'word-problems',
  });
  const heldOut = (model: typeof loaded.model, label: string): HeldOutScores => {
    const arithmetic: EvalRecord[] = [];
    const outcomes: Record<string, string[]> = Object.fromEntries(sets.map((x) => [x.name, x.problems.map(() => '0')]));
    const r = evaluate(model, tokenizer, sets, {
      maxNewTokens: cfg.evalMaxTokens,
      batchSize: 64,
      promptBuilder,
      stopTokenIds,
      keepRecords: false,
      onRecord: (rec) => {
        if (rec.bench === 'arithmetic') arithmetic.push(rec);
        if (rec.correct && outcomes[rec.bench]) outcomes[rec.bench]![rec.index] = '1';
        fs.appendFileSync(path.join(o.outDir, `${label}.jsonl`), JSON.stringify(rec) + '\n');
      },
    });
    const s = scores(r.benchmarks);
    if (s['arithmetic']) s['arithmetic'].kinds = perKind(arithmetic);
    for (const [name, bits] of Object.entries(outcomes)) if (s[name]) s[name].outcomes = bits.join('');
    return s;
  };
  log(
    `[real] ${cfg.model}: held-out ${sets.map((s) => `${s.name} ${s.problems.length}`).join(', ')}; pool ${poolProblems.length}; seeds ${cfg.seeds.join(', ')}; ${cfg.threads} thread(s)`,
  );
  log(
    `[real] prompt (user turn): ${JSON.stringify(cfg.prompt)}; reward: ${cfg.reward === 'any' ? 'the answer in any format (verifier evaluation mode)' : "the last \\boxed{} (verifier reward mode, the paper's)"}`,
  );
  for (const f of fs.readdirSync(o.outDir)) if (f.endsWith('.jsonl')) fs.rmSync(path.join(o.outDir, f));

  const verifier = new VerifierPool({ size: 1 });
  const verifyOpts = { mode: cfg.reward === 'any' ? ('eval' as const) : ('reward' as const) };
  try {
    const kindsOf = Object.fromEntries(
      sets.filter((x) => x.name === 'arithmetic').map((x) => [x.name, x.problems.map((p) => (p.id ?? '').slice(0, (p.id ?? '').lastIndexOf('-')))]),
    );
    const reused = o.reuse ? reusedBase(o.reuse, cfg) : null;
    let base: HeldOutScores, baseSeconds: Phase, selectionSeconds: Phase, top: RealDemoResult['selection']['top'], selected: RealDemoResult['selected'];
    let t = timer();
    if (reused) {
      // The base evaluation and the selection of an earlier run of the same settings (greedy and seeded: the same result).
      ({ base, top, selected } = reused);
      baseSeconds = selectionSeconds = { wall: 0, cpu: 0 };
      const sel = poolProblems[selected.index];
      if (!sel || sel.problem !== selected.problem)
        throw new Error(`${o.reuse!.file}: its selected example is not pool problem ${selected.index} of these settings`);
      log(`[base] from ${o.reuse!.file}: ${formatScores(base)}; π1 = ${selected.problem} (answer ${selected.answer})`);
    } else {
      // ---- base accuracy (greedy; the same for every seed) ----
      base = heldOut(loaded.model, 'base');
      baseSeconds = t();
      log(`[base] ${formatScores(base)} (${baseSeconds.wall}s wall, ${baseSeconds.cpu}s CPU)`);

      // ---- selection: rollouts only over the pool, per-epoch accuracy, historical variance ----
      t = timer();
      const poolExamples = poolProblems.map(toExample);
      const scored = await scorePool({
        policy: loaded.model,
        tokenizer,
        examples: poolExamples,
        renderPrompt,
        stopTokenIds,
        rewards: mathReward(verifier, verifyOpts),
        sampler: (m, prompts, opts) => rolloutSamples(m, prompts, opts),
        rollouts: cfg.selectionRollouts,
        epochs: cfg.selectionEpochs,
        promptsPerBatch: 8,
        maxNewTokens: grpo.maxResponseLength,
        temperature: grpo.temperature,
        topP: grpo.topP,
        seed: cfg.dataSeed,
        outDir: path.join(o.outDir, 'selection'),
        onBatch: (p) =>
          log(`[select] epoch ${p.epoch}: ${p.done}/${p.total} example-epochs, mean accuracy ${p.meanAccuracy.toFixed(3)}, ${p.seconds.toFixed(0)}s`),
      });
      const history = scored.history.entries();
      const ranked = rankByVariance(history);
      top = ranked.slice(0, 5).map((r) => {
        const p = poolProblems[r.index]!;
        return { index: r.index, problem: p.problem, answer: p.answer, accs: history.find((h) => h.index === r.index)!.accs, variance: r.variance };
      });
      for (const x of top)
        log(`[select] ${x.problem} (answer ${x.answer}) | accuracy per epoch ${x.accs.map((a) => a.toFixed(2)).join(' ')} | variance ${x.variance.toFixed(4)}`);
      const pick = poolProblems[ranked[0]!.index]!;
      selected = { index: ranked[0]!.index, problem: pick.problem, answer: pick.answer };
      selectionSeconds = t();
    }
    const pick = poolProblems[selected.index]!;
    loaded.model.dispose();

    // ---- 1-shot GRPO per seed, each from the base weights ----
    const runs: SeedRun[] = [];
    // The summary of the runs so far: written after every seed, so a run cut short keeps its finished seeds.
    const summarize = (): RealDemoResult => {
      const names = sets.map((s) => s.name);
      const spread = spreadOf(
        runs.filter((r) => (r.rank ?? 0) === ranks[0]),
        names,
      );
      const result: RealDemoResult = {
        config: cfg,
        grpo,
        sets: Object.fromEntries(
          sets.map((s) => [
            s.name,
            {
              n: s.problems.length,
              source:
                s.name === 'gsm8k'
                  ? `gsm8k/test.jsonl, first ${s.problems.length} with <= ${cfg.gsm8kMaxSteps} calculations`
                  : `wordProblems(seed ${cfg.dataSeed})`,
            },
          ]),
        ),
        base,
        selection: { pool: poolProblems.length, rollouts: cfg.selectionRollouts, epochs: cfg.selectionEpochs, top },
        ...(o.reuse ? { baseFrom: o.reuse.file } : {}),
        selected,
        runs,
        spread,
        ...(cfg.loraRanks ? { configs: summarizeConfigs(runs, names, grpo.lr) } : {}),
        seconds: { base: baseSeconds, selection: selectionSeconds, total: total() },
        machine: { threads: cfg.threads, note: 'wall and CPU seconds of this process; on a shared machine wall time includes waiting for cores' },
        provenance: provenance({ threads: cfg.threads, libtorch: torchVersion() }),
      };
      return result;
    };
    // Seed-major, the configurations interleaved within a seed: on a shared machine a slow
    // stretch then falls on every configuration rather than on one.
    for (const seed of cfg.seeds)
      for (const rank of ranks) {
        t = timer();
        const memory = peakRssMeter();
        manualSeed(seed);
        const lr = rank === 0 ? grpo.lr : (cfg.loraLr ?? LORA_LR_FACTOR * grpo.lr);
        const config: GRPOConfig = { ...grpo, seed, lr };
        const policy = ModelBundle.load(cfg.model).model;
        // With LoRA the frozen base (adapters off) is the KL reference: no second copy.
        const reference = config.klCoef !== 0 && rank === 0 ? ModelBundle.load(cfg.model).model : null;
        const lora =
          rank === 0 ? null : LoraAdapters.attach(policy, loraSettings({ rank, ...(cfg.loraAlpha !== undefined ? { alpha: cfg.loraAlpha } : {}) }), { seed });
        const trainableParams = policy.trainableParameters().reduce((a, p) => a + p.numel, 0);
        const oneShot = Array.from({ length: config.trainBatchSize }, () => toExample(pick, selected.index));
        const tag = rank === 0 ? `seed-${seed}` : `r${rank}-seed-${seed}`;
        const who = rank === 0 && !cfg.loraRanks ? `[seed ${seed}]` : `[${configKey(rank)} seed ${seed}]`;
        try {
          const trainer = new GRPOTrainer({
            policy,
            reference,
            tokenizer,
            examples: oneShot,
            renderPrompt,
            stopTokenIds,
            rewards: mathReward(verifier, verifyOpts),
            task: mathTask,
            config,
            runDir: path.join(o.outDir, tag),
            tokenizerFrom: cfg.model,
            log: (l) => log(`${who} ${l}`),
          });
          const tt = timer();
          const steps = await trainer.train();
          const trainSeconds = tt();
          trainer.disposeOptimizers();
          const after = heldOut(policy, `after-${tag}`);
          const seconds = t();
          const paired = pairedVsBase(base, after, seed, kindsOf);
          const perStep = (x: number) => round(x / Math.max(1, steps.length), 2);
          runs.push({
            seed,
            ...(cfg.loraRanks ? { rank, lr } : {}),
            ...(lora ? { alpha: lora.settings.alpha } : {}),
            ...(cfg.loraRanks
              ? { trainableParams, secondsPerStep: { wall: perStep(trainSeconds.wall), cpu: perStep(trainSeconds.cpu) }, memory: memory() }
              : {}),
            after,
            paired,
            seconds,
            steps: steps.map((m) => ({
              step: m.step,
              rewardMean: m.rewardMean,
              trainAccuracy: m.trainAccuracy,
              responseLengthMean: m.responseLengthMean,
              truncatedFrac: m.truncatedFrac,
              entropy: m.entropy,
              gradNorm: m.gradNorm,
              ...(cfg.loraRanks ? { timeGeneration: m.timeGeneration, timeLogprobs: m.timeLogprobs, timeUpdate: m.timeUpdate } : {}),
            })),
          });
          const r = runs[runs.length - 1]!;
          log(`${who} after ${steps.length} steps: ${formatScores(after)} (${seconds.wall}s wall, ${seconds.cpu}s CPU)`);
          if (r.memory)
            log(
              `${who} lr ${lr}, ${trainableParams} trainable parameters, ${r.secondsPerStep!.wall}s wall / ${r.secondsPerStep!.cpu}s CPU per step, peak RSS ${(r.memory.peakKiB / 1024).toFixed(0)} MiB (${r.memory.scope})`,
            );
          for (const [name, d] of Object.entries(paired)) log(`${who} ${name} vs base: ${formatDifference(d)}`);
          fs.writeFileSync(path.join(o.outDir, 'summary.json'), JSON.stringify(summarize(), null, 2) + '\n');
        } finally {
          policy.dispose();
          reference?.dispose();
        }
      }

    const result = summarize();
    fs.writeFileSync(path.join(o.outDir, 'summary.json'), JSON.stringify(result, null, 2) + '\n');
    return result;
  } finally {
    await verifier.close();
  }
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

export function formatScores(s: HeldOutScores): string {
  return Object.entries(s)
    .map(([k, x]) => `${k} any ${pct(x.any)} boxed ${pct(x.boxed)} (n ${x.n}, trunc ${pct(x.truncated)})`)
    .join(' | ');
}

/** The results table: one row per seed (and the base), per set any/boxed before and after. */
export function formatRealTable(r: RealDemoResult): string {
  const names = Object.keys(r.base);
  // Any format with its Wilson 95% interval; per seed, the change from the base paired on the same problems.
  const anyCi = (x: SetScore) => formatProportion(wilson(Math.round(x.any * x.n), x.n));
  const label = (x: SeedRun) => (x.rank !== undefined ? `${configKey(x.rank)} ${x.seed}` : String(x.seed));
  const w = Math.max(6, ...r.runs.map((x) => label(x).length));
  const head = ['seed'.padEnd(w), ...names.flatMap((n) => [`${n} any [Wilson 95%]`.padStart(26), `${n} boxed`.padStart(16)])].join(' ');
  const row = (name: string, s: HeldOutScores) =>
    [name.padEnd(w), ...names.flatMap((n) => [anyCi(s[n]!).padStart(26), pct(s[n]!.boxed).padStart(16)])].join(' ');
  const bits = (x: string) => [...x].map((c) => c === '1');
  const changes = r.runs.flatMap((x) =>
    names
      .filter((n) => r.base[n]!.outcomes && x.after[n]!.outcomes)
      .map(
        (n) =>
          `${x.rank !== undefined ? `${configKey(x.rank)} ` : ''}seed ${x.seed}, ${n} any format vs base: ${formatDifference(pairedDifference(bits(r.base[n]!.outcomes!), bits(x.after[n]!.outcomes!), { seed: x.seed }))}`,
      ),
  );
  return [head, row('base', r.base), ...r.runs.map((x) => row(label(x), x.after)), ...changes].join('\n');
}
