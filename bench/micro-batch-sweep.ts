// The CPU micro-batch size: update time per token and peak RSS of one GRPO update (forward +
// backward of accumulatePolicyGradient over all micro-batches, no optimizer step) at several
// micro-batch token caps, each case in its own process (peak RSS = VmHWM of that process).
// SmolLM2-135M's shape with random weights, 32 sequences (--seqs) of 64 prompt + 128 response
// tokens (issue 27's 4 prompts × 8 rollouts × 128 tokens), float32, 1 thread. Rounds run the caps in
// turn (interleaved), so drifting load on a shared machine spreads over all of them.
//
//   npm run build && node dist/bench/micro-batch-sweep.js [--caps 512,1024,2048,4096,8192] [--head-chunks 512] [--rounds 2] [--seqs 32]
// Writes bench/results/micro-batch-sweep-cpu.json (the cap in src/engine/device.ts cites it).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { availableHostBytes } from '../src/engine/device-memory.js';
import { getNumThreads, manualSeed, setNumThreads, tidy, torchVersion } from '../src/engine/index.js';
import { CausalLM } from '../src/model/transformer.js';
import { accumulatePolicyGradient, microBatches, type Sequence } from '../src/rl/policy.js';
import { peakRssBytes } from '../src/util/peak-rss.js';
import { provenance } from '../src/util/provenance.js';
import { SMOLLM2_135M } from './shapes.js';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
};
// --seqs: fewer sequences (the per-token cost of a micro-batch does not depend on how many follow).
const SEQS = Number(arg('seqs', '32'));
const PROMPT = 64;
const RESPONSE = 128;

function child(cap: number, headChunk: number): void {
  // On a shared machine this bench's process is the one the kernel's OOM killer takes first.
  try {
    fs.writeFileSync('/proc/self/oom_score_adj', '1000');
  } catch {
    /* not Linux */
  }
  setNumThreads(1);
  manualSeed(0);
  const model = CausalLM.randomInit(SMOLLM2_135M);
  model.requiresGrad_(true);
  let x = 12345;
  const rand = () => (x = (x * 1103515245 + 12345) % 2147483648) % SMOLLM2_135M.vocabSize;
  const seqs: Sequence[] = Array.from({ length: SEQS }, () => ({
    promptIds: Array.from({ length: PROMPT }, rand),
    responseIds: Array.from({ length: RESPONSE }, rand),
  }));
  // Random weights give near-uniform logits: old and reference log-probs at log(1/V) keep ratios near 1.
  const uniform = -Math.log(SMOLLM2_135M.vocabSize);
  const targets = seqs.map((s, i) => ({
    oldLogp: new Array<number>(s.responseIds.length).fill(uniform),
    refLogp: new Array<number>(s.responseIds.length).fill(uniform),
    advantage: i % 2 ? 1 : -1,
    weights: new Array<number>(s.responseIds.length).fill(1 / (SEQS * RESPONSE)),
  }));
  const coef = { clipRatio: 0.2, clipRatioHigh: 0.28, klCoef: 0.001, entropyCoef: 0, policyGradient: true };
  const batches = microBatches(seqs, cap);
  const rssBefore = peakRssBytes();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  tidy(() => {
    for (const mb of batches) {
      accumulatePolicyGradient(
        model,
        mb.map((k) => seqs[k]!),
        mb.map((k) => targets[k]!),
        0.6,
        coef,
        { computeDtype: 'float32', headChunk },
      ).toNumbers();
    }
  });
  const seconds = (performance.now() - t0) / 1000;
  // CPU time (user + system) of this one-thread process: on a shared machine wall time mostly
  // measures the others' load; system time is page faults of large allocations.
  const cpu = process.cpuUsage(cpu0);
  const tokens = SEQS * (PROMPT + RESPONSE);
  console.log(
    JSON.stringify({
      cap,
      headChunk,
      microBatches: batches.length,
      tokensPerMicroBatch: Math.max(...batches.map((b) => b.length)) * (PROMPT + RESPONSE),
      seconds,
      msPerToken: (1000 * seconds) / tokens,
      cpuUserSeconds: cpu.user / 1e6,
      cpuSystemSeconds: cpu.system / 1e6,
      cpuMsPerToken: (cpu.user + cpu.system) / 1000 / tokens,
      peakRssBeforeUpdateBytes: rssBefore,
      peakRssBytes: peakRssBytes(),
    }),
  );
}

