// CPU compute dtype: one GRPO step in float32 vs bf16 autocast (float32 master weights), by phase,
// and what bf16 costs in log-prob accuracy (issue 27, item 5).
//
// The issue's configuration: SmolLM2-135M (its real weights from ~/.cache/rlvr/models when present,
// else its shape with random weights), 1 thread, 4 prompts × 8 rollouts, exactly N new tokens (no
// stop token), T 0.6, KL 0.001 with a second model as reference, one optimizer step. Each step runs
// in its own process (peak RSS = VmHWM); the arms alternate A B, B A, A B, ... With bf16 compute
// the reference is stored in bf16, as `rlvr train` loads it (src/run/open-run.ts).
// Also: a bare F.linear through the engine at the model's shapes (fp32 vs bf16: are libtorch's
// oneDNN bf16 kernels used?) and the max |log-prob difference| fp32 vs bf16 on the same rollouts.
//
//   npm run bench:cpu-dtype -- [--pairs 3] [--tokens 128]
// Writes bench/results/cpu-dtype.json.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { F, autocast, getNumThreads, manualSeed, noGrad, randn, setNumThreads, tidy, torchVersion } from '../src/engine/index.js';
import { native } from '../src/engine/native.js';
import { loadModel } from '../src/model/checkpoint.js';
import { CausalLM } from '../src/model/transformer.js';
import { PAPER_GRPO_CONFIG } from '../src/rl/config.js';
import { responseLogprobs, type Sequence } from '../src/rl/policy.js';
import { GRPOTrainer } from '../src/rl/trainer.js';
import { rolloutSamples } from '../src/rollout/engine.js';
import { peakRssBytes } from '../src/util/peak-rss.js';
import { provenance } from '../src/util/provenance.js';
import { SMOLLM2_135M } from './shapes.js';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
};
const tokens = Number(arg('tokens', '128'));
const pairs = Number(arg('pairs', '3'));
// Micro-batches of 4 sequences (192 tokens each): the planner's 16,384-token cap would hold all 32
// at once (~16 GB of activations), which a machine shared with other jobs cannot give (1,536
// tokens, ~6 GB, was killed for memory there).
const microBatchTokens = Number(arg('micro-batch-tokens', '768'));
// Which parts to run (the others are kept from an existing results file): matmul, steps, accuracy.
const parts = arg('parts', 'matmul,steps,accuracy').split(',');
const REAL = path.join(os.homedir(), '.cache/rlvr/models/smollm2-135m-instruct');
const realWeights = fs.existsSync(path.join(REAL, 'model.safetensors'));

type Dtype = 'float32' | 'bfloat16';

function model(dtype: Dtype, seed: number): CausalLM {
  if (realWeights) return loadModel(REAL, { dtype });
  manualSeed(seed);
  const m = CausalLM.randomInit(SMOLLM2_135M);
  if (dtype === 'float32') return m;
  const params = new Map([...m.params].map(([k, v]) => [k, tidy(() => v.to({ dtype })).keep()]));
  m.dispose();
  return new CausalLM(SMOLLM2_135M, params);
}

// 4 prompts of 64 tokens (byte values as ids: valid for the 49,152-token vocabulary).
const promptIds = Array.from({ length: 4 }, (_, i) => [...`problem ${i}: `.padEnd(64, 'x')].map((c) => c.charCodeAt(0)));

async function stepChild(dtype: Dtype): Promise<void> {
  const policy = model('float32', 0);
  // As open-run.ts: with bf16 compute the frozen reference is stored in bf16.
  const reference = model(dtype, 0);
  const codec = { encode: (s: string) => [...s].map((c) => c.charCodeAt(0)), decode: (ids: number[]) => String.fromCharCode(...ids.map((i) => i % 65536)) };
  const examples = promptIds.map((ids, i) => ({
    index: i,
    messages: [{ role: 'user' as const, content: String.fromCharCode(...ids) }],
    groundTruth: 'a',
    dataSource: 'bench',
  }));
  const trainer = new GRPOTrainer({
    policy,
    reference,
    tokenizer: codec,
    examples,
    renderPrompt: (ex) => ex.messages[0]!.content,
    stopTokenIds: [],
    rewards: async (items) => items.map((it) => it.completionIds[0]! % 2),
    config: {
      ...PAPER_GRPO_CONFIG,
      trainBatchSize: 4,
      groupSize: 8,
      miniBatchSize: 4,
      ppoEpochs: 1,
      maxResponseLength: tokens,
      maxPromptLength: 128,
      steps: 1,
      temperature: 0.6,
      klCoef: 0.001,
      lr: 1e-6,
      computeDtype: dtype,
      microBatchTokens,
      saveEvery: 0,
      validateEvery: 0,
      rolloutSamples: 0,
    },
    runDir: fs.mkdtempSync(path.join(os.tmpdir(), 'cpu-dtype-')),
    log: () => {},
  });
  // The phases are timed in this process's CPU seconds (the stages read performance.now()): on a
  // machine shared with other jobs, wall time measures the other jobs; with 1 thread CPU time is
  // what the step costs. The step's wall time is kept alongside.
  const wall0 = Date.now();
  performance.now = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const [m] = await trainer.train();
  console.log(
    JSON.stringify({
      dtype,
      clock: 'process CPU seconds',
      stepWallSeconds: (Date.now() - wall0) / 1000,
      generation: m!.timeGeneration,
      logprobs: m!.timeLogprobs,
      update: m!.timeUpdate,
      peakRssBytes: peakRssBytes(),
      responseLengthMean: m!.responseLengthMean,
    }),
  );
}

