// `npm run bench:rollout`: the rollout engine (src/rollout/) on CPU against transformers'
// generate() and against the reference sampler (src/rollout/reference-sampler.ts).
//
//   node dist/bench/rollout.js [--threads 1] [--reps 3] [--rows 32] [--new 128] [--prompt-len 128]
//
// Model: ~/.cache/rlvr/models/smollm2-135m-instruct when present, else a random Llama of its
// shape (30 layers, hidden 576, 9 heads, 3 KV heads, vocab 49152, tied) written by
// bench/rollout_ref.py to a temp folder; both sides load the same folder in fp32.
//  1. throughput: one prompt (`--prompt-len` fixed token ids) × 32 rows, T 0.6, 128 new tokens,
//     stop disabled (transformers: min_new_tokens = max_new_tokens); runs interleaved
//     engine/transformers `reps` times, both at the same thread count; median of the per-pair
//     ratios of tokens per CPU-second of the process (both sides single-threaded: on a shared,
//     overloaded machine CPU time tracks the work done far better than wall time, which is also
//     reported); model loading excluded on both sides;
//  2. KV bytes at peak for 64 rows of mixed lengths: 8 prompts of 24..200 tokens × 8 samples,
//     up to 256 new tokens with a forced response-length mix (7% at the maximum, the rest
//     exponential, mean ~20% of the maximum: the shape of the paper's rollouts). The engine's
//     peak is its KV meter (prompt + rows + transient copies); the reference sampler's is its
//     cache's bytes measured when it allocates it (it preallocates rows × (longest prompt +
//     max new tokens) and only shrinks afterwards, so its run is stopped after the first step);
//  3. host syncs per decode step: device→host reads (native toBuffer/item calls, counted by
//     wrapping them) during run 1, divided by decode steps.
// Prints a table, then one JSON line; writes bench/results/rollout-cpu.json.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { provenance } from '../src/util/provenance.js';
import { getNumThreads, setNumThreads, torchVersion } from '../src/engine/index.js';
import { native } from '../src/engine/native.js';
import { loadModel } from '../src/model/checkpoint.js';
import type { KVCache } from '../src/model/kv-cache.js';
import { rollout } from '../src/rollout/engine.js';
import { generate } from '../src/rollout/reference-sampler.js';
import { peakRssBytes } from '../src/util/peak-rss.js';

function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
}
function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : fallback;
}
const root = packageRoot();
const threads = Number(arg('threads', '1'));
const reps = Number(arg('reps', '3'));
const rows = Number(arg('rows', '32'));
const newTokens = Number(arg('new', '128'));
const promptLen = Number(arg('prompt-len', '128'));
setNumThreads(threads);
const median = (xs: number[]) => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const loadBefore = os.loadavg();

// ---- model folder ----
const real = path.join(os.homedir(), '.cache/rlvr/models/smollm2-135m-instruct');
let modelDir = real;
let modelKind = 'SmolLM2-135M-Instruct (real weights)';
if (!fs.existsSync(path.join(real, 'model.safetensors'))) {
  modelDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-bench-rollout-'));
  modelKind = 'random Llama of SmolLM2-135M shape';
  py(['--make-random', modelDir]);
}
const model = loadModel(modelDir, { dtype: 'float32' });
const vocab = model.config.vocabSize;
// Fixed pseudo-random prompt ids (a small LCG: identical on both sides via the command line).
const prompt: number[] = [];
for (let i = 0, x = 12345; i < promptLen; i++) {
  x = (x * 1103515245 + 12345) % 2147483648;
  prompt.push(3 + (x % (vocab - 3)));
}

