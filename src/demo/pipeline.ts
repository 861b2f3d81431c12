// The whole demo, from nothing: synthetic task → tiny base model → held-out accuracy →
// selection of ONE example by historical variance → 1-shot RLVR (the paper's GRPO, scaled
// batch) → held-out accuracy again → HTML report. Every random choice is seeded.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { manualSeed, setNumThreads } from '../engine/index.js';
import { rankByVariance, type RankedExample } from '../data/selection.js';
import type { TrainExample } from '../data/examples.js';
import { loadModel, saveModel } from '../model/checkpoint.js';
import { CausalLM } from '../model/transformer.js';
import { VerifierPool } from '../reward/pool.js';
import { PAPER_GRPO_CONFIG, type GRPOConfig } from '../rl/config.js';
import { mathReward } from '../rl/rewards.js';
import { GRPOTrainer, type StepMetrics } from '../rl/trainer.js';
import { evaluateHeldOut, type HeldOutResult } from './held-out.js';
import { demoModelConfig, pretrain } from './pretrain.js';
import { writeReport } from './report.js';
import { CorpusStream, makeSplit, toExample, type Problem } from './task.js';
import { DemoTokenizer, writeTokenizerFiles } from './tokenizer.js';

export interface DemoConfig {
  seed: number;
  threads: number;
  // task
  testPerFamily: number;
  poolPerFamily: number;
  // base model
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  pretrainSteps: number;
  pretrainBatch: number;
  pretrainLr: number;
  // selection: a short full-pool GRPO run whose per-epoch accuracies are the "history"
  selectionEpochs: number;
  selectionBatch: number;
  // 1-shot RLVR: overrides of the paper's GRPO config
  grpo: Partial<GRPOConfig>;
  /** Max new tokens of the held-out (greedy) evaluation. */
  evalMaxTokens: number;
}

/** The README's demo: a few minutes on a 2-core CPU. */
export const FULL_DEMO: DemoConfig = {
  seed: 0,
  threads: 1,
  testPerFamily: 40,
  poolPerFamily: 8,
  hidden: 64,
  layers: 3,
  heads: 4,
  kvHeads: 2,
  // 1000 steps already give a base that is right on ~75% of held-out arithmetic; 3000 steps
  // (~5-7 min on 2 cores) give ~98%, and make the 1-shot RLVR curve stable (measured, seed 0).
  pretrainSteps: 3000,
  pretrainBatch: 64,
  pretrainLr: 3e-3,
  selectionEpochs: 4,
  selectionBatch: 8,
  // The paper's GRPO (T = 0.6, clip 0.2, KL 0.001, entropy 0.001, token-mean, wd 0.01, clip-norm 1)
  // with the batch scaled from 128 to 16 copies of π1 × 8 rollouts and lr raised from 1e-6 to
  // 1e-4. Adam moves every weight by about lr per step, so 1e-6 would change this model's weights
  // (|w| ~ 0.05) by < 1e-4 in 40 steps: nothing. 1e-4 is 1/30 of the pretraining peak lr; 3e-4
  // was measured to peak within ~15 steps and then over-optimize on π1 (held-out accuracy fell
  // back by 15-20 points by step 40), 1e-4 rises and plateaus (stable to step 60).
  grpo: {
    trainBatchSize: 16, miniBatchSize: 16, groupSize: 8, maxResponseLength: 40, lr: 1e-4,
    steps: 60, validateEvery: 2, saveEvery: 0,
  },
  evalMaxTokens: 40,
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
  selectionBatch: 3,
  grpo: {
    trainBatchSize: 2, miniBatchSize: 2, groupSize: 4, maxResponseLength: 24, lr: 1e-4,
    steps: 3, validateEvery: 1, saveEvery: 0,
  },
  evalMaxTokens: 24,
};

export interface PhaseTimes {
  pretrain: number;
  evalBefore: number;
  selection: number;
  rlvr: number;
  total: number;
}

export interface DemoResult {
  config: DemoConfig;
  grpoConfig: GRPOConfig;
  outDir: string;
  before: HeldOutResult;
  after: HeldOutResult;
  pretrainLosses: number[];
  ranking: (RankedExample & { question: string; accs: number[] })[];
  selected: { index: number; question: string; answer: string; variance: number };
  steps: StepMetrics[];
  /** Held-out validation at step 0 and every validateEvery steps. */
  validation: { step: number; accuracy: number; lenientAccuracy: number; boxedRate: number; meanLength: number }[];
  times: PhaseTimes;
  reportFile: string;
}

