// Device checks of the mixed-precision trainer (issue 9, items 2-4), as functions that
// bench/gpu.ts runs as sections (or standalone: `node dist/bench/gpu-train.js [--small]`):
//   plan_calibration: measured peak bytes of one update micro-batch (activations + LM-head chunk)
//     against what src/plan predicts, with and without activation checkpointing;
//   logprob_reuse: the rollout engine's own log-probs vs the training forward's recomputation on
//     the same sequences (same temperature, same autocast dtype): how far apart, how many tokens
//     the PPO clip would see as off-policy (|ratio - 1| > 0.2);
//   tf32: float32 matmul TFLOP/s with TF32 off and on.
// On CPU every check runs on a tiny shape (the numbers say nothing about a GPU; the code path is checked).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { allowTF32, autocast, cuda, manualSeed, randn, setAllowTF32, tidy } from '../src/engine/index.js';
import type { ModelConfig } from '../src/model/config.js';
import { CausalLM } from '../src/model/transformer.js';
import { activationBytes, headWorkspaceBytes } from '../src/memory-plan/memory.js';
import { rollout } from '../src/rollout/engine.js';
import { accumulatePolicyGradient, responseLogprobs, type Sequence } from '../src/rl/policy.js';
import { peakRssBytes } from '../src/util/peak-rss.js';

type Result = Record<string, unknown>;

export interface TrainCheckContext {
  /** A float32 model on the device (the bench's random Qwen2.5-Math-1.5B-shaped checkpoint). */
  model: CausalLM;
  device: string;
  compute: 'float32' | 'bfloat16';
  small: boolean;
}

const onCuda = (d: string) => d.startsWith('cuda');
const sync = (d: string) => {
  if (onCuda(d)) cuda.synchronize(d);
};

function sequences(cfg: ModelConfig, count: number, len: number, prompt: number): Sequence[] {
  return Array.from({ length: count }, (_, s) => {
    const ids = Array.from({ length: len }, (_, i) => (i * 31 + s * 7 + 1) % cfg.vocabSize);
    return { promptIds: ids.slice(0, prompt), responseIds: ids.slice(prompt) };
  });
}

/** Peak bytes above the resident set while one micro-batch runs forward + backward, vs the plan. */
export function planCalibration(ctx: TrainCheckContext): Result {
  const { model, device, compute } = ctx;
  if (!onCuda(device)) return { skipped: 'needs CUDA memory statistics' };
  const cfg = model.config;
  const seqLen = ctx.small ? 96 : 3072;
  const count = ctx.small ? 2 : 2;
  const seqs = sequences(cfg, count, seqLen, Math.min(128, seqLen / 2));
  const targets = seqs.map((q) => ({
    oldLogp: q.responseIds.map(() => -2),
    refLogp: null,
    advantage: 1,
    weights: q.responseIds.map(() => 1 / (count * q.responseIds.length)),
  }));
  const coef = { clipRatio: 0.2, klCoef: 0, entropyCoef: 0.001, policyGradient: true };
  const c = compute === 'float32' ? 4 : 2;
  const out: Result = { tokens: count * seqLen };
  model.requiresGrad_(true);
  for (const checkpointing of [false, true]) {
    autocast(device, compute, () => {
      const run = () =>
        tidy(() => {
          accumulatePolicyGradient(model, seqs, targets, 0.6, coef, { checkpointing, computeDtype: compute });
        });
      run(); // gradients and the weights' bf16 cast now exist
      sync(device);
      const before = cuda.memoryStats(device).allocatedBytes;
      cuda.resetPeakMemoryStats(device);
      run();
      sync(device);
      const measured = cuda.memoryStats(device).peakAllocatedBytes - before;
      const predicted = activationBytes(cfg, count * seqLen, c, checkpointing) + headWorkspaceBytes(cfg);
      out[checkpointing ? 'checkpointed' : 'plain'] = {
        measured_gb: measured / 1e9,
        predicted_gb: predicted / 1e9,
        measured_over_predicted: measured / predicted,
      };
    });
    for (const p of model.parameters()) p.grad = null;
  }
  return out;
}

