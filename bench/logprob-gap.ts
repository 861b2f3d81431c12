// The gap between the rollout engine's per-token log-probs and the training forward's
// (src/rl/policy.ts responseLogprobs) on the same tokens: why old log-probs are recomputed by
// default (reuseRolloutLogprobs false). A tiny random Qwen2-shaped model on the CPU, temperature
// 0.6 (the paper's), in float32 and in bfloat16 autocast (the CUDA default compute dtype).
//
//   node dist/bench/logprob-gap.js [--seed 0] [--rows 64] [--tokens 48]
//
// Writes bench/results/logprob-gap-cpu.json: per compute dtype, the mean and max |Δ| per token
// and the share of tokens whose ratio exp(Δ) leaves [0.8, 1.2] (a PPO clip of ε 0.2) and
// [1 - 3e-4, 1 + 4e-4] (GSPO's sequence clip, applied here to the per-sequence mean Δ).
import fs from 'node:fs';
import path from 'node:path';
import { autocast, manualSeed, setNumThreads, tidy, inferenceMode } from '../src/engine/index.js';
import type { ModelConfig } from '../src/model/config.js';
import { CausalLM } from '../src/model/transformer.js';
import { rollout } from '../src/rollout/engine.js';
import { responseLogprobs } from '../src/rl/policy.js';
import { peakRssBytes } from '../src/util/peak-rss.js';

const arg = (name: string, d: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const seed = arg('seed', 0);
const rows = arg('rows', 64);
const maxNew = arg('tokens', 48);
setNumThreads(1);

const cfg: ModelConfig = {
  architecture: 'Qwen2ForCausalLM',
  hiddenSize: 128,
  intermediateSize: 256,
  numLayers: 4,
  numHeads: 4,
  numKvHeads: 2,
  headDim: 32,
  vocabSize: 512,
  rmsNormEps: 1e-6,
  ropeTheta: 10000,
  ropeScaling: null,
  tieWordEmbeddings: true,
  attentionBias: true,
  maxPositionEmbeddings: 512,
  bosTokenId: null,
  eosTokenId: null,
  torchDtype: 'float32',
};
manualSeed(seed);
const model = CausalLM.randomInit(cfg);
// Sharper logits than HF's 0.02 init, so that the distribution is not uniform noise.
tidy(() =>
  inferenceMode(() => {
    for (const p of model.parameters()) if (p.ndim === 2) p.mul_(4);
  }),
);
const prompts = [Array.from({ length: 24 }, (_, i) => (i * 37 + 11) % cfg.vocabSize), Array.from({ length: 9 }, (_, i) => (i * 53 + 5) % cfg.vocabSize)];
const temperature = 0.6;

const results: Record<string, unknown> = {};
for (const dtype of ['float32', 'bfloat16'] as const) {
  const { samples } = autocast('cpu', dtype, () => rollout(model, prompts, { maxNewTokens: maxNew, temperature, n: rows / prompts.length, seed }));
  const seqs = samples.map((s) => ({ promptIds: prompts[s.promptIndex]!, responseIds: s.tokens }));
  const train = responseLogprobs(model, seqs, temperature, 1 << 20, { computeDtype: dtype }).logp;
  const gaps: number[] = [];
  let clipPpo = 0;
  let clipGspo = 0;
  samples.forEach((s, i) => {
    const d = s.logprobs.map((lp, j) => train[i]![j]! - lp);
    for (const x of d) {
      gaps.push(Math.abs(x));
      const r = Math.exp(x);
      if (r < 0.8 || r > 1.2) clipPpo++;
    }
    const seqRatio = Math.exp(d.reduce((a, b) => a + b, 0) / Math.max(1, d.length));
    if (seqRatio < 1 - 3e-4 || seqRatio > 1 + 4e-4) clipGspo++;
  });
  const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
  results[dtype] = {
    tokens: gaps.length,
    meanAbsGap: mean,
    maxAbsGap: Math.max(...gaps),
    tokensOutsidePpoClip0_2: clipPpo / gaps.length,
    sequencesOutsideGspoClip: clipGspo / samples.length,
  };
  console.log(
    `${dtype}: ${gaps.length} tokens, mean |Δlogp| ${mean.toExponential(2)}, max ${Math.max(...gaps).toExponential(2)}, ` +
      `tokens outside [0.8, 1.2] ${((100 * clipPpo) / gaps.length).toFixed(1)}%, sequences outside GSPO's clip ${((100 * clipGspo) / samples.length).toFixed(0)}%`,
  );
}
const out = { bench: 'logprob-gap', device: 'cpu', seed, rows, maxNewTokens: maxNew, temperature, model: cfg, results, peakRssBytes: peakRssBytes() };
const file = path.join(process.cwd(), 'bench/results/logprob-gap-cpu.json');
fs.writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
console.log(`wrote ${file}`);
