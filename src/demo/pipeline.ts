// The whole demo, from nothing: synthetic task → tiny base model → held-out accuracy →
// selection of ONE example by historical variance → 1-shot RLVR (the paper's GRPO, scaled
// batch) → held-out accuracy again → HTML report. Every random choice is seeded.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { manualSeed, setNumThreads } from '../engine/index.js';
import { firstAlive, rankByVariance, type BaseScore } from '../data/selection.js';
import { scorePool } from '../rl/pool-scoring.js';
import { rolloutSamples } from '../rollout/engine.js';
import { Rng } from '../data/rng.js';
import type { TrainExample } from '../data/examples.js';
import { loadModel, saveModel } from '../model/checkpoint.js';
import { CausalLM } from '../model/transformer.js';
import { LOSS_PRESETS, PAPER_GRPO_CONFIG, type GRPOConfig } from '../rl/config.js';
import type { Rewards } from '../tasks/reward.js';
import { createArithmeticTask } from '../tasks/arithmetic/task.js';
import { GRPOTrainer, type StepMetrics, type TrainerTask } from '../rl/trainer.js';
import { evaluateHeldOut, type HeldOutResult } from './held-out.js';
import { postSaturation, saturationStep } from './saturation.js';
import { demoModelConfig, pretrain } from './pretrain.js';
import { writeReport } from './report.js';
import {
  otherFamiliesLenient,
  outcomeBits,
  pct,
  summarize,
  type AblationResult,
  type DemoConfig,
  type DemoResult,
  type PhaseTimes,
  type ValidationPoint,
} from './result.js';
import { CorpusStream, makeSplit, toExample, type Family, type Problem } from '../tasks/arithmetic/problems.js';
import { DemoTokenizer, writeTokenizerFiles } from './tokenizer.js';

/** Written into base-model/: what the base was pretrained with, checked when it is reused. */
const BASE_KEY_FILE = 'demo_base.json';

export { SATURATION } from './saturation.js';
export {
  otherFamiliesLenient,
  outcomeBits,
  pct,
  summarize,
  type AblationResult,
  type DemoConfig,
  type DemoResult,
  type PhaseTimes,
  type ValidationPoint,
} from './result.js';

/** The README's demo: a few minutes on a 2-core CPU. */
export const FULL_DEMO: DemoConfig = {
  seed: 0,
  threads: 1,
  testPerFamily: 30,
  poolPerFamily: 4,
  hidden: 64,
  layers: 3,
  heads: 4,
  kvHeads: 2,
  // 2000 steps (loss 0.037) give a base that solves add/sub ~95% and mul/muladd ~20-30% when it
  // uses the careful procedure, which greedy decoding never picks (measured, seed 0; 1500 steps
  // left mul at 5/30 even with the procedure forced).
  pretrainSteps: 2000,
  pretrainBatch: 64,
  pretrainLr: 3e-3,
  selectionEpochs: 4,
  selectionBatch: 8,
  exampleRank: 1,
  baseScoringRollouts: 32,
  // The paper's GRPO (T = 0.6, clip 0.2, KL 0.001, entropy 0.001, token-mean, wd 0.01, clip-norm 1)
  // with the batch scaled from 128 to 16 copies of π1 × 8 rollouts and lr raised from 1e-6 to
  // 2e-4. Adam moves every weight by about lr per step, so 1e-6 would change this model's weights
  // (|w| ~ 0.05) by < 1e-4 in 60 steps: nothing. Measured on seed 0's base (held-out any format):
  // - 1e-4: 11.7% → 20% in 40 steps, training accuracy 0.84 (never saturated);
  // - 3e-4: every held-out family switched to the careful procedure by step 20, one step after
  //   training accuracy saturated (step 19), then held-out stayed at 72-74%: no rise after saturation;
  // - 2e-4 (this): saturation at step 22, held-out 48% at step 25 and still rising to 67% at
  //   step 50 (the families not trained on switch one after another; Adam keeps moving the
  //   weights by ~lr per step on the rare failing rollouts, GRPO normalising their advantages);
  // - 1.5e-4: saturation at step 29, held-out 43% at step 30 → 61% at step 65 (80 steps).
  // The selection run uses the same lr, so π1 depends on it (80-54 at 3e-4, 4*8+33 at 2e-4).
  grpo: {
    trainBatchSize: 16,
    miniBatchSize: 16,
    groupSize: 8,
    maxResponseLength: 64,
    lr: 2e-4,
    steps: 60,
    validateEvery: 5,
    saveEvery: 0,
    // float32 whatever the CPU: 'auto' picks bf16 on CPUs with AVX-512 BF16 / AMX, and the
    // recorded results (bench/results/demo-*.json, README) were made in float32.
    computeDtype: 'float32',
  },
  evalMaxTokens: 64,
  ablations: true,
};

