// `npm run bench:gpu`: the prepared GPU check of issue 9, one script, ≤ 8 minutes on one GPU.
// Run on the device machine (after `bash ../shared/device/stage.sh` here) as
//   bash .device/gpu.sh npm run bench:gpu          (builds the addon against CUDA libtorch, compiles TS, runs)
// or, with dist/ built and carried:   bash .device/gpu.sh node dist/bench/gpu.js
// Check it on a CPU with small shapes:   node dist/bench/gpu.js --small
// Expected device time on an H100/H200: ~2 min addon build + ~3-4 min of sections.
//
// Sections (each timed and memory-measured on its own; a failing section is recorded and the
// rest still run; results are written after every section):
//   0. anchors: bf16 8192³ matmul TFLOP/s, SDPA fwd+bwd (causal, GQA) TFLOP/s (folded in from
//      the old bench/gpu-check.ts);
//   P. engine parity on the device: a small model, bf16 compute, mixed prompt lengths (varlen
//      flash), CUDA graphs vs eager vs the reference sampler, log-probs vs teacher forcing; and
//      sampled at temperature 1 with stop tokens and per-row limits (compactions, recaptures):
//      graph tokens vs eager tokens at the same padded shapes;
//   1. rollout: a random checkpoint of the exact Qwen2.5-Math-1.5B shape (fp32 master weights,
//      bf16 compute under autocast as the trainer runs it), 1024 rows × 1024 forced new tokens
//      (stop disabled) sharing one 128-token prompt: tokens/s, peak memory, engine counters;
//   2. training forward+backward on 3k-token sequences (bf16 compute, fp32 master) through the
//      trainer's own accumulatePolicyGradient: tokens/s and MFU;
//      >>> precision helper: this section uses whatever src/rl/policy.ts + src/engine/precision.ts
//      >>> provide (computeDtype, checkpointing); adjust TRAIN_* below if the trainer's defaults change;
//   3. one whole GRPO step at the paper's configuration (128 prompts × 8 rollouts, responses up to
//      3072, the paper's loss, KL reference model) with a forced response-length mix (mean ~750,
//      7% at 3072) through GRPOTrainer itself: seconds split generation / log-probs / update,
//      peak memory.
// Every section records peak allocated AND peak reserved memory (the caching allocator's; the 80 GB
// goal is about reserved + the CUDA context) and the device memory in use at its end.
// JSON with device, torch, CUDA and settings → $OUT/gpu.json (when $OUT is set) and
// bench/results/gpu[-small].json. Goals (issue 9): ≥ 60k tok/s, ≥ 45% MFU, step ≤ 45 s, peak ≤ 80 GB.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { F, autocast, backward, cuda, manualSeed, noGrad, randn, setAllowTF32, tensor, tidy, torchVersion } from '../src/engine/index.js';
import type { ModelConfig } from '../src/model/config.js';
import { CausalLM } from '../src/model/transformer.js';
import { rollout } from '../src/rollout/engine.js';
import { generate } from '../src/rollout/reference-sampler.js';
import { PAPER_GRPO_CONFIG, type GRPOConfig } from '../src/rl/config.js';
import { accumulatePolicyGradient } from '../src/rl/policy.js';
import { GRPOTrainer } from '../src/rl/trainer.js';
import { mathTask } from '../src/tasks/math/task.js';
import { trainChecks } from './gpu-train.js';
import { peakRssBytes } from '../src/util/peak-rss.js';

const args = process.argv.slice(2);
const onGpu = cuda.isAvailable();
const device = onGpu ? 'cuda' : 'cpu';
const small = args.includes('--small') || !onGpu;
const compute = onGpu ? 'bfloat16' : 'float32';
const started = performance.now();
const sync = () => {
  if (onGpu) cuda.synchronize();
};
const resetPeak = () => {
  if (onGpu) cuda.resetPeakMemoryStats();
};
const peakGB = () => (onGpu ? cuda.memoryStats().peakAllocatedBytes / 1e9 : null);
// What the 80 GB goal is about: the caching allocator's peak reserved memory (plus the CUDA
// context, which nvidia-smi would add; reported as device used at the section's end).
const peakReservedGB = () => (onGpu ? cuda.memoryStats().peakReservedBytes / 1e9 : null);
const deviceUsedGB = () => {
  if (!onGpu) return null;
  const m = cuda.memoryStats();
  return (m.totalBytes - m.freeBytes) / 1e9;
};
const elapsed = () => (performance.now() - started) / 1000;
if (onGpu) setAllowTF32(true);