function py(args: string[]): Record<string, number> {
  const r = spawnSync('python3', [path.join(root, 'bench/rollout_ref.py'), ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`rollout_ref.py failed (exit ${r.status}):\n${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as Record<string, number>;
}

// ---- 1 + 3: throughput and host syncs ----
let reads = 0;
const n = native as unknown as Record<string, (...a: unknown[]) => unknown>;
for (const fn of ['toBuffer', 'item']) {
  const orig = n[fn]!.bind(native);
  n[fn] = (...a: unknown[]) => {
    reads++;
    return orig(...a);
  };
}
const ours: number[] = [];
const theirs: number[] = [];
const ratios: number[] = [];
const wallRatios: number[] = [];
const oursCpu: number[] = [];
const theirsCpu: number[] = [];
let syncsPerStep = 0;
let engineStats: Record<string, unknown> = {};
// Warm-up of our side (first calls resolve operator handles).
rollout(model, [prompt], { n: 2, maxNewTokens: 4, temperature: 0.6 });
// --reps 0 skips part 1 (KV and syncs only: those do not depend on machine load).
if (reps === 0) {
  const { stats } = rollout(model, [prompt], { n: rows, maxNewTokens: 32, temperature: 0.6 });
  reads = 0;
  const again = rollout(model, [prompt], { n: rows, maxNewTokens: 32, temperature: 0.6 });
  syncsPerStep = reads / again.stats.decodeSteps;
  engineStats = { ...stats, note: 'syncs counted on a 32-token run (--reps 0)' };
}
for (let r = 0; r < reps; r++) {
  reads = 0;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const { samples, stats } = rollout(model, [prompt], { n: rows, maxNewTokens: newTokens, temperature: 0.6, seed: r });
  const s = (performance.now() - t0) / 1000;
  const cu = process.cpuUsage(c0);
  const cpuS = (cu.user + cu.system) / 1e6;
  const produced = samples.reduce((a, x) => a + x.tokens.length, 0);
  if (produced !== rows * newTokens) throw new Error(`engine produced ${produced} tokens, expected ${rows * newTokens}`);
  ours.push(produced / s);
  oursCpu.push(produced / cpuS);
  syncsPerStep = reads / stats.decodeSteps;
  engineStats = { ...stats };
  const ref = py([
    '--model',
    modelDir,
    '--prompt',
    prompt.join(','),
    '--rows',
    String(rows),
    '--new',
    String(newTokens),
    '--temperature',
    '0.6',
    '--threads',
    String(threads),
    '--seed',
    String(r),
  ]);
  if (ref.new_tokens !== newTokens) throw new Error(`transformers generated ${ref.new_tokens} tokens, expected ${newTokens}`);
  theirs.push(ref.tok_s!);
  theirsCpu.push(ref.tok_s_cpu!);
  ratios.push(oursCpu[r]! / ref.tok_s_cpu!);
  wallRatios.push(ours[r]! / ref.tok_s!);
  console.log(
    `rep ${r + 1}/${reps}: engine ${ours[r]!.toFixed(1)} tok/s wall, ${oursCpu[r]!.toFixed(1)} per CPU-second; ` +
      `transformers ${ref.tok_s!.toFixed(1)} wall, ${ref.tok_s_cpu!.toFixed(1)} per CPU-second; ratio CPU ${ratios[r]!.toFixed(2)}, wall ${wallRatios[r]!.toFixed(2)}`,
  );
}

// ---- 2: KV peak, 64 rows of mixed lengths ----
const lens = [24, 40, 56, 72, 96, 128, 160, 200];
const prompts = lens.map((l, k) => prompt.concat(prompt).slice(k, k + l));
const maxNew = 256;
let x = 777;
const rnd = () => {
  x = (x * 1103515245 + 12345) % 2147483648;
  return x / 2147483648;
};
const forced = Array.from({ length: 64 }, () => (rnd() < 0.07 ? maxNew : Math.min(maxNew, 1 + Math.floor(-Math.log(1 - rnd()) * 0.2 * maxNew))));
const mixed = rollout(model, prompts, { n: 8, maxNewTokens: maxNew, temperature: 0.6, maxNewTokensPerRow: forced });
let refPeak = 0;
const origNew = model.newCache.bind(model);
model.newCache = (b: number, l: number): KVCache => {
  const c = origNew(b, l);
  refPeak = Math.max(refPeak, c.bytes);
  return c;
};
try {
  generate(model, prompts, {
    n: 8,
    maxNewTokens: maxNew,
    temperature: 0.6,
    onStep: () => {
      throw new Error('stop-after-first-step');
    },
  });
} catch (e) {
  if ((e as Error).message !== 'stop-after-first-step') throw e;
}
const kvRatio = mixed.stats.kvPeakBytes / refPeak;

const loadAfter = os.loadavg();
const result = {
  provenance: provenance({ threads: getNumThreads(), libtorch: torchVersion() }),
  peakRssBytes: peakRssBytes(),
  tok_s_ratio_vs_transformers: median(ratios),
  kv_peak_ratio_vs_reference: kvRatio,
  host_syncs_per_decode_step: syncsPerStep,
  tok_s_ratio_wall_clock: median(wallRatios),
  engine_tok_s: ours,
  transformers_tok_s: theirs,
  engine_tok_per_cpu_s: oursCpu,
  transformers_tok_per_cpu_s: theirsCpu,
  ratios_cpu_time: ratios,
  ratios_wall: wallRatios,
  kv_peak_bytes_engine: mixed.stats.kvPeakBytes,
  kv_peak_bytes_reference: refPeak,
  mixed: {
    rows: 64,
    prompt_lengths: lens,
    max_new: maxNew,
    mean_response: forced.reduce((a, b) => a + b, 0) / 64,
    at_max: forced.filter((l) => l === maxNew).length,
    stats: mixed.stats,
  },
  engine_stats_run1: engineStats,
  settings: { model: modelKind, rows, new_tokens: newTokens, prompt_len: promptLen, temperature: 0.6, stop: 'disabled', threads, reps, dtype: 'float32' },
  machine: { cpus: os.cpus().length, loadavg_before: loadBefore, loadavg_after: loadAfter, torch: torchVersion(), threads_ours: getNumThreads() },
  date: new Date().toISOString(),
};
console.log(
  `model: ${modelKind}; threads ${threads}; load average ${loadBefore.map((v) => v.toFixed(1)).join('/')} -> ${loadAfter.map((v) => v.toFixed(1)).join('/')}`,
);
console.log(
  `tokens/s ratio vs transformers (median of ${reps}, CPU time): ${result.tok_s_ratio_vs_transformers?.toFixed(2)}, wall clock ${result.tok_s_ratio_wall_clock?.toFixed(2)}  (goal >= 1.5)`,
);
console.log(
  `KV peak vs reference sampler (64 mixed rows): ${(mixed.stats.kvPeakBytes / 2 ** 20).toFixed(1)} MiB / ${(refPeak / 2 ** 20).toFixed(1)} MiB = ${kvRatio.toFixed(3)}  (goal <= 0.25)`,
);
console.log(`host syncs per decode step: ${syncsPerStep.toFixed(4)}  (goal <= 0.1)`);
fs.mkdirSync(path.join(root, 'bench/results'), { recursive: true });
fs.writeFileSync(path.join(root, reps === 0 ? 'bench/results/rollout-cpu-kv.json' : 'bench/results/rollout-cpu.json'), JSON.stringify(result, null, 2) + '\n');
model.dispose();
if (modelDir !== real) fs.rmSync(modelDir, { recursive: true, force: true });
console.log(JSON.stringify(result));