/** A much smaller configuration for tests (seconds, not minutes; the numbers mean little). */
export const QUICK_DEMO: DemoConfig = {
  ...FULL_DEMO,
  testPerFamily: 6,
  poolPerFamily: 2,
  hidden: 32,
  layers: 2,
  pretrainSteps: 120,
  pretrainBatch: 32,
  selectionEpochs: 2,
  selectionBatch: 4,
  baseScoringRollouts: 8,
  grpo: {
    trainBatchSize: 2,
    miniBatchSize: 2,
    groupSize: 4,
    maxResponseLength: 24,
    lr: 1e-4,
    steps: 3,
    validateEvery: 1,
    saveEvery: 0,
    computeDtype: 'float32',
  },
  evalMaxTokens: 24,
};

export interface DemoOptions {
  config: DemoConfig;
  outDir: string;
  /** Progress lines. */
  log: (line: string) => void;
}

/** Demo-owned paths inside outDir, removed at the start so that a rerun starts clean. */
const OWNED = ['base-model', 'selection', 'rlvr', 'ablation-1', 'ablation-2', 'ablation-3', 'report.html', 'summary.json', 'metrics.jsonl', 'pretrain.jsonl'];

export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const cfg = o.config;
  const log = o.log;
  const t0 = performance.now();
  const since = (t: number) => (performance.now() - t) / 1000;
  setNumThreads(cfg.threads);
  manualSeed(cfg.seed);
  fs.mkdirSync(o.outDir, { recursive: true });
  const reuseHere = cfg.baseFrom !== undefined && path.resolve(cfg.baseFrom) === path.resolve(o.outDir);
  for (const p of OWNED)
    if (!(reuseHere && (p === 'base-model' || p === 'pretrain.jsonl'))) fs.rmSync(path.join(o.outDir, p), { recursive: true, force: true });

  // ---- task and tokenizer ----
  const split = makeSplit(cfg.seed, cfg.testPerFamily, cfg.poolPerFamily);
  const tok = new DemoTokenizer();
  const baseDir = path.join(o.outDir, 'base-model');

  // ---- pretraining (or the base model of an earlier run with the same seed and model) ----
  let t = performance.now();
  const modelConfig = demoModelConfig({ hidden: cfg.hidden, layers: cfg.layers, heads: cfg.heads, kvHeads: cfg.kvHeads, vocab: tok.size, imEnd: tok.imEnd });
  const baseKey = {
    seed: cfg.seed,
    hidden: cfg.hidden,
    layers: cfg.layers,
    heads: cfg.heads,
    kvHeads: cfg.kvHeads,
    pretrainSteps: cfg.pretrainSteps,
    pretrainBatch: cfg.pretrainBatch,
    pretrainLr: cfg.pretrainLr,
  };
  if (cfg.baseFrom) return runDemoFromBase(o, cfg.baseFrom, baseKey, t0);
  const base = CausalLM.randomInit(modelConfig);
  const nParams = base.parameters().reduce((a, p) => a + p.shape.reduce((x, y) => x * y, 1), 0);
  log(
    `[pretrain] Qwen2 ${cfg.layers} layers, hidden ${cfg.hidden}, ${cfg.heads} heads / ${cfg.kvHeads} kv heads, vocab ${modelConfig.vocabSize}: ${(nParams / 1e3).toFixed(0)}k parameters; ` +
      `${cfg.pretrainSteps} steps × ${cfg.pretrainBatch} conversations`,
  );
  const pretrainLog: string[] = [];
  let pretrainLosses: number[];
  let before: HeldOutResult;
  let pretrainSeconds = 0;
  let evalSeconds = 0;
  try {
    pretrainLosses = pretrain(base, tok, new CorpusStream(cfg.seed, split.reserved), {
      steps: cfg.pretrainSteps,
      batchSize: cfg.pretrainBatch,
      lr: cfg.pretrainLr,
      warmupSteps: Math.min(50, Math.ceil(cfg.pretrainSteps / 10)),
      weightDecay: 0.01,
      logEvery: Math.max(1, Math.round(cfg.pretrainSteps / 10)),
      onLog: (step, loss, lr) => {
        pretrainLog.push(JSON.stringify({ step, loss, lr }));
        log(`[pretrain] step ${step}/${cfg.pretrainSteps} | loss ${loss.toFixed(4)} | lr ${lr.toExponential(2)} | ${since(t).toFixed(0)}s`);
      },
    });
    fs.writeFileSync(path.join(o.outDir, 'pretrain.jsonl'), pretrainLog.join('\n') + '\n');
    saveModel(base, baseDir);
    writeTokenizerFiles(baseDir);
    fs.writeFileSync(path.join(baseDir, BASE_KEY_FILE), JSON.stringify(baseKey, null, 2) + '\n');
    pretrainSeconds = since(t);

    // ---- held-out accuracy of the base model ----
    t = performance.now();
    before = evaluateHeldOut(base, tok, split.test, cfg.evalMaxTokens);
    evalSeconds = since(t);
  } finally {
    base.dispose();
  }
  return continueDemo(o, { split, tok, baseDir, before, pretrainLosses, pretrainSeconds, evalSeconds, t0 });
}

