// The multi-GPU check (issue 15, item 5): NCCL all-reduce bandwidth and one data-parallel update
// step on 2 ranks. Needs >= 2 visible CUDA devices and an addon built with NCCL; anywhere else
// it prints that it is skipped and why, and exits 0.
//
//   npm run build && node dist/bench/nccl.js          # 2 GPUs: cuda:0 and cuda:1
//   node dist/bench/nccl.js --gloo                     # the same script on CPU over gloo, tiny sizes
//                                                      # (checks the script, measures nothing about GPUs)
//
// Sections, on 2 ranks (one process per GPU, rendezvous on 127.0.0.1):
//   allreduce: float32 buffers of 1 MB .. 1 GB (x4 steps), in-place sum; algorithm bandwidth
//     bytes / time and bus bandwidth x 2(n-1)/n (nccl-tests' convention), median of the timed
//     iterations after warm-up;
//   dp_step: a random Qwen2.5-Math-1.5B-shaped model (float32 master weights, bf16 compute) per
//     rank, one micro-batch of 4 x 3072 tokens through the trainer's accumulatePolicyGradient,
//     then what data parallelism adds: the bucketed gradient all-reduce, clipping, and the
//     optimizer step with AdamW (zeroStage 0) and with ShardedAdamW (zeroStage 1, including its
//     parameter broadcast): seconds each, peak memory, and whether both ranks end with
//     bit-identical weights;
//   grpo_step: one whole data-parallel GRPO step through GRPOTrainer on each rank (the paper's
//     128 prompts x 8 rollouts split over the 2 ranks, responses up to 3072 with forced lengths,
//     mean ~750, the KL reference), with zeroStage 0 and 1: generation / log-probs / update
//     seconds (the slowest rank's), peak memory, the plan's per-GPU prediction.
// JSON -> bench/results/nccl[-gloo].json (and $OUT/nccl.json when $OUT is set).
//
// UNTESTED on GPUs: no machine with two GPUs was lent to any session so far (docs/distributed.md).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AdamW, autocast, clipGradNorm, cuda, empty, manualSeed, tidy, torchVersion } from '../src/engine/index.js';
import { native } from '../src/engine/native.js';
import type { ModelConfig } from '../src/model/config.js';
import { CausalLM } from '../src/model/transformer.js';
import { accumulatePolicyGradient } from '../src/rl/policy.js';
import { PAPER_GRPO_CONFIG, type GRPOConfig } from '../src/rl/config.js';
import { GRPOTrainer } from '../src/rl/trainer.js';
import { mathTask } from '../src/tasks/math/task.js';
import { DataParallel } from '../src/distributed/data-parallel.js';
import { initProcessGroup, type ProcessGroup } from '../src/distributed/process-group.js';
import { ShardedAdamW } from '../src/distributed/sharded-adamw.js';
import { freePort } from '../src/distributed/launch.js';
import { peakRssBytes } from '../src/util/peak-rss.js';

const WORLD = 2;
const args = process.argv.slice(2);
const gloo = args.includes('--gloo');
const self = fileURLToPath(import.meta.url);

// ---- the parent: decide whether to run, start the ranks, write the JSON ----
async function main(): Promise<void> {
  if (!gloo) {
    const why = !cuda.isAvailable()
      ? 'no CUDA device is visible (this addon or machine has none)'
      : cuda.deviceCount() < WORLD
        ? `${cuda.deviceCount()} CUDA device visible, it needs ${WORLD}`
        : !native.hasNccl
          ? 'the addon was built without NCCL (it needs a CUDA libtorch and nccl.h at build time)'
          : null;
    if (why) {
      console.log(`bench/nccl: skipped: ${why}. Nothing was measured. (node dist/bench/nccl.js --gloo checks the script on CPU.)`);
      return;
    }
  }
  const port = await freePort();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-nccl-'));
  const started = performance.now();
  const ranks = Array.from(
    { length: WORLD },
    (_, r) =>
      new Promise<void>((resolve, reject) => {
        const p = spawn(process.execPath, [self, '--child', String(r), String(port), tmp, ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
        p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`rank ${r} exited with ${code}`))));
      }),
  );
  await Promise.all(ranks);
  const result = {
    ...(JSON.parse(fs.readFileSync(path.join(tmp, 'rank0.json'), 'utf8')) as object),
    torch: torchVersion(),
    backend: gloo ? 'gloo' : 'nccl',
    world_size: WORLD,
    seconds: (performance.now() - started) / 1000,
    date: new Date().toISOString(),
    // The launcher's own (the ranks are child processes).
    peakRssBytes: peakRssBytes(),
  };
  fs.rmSync(tmp, { recursive: true, force: true });
  const text = JSON.stringify(result, null, 2) + '\n';
  const dir = path.join(path.dirname(self), '..', '..', 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, gloo ? 'nccl-gloo.json' : 'nccl.json'), text);
  if (process.env.OUT) fs.writeFileSync(path.join(process.env.OUT, 'nccl.json'), text);
  console.log(text);
}