// The exact Qwen2.5-Math-1.5B shape (its config.json), or a tiny one for --small.
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
const ROLL = small ? { rows: 16, newTokens: 24, promptLen: 16 } : { rows: 1024, newTokens: 1024, promptLen: 128 };
const TRAIN_SEQ = small ? 96 : 3072; // tokens per sequence
const TRAIN_SEQS = small ? 2 : 4; // sequences per micro-batch (12k tokens: the paper's micro-batch budget is 16k)
const TRAIN_ITERS = small ? 2 : 5;
const STEP = small ? { groups: 2, groupSize: 4, maxResponse: 32, meanLen: 8 } : { groups: 128, groupSize: 8, maxResponse: 3072, meanLen: 750 };

function sh(cmd: string, a: string[]): string {
  const r = spawnSync(cmd, a, { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : '';
}
let libtorch: Record<string, unknown> = {};
try {
  libtorch = JSON.parse(fs.readFileSync(path.join(process.cwd(), 'build/libtorch.json'), 'utf8')) as Record<string, unknown>;
} catch {
  /* not built here */
}
const results: Record<string, unknown> = {
  device: onGpu ? sh('nvidia-smi', ['--query-gpu=name,memory.total,driver_version', '--format=csv,noheader']) || 'cuda' : `cpu (${os.cpus()[0]?.model ?? '?'})`,
  torch: torchVersion(),
  cuda: libtorch.cuda ?? null,
  small,
  compute_dtype: compute,
  master_dtype: 'float32',
  model_shape: cfg,
  date: new Date().toISOString(),
  sections: {},
};
const sections = results.sections as Record<string, unknown>;

function save(): void {
  results.peakRssBytes = peakRssBytes();
  const text = JSON.stringify(results, null, 2) + '\n';
  const dir = path.join(process.cwd(), 'bench/results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, small ? 'gpu-small.json' : 'gpu.json'), text);
  if (process.env.OUT) fs.writeFileSync(path.join(process.env.OUT, small ? 'gpu-small.json' : 'gpu.json'), text);
}

function section(name: string, fn: () => Record<string, unknown> | Promise<Record<string, unknown>>): Promise<void> {
  console.log(`[${elapsed().toFixed(0)}s] ${name} ...`);
  resetPeak();
  const t0 = performance.now();
  return Promise.resolve()
    .then(fn)
    .then(
      (r) => {
        sections[name] = {
          ...r,
          seconds: (performance.now() - t0) / 1000,
          peak_memory_gb: peakGB(),
          peak_reserved_gb: peakReservedGB(),
          device_used_gb: deviceUsedGB(),
        };
      },
      (e: Error) => {
        sections[name] = { error: e.stack ?? String(e) };
        console.log(`  ${name} FAILED: ${e.message}`);
      },
    )
    .then(() => {
      console.log(`  ${JSON.stringify(sections[name]).slice(0, 400)}`);
      save();
    });
}

/** Peak dense bf16 TFLOP/s of known cards (for MFU); null when unknown. */
function peakTflops(): number | null {
  const name = String(results.device);
  if (/H100|H200|GH200/.test(name)) return 989;
  if (/A100/.test(name)) return 312;
  if (/L40S/.test(name)) return 362;
  if (/4090/.test(name)) return 165;
  return null;
}

function randomModel(): CausalLM {
  manualSeed(0);
  return CausalLM.randomInit(cfg, { dtype: 'float32', device });
}

function timeIt(fn: () => void, iters: number): number {
  tidy(fn);
  sync();
  const t0 = performance.now();
  for (let i = 0; i < iters; i++) tidy(fn);
  sync();
  return (performance.now() - t0) / 1000 / iters;
}

await section('anchors', () => {
  const n = small ? 256 : 8192;
  const dt = onGpu ? 'bfloat16' : 'float32';
  const a = randn([n, n], { dtype: dt, device }).keep();
  const b = randn([n, n], { dtype: dt, device }).keep();
  const mm = timeIt(
    () => {
      a.matmul(b);
    },
    small ? 2 : 20,
  );
  a.dispose();
  b.dispose();
  const [B, H, Hkv, L, D] = small ? [1, 4, 2, 64, 16] : [8, 16, 2, 2048, 128];
  const q = randn([B, H, L, D], { dtype: dt, device }).requiresGrad_(true).keep();
  const k = randn([B, Hkv, L, D], { dtype: dt, device }).requiresGrad_(true).keep();
  const v = randn([B, Hkv, L, D], { dtype: dt, device }).requiresGrad_(true).keep();
  const at = timeIt(
    () => {
      backward([F.scaledDotProductAttention(q, k, v, { causal: true, enableGqa: true }).sum()]);
    },
    small ? 2 : 20,
  );
  for (const t of [q, k, v]) t.dispose();
  return {
    matmul: { n, dtype: dt, tflops: (2 * n ** 3) / mm / 1e12 },
    sdpa_fwd_bwd: { B, H, Hkv, L, D, tflops: (0.5 * 4 * B * H * L * L * D * 3.5) / at / 1e12 },
  };
});

await section('engine_parity', () => {
  // The engine's device paths (varlen flash with mixed prompt lengths, CUDA graphs, on-device
  // sampling) against teacher forcing and the reference sampler, on a small model, bf16 compute.
  const small2: ModelConfig = { ...cfg, hiddenSize: 256, intermediateSize: 512, numLayers: 2, numHeads: 4, numKvHeads: 2, headDim: 64, vocabSize: 512 };
  manualSeed(3);
  const model = CausalLM.randomInit(small2, { dtype: 'float32', device });
  model.requiresGrad_(true);
  try {
    for (const p of model.parameters()) if (p.ndim === 2) noGrad(() => p.mul_(8)); // sharper logits than the 0.02 init
    const prompts = [[5, 9, 2, 7, 1], Array.from({ length: 17 }, (_, i) => (i * 13) % 512), Array.from({ length: 40 }, (_, i) => (i * 29 + 3) % 512)];
    const opts = { greedy: true, n: 4, maxNewTokens: 40, syncEvery: 4, initialCapacity: 8 };
    const dt = onGpu ? compute : null;
    const graphsRun = autocast(device, dt, () => rollout(model, prompts, opts));
    const eagerRun = autocast(device, dt, () => rollout(model, prompts, { ...opts, cudaGraphs: false }));
    const ref = autocast(device, dt, () => generate(model, prompts, opts));
    let maxDiff = 0;
    let agree = 0;
    let total = 0;
    for (const s of graphsRun.samples) {
      const ids = [...prompts[s.promptIndex]!, ...s.tokens];
      const [lp, am] = noGrad(() =>
        tidy(() =>
          autocast(device, dt, () => {
            const logp = model
              .forward(tensor(ids, [1, ids.length], { dtype: 'int64', device }))
              .float()
              .logSoftmax(-1)
              .squeeze(0);
            const p0 = prompts[s.promptIndex]!.length - 1;
            const pos = tensor(
              s.tokens.map((_, j) => p0 + j),
              [s.tokens.length],
              { dtype: 'int64', device },
            );
            const rowsLp = logp.indexSelect(0, pos);
            return [
              rowsLp
                .gather(1, tensor(s.tokens, [s.tokens.length, 1], { dtype: 'int64', device }))
                .squeeze(1)
                .toNumbers(),
              rowsLp.argmax(-1).toNumbers(),
            ];
          }),
        ),
      );
      lp!.forEach((v, j) => {
        maxDiff = Math.max(maxDiff, Math.abs(v - s.logprobs[j]!));
      });
      am!.forEach((v, j) => {
        total++;
        if (v === s.tokens[j]) agree++;
      });
    }
    const same = (a: { tokens: number[] }[], b: { tokens: number[] }[]) => a.every((x, i) => x.tokens.join() === b[i]!.tokens.join());
    // Sampled, compacting: temperature 1 with stop tokens and per-row limits (rows finish at
    // different steps: compactions; capacity grows: recaptures), graphs vs eager at the same padded
    // shapes and seed (padRows), so that both draw the same random numbers.
    const sampledOpts = {
      n: 8,
      maxNewTokens: 48,
      temperature: 1,
      seed: 5,
      stopTokenIds: [0, 1],
      syncEvery: 4,
      initialCapacity: 8,
      padRows: true,
      maxNewTokensPerRow: Array.from({ length: prompts.length * 8 }, (_, i) => 4 + ((i * 37) % 45)),
    };
    const sampledGraphs = autocast(device, dt, () => rollout(model, prompts, sampledOpts));
    const sampledEager = autocast(device, dt, () => rollout(model, prompts, { ...sampledOpts, cudaGraphs: false }));
    return {
      sampled_graphs_equal_eager: same(sampledGraphs.samples, sampledEager.samples),
      sampled_graph_stats: sampledGraphs.stats,
      sampled_eager_stats: sampledEager.stats,
      max_abs_logprob_diff_vs_teacher_forcing: maxDiff,
      greedy_argmax_agreement: agree / total,
      graphs_equal_eager: same(graphsRun.samples, eagerRun.samples),
      equal_reference_sampler: same(graphsRun.samples, ref),
      graph_stats: graphsRun.stats,
      eager_stats: eagerRun.stats,
    };
  } finally {
    model.dispose();
  }
});

await section('rollout', () => {
  const model = randomModel();
  // As in the trainer (policy parameters require grad): autocast then casts each weight to bf16
  // once per rollout (its cast cache), not once per decode step.
  model.requiresGrad_(true);
  try {
    const prompt = Array.from({ length: ROLL.promptLen }, (_, i) => (i * 7919 + 13) % cfg.vocabSize);
    // Warm-up (operator handles, cuBLAS/flash workspaces), small.
    autocast(device, onGpu ? compute : null, () => rollout(model, [prompt], { n: 8, maxNewTokens: 8, temperature: 0.6 }));
    sync();
    resetPeak();
    const t0 = performance.now();
    const { samples, stats } = autocast(device, onGpu ? compute : null, () =>
      rollout(model, [prompt], { n: ROLL.rows, maxNewTokens: ROLL.newTokens, temperature: 0.6, seed: 1 }),
    );
    sync();
    const s = (performance.now() - t0) / 1000;
    const tokens = samples.reduce((a, x) => a + x.tokens.length, 0);
    return { ...ROLL, temperature: 0.6, tokens, rollout_seconds: s, tok_s: tokens / s, goal_tok_s: 60000, engine: stats };
  } finally {
    model.dispose();
  }
});

await section('train_fwd_bwd', () => {
  // >>> precision helper: uses accumulatePolicyGradient as the trainer calls it (computeDtype bf16
  // >>> on CUDA under one autocast region per update, backward outside it, fp32 master weights).
  const model = randomModel();
  model.requiresGrad_(true);
  try {
    const seqs = Array.from({ length: TRAIN_SEQS }, (_, s) => {
      const ids = Array.from({ length: TRAIN_SEQ }, (_, i) => (i * 31 + s * 7 + 1) % cfg.vocabSize);
      return { promptIds: ids.slice(0, 128 % TRAIN_SEQ), responseIds: ids.slice(128 % TRAIN_SEQ) };
    });
    const targets = seqs.map((q) => ({
      oldLogp: q.responseIds.map(() => -2),
      refLogp: q.responseIds.map(() => -2),
      advantage: 1,
      weights: q.responseIds.map(() => 1 / (TRAIN_SEQS * q.responseIds.length)),
    }));
    const coef = { clipRatio: 0.2, klCoef: 0.001, entropyCoef: 0.001, policyGradient: true };
    const step = () =>
      autocast(device, onGpu ? compute : null, () => accumulatePolicyGradient(model, seqs, targets, 0.6, coef, { computeDtype: onGpu ? compute : null }));
    tidy(() => {
      step();
    }); // warm-up
    sync();
    resetPeak();
    const t0 = performance.now();
    for (let i = 0; i < TRAIN_ITERS; i++)
      tidy(() => {
        step();
      });
    sync();
    const s = (performance.now() - t0) / 1000 / TRAIN_ITERS;
    for (const p of model.parameters()) p.grad = null;
    const n = model.parameters().reduce((a, p) => a + p.numel, 0);
    const tokens = TRAIN_SEQS * TRAIN_SEQ;
    // 6·N per token (fwd+bwd matmuls; the tied head counted once in N) + causal attention 6·L·T·d per token.
    const flops = 6 * n * tokens + 6 * cfg.numLayers * TRAIN_SEQ * cfg.numHeads * cfg.headDim * tokens;
    const peak = peakTflops();
    return {
      seq_len: TRAIN_SEQ,
      seqs_per_micro_batch: TRAIN_SEQS,
      params: n,
      seconds_per_micro_batch: s,
      tok_s: tokens / s,
      tflops: flops / s / 1e12,
      mfu: peak ? flops / s / 1e12 / peak : null,
      peak_tflops_assumed: peak,
      goal_mfu: 0.45,
    };
  } finally {
    model.dispose();
  }
});

await section('train_checks', () => {
  // Mixed-precision trainer checks (bench/gpu-train.ts): the memory plan's micro-batch estimate
  // against the measured peak, rollout vs recomputed log-probs, TF32 speedup.
  const model = randomModel();
  try {
    return trainChecks({ model, device, compute: onGpu ? 'bfloat16' : 'float32', small });
  } finally {
    model.dispose();
  }
});

await section('grpo_step', async () => {
  const policy = randomModel();
  manualSeed(0);
  const reference = CausalLM.randomInit(cfg, { dtype: onGpu ? compute : 'float32', device });
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-gpu-step-'));
  try {
    // Forced response lengths (stop disabled): 7% at the maximum, the rest exponential, mean ~STEP.meanLen.
    let x = 4242;
    const rnd = () => {
      x = (x * 1103515245 + 12345) % 2147483648;
      return x / 2147483648;
    };
    const rows = STEP.groups * STEP.groupSize;
    const restMean = (STEP.meanLen - 0.07 * STEP.maxResponse) / 0.93;
    const lengths = Array.from({ length: rows }, () =>
      rnd() < 0.07 ? STEP.maxResponse : Math.max(1, Math.min(STEP.maxResponse, Math.round(-Math.log(1 - rnd()) * restMean))),
    );
    const config: GRPOConfig = {
      ...PAPER_GRPO_CONFIG,
      trainBatchSize: STEP.groups,
      groupSize: STEP.groupSize,
      maxResponseLength: STEP.maxResponse,
      miniBatchSize: STEP.groups,
      steps: 1,
      saveEvery: 0,
      validateEvery: 0,
      computeDtype: onGpu ? 'bfloat16' : 'float32',
      ...(small ? { microBatchTokens: 256 } : {}),
    };
    // One training example repeated (1-shot RLVR): every row shares one prompt.
    const ex = { index: 0, messages: [{ role: 'user', content: 'x' }], groundTruth: '1', dataSource: 'bench' };
    const promptIds = Array.from({ length: small ? 12 : 160 }, (_, i) => (i * 104729 + 7) % cfg.vocabSize);
    const trainer = new GRPOTrainer({
      policy,
      reference,
      examples: Array.from({ length: STEP.groups }, (_, i) => ({ ...ex, index: i })),
      tokenizer: { encode: () => promptIds, decode: (ids: number[]) => String(ids.length) },
      renderPrompt: () => 'x',
      stopTokenIds: [],
      config,
      runDir,
      log: () => {},
      task: mathTask,
      // Half the rows rewarded, so that advantages (and the update) are not zero.
      rewards: async (items: { completionIds?: number[] }[]) => items.map((_, i) => i % 2),
      rolloutOptions: { maxNewTokensPerRow: lengths },
      // The memory plan targets an 80 GB card (the goal), whatever this device has.
      ...(onGpu ? { deviceMemoryBytes: 80e9 } : {}),
    } as unknown as ConstructorParameters<typeof GRPOTrainer>[0]);
    const m = await trainer.trainStep();
    return {
      rows,
      mean_response: lengths.reduce((a, b) => a + b, 0) / rows,
      at_max: lengths.filter((l) => l === STEP.maxResponse).length,
      generated_tokens: Math.round(m.tokensPerSecond * m.timeGeneration),
      time_generation: m.timeGeneration,
      time_logprobs: m.timeLogprobs,
      time_update: m.timeUpdate,
      step_seconds: m.timeGeneration + m.timeLogprobs + m.timeUpdate,
      rollout_tok_s: m.tokensPerSecond,
      goal_step_seconds: 45,
      goal_peak_gb: 80,
      config,
      plan: {
        micro_batch_tokens: trainer.plan.training.microBatchTokens,
        checkpointing: trainer.plan.training.activationCheckpointing,
        kv_budget_gb: trainer.plan.kv.budget / 1e9,
        predicted_peak_gb: Math.max(trainer.plan.rolloutPeak, trainer.plan.updatePeak) / 1e9,
      },
      padding_ratio: m.paddingRatio,
      update_host_reads: m.updateHostReads,
      old_logprobs_from: m.oldLogprobsFrom,
    };
  } finally {
    policy.dispose();
    reference.dispose();
    fs.rmSync(runDir, { recursive: true, force: true });
  }
});

results.total_seconds = elapsed();
save();
console.log(JSON.stringify(results));