/** Median seconds of fn over `n` runs after one warm-up. */
function timeIt(fn: () => void, n: number): number {
  fn();
  const ts: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    fn();
    ts.push((performance.now() - t0) / 1000);
  }
  return median(ts);
}

function matmulChild(): void {
  // [tokens, in] × [out, in]: an MLP projection in the update (512 tokens) and in decode (32 rows),
  // and the LM head in decode.
  const shapes: [number, number, number][] = [
    [512, 576, 1536],
    [32, 576, 1536],
    [32, 576, 49152],
  ];
  const out = shapes.map(([m, k, n]) =>
    tidy(() => {
      const x = randn([m, k]);
      const w = randn([n, k]);
      const xb = x.to({ dtype: 'bfloat16' });
      const wb = w.to({ dtype: 'bfloat16' });
      const run = (a: typeof x, b: typeof w) => () => tidy(() => void F.linear(a, b));
      const fp32 = timeIt(run(x, w), 5);
      const bf16 = timeIt(run(xb, wb), 5);
      return { shape: [m, k, n], fp32Seconds: fp32, bf16Seconds: bf16, speedup: fp32 / bf16, bf16Gflops: (2 * m * k * n) / bf16 / 1e9 };
    }),
  );
  console.log(JSON.stringify({ cpuCapabilities: native.cpuCapabilities(), linear: out }));
}