interface BaseModelReady {
  split: ReturnType<typeof makeSplit>;
  tok: DemoTokenizer;
  baseDir: string;
  before: HeldOutResult;
  pretrainLosses: number[];
  pretrainSeconds: number;
  evalSeconds: number;
  t0: number;
}

/** Reuses the base model of an earlier run (`baseFrom`): same seed and model, or one clear error. */
async function runDemoFromBase(o: DemoOptions, from: string, key: Record<string, number>, t0: number): Promise<DemoResult> {
  const cfg = o.config;
  const src = path.join(from, 'base-model');
  const keyFile = path.join(src, BASE_KEY_FILE);
  if (!fs.existsSync(keyFile)) throw new Error(`${from}: no base-model/${BASE_KEY_FILE} (not an output folder of rlvr demo)`);
  const saved = JSON.parse(fs.readFileSync(keyFile, 'utf8')) as Record<string, number>;
  const differ = Object.keys(key).filter((k) => saved[k] !== key[k]);
  if (differ.length)
    throw new Error(`${from}: its base model was pretrained with other settings (${differ.map((k) => `${k} ${saved[k]} vs ${key[k]}`).join(', ')})`);
  const split = makeSplit(cfg.seed, cfg.testPerFamily, cfg.poolPerFamily);
  const tok = new DemoTokenizer();
  const baseDir = path.join(o.outDir, 'base-model');
  if (path.resolve(src) !== path.resolve(baseDir)) fs.cpSync(src, baseDir, { recursive: true });
  const lossFile = path.join(from, 'pretrain.jsonl');
  const pretrainLosses = fs.existsSync(lossFile)
    ? fs
        .readFileSync(lossFile, 'utf8')
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { loss: number }).loss)
    : [];
  if (path.resolve(lossFile) !== path.resolve(o.outDir, 'pretrain.jsonl') && fs.existsSync(lossFile))
    fs.copyFileSync(lossFile, path.join(o.outDir, 'pretrain.jsonl'));
  o.log(`[pretrain] reusing the base model of ${from}`);
  const t = performance.now();
  const base = loadModel(baseDir);
  let before: HeldOutResult;
  try {
    before = evaluateHeldOut(base, tok, split.test, cfg.evalMaxTokens);
  } finally {
    base.dispose();
  }
  return continueDemo(o, { split, tok, baseDir, before, pretrainLosses, pretrainSeconds: 0, evalSeconds: (performance.now() - t) / 1000, t0 });
}