function write(results: Record<string, number>[], caps: number[], headChunks: number[]): string {
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor((v.length - 1) / 2)]!;
  const summary = headChunks.flatMap((headChunk) =>
    caps.map((cap) => {
      const rows = results.filter((r) => r.cap === cap && r.headChunk === headChunk && !r.failed);
      const ms = rows.map((r) => r.msPerToken!);
      const cpuMs = rows.map((r) => r.cpuMsPerToken!);
      return {
        cap,
        headChunk,
        cpuMsPerTokenMedian: median(cpuMs),
        cpuMsPerTokenMin: Math.min(...cpuMs),
        cpuMsPerTokenMax: Math.max(...cpuMs),
        msPerTokenMedian: median(ms),
        msPerTokenMin: Math.min(...ms),
        msPerTokenMax: Math.max(...ms),
        peakRssBytes: median(rows.map((r) => r.peakRssBytes!)),
      };
    }),
  );
  setNumThreads(1);
  const out = {
    command: `node dist/bench/micro-batch-sweep.js ${process.argv.slice(2).join(' ')}`.trim(),
    model: 'SmolLM2-135M shape (random weights)',
    sequences: SEQS,
    promptTokens: PROMPT,
    responseTokens: RESPONSE,
    computeDtype: 'float32',
    measured: 'forward + backward of the GRPO loss over all micro-batches (no optimizer step), one process per case',
    note: 'shared machine (2 cores, load average 10-20 from other jobs): wall time (msPerToken) is mostly the load; compare cpuMsPerToken (user + system CPU time of the one-thread process). failed: the case was killed (the OOM killer, when the host ran out of memory)',
    summary,
    results,
    provenance: provenance({ threads: getNumThreads(), libtorch: torchVersion() }),
    peakRssBytes: peakRssBytes(),
  };
  const file = path.join(process.cwd(), 'bench/results/micro-batch-sweep-cpu.json');
  fs.writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
  return file;
}

if (process.argv[2] === '--child') {
  child(Number(process.argv[3]), Number(process.argv[4]));
} else {
  const caps = arg('caps', '512,1024,2048,4096,8192').split(',').map(Number);
  const headChunks = arg('head-chunks', '512').split(',').map(Number);
  const rounds = Number(arg('rounds', '2'));
  const results: Record<string, number>[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const headChunk of headChunks) {
      for (const cap of caps) {
        // Waits (up to 10 minutes) until the host has the case's memory: the weights, gradients and
        // head chunk (~2.5 GB) and ~1.45 MB of activations per token of its micro-batch.
        const need = 2.5e9 + Math.min(cap, SEQS * (PROMPT + RESPONSE)) * 1.45e6;
        for (let waited = 0; availableHostBytes() < need && waited < 600; waited += 10) spawnSync('sleep', ['10']);
        const p = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', String(cap), String(headChunk), '--seqs', String(SEQS)], {
          encoding: 'utf8',
          env: { ...process.env, OMP_NUM_THREADS: '1' },
        });
        if (p.status !== 0) {
          console.log(`cap ${cap}, head chunk ${headChunk}: failed (${p.signal ?? p.status}) ${p.stderr.slice(-300)}`);
          results.push({ round: r, cap, headChunk, failed: 1 });
          continue;
        }
        const line = { round: r, ...(JSON.parse(p.stdout.trim().split('\n').at(-1)!) as Record<string, number>) };
        console.log(JSON.stringify(line));
        results.push(line);
        // Written after every case: a run stopped early (or a later case killed) keeps what it measured.
        write(results, caps, headChunks);
      }
    }
  }
  console.log(`wrote ${write(results, caps, headChunks)}`);
}