/** Max and mean |log-prob difference| of bf16 compute against float32 on the same float32-sampled rollouts. */
function accuracyChild(): void {
  const policy = model('float32', 0);
  const samples = noGrad(() => rolloutSamples(policy, promptIds, { maxNewTokens: tokens, temperature: 0.6, n: 8, seed: 1, stopTokenIds: [] }));
  const seqs: Sequence[] = samples.map((s) => ({ promptIds: promptIds[s.promptIndex]!, responseIds: s.tokens }));
  const fp32 = responseLogprobs(policy, seqs, 0.6, 16384, { computeDtype: 'float32' }).logp.flat();
  const autocastBf16 = responseLogprobs(policy, seqs, 0.6, 16384, { computeDtype: 'bfloat16' }).logp.flat();
  // The rollout engine under bf16 autocast (bf16 KV cache) scores its own tokens: compared with float32's on the same seed
  // as long as the sampled tokens agree.
  const bf16Ref = model('bfloat16', 0);
  const storedBf16 = responseLogprobs(bf16Ref, seqs, 0.6, 16384, { computeDtype: 'float32' }).logp.flat();
  bf16Ref.dispose();
  const diff = (a: number[]) => {
    const d = a.map((v, i) => Math.abs(v - fp32[i]!));
    return { max: Math.max(...d), mean: d.reduce((s, v) => s + v, 0) / d.length };
  };
  const bf16Rollouts = autocast('cpu', 'bfloat16', () =>
    noGrad(() => rolloutSamples(policy, promptIds, { maxNewTokens: tokens, temperature: 0.6, n: 8, seed: 1, stopTokenIds: [] })),
  );
  const sameTokens = bf16Rollouts.filter((s, i) => s.tokens.every((t, j) => t === samples[i]!.tokens[j])).length;
  let firstDiverge = 0;
  let count = 0;
  bf16Rollouts.forEach((s, i) => {
    const j = s.tokens.findIndex((t, k) => t !== samples[i]!.tokens[k]);
    firstDiverge += j < 0 ? s.tokens.length : j;
    count++;
  });
  console.log(
    JSON.stringify({
      tokens: fp32.length,
      meanLogp: fp32.reduce((s, v) => s + v, 0) / fp32.length,
      autocastBf16: diff(autocastBf16),
      storedBf16Reference: diff(storedBf16),
      rolloutsBf16: { identicalToFloat32: sameTokens, of: count, meanFirstDivergentToken: firstDiverge / count },
      peakRssBytes: peakRssBytes(),
    }),
  );
  policy.dispose();
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function spawnChild(args: string[]): Record<string, unknown> {
  const r = spawnSync(
    process.execPath,
    [fileURLToPath(import.meta.url), '--child', ...args, '--tokens', String(tokens), '--micro-batch-tokens', String(microBatchTokens)],
    {
      encoding: 'utf8',
      env: { ...process.env, OMP_NUM_THREADS: '1' },
      maxBuffer: 1 << 26,
    },
  );
  if (r.status !== 0) throw new Error(`child ${args.join(' ')}: ${r.signal ?? `exit ${r.status}`}\n${r.stderr}`);
  const line = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
  console.log(JSON.stringify(line));
  return line;
}

if (process.argv[2] === '--child') {
  setNumThreads(1);
  const kind = process.argv[3]!;
  if (kind === 'matmul') matmulChild();
  else if (kind === 'accuracy') accuracyChild();
  else await stepChild(kind as Dtype);
} else {
  setNumThreads(1);
  const file = path.join(process.cwd(), 'bench/results/cpu-dtype.json');
  // Read when writing: another invocation (--parts accuracy) may have written its part meanwhile.
  const previous = () => (fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>) : {});
  const matmul = parts.includes('matmul') ? spawnChild(['matmul']) : null;
  const accuracy = parts.includes('accuracy') ? spawnChild(['accuracy']) : null;
  let runs: Record<string, number | string>[] = [];
  for (let p = 0; parts.includes('steps') && p < pairs; p++) {
    const order: Dtype[] = p % 2 ? ['bfloat16', 'float32'] : ['float32', 'bfloat16'];
    for (const d of order) {
      runs.push(spawnChild([d]) as Record<string, number | string>);
      fs.writeFileSync('/tmp/cpu-dtype-partial.json', JSON.stringify(runs, null, 2));
    }
  }
  const before = previous();
  // --runs-from FILE: the step runs of an interrupted invocation (it keeps them in /tmp/cpu-dtype-partial.json).
  const runsFrom = arg('runs-from', '');
  if (runsFrom) runs = JSON.parse(fs.readFileSync(runsFrom, 'utf8')) as Record<string, number | string>[];
  else if (!parts.includes('steps')) runs = (before.runs as Record<string, number | string>[] | undefined) ?? [];
  const phases = ['generation', 'logprobs', 'update', 'step', 'stepWallSeconds', 'peakRssBytes'] as const;
  const of = (d: Dtype, k: (typeof phases)[number]) =>
    runs.filter((r) => r.dtype === d).map((r) => (k === 'step' ? (r.generation as number) + (r.logprobs as number) + (r.update as number) : (r[k] as number)));
  const summary = Object.fromEntries(
    phases.map((k) => {
      const a = of('float32', k);
      const b = of('bfloat16', k);
      // Per pair: float32 / bf16 (> 1: bf16 faster or smaller).
      const ratios = a.slice(0, b.length).map((v, i) => v / b[i]!);
      return [
        k,
        {
          float32: { median: median(a), min: Math.min(...a), max: Math.max(...a) },
          bfloat16: { median: median(b), min: Math.min(...b), max: Math.max(...b) },
          float32OverBf16: { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) },
        },
      ];
    }),
  );
  const out = {
    what: 'one GRPO step on CPU, float32 vs bf16 autocast with float32 master weights (bf16 reference weights), by phase; logprobs = old + reference',
    model: realWeights ? 'SmolLM2-135M-Instruct (real weights)' : 'SmolLM2-135M shape (random weights)',
    threads: 1,
    prompts: 4,
    rolloutsPerPrompt: 8,
    newTokens: tokens,
    microBatchTokens,
    temperature: 0.6,
    klCoef: 0.001,
    pairs: Math.min(...(['float32', 'bfloat16'] as const).map((d) => runs.filter((r) => r.dtype === d).length)),
    note: 'Arms alternate (A B, B A, ...), each step in its own process. Phase times are the step process CPU seconds (1 thread); stepWallSeconds is its wall time, inflated because the machine was shared with other jobs (2 cores): compare ratios.',
    summary,
    runs,
    matmul: matmul ?? before.matmul,
    accuracy: accuracy ?? before.accuracy,
    provenance: provenance({ threads: getNumThreads(), libtorch: torchVersion() }),
  };
  fs.writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
  console.log(JSON.stringify(summary, null, 2));
}