/** Everything after the base model: selection, 1-shot RLVR, ablations, report. */
async function continueDemo(o: DemoOptions, b: BaseModelReady): Promise<DemoResult> {
  const cfg = o.config;
  const log = o.log;
  const { split, tok, baseDir, before, pretrainLosses, pretrainSeconds, evalSeconds, t0 } = b;
  const since = (x: number) => (performance.now() - x) / 1000;
  let t = performance.now();
  log(
    `[base] held-out accuracy ${pct(before.accuracy)} (any format: ${pct(before.lenientAccuracy)}, boxed ${pct(before.boxedRate)}) on ${split.test.length} problems`,
  );

  // The arithmetic task's reward: the verifier's reward mode in a 1-worker pool (closed below).
  const task = createArithmeticTask();
  const rewards = task.rewards({ workers: 1 });
  const renderPrompt = (ex: TrainExample) => tok.renderPrompt(ex.messages);
  try {
    // ---- selection by historical variance ----
    t = performance.now();
    const poolExamples = split.pool.map((p, i) => toExample(p, i));
    const selCfg: GRPOConfig = {
      ...PAPER_GRPO_CONFIG,
      ...cfg.grpo,
      trainBatchSize: cfg.selectionBatch,
      miniBatchSize: cfg.selectionBatch,
      steps: cfg.selectionEpochs * Math.floor(poolExamples.length / cfg.selectionBatch),
      validateEvery: 0,
      saveEvery: 0,
      seed: cfg.seed + 1,
    };
    log(
      `[select] recording per-epoch training accuracy of ${poolExamples.length} pool examples: GRPO on the whole pool, ${cfg.selectionEpochs} epochs (${selCfg.steps} steps)`,
    );
    const history = await withModels(baseDir, selCfg.klCoef !== 0, async (policy, reference) => {
      const trainer = new GRPOTrainer({
        policy,
        reference,
        tokenizer: tok,
        examples: poolExamples,
        renderPrompt,
        stopTokenIds: tok.stopTokenIds,
        rewards,
        task,
        config: selCfg,
        runDir: path.join(o.outDir, 'selection'),
        tokenizerFrom: baseDir,
        log: (l) => log(`[select] ${l}`),
      });
      await trainer.train();
      trainer.history.save(path.join(o.outDir, 'selection', 'accuracy_history.json'));
      return trainer.history.entries();
    });
    const ranked = rankByVariance(history);
    const ranking = ranked.map((r) => ({ ...r, question: split.pool[r.index]!.question, accs: history.find((h) => h.index === r.index)!.accs }));
    if (!Number.isInteger(cfg.exampleRank) || cfg.exampleRank < 1 || cfg.exampleRank > ranking.length)
      throw new Error(`exampleRank must be an integer from 1 to ${ranking.length} (the pool's size), got ${cfg.exampleRank}`);
    const baseScores = await scoreOnBase(baseDir, tok, poolExamples, rewards, cfg);
    const { pick: pi1, skipped } = firstAlive(ranking, baseScores, cfg.exampleRank);
    for (const s of skipped) {
      log(
        `[select] skipping π${s.rank} (${s.question}): the base model scored ${s.accuracy.toFixed(2)} over ${s.rollouts} responses, no reward variance to learn from`,
      );
    }
    const pi = `π${pi1.rank}`;
    const selectedProblem: Problem = split.pool[pi1.index]!;
    const selected = { index: pi1.index, rank: pi1.rank, question: selectedProblem.question, answer: String(selectedProblem.answer), variance: pi1.variance };
    for (const r of ranking.slice(0, 5))
      log(
        `[select] π${r.rank}: ${r.question} (answer ${split.pool[r.index]!.answer}) | accuracy per epoch ${r.accs.map((a) => a.toFixed(2)).join(' ')} | variance ${r.variance.toFixed(4)} | base ${baseScores.get(r.index)!.accuracy.toFixed(2)}`,
      );
    const selectionSeconds = since(t);

    // ---- 1-shot RLVR on π1, held-out curve ----
    t = performance.now();
    const main = await oneShotRun({
      label: 'rlvr',
      cfg,
      baseDir,
      outDir: o.outDir,
      tok,
      rewards,
      task,
      before,
      test: split.test,
      log,
      problem: selectedProblem,
      index: pi1.index,
      overrides: {},
      validateEvery: cfg.grpo.validateEvery ?? 5,
      saveFinal: true,
    });
    const rlvrSeconds = since(t);
    log(
      `[rlvr] held-out accuracy ${pct(before.accuracy)} → ${pct(main.after.accuracy)} (any format ${pct(before.lenientAccuracy)} → ${pct(main.after.lenientAccuracy)})` +
        (main.saturationStep !== null ? `; training accuracy saturated at step ${main.saturationStep}` : ''),
    );

    // ---- ablations (the paper's Table 5 shape): loss terms, and a random example instead of π1 ----
    t = performance.now();
    const ablations: AblationResult[] = [summarizeRun(`full loss, ${pi} (selected)`, selectedProblem, main, before, split.test)];
    if (cfg.ablations) {
      const randomIndex = pickRandomExample(cfg.seed, split.pool.length, pi1.index);
      const variants: { name: string; problem: Problem; index: number; overrides: Partial<GRPOConfig> }[] = [
        { name: `pg-only, ${pi}`, problem: selectedProblem, index: pi1.index, overrides: LOSS_PRESETS['pg-only']! },
        { name: `entropy-only, ${pi}`, problem: selectedProblem, index: pi1.index, overrides: LOSS_PRESETS['entropy-only']! },
        { name: 'full loss, random example', problem: split.pool[randomIndex]!, index: randomIndex, overrides: {} },
      ];
      for (const [k, v] of variants.entries()) {
        const r = await oneShotRun({
          label: `ablation-${k + 1}`,
          cfg,
          baseDir,
          outDir: o.outDir,
          tok,
          rewards,
          task,
          before,
          test: split.test,
          log,
          problem: v.problem,
          index: v.index,
          overrides: v.overrides,
          validateEvery: 0,
          saveFinal: false,
        });
        ablations.push(summarizeRun(v.name, v.problem, r, before, split.test));
        log(
          `[ablation] ${v.name} ("${v.problem.question}"): held-out any format ${pct(before.lenientAccuracy)} → ${pct(r.after.lenientAccuracy)}, boxed ${pct(before.accuracy)} → ${pct(r.after.accuracy)}`,
        );
      }
    }
    const ablationSeconds = since(t);
    const { steps, validation, grpoConfig: rlCfg } = main;
    const afterResult = main.after;
    const post = postSaturation(
      steps,
      validation.map((v) => ({ step: v.step, value: v.lenientAccuracy })),
    );
    const times: PhaseTimes = {
      pretrain: pretrainSeconds,
      evalBefore: evalSeconds,
      selection: selectionSeconds,
      rlvr: rlvrSeconds,
      ablations: ablationSeconds,
      total: since(t0),
    };
    const result: DemoResult = {
      config: cfg,
      grpoConfig: rlCfg,
      outDir: o.outDir,
      before,
      after: afterResult,
      pretrainLosses,
      ranking,
      baseScores,
      selected,
      steps,
      validation,
      times,
      test: split.test,
      trainedFamily: selectedProblem.family,
      saturationStep: main.saturationStep,
      postSaturation: post,
      ablations,
      reportFile: path.join(o.outDir, 'report.html'),
    };
    writeReport(result);
    fs.writeFileSync(
      path.join(o.outDir, 'summary.json'),
      JSON.stringify(
        {
          before: summarize(before),
          after: summarize(afterResult),
          selected,
          trainedFamily: selectedProblem.family,
          otherFamilies: otherFamilies(before, afterResult, selectedProblem.family),
          saturationStep: main.saturationStep,
          postSaturation: post,
          ablations,
          steps: steps.length,
          times,
          config: cfg,
          grpo: rlCfg,
        },
        null,
        2,
      ) + '\n',
    );
    return result;
  } finally {
    await task.close?.();
  }
}