/** Rollout log-probs vs recomputed ones on the same tokens, both under autocast(compute). */
export function logprobReuse(ctx: TrainCheckContext): Result {
  const { model, device, compute } = ctx;
  const cfg = model.config;
  const prompt = Array.from({ length: ctx.small ? 12 : 160 }, (_, i) => (i * 104729 + 7) % cfg.vocabSize);
  const n = ctx.small ? 8 : 64;
  const maxNew = ctx.small ? 24 : 512;
  const { samples } = autocast(device, compute, () => rollout(model, [prompt], { maxNewTokens: maxNew, temperature: 0.6, n, seed: 3 }));
  const seqs = samples.map((s) => ({ promptIds: prompt, responseIds: s.tokens }));
  const recomputed = responseLogprobs(model, seqs, 0.6, 16384, { computeDtype: compute }).logp;
  const diffs = samples.flatMap((s, i) => s.logprobs.map((v, t) => v - recomputed[i]![t]!));
  const abs = diffs.map(Math.abs).sort((a, b) => a - b);
  const offPolicy = diffs.filter((d) => Math.abs(Math.exp(-d) - 1) > 0.2).length;
  return {
    rows: n,
    tokens: diffs.length,
    mean_abs_diff: abs.reduce((a, b) => a + b, 0) / abs.length,
    p99_abs_diff: abs[Math.floor(0.99 * (abs.length - 1))],
    max_abs_diff: abs[abs.length - 1],
    tokens_ratio_outside_clip: offPolicy,
  };
}

/** float32 matmul throughput with TF32 off and on (what setAllowTF32 buys the float32 paths). */
export function tf32Speedup(ctx: TrainCheckContext): Result {
  const { device } = ctx;
  const n = ctx.small || !onCuda(device) ? 256 : 8192;
  const prev = allowTF32();
  const out: Result = { n };
  try {
    tidy(() => {
      const a = randn([n, n], { device });
      const b = randn([n, n], { device });
      for (const on of [false, true]) {
        setAllowTF32(on);
        tidy(() => {
          a.matmul(b);
        });
        sync(device);
        const iters = 5;
        const t0 = performance.now();
        for (let i = 0; i < iters; i++)
          tidy(() => {
            a.matmul(b);
          });
        sync(device);
        const s = (performance.now() - t0) / 1000 / iters;
        out[on ? 'tf32_tflops' : 'fp32_tflops'] = (2 * n ** 3) / s / 1e12;
      }
    });
  } finally {
    setAllowTF32(prev);
  }
  out.speedup = (out.tf32_tflops as number) / (out.fp32_tflops as number);
  return out;
}

/** All three, each timed; errors are recorded, not thrown. */
export function trainChecks(ctx: TrainCheckContext): Result {
  const out: Result = {};
  for (const [name, fn] of [
    ['plan_calibration', planCalibration],
    ['logprob_reuse', logprobReuse],
    ['tf32', tf32Speedup],
  ] as const) {
    const t0 = performance.now();
    try {
      out[name] = { ...fn(ctx), seconds: (performance.now() - t0) / 1000 };
    } catch (e) {
      out[name] = { error: (e as Error).stack ?? String(e) };
    }
  }
  return out;
}

// Standalone: a tiny random model on CPU (--small), or the exact Qwen2.5-Math-1.5B shape on CUDA.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const gpu = cuda.isAvailable();
  const small = process.argv.includes('--small') || !gpu;
  const device = gpu ? 'cuda' : 'cpu';
  const cfg: ModelConfig = {
    architecture: 'Qwen2ForCausalLM',
    hiddenSize: small ? 64 : 1536,
    intermediateSize: small ? 128 : 8960,
    numLayers: small ? 2 : 28,
    numHeads: small ? 4 : 12,
    numKvHeads: 2,
    headDim: small ? 16 : 128,
    vocabSize: small ? 1024 : 151936,
    rmsNormEps: 1e-6,
    ropeTheta: 10000,
    ropeScaling: null,
    tieWordEmbeddings: true,
    attentionBias: true,
    maxPositionEmbeddings: 4096,
    bosTokenId: null,
    eosTokenId: null,
    torchDtype: 'bfloat16',
  };
  manualSeed(0);
  const model = CausalLM.randomInit(cfg, { device });
  const result = { device, small, ...trainChecks({ model, device, compute: gpu ? 'bfloat16' : 'float32', small }), peakRssBytes: peakRssBytes() };
  model.dispose();
  const file = path.join(process.cwd(), 'bench/results', small ? 'gpu-train-small.json' : 'gpu-train.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  console.log(JSON.stringify(result));
}
