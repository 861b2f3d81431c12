// What each algorithm does on the demo's task in the same small budget (issue 16, item 4):
// GRPO, PPO (critic), DAPO, GSPO and RLOO, one after another, from the same base model and the
// same π1 (the one the demo's historical-variance selection picked), same seed, same steps;
// held-out accuracy (the demo's reward-mode score) before/after and along the way, steps to
// saturation (first step whose rollouts on π1 were all correct).
//
//   rlvr demo --pretrain-steps 1000 --steps 1 --threads 1 --out DEMO   (base model + π1)
//   node dist/bench/algos-demo.js --demo DEMO [--presets grpo,ppo,dapo,gspo,rloo] [--steps 20] [--every 5] [--batch B --group G]
//
// Writes DEMO/algos/<preset>/ run folders, DEMO/algos/comparison.{md,json} and prints the table.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { manualSeed, setNumThreads } from '../src/engine/index.js';
import { loadModel } from '../src/model/checkpoint.js';
import { VerifierPool } from '../src/tasks/math/verifier/pool.js';
import { summarizeRun, writeComparison, type RunSummary } from '../src/rl/ablation.js';
import { LOSS_PRESETS, PAPER_GRPO_CONFIG, needsReference, type GRPOConfig } from '../src/rl/config.js';
import { ValueModel } from '../src/rl/critic.js';
import { estimatorOf } from '../src/algorithms/registry.js';
import { mathReward } from '../src/tasks/math/reward.js';
import { GRPOTrainer } from '../src/rl/trainer.js';
import { evaluateHeldOut } from '../src/demo/held-out.js';
import type { DemoConfig } from '../src/demo/pipeline.js';
import { makeSplit, toExample, type Problem } from '../src/tasks/arithmetic/problems.js';
import { arithmeticTask } from '../src/tasks/arithmetic/task.js';
import { DemoTokenizer } from '../src/demo/tokenizer.js';
import { peakRssBytes } from '../src/util/peak-rss.js';

const { values } = parseArgs({
  options: {
    demo: { type: 'string' },
    presets: { type: 'string', default: 'grpo,ppo,dapo,gspo,rloo' },
    steps: { type: 'string', default: '20' },
    every: { type: 'string', default: '5' },
    batch: { type: 'string' },
    group: { type: 'string' },
  },
});
if (!values.demo) {
  console.error('usage: node dist/bench/algos-demo.js --demo DIR (a finished `rlvr demo` folder) [--presets ...] [--steps N] [--every K]');
  process.exit(2);
}
const demoDir = path.resolve(values.demo);
const summary = JSON.parse(fs.readFileSync(path.join(demoDir, 'summary.json'), 'utf8')) as {
  config: DemoConfig;
  grpo: GRPOConfig;
  selected: { index: number; question: string; answer: string };
};
const cfg = summary.config;
setNumThreads(cfg.threads);
const steps = Number(values.steps);
const every = Number(values.every);
const presets = values.presets!.split(',');
const split = makeSplit(cfg.seed, cfg.testPerFamily, cfg.poolPerFamily);
const pi1: Problem = split.pool[summary.selected.index]!;
if (pi1.question !== summary.selected.question) throw new Error('the demo split does not reproduce the selected problem');
const tok = new DemoTokenizer();
const baseDir = path.join(demoDir, 'base-model');
const root = path.join(demoDir, 'algos');
fs.rmSync(root, { recursive: true, force: true });

const pool = new VerifierPool({ size: 1 });
const rows: RunSummary[] = [];
try {
  for (const preset of presets) {
    // The demo's 1-shot RLVR settings (its scaled batch and lr), the preset on top, the same seed.
    // --batch / --group shrink the demo's 16 × 8 rollouts per step for a shared machine.
    const size: Partial<GRPOConfig> = {};
    if (values.batch) Object.assign(size, { trainBatchSize: Number(values.batch), miniBatchSize: Number(values.batch) });
    if (values.group) size.groupSize = Number(values.group);
    const config: GRPOConfig = {
      ...PAPER_GRPO_CONFIG,
      ...LOSS_PRESETS[preset],
      ...cfg.grpo,
      ...size,
      steps,
      validateEvery: every,
      saveEvery: 0,
      seed: cfg.seed,
    };
    manualSeed(cfg.seed);
    const policy = loadModel(baseDir);
    const reference = needsReference(config) ? loadModel(baseDir) : null;
    const critic = estimatorOf(config.advantageEstimator).needs.critic ? ValueModel.fromPolicy(baseDir, { seed: config.seed }) : null;
    const validation: { step: number; accuracy: number }[] = [];
    const started = performance.now();
    const trainer = new GRPOTrainer({
      policy,
      reference,
      critic,
      tokenizer: tok,
      examples: Array.from({ length: config.trainBatchSize }, () => toExample(pi1, summary.selected.index)),
      renderPrompt: (ex) => tok.renderPrompt(ex.messages),
      stopTokenIds: tok.stopTokenIds,
      rewards: mathReward(pool),
      task: arithmeticTask,
      config,
      runDir: path.join(root, preset),
      log: (l) => console.error(`[${preset}] ${l}`),
      validate: async (step) => {
        const r = evaluateHeldOut(policy, tok, split.test, cfg.evalMaxTokens);
        validation.push({ step, accuracy: r.accuracy });
        return { accuracy: r.accuracy, lenient_accuracy: r.lenientAccuracy, boxed_rate: r.boxedRate, mean_length: r.meanLength };
      },
    });
    try {
      const metrics = await trainer.train();
      rows.push(summarizeRun(preset, preset, metrics, validation, (performance.now() - started) / 1000));
      writeComparison(root, rows, { demo: demoDir, pi1: summary.selected, steps, threads: cfg.threads, peakRssBytes: peakRssBytes() });
    } finally {
      trainer.disposeOptimizers();
      policy.dispose();
      reference?.dispose();
      critic?.dispose();
    }
  }
} finally {
  await pool.close();
}
console.log(
  `1-shot RLVR on π1 = "${pi1.question}" (answer ${pi1.answer}), ${steps} steps each, held-out = ${split.test.length} problems (reward-mode accuracy)`,
);
console.log(writeComparison(root, rows, { demo: demoDir, pi1: summary.selected, steps, threads: cfg.threads, peakRssBytes: peakRssBytes() }));