/** Each pool example's accuracy on the base model: baseScoringRollouts sampled responses at the rollout temperature, no update. */
async function scoreOnBase(baseDir: string, tok: DemoTokenizer, examples: TrainExample[], rewards: Rewards, cfg: DemoConfig): Promise<Map<number, BaseScore>> {
  const g: GRPOConfig = { ...PAPER_GRPO_CONFIG, ...cfg.grpo };
  const n = cfg.baseScoringRollouts;
  const scores = await withModels(baseDir, false, (policy) =>
    scorePool({
      policy,
      tokenizer: tok,
      examples,
      renderPrompt: (ex) => tok.renderPrompt(ex.messages),
      stopTokenIds: tok.stopTokenIds,
      rewards,
      sampler: (m, prompts, opts) => rolloutSamples(m, prompts, opts),
      rollouts: n,
      epochs: 1,
      promptsPerBatch: examples.length,
      maxNewTokens: g.maxResponseLength,
      temperature: g.temperature,
      topP: g.topP,
      seed: cfg.seed + 2,
      outDir: path.join(path.dirname(baseDir), 'selection', 'base-scores'),
    }),
  );
  return new Map([...scores.meanAccuracy].map(([i, a]) => [i, { accuracy: a, rollouts: n }]));
}

/** Loads the policy (and the frozen reference) from the base model folder, runs f, frees both. */
async function withModels<T>(dir: string, needReference: boolean, f: (policy: CausalLM, reference: CausalLM | null) => Promise<T>): Promise<T> {
  const policy = loadModel(dir);
  const reference = needReference ? loadModel(dir) : null;
  try {
    return await f(policy, reference);
  } finally {
    policy.dispose();
    reference?.dispose();
  }
}