export interface DemoOptions {
  config: DemoConfig;
  outDir: string;
  /** Progress lines. */
  log: (line: string) => void;
}

/** Demo-owned paths inside outDir, removed at the start so that a rerun starts clean. */
const OWNED = ['base-model', 'selection', 'rlvr', 'report.html', 'summary.json', 'metrics.jsonl', 'pretrain.jsonl'];

export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const cfg = o.config;
  const log = o.log;
  const t0 = performance.now();
  const since = (t: number) => (performance.now() - t) / 1000;
  setNumThreads(cfg.threads);
  manualSeed(cfg.seed);
  fs.mkdirSync(o.outDir, { recursive: true });
  for (const p of OWNED) fs.rmSync(path.join(o.outDir, p), { recursive: true, force: true });

  // ---- task and tokenizer ----
  const split = makeSplit(cfg.seed, cfg.testPerFamily, cfg.poolPerFamily);
  const tok = new DemoTokenizer();
  const baseDir = path.join(o.outDir, 'base-model');

  // ---- pretraining ----
  let t = performance.now();
  const modelConfig = demoModelConfig({ hidden: cfg.hidden, layers: cfg.layers, heads: cfg.heads, kvHeads: cfg.kvHeads, vocab: tok.size, imEnd: tok.imEnd });
  const base = CausalLM.randomInit(modelConfig);
  const nParams = base.parameters().reduce((a, p) => a + p.shape.reduce((x, y) => x * y, 1), 0);
  log(`[pretrain] Qwen2 ${cfg.layers} layers, hidden ${cfg.hidden}, ${cfg.heads} heads / ${cfg.kvHeads} kv heads, vocab ${modelConfig.vocabSize}: ${(nParams / 1e3).toFixed(0)}k parameters; ` +
    `${cfg.pretrainSteps} steps × ${cfg.pretrainBatch} conversations`);
  const pretrainLog: string[] = [];
  let pretrainLosses: number[];
  let before: HeldOutResult;
  let pretrainSeconds = 0;
  let evalSeconds = 0;
  try {
    pretrainLosses = pretrain(base, tok, new CorpusStream(cfg.seed, split.reserved), {
      steps: cfg.pretrainSteps, batchSize: cfg.pretrainBatch, lr: cfg.pretrainLr, warmupSteps: Math.min(50, Math.ceil(cfg.pretrainSteps / 10)),
      weightDecay: 0.01, logEvery: Math.max(1, Math.round(cfg.pretrainSteps / 10)),
      onLog: (step, loss, lr) => {
        pretrainLog.push(JSON.stringify({ step, loss, lr }));
        log(`[pretrain] step ${step}/${cfg.pretrainSteps} | loss ${loss.toFixed(4)} | lr ${lr.toExponential(2)} | ${since(t).toFixed(0)}s`);
      },
    });
    fs.writeFileSync(path.join(o.outDir, 'pretrain.jsonl'), pretrainLog.join('\n') + '\n');
    saveModel(base, baseDir);
    writeTokenizerFiles(baseDir);
    pretrainSeconds = since(t);

    // ---- held-out accuracy of the base model ----
    t = performance.now();
    before = evaluateHeldOut(base, tok, split.test, cfg.evalMaxTokens);
    evalSeconds = since(t);
  } finally {
    base.dispose();
  }
  log(`[base] held-out accuracy ${pct(before.accuracy)} (any format: ${pct(before.lenientAccuracy)}, boxed ${pct(before.boxedRate)}) on ${split.test.length} problems`);

  const pool = new VerifierPool({ size: 1 });
  const rewards = mathReward(pool);
  const renderPrompt = (ex: TrainExample) => tok.renderPrompt(ex.messages);
  try {
    // ---- selection by historical variance ----
    t = performance.now();
    const poolExamples = split.pool.map((p, i) => toExample(p, i));
    const selCfg: GRPOConfig = {
      ...PAPER_GRPO_CONFIG, ...cfg.grpo,
      trainBatchSize: cfg.selectionBatch, miniBatchSize: cfg.selectionBatch,
      steps: cfg.selectionEpochs * Math.floor(poolExamples.length / cfg.selectionBatch),
      validateEvery: 0, saveEvery: 0, seed: cfg.seed + 1,
    };
    log(`[select] recording per-epoch training accuracy of ${poolExamples.length} pool examples: GRPO on the whole pool, ${cfg.selectionEpochs} epochs (${selCfg.steps} steps)`);
    const history = await withModels(baseDir, selCfg.klCoef !== 0, async (policy, reference) => {
      const trainer = new GRPOTrainer({
        policy, reference, tokenizer: tok, examples: poolExamples, renderPrompt, stopTokenIds: tok.stopTokenIds, rewards,
        config: selCfg, runDir: path.join(o.outDir, 'selection'), log: (l) => log(`[select] ${l}`),
      });
      await trainer.train();
      trainer.history.save(path.join(o.outDir, 'selection', 'accuracy_history.json'));
      return trainer.history.entries();
    });
    const ranked = rankByVariance(history);
    const ranking = ranked.map((r) => ({ ...r, question: split.pool[r.index]!.question, accs: history.find((h) => h.index === r.index)!.accs }));
    const pi1 = ranking[0]!;
    const selectedProblem: Problem = split.pool[pi1.index]!;
    const selected = { index: pi1.index, question: selectedProblem.question, answer: String(selectedProblem.answer), variance: pi1.variance };
    for (const r of ranking.slice(0, 5)) log(`[select] π${r.rank}: ${r.question} (answer ${split.pool[r.index]!.answer}) | accuracy per epoch ${r.accs.map((a) => a.toFixed(2)).join(' ')} | variance ${r.variance.toFixed(4)}`);
    const selectionSeconds = since(t);

    // ---- 1-shot RLVR ----
    t = performance.now();
    const rlCfg: GRPOConfig = { ...PAPER_GRPO_CONFIG, ...cfg.grpo, seed: cfg.seed };
    const oneShot = Array.from({ length: rlCfg.trainBatchSize }, () => toExample(selectedProblem, pi1.index));
    log(`[rlvr] 1-shot RLVR on π1 = "${selected.question}" × ${rlCfg.trainBatchSize} per batch, ${rlCfg.groupSize} rollouts each, ${rlCfg.steps} steps, lr ${rlCfg.lr}`);
    const validation: DemoResult['validation'] = [];
    let after: HeldOutResult | null = null;
    const steps = await withModels(baseDir, rlCfg.klCoef !== 0, async (policy, reference) => {
      const trainer = new GRPOTrainer({
        policy, reference, tokenizer: tok, examples: oneShot, renderPrompt, stopTokenIds: tok.stopTokenIds, rewards,
        config: rlCfg, runDir: path.join(o.outDir, 'rlvr'), log: (l) => log(`[rlvr] ${l}`),
        validate: async (step) => {
          const r = step === 0 ? before : evaluateHeldOut(policy, tok, split.test, cfg.evalMaxTokens);
          validation.push({ step, accuracy: r.accuracy, lenientAccuracy: r.lenientAccuracy, boxedRate: r.boxedRate, meanLength: r.meanLength });
          if (step === rlCfg.steps) after = r;
          return { accuracy: r.accuracy, lenient_accuracy: r.lenientAccuracy, boxed_rate: r.boxedRate, mean_length: r.meanLength };
        },
      });
      const s = await trainer.train();
      if (!after) after = evaluateHeldOut(policy, tok, split.test, cfg.evalMaxTokens);
      saveModel(policy, path.join(o.outDir, 'rlvr', 'final-model'));
      writeTokenizerFiles(path.join(o.outDir, 'rlvr', 'final-model'));
      return s;
    });
    const rlvrSeconds = since(t);
    const afterResult = after as unknown as HeldOutResult;
    log(`[rlvr] held-out accuracy ${pct(before.accuracy)} → ${pct(afterResult.accuracy)}`);

    const times: PhaseTimes = { pretrain: pretrainSeconds, evalBefore: evalSeconds, selection: selectionSeconds, rlvr: rlvrSeconds, total: since(t0) };
    const result: DemoResult = {
      config: cfg, grpoConfig: rlCfg, outDir: o.outDir, before, after: afterResult, pretrainLosses, ranking, selected, steps, validation, times,
      reportFile: path.join(o.outDir, 'report.html'),
    };
    writeReport(result);
    fs.writeFileSync(path.join(o.outDir, 'summary.json'), JSON.stringify({
      before: summarize(before), after: summarize(afterResult), selected, steps: steps.length, times, config: cfg, grpo: rlCfg,
    }, null, 2) + '\n');
    return result;
  } finally {
    await pool.close();
  }
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

export function summarize(r: HeldOutResult): Record<string, unknown> {
  return { accuracy: r.accuracy, lenientAccuracy: r.lenientAccuracy, boxedRate: r.boxedRate, meanLength: r.meanLength, perFamily: r.perFamily };
}

export function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}