// ---- one rank ----
async function child(rank: number, port: number, tmp: string): Promise<void> {
  const device = gloo ? 'cpu' : `cuda:${rank}`;
  const sync = () => {
    if (!gloo) cuda.synchronize(device);
  };
  const group = initProcessGroup({
    backend: gloo ? 'gloo' : 'nccl',
    rank,
    worldSize: WORLD,
    masterAddr: '127.0.0.1',
    masterPort: port,
    device,
    timeoutMs: 120_000,
  });
  const out: Record<string, unknown> = {
    device: gloo ? `cpu (${os.cpus()[0]?.model ?? '?'})` : `${WORLD} x ${device.startsWith('cuda') ? cudaName() : device}`,
  };
  try {
    out.allreduce = allReduceBandwidth(group, device, sync);
    out.dp_step = dpStep(group, device, sync);
    out.grpo_step = await grpoStep(group, device);
  } finally {
    group.close();
  }
  if (rank === 0) fs.writeFileSync(path.join(tmp, 'rank0.json'), JSON.stringify(out));
}

function cudaName(): string {
  const r = spawnSync('nvidia-smi', ['--query-gpu=name,memory.total', '--format=csv,noheader', '-i', '0'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : 'CUDA GPU';
}

function allReduceBandwidth(group: ProcessGroup, device: string, sync: () => void): object[] {
  const sizes = gloo ? [1, 4, 16].map((m) => m * 2 ** 20) : [1, 4, 16, 64, 256, 1024].map((m) => m * 2 ** 20);
  const rows: object[] = [];
  for (const bytes of sizes) {
    rows.push(
      tidy(() => {
        const buf = empty([bytes / 4], { dtype: 'float32', device }).fill_(1);
        for (let i = 0; i < 3; i++) group.allReduce([buf], 'sum'); // warm-up (communicators, buffers)
        sync();
        const iters = bytes >= 256 * 2 ** 20 ? 10 : 30;
        const times: number[] = [];
        for (let i = 0; i < iters; i++) {
          const t0 = performance.now();
          group.allReduce([buf], 'sum');
          sync();
          times.push((performance.now() - t0) / 1000);
        }
        times.sort((a, b) => a - b);
        const s = times[Math.floor(times.length / 2)]!;
        const algbw = bytes / s / 1e9;
        return { bytes, seconds_median: s, algbw_GBps: algbw, busbw_GBps: (algbw * (2 * (WORLD - 1))) / WORLD, iters };
      }),
    );
    if (group.rank === 0) console.log(`  all-reduce ${bytes / 2 ** 20} MiB: ${JSON.stringify(rows[rows.length - 1])}`);
  }
  return rows;
}

function dpStep(group: ProcessGroup, device: string, sync: () => void): object {
  const cfg = benchConfig();
  const [seqCount, seqLen] = gloo ? [2, 96] : [4, 3072];
  const compute = gloo ? null : 'bfloat16';
  manualSeed(0); // the same initial weights on both ranks
  const model = CausalLM.randomInit(cfg, { dtype: 'float32', device });
  model.requiresGrad_(true);
  const params = model.parameters();
  const result: Record<string, unknown> = { model_parameters: params.reduce((a, p) => a + p.numel, 0), tokens_per_rank: seqCount * seqLen };
  try {
    for (const zeroStage of [0, 1]) {
      const opt = zeroStage === 1 ? new ShardedAdamW(params, group, { lr: 1e-6 }) : new AdamW(params, { lr: 1e-6 });
      const times: Record<string, number> = {};
      for (let iter = 0; iter < 2; iter++) {
        // the second iteration is timed (the first warms up)
        // Each rank its own sequences (different data, as in data parallelism).
        const seqs = Array.from({ length: seqCount }, (_, s) => {
          const ids = Array.from({ length: seqLen }, (_, i) => (i * 31 + s * 7 + group.rank * 13 + iter + 1) % cfg.vocabSize);
          return { promptIds: ids.slice(0, 128 % seqLen), responseIds: ids.slice(128 % seqLen) };
        });
        const targets = seqs.map((q) => ({
          oldLogp: q.responseIds.map(() => -2),
          refLogp: q.responseIds.map(() => -2),
          advantage: 1,
          weights: q.responseIds.map(() => 1 / (WORLD * seqCount * q.responseIds.length)),
        }));
        if (!gloo) cuda.resetPeakMemoryStats(device);
        sync();
        const t0 = performance.now();
        tidy(() =>
          autocast(device, compute, () =>
            accumulatePolicyGradient(
              model,
              seqs,
              targets,
              0.6,
              { clipRatio: 0.2, klCoef: 0.001, entropyCoef: 0.001, policyGradient: true },
              { computeDtype: compute },
            ),
          ),
        );
        sync();
        const t1 = performance.now();
        group.allReduce(
          params.map((p) => p.grad!),
          'sum',
        );
        sync();
        const t2 = performance.now();
        clipGradNorm(params, 1.0);
        opt.step();
        opt.zeroGrad();
        sync();
        const t3 = performance.now();
        Object.assign(times, { fwd_bwd_s: (t1 - t0) / 1000, grad_allreduce_s: (t2 - t1) / 1000, clip_and_step_s: (t3 - t2) / 1000 });
      }
      // Identical weights on both ranks: each rank's float64 checksum, gathered.
      const sums = group.allReduceNumbers(group.rank === 0 ? [checksum(params), 0] : [0, checksum(params)], 'sum');
      result[`zero${zeroStage}`] = {
        ...times,
        optimizer_state_bytes: zeroStage === 1 ? (opt as ShardedAdamW).stateBytes() : params.reduce((a, p) => a + 8 * p.numel + 4, 0),
        peak_allocated_GB: gloo ? null : cuda.memoryStats(device).peakAllocatedBytes / 1e9,
        ranks_identical: sums[0] === sums[1],
      };
      if (group.rank === 0) console.log(`  dp step, zeroStage ${zeroStage}: ${JSON.stringify(result[`zero${zeroStage}`])}`);
      opt.dispose();
    }
  } finally {
    model.dispose();
  }
  return result;
}

/** The exact Qwen2.5-Math-1.5B shape on GPUs; a tiny one for --gloo. */
function benchConfig(): ModelConfig {
  return {
    architecture: 'Qwen2ForCausalLM',
    hiddenSize: gloo ? 64 : 1536,
    intermediateSize: gloo ? 128 : 8960,
    numLayers: gloo ? 2 : 28,
    numHeads: gloo ? 4 : 12,
    numKvHeads: 2,
    headDim: gloo ? 16 : 128,
    vocabSize: gloo ? 1024 : 151936,
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
}

async function grpoStep(group: ProcessGroup, device: string): Promise<object> {
  const cfg = benchConfig();
  const STEP = gloo ? { groups: 4, groupSize: 4, maxResponse: 32, meanLen: 8 } : { groups: 128, groupSize: 8, maxResponse: 3072, meanLen: 750 };
  const result: Record<string, unknown> = { ...STEP };
  for (const zeroStage of [0, 1]) {
    manualSeed(0);
    const policy = CausalLM.randomInit(cfg, { dtype: 'float32', device });
    manualSeed(0);
    const reference = CausalLM.randomInit(cfg, { dtype: gloo ? 'float32' : 'bfloat16', device });
    const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-nccl-step-'));
    try {
      // Forced response lengths (stop disabled), this rank's rows: 7% at the maximum, the rest exponential (mean ~meanLen).
      let x = 4242 + group.rank;
      const rnd = () => {
        x = (x * 1103515245 + 12345) % 2147483648;
        return x / 2147483648;
      };
      const rows = (STEP.groups / WORLD) * STEP.groupSize;
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
        rolloutSamples: 0,
        zeroStage,
        computeDtype: gloo ? 'float32' : 'bfloat16',
        ...(gloo ? { microBatchTokens: 256 } : {}),
      };
      const ex = { index: 0, messages: [{ role: 'user', content: 'x' }], groundTruth: '1', dataSource: 'bench' };
      const promptIds = Array.from({ length: gloo ? 12 : 160 }, (_, i) => (i * 104729 + 7) % cfg.vocabSize);
      if (!gloo) cuda.resetPeakMemoryStats(device);
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
        rewards: async (items: unknown[]) => items.map((_, i) => i % 2), // half the rows rewarded: the update is not zero
        rolloutOptions: { maxNewTokensPerRow: lengths },
        dataParallel: new DataParallel(group as ProcessGroup),
        ...(gloo ? {} : { deviceMemoryBytes: 80e9 }), // plan for an 80 GB card whatever this one has
      } as unknown as ConstructorParameters<typeof GRPOTrainer>[0]);
      const m = await trainer.trainStep();
      result[`zero${zeroStage}`] = {
        time_generation: m.timeGeneration,
        time_logprobs: m.timeLogprobs,
        time_update: m.timeUpdate,
        step_seconds: m.timeGeneration + m.timeLogprobs + m.timeUpdate,
        rollout_tok_s_all_ranks: m.tokensPerSecond,
        peak_allocated_GB: gloo ? null : cuda.memoryStats(device).peakAllocatedBytes / 1e9,
        plan_peak_GB: Math.max(trainer.plan.rolloutPeak, trainer.plan.updatePeak) / 1e9,
        plan_micro_batch_tokens: trainer.plan.training.microBatchTokens,
      };
      if (group.rank === 0) console.log(`  grpo step, zeroStage ${zeroStage}: ${JSON.stringify(result[`zero${zeroStage}`])}`);
      trainer.disposeOptimizers();
    } finally {
      policy.dispose();
      reference.dispose();
      fs.rmSync(runDir, { recursive: true, force: true });
    }
  }
  return result;
}

function checksum(params: ReturnType<CausalLM['parameters']>): number {
  return tidy(() => params.reduce((a, p) => a + p.to({ dtype: 'float64' }).square().sum().item(), 0));
}

if (args[0] === '--child') {
  await child(Number(args[1]), Number(args[2]), args[3]!);
} else {
  await main();
}