interface OneShotRunOptions {
  label: string;
  cfg: DemoConfig;
  baseDir: string;
  outDir: string;
  tok: DemoTokenizer;
  rewards: Rewards;
  /** The arithmetic task: rollouts.jsonl logs its extracted answer (0/1 rewards, so accuracy is the reward). */
  task: TrainerTask;
  before: HeldOutResult;
  test: Problem[];
  problem: Problem;
  index: number;
  overrides: Partial<GRPOConfig>;
  /** Held-out evaluation every k steps (0: only after the last step). */
  validateEvery: number;
  saveFinal: boolean;
  log: (line: string) => void;
}

interface OneShotRun {
  grpoConfig: GRPOConfig;
  steps: StepMetrics[];
  validation: ValidationPoint[];
  after: HeldOutResult;
  saturationStep: number | null;
}

/** 1-shot RLVR from the base model on one problem (repeated trainBatchSize times). */
async function oneShotRun(o: OneShotRunOptions): Promise<OneShotRun> {
  const { cfg, tok, before } = o;
  const grpoConfig: GRPOConfig = { ...PAPER_GRPO_CONFIG, ...cfg.grpo, ...o.overrides, seed: cfg.seed, validateEvery: o.validateEvery };
  const oneShot = Array.from({ length: grpoConfig.trainBatchSize }, () => toExample(o.problem, o.index));
  const log = (l: string) => o.log(`[${o.label}] ${l}`);
  log(
    `1-shot RLVR on "${o.problem.question}" × ${grpoConfig.trainBatchSize} per batch, ${grpoConfig.groupSize} rollouts each, ${grpoConfig.steps} steps, lr ${grpoConfig.lr}` +
      (Object.keys(o.overrides).length ? `, ${JSON.stringify(o.overrides)}` : ''),
  );
  const validation: ValidationPoint[] = [];
  let after: HeldOutResult | null = null;
  const runDir = path.join(o.outDir, o.label);
  const steps = await withModels(o.baseDir, grpoConfig.klCoef !== 0, async (policy, reference) => {
    const trainer = new GRPOTrainer({
      policy,
      reference,
      tokenizer: tok,
      examples: oneShot,
      renderPrompt: (ex) => tok.renderPrompt(ex.messages),
      stopTokenIds: tok.stopTokenIds,
      rewards: o.rewards,
      task: o.task,
      config: grpoConfig,
      runDir,
      tokenizerFrom: o.baseDir,
      log,
      validate: async (step) => {
        const r = step === 0 ? before : evaluateHeldOut(policy, tok, o.test, cfg.evalMaxTokens);
        validation.push({
          step,
          accuracy: r.accuracy,
          lenientAccuracy: r.lenientAccuracy,
          boxedRate: r.boxedRate,
          meanLength: r.meanLength,
          perFamily: r.perFamily,
        });
        if (step === grpoConfig.steps) after = r;
        // Per family too (any format), so that metrics.jsonl shows which families rise when.
        const families = Object.fromEntries(Object.entries(r.perFamily).map(([f, x]) => [`lenient_${f}`, x.lenientAccuracy]));
        return { accuracy: r.accuracy, lenient_accuracy: r.lenientAccuracy, boxed_rate: r.boxedRate, mean_length: r.meanLength, ...families };
      },
    });
    const s = await trainer.train();
    if (!after) after = evaluateHeldOut(policy, tok, o.test, cfg.evalMaxTokens);
    if (o.saveFinal) {
      saveModel(policy, path.join(runDir, 'final-model'));
      writeTokenizerFiles(path.join(runDir, 'final-model'));
    }
    return s;
  });
  return { grpoConfig, steps, validation, after: after as unknown as HeldOutResult, saturationStep: saturationStep(steps) };
}

function otherFamilies(before: HeldOutResult, after: HeldOutResult, trained: Family): { before: number; after: number } {
  return { before: otherFamiliesLenient(before, trained), after: otherFamiliesLenient(after, trained) };
}

function summarizeRun(name: string, problem: Problem, r: OneShotRun, before: HeldOutResult, test: readonly Problem[]): AblationResult {
  const last = r.steps[r.steps.length - 1];
  const row = (x: HeldOutResult) => ({
    accuracy: x.accuracy,
    lenientAccuracy: x.lenientAccuracy,
    otherFamiliesLenient: otherFamiliesLenient(x, problem.family),
  });
  return {
    name,
    question: problem.question,
    family: problem.family,
    before: row(before),
    after: row(r.after),
    finalTrainAccuracy: last ? last.trainAccuracy : 0,
    saturationStep: r.saturationStep,
    afterOutcomes: outcomeBits(r.after, test),
  };
}

/** A seeded random pool example other than π1 (the paper's random-example baseline). */
function pickRandomExample(seed: number, n: number, exclude: number): number {
  const rng = new Rng(seed ^ 0x7a2d);
  for (;;) {
    const i = rng.int(n);
    if (i !== exclude || n === 1) return i;
  }
}
