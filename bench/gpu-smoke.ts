// `npm run bench:gpu-smoke`: the two-minute check that the CUDA paths work at all, before
// bench:gpu measures them (issue 23). Run on the device machine by bench/device-check.sh; check it
// on a CPU with `node dist/bench/gpu-smoke.js --small` (every section that needs CUDA is recorded
// as "skipped-no-cuda", never as a pass; where the section's logic can run on the CPU it does, as
// `cpu_dry_run`, so that the script itself is checked).
//
// Sections (each one's JSON is written as soon as it finishes: $OUT/gpu-smoke.json and
// bench/results/gpu-smoke[-small].json):
//   varlen_flash   ATen's variable-length flash attention (_flash_attention_forward with cum_seq_k
//                  and seqused_k) with OVERLAPPING key ranges (rows sharing a prompt start at the
//                  same offset), bf16, against the attention written out in float32: out, lse and
//                  the lse's shape [kvH, total_q] that src/rollout/attention.ts relies on;
//   engine_graphs  a tiny bf16 model at temperature 1 with stop tokens and per-row limits (so that
//                  rows finish at different steps: compactions, and capacity growth: a recapture):
//                  CUDA graphs vs eager at the same padded shapes (padRows) and seed must give the
//                  same tokens; graphReplays > 0, graphCaptures >= 2, no graphError;
//   varlen_window  the same kernel in flash-attn's local mode as the engine's windowed prefill calls
//                  it (src/rollout/attention.ts prefillAttention): two packed sequences (40 and 23
//                  tokens), Gemma 3's head layout (4 q heads on 1 kv head, D 256), causal, window 8
//                  → window_size_left 7, right 0 (flashWindowArgs) against transformers' mask
//                  (k > q - 8) written out in float32; left = 8 (one off) must NOT match;
//   engine_window  a tiny Gemma 3 shape (5 sliding layers of window 8 and 1 full, D 256) under
//                  autocast bf16 on CUDA: the engine takes the varlen layout with the window and
//                  CUDA graphs (graphReplays > 0, no graphError) and the flash local-mode prefill
//                  (windowPrefill 'flash'; its default is the mask until this passes), prompts of 21 and 5 tokens and 40
//                  new tokens (both cross the window); greedy tokens against the reference sampler
//                  in float32 (each engine token is the float32 argmax, or within 0.05 of it where
//                  bf16 may flip a near tie; the count of exactly equal rows is recorded), graphs =
//                  eager at the same shapes, sliding layers' row KV at most 8 slots, and the window
//                  matters (the same weights with window 4096 decode otherwise);
//   nccl           a single-rank NCCL group on cuda:0: TCPStore, all-reduce (sum of one rank is the
//                  tensor), barrier, close;
//   precision      autocast(cuda, bf16) makes a matmul bf16; the TF32 switch round-trips.
// Status per section: pass | fail | error | skipped-no-cuda.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  allowTF32,
  autocast,
  cat,
  cuda,
  manualSeed,
  noGrad,
  opMany,
  randn,
  setAllowTF32,
  tensor,
  tidy,
  torchVersion,
  type Tensor,
} from '../src/engine/index.js';
import { native } from '../src/engine/native.js';
import { parseModelConfig, type ModelConfig } from '../src/model/config.js';
import { CausalLM } from '../src/model/transformer.js';
import { rollout } from '../src/rollout/engine.js';
import { generate } from '../src/rollout/reference-sampler.js';
import { flashWindowArgs } from '../src/rollout/window.js';
import { freePort } from '../src/distributed/launch.js';
import { peakRssBytes } from '../src/util/peak-rss.js';

const onGpu = cuda.isAvailable();
const small = process.argv.includes('--small') || !onGpu;
const device = onGpu ? 'cuda' : 'cpu';
const started = performance.now();
const results: Record<string, unknown> = {
  bench: 'gpu-smoke',
  device: onGpu ? `cuda (${cuda.deviceCount()} device(s))` : `cpu (${os.cpus()[0]?.model ?? '?'})`,
  torch: torchVersion(),
  hasCudaGraphs: native.hasCudaGraphs,
  hasNccl: native.hasNccl,
  small,
  date: new Date().toISOString(),
  sections: {},
};
const sections = results.sections as Record<string, Record<string, unknown>>;

function save(): void {
  results.peakRssBytes = peakRssBytes();
  const text = JSON.stringify(results, null, 2) + '\n';
  const name = small ? 'gpu-smoke-small.json' : 'gpu-smoke.json';
  const dir = path.join(process.cwd(), 'bench/results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, name), text);
  if (process.env.OUT) fs.writeFileSync(path.join(process.env.OUT, name), text);
}

/** Runs a section: its checks decide pass/fail; an exception is 'error'; JSON written after each. */
async function section(name: string, needsCuda: boolean, fn: () => Promise<Record<string, unknown>> | Record<string, unknown>): Promise<void> {
  const t0 = performance.now();
  console.log(`[${((t0 - started) / 1000).toFixed(0)}s] ${name} ...`);
  let r: Record<string, unknown>;
  try {
    r = await fn();
    const checks = (r.checks ?? {}) as Record<string, boolean>;
    const failed = Object.entries(checks)
      .filter(([, ok]) => !ok)
      .map(([k]) => k);
    if (needsCuda && !onGpu) {
      // What the dry run's checks said on the CPU (graph checks cannot hold there): kept, never a pass.
      if (r.checks) {
        r.cpu_dry_run_checks = r.checks;
        delete r.checks;
      }
      r.status = 'skipped-no-cuda';
    } else {
      r.status = failed.length === 0 ? 'pass' : 'fail';
      if (failed.length > 0) r.failed = failed;
    }
  } catch (e) {
    r = { status: needsCuda && !onGpu ? 'skipped-no-cuda' : 'error', error: (e as Error).stack ?? String(e) };
  }
  sections[name] = { ...r, seconds: (performance.now() - t0) / 1000 };
  console.log(`  ${JSON.stringify(sections[name]).slice(0, 300)}`);
  save();
}

/** The varlen kernel written out: per row, its queries against its key range (float32). */
function writtenOut(q: Tensor, k: Tensor, v: Tensor, cuQ: number[], cuK: number[], usedK: number[]): [Tensor, Tensor] {
  const outs: Tensor[] = [];
  const lses: Tensor[] = [];
  for (let i = 0; i < usedK.length; i++) {
    const qi = q
      .narrow(0, cuQ[i]!, cuQ[i + 1]! - cuQ[i]!)
      .float()
      .transpose(0, 1); // [kvH, g, D]
    const ki = k.narrow(0, cuK[i]!, usedK[i]!).float().transpose(0, 1); // [kvH, L, D]
    const vi = v.narrow(0, cuK[i]!, usedK[i]!).float().transpose(0, 1);
    const s = qi.matmul(ki.transpose(1, 2)).mul(1 / Math.sqrt(q.size(-1)));
    const lse = s.logsumexp(-1, true);
    outs.push(s.sub(lse).exp().matmul(vi).transpose(0, 1));
    lses.push(lse.squeeze(-1));
  }
  return [cat(outs, 0), cat(lses, 1)];
}

await section('varlen_flash', true, () =>
  tidy(() => {
    // 6 rows, g = 2 queries per row, kvH = 2, D = 64; packed prompt keys of 3 prompts (lengths 37, 5,
    // 80); rows 0-2 share prompt 0 (the same key range: overlapping cu_seq_k), row 3 prompt 1, rows 4-5
    // prompt 2 with different used lengths (seqused_k below the range).
    const [g, kvH, D] = [2, 2, 64];
    const promptLens = [37, 5, 80];
    const offsets = [0, 37, 42];
    const rowPrompt = [0, 0, 0, 1, 2, 2];
    const used = [37, 37, 37, 5, 80, 61];
    const B = rowPrompt.length;
    const S = promptLens.reduce((a, b) => a + b, 0);
    manualSeed(1);
    const dt = onGpu ? 'bfloat16' : 'float32';
    const q = randn([B * g, kvH, D], { dtype: dt, device });
    const k = randn([S, kvH, D], { dtype: dt, device });
    const v = randn([S, kvH, D], { dtype: dt, device });
    const cuQ = Array.from({ length: B + 1 }, (_, i) => i * g);
    const cuK = [...rowPrompt.map((p) => offsets[p]!), S];
    const [refO, refL] = writtenOut(q, k, v, cuQ, cuK, used);
    const dry = { written_out_out_shape: refO.shape, written_out_lse_shape: refL.shape };
    if (!onGpu) return { cpu_dry_run: dry };
    const i32 = (d: number[]) => tensor(d, [d.length], { dtype: 'int32', device });
    const out = opMany('aten::_flash_attention_forward', q, k, v, i32(cuQ), i32(cuK), g, Math.max(...promptLens), 0, false, false, null, null, null, i32(used));
    const o = out[0]!;
    const l = out[1]!;
    const outDiff = o.float().sub(refO).abs().max().item() as number;
    const lseDiff = l.ndim === 2 && l.size(0) === kvH && l.size(1) === B * g ? (l.float().sub(refL).abs().max().item() as number) : Infinity;
    return {
      out_max_abs_diff: outDiff,
      lse_max_abs_diff: lseDiff,
      lse_shape: l.shape,
      ...dry,
      checks: { out_close: outDiff < 5e-2, lse_close: lseDiff < 1e-2, lse_shape_kvH_by_total_q: l.ndim === 2 && l.size(0) === kvH && l.size(1) === B * g },
    };
  }),
);

await section('engine_graphs', true, () => {
  const cfg: ModelConfig = {
    architecture: 'Qwen2ForCausalLM',
    hiddenSize: 128,
    intermediateSize: 256,
    numLayers: 2,
    numHeads: 4,
    numKvHeads: 2,
    headDim: 32,
    vocabSize: 64,
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
  manualSeed(7);
  const model = CausalLM.randomInit(cfg, { dtype: 'float32', device });
  try {
    noGrad(() => {
      for (const p of model.parameters()) if (p.ndim === 2) p.mul_(4);
    });
    const prompts = [[3, 9, 1, 4], Array.from({ length: 21 }, (_, i) => (i * 7 + 2) % 64)];
    const n = 8;
    // Rows end at different steps: stop tokens 0 and 1 (drawn at temperature 1 over 64 tokens) and
    // per-row limits from 6 to 60; a small first capacity grows (a new graph shape: recapture).
    const limits = Array.from({ length: prompts.length * n }, (_, i) => 6 + ((i * 37) % 55));
    const opts = {
      n,
      maxNewTokens: 60,
      temperature: 1,
      seed: 11,
      stopTokenIds: [0, 1],
      maxNewTokensPerRow: limits,
      syncEvery: 4,
      initialCapacity: 8,
      padRows: true,
    };
    const dt = onGpu ? 'bfloat16' : null;
    const graphsRun = autocast(device, dt, () => rollout(model, prompts, { ...opts, cudaGraphs: true }));
    const eagerRun = autocast(device, dt, () => rollout(model, prompts, { ...opts, cudaGraphs: false }));
    const same = graphsRun.samples.every((s, i) => s.tokens.join() === eagerRun.samples[i]!.tokens.join());
    const g = graphsRun.stats;
    return {
      graph_stats: g,
      eager_stats: eagerRun.stats,
      tokens: g.generatedTokens,
      checks: {
        graph_tokens_equal_eager: same,
        graph_replays: g.graphReplays > 0,
        recaptured: g.graphCaptures >= 2,
        compacted: g.compactions > 0,
        no_graph_error: g.graphError === undefined,
      },
    };
  } finally {
    model.dispose();
  }
});

await section('varlen_window', true, () =>
  tidy(() => {
    const [H, kvH, D, W] = [4, 1, 256, 8];
    const lens = [40, 23];
    const cu = [0, 40, 63];
    const N = 63;
    manualSeed(2);
    const dt = onGpu ? 'bfloat16' : 'float32';
    const q = randn([N, H, D], { dtype: dt, device });
    const k = randn([N, kvH, D], { dtype: dt, device });
    const v = randn([N, kvH, D], { dtype: dt, device });
    // transformers' rule, float32: query i of a sequence sees keys j <= i with j > i - W.
    const outs: Tensor[] = [];
    const lses: Tensor[] = [];
    for (let s = 0; s < lens.length; s++) {
      const L = lens[s]!;
      const qi = q.narrow(0, cu[s]!, L).float().transpose(0, 1); // [H, L, D]
      const ki = k
        .narrow(0, cu[s]!, L)
        .float()
        .transpose(0, 1)
        .repeatInterleave(H / kvH, 0);
      const vi = v
        .narrow(0, cu[s]!, L)
        .float()
        .transpose(0, 1)
        .repeatInterleave(H / kvH, 0);
      const pos = tensor(
        Array.from({ length: L }, (_, i) => i),
        [L],
        { dtype: 'int64', device },
      );
      const sees = pos
        .unsqueeze(0)
        .le(pos.unsqueeze(1))
        .logicalAnd(pos.unsqueeze(0).gt(pos.unsqueeze(1).sub(W))); // [L(q), L(k)]
      const sc = qi
        .matmul(ki.transpose(1, 2))
        .mul(1 / Math.sqrt(D))
        .add(sees.logicalNot().float().mul(-1e30));
      const lse = sc.logsumexp(-1, true);
      outs.push(sc.sub(lse).exp().matmul(vi).transpose(0, 1));
      lses.push(lse.squeeze(-1));
    }
    const refO = cat(outs, 0);
    const refL = cat(lses, 1); // [H, N]
    const args = flashWindowArgs(W);
    const dry = { window: W, flash_window_args: args, ref_out_shape: refO.shape };
    if (!onGpu) return { cpu_dry_run: dry };
    const i32 = (d: number[]) => tensor(d, [d.length], { dtype: 'int32', device });
    const run = (left: number) => opMany('aten::_flash_attention_forward', q, k, v, i32(cu), i32(cu), 40, 40, 0, true, false, null, left, 0, null);
    const out = run(args.left!);
    const outDiff = out[0]!.float().sub(refO).abs().max().item() as number;
    const lseDiff = out[1]!.shape.join() === refL.shape.join() ? (out[1]!.float().sub(refL).abs().max().item() as number) : Infinity;
    const offDiff = run(W)[0]!.float().sub(refO).abs().max().item() as number;
    return {
      out_max_abs_diff: outDiff,
      lse_max_abs_diff: lseDiff,
      lse_shape: out[1]!.shape,
      one_off_window_out_max_abs_diff: offDiff,
      ...dry,
      checks: { out_close: outDiff < 5e-2, lse_close: lseDiff < 1e-2, one_off_window_differs: offDiff > 0.1 },
    };
  }),
);

await section('engine_window', true, () => {
  const W = 8;
  const gemma = (window: number) =>
    parseModelConfig({
      architectures: ['Gemma3ForCausalLM'],
      hidden_size: 64,
      intermediate_size: 128,
      num_hidden_layers: 6,
      num_attention_heads: 4,
      num_key_value_heads: 1,
      head_dim: 256,
      vocab_size: 96,
      rms_norm_eps: 1e-6,
      max_position_embeddings: 512,
      sliding_window: window,
      sliding_window_pattern: 6,
      query_pre_attn_scalar: 256,
    });
  const build = (window: number) => {
    manualSeed(5);
    const m = CausalLM.randomInit(gemma(window), { dtype: 'float32', device });
    noGrad(() => {
      for (const [name, p] of m.params) {
        if (name.endsWith('norm.weight')) p.add_(randn(p.shape, { device }).mul(0.3));
        else p.mul_(6);
      }
    });
    return m;
  };
  const model = build(W);
  const wide = build(4096);
  try {
    const prompts = [Array.from({ length: 21 }, (_, i) => (i * 7 + 2) % 96), [3, 9, 1, 4, 50]];
    const n = 2;
    const opts = { n, greedy: true, maxNewTokens: 40, syncEvery: 4, initialCapacity: 8, padRows: true, windowPrefill: 'flash' as const };
    const dt = onGpu ? 'bfloat16' : null;
    const graphsRun = autocast(device, dt, () => rollout(model, prompts, { ...opts, cudaGraphs: true }));
    const eagerRun = autocast(device, dt, () => rollout(model, prompts, { ...opts, cudaGraphs: false }));
    const ref = generate(model, prompts, { n, greedy: true, maxNewTokens: 40 }); // float32, no autocast
    const refWide = generate(wide, prompts, { n, greedy: true, maxNewTokens: 40 });
    // Each engine token against the float32 forward on the engine's own prefix: the argmax, or a near tie.
    let worstGap = 0;
    for (const s of graphsRun.samples) {
      const ids = [...prompts[s.promptIndex]!, ...s.tokens];
      const gaps = noGrad(() =>
        tidy(() => {
          const logits = model.forward(tensor(ids, [1, ids.length], { dtype: 'int64', device })).squeeze(0); // [T, V]
          const p0 = prompts[s.promptIndex]!.length - 1;
          const rows = logits.narrow(0, p0, s.tokens.length);
          const chosen = rows.gather(1, tensor(s.tokens, [s.tokens.length, 1], { dtype: 'int64', device })).squeeze(1);
          return rows.amax([1]).sub(chosen).toNumbers();
        }),
      );
      worstGap = Math.max(worstGap, ...gaps);
    }
    const eq = (a: { tokens: number[] }[], b: { tokens: number[] }[]) => a.filter((s, i) => s.tokens.join() === b[i]!.tokens.join()).length;
    const g = graphsRun.stats;
    const sliding = g.rowSlots.filter((_, i) => (i + 1) % 6 !== 0);
    return {
      graph_stats: g,
      eager_stats: eagerRun.stats,
      rows_equal_reference: `${eq(graphsRun.samples, ref)}/${ref.length}`,
      worst_argmax_gap_fp32: worstGap,
      checks: {
        tokens_are_fp32_argmax_or_near_tie: worstGap <= 0.05,
        graph_tokens_equal_eager: eq(graphsRun.samples, eagerRun.samples) === ref.length,
        graph_replays: g.graphReplays > 0,
        no_graph_error: g.graphError === undefined,
        sliding_row_kv_at_most_window: sliding.every((c) => c <= W),
        window_matters: eq(ref, refWide) < ref.length,
      },
    };
  } finally {
    model.dispose();
    wide.dispose();
  }
});

await section('nccl', true, async () => {
  // On a CPU the same sequence runs over gloo (the script's path), recorded as the dry run.
  const port = await freePort();
  const store = native.distStore('127.0.0.1', port, true, 1, 30_000);
  const useNccl = onGpu && native.hasNccl;
  const group = useNccl ? native.distNccl(store, 0, 1, 30_000, 0) : native.distGloo(store, 0, 1, 30_000, '127.0.0.1');
  try {
    return tidy(() => {
      const t = tensor([1, 2, 3], [3], { dtype: 'float32', device: useNccl ? 'cuda:0' : 'cpu' });
      native.distAllReduce(group, t.id, 'sum');
      native.distBarrier(group);
      const got = t.toNumbers();
      const r = { backend: useNccl ? 'nccl' : 'gloo', all_reduce: got };
      if (!useNccl) return { cpu_dry_run: r, ...(onGpu ? { checks: { addon_has_nccl: false } } : {}) };
      return { ...r, checks: { all_reduce_of_one_rank_is_identity: got.join() === '1,2,3' } };
    });
  } finally {
    native.distClose(group);
  }
});

await section('precision', true, () =>
  tidy(() => {
    const a = randn([8, 8], { device });
    const b = randn([8, 8], { device });
    const dtype = autocast(device, 'bfloat16', () => a.matmul(b).dtype);
    const before = allowTF32();
    setAllowTF32(true);
    const on = allowTF32();
    setAllowTF32(false);
    const off = allowTF32();
    setAllowTF32(before);
    const r = { autocast_matmul_dtype: dtype, tf32_on: on, tf32_off: off, tf32_restored: allowTF32() === before };
    if (!onGpu) return { cpu_dry_run: r };
    return { ...r, checks: { autocast_bf16: dtype === 'bfloat16', tf32_round_trip: on && !off && r.tf32_restored } };
  }),
);

const statuses = Object.values(sections).map((s) => s.status);
results.summary = Object.fromEntries(['pass', 'fail', 'error', 'skipped-no-cuda'].map((k) => [k, statuses.filter((s) => s === k).length]));
results.seconds = (performance.now() - started) / 1000;
save();
console.log(`gpu-smoke: ${JSON.stringify(results.summary)} in ${(results.seconds as number).toFixed(1)} s`);
if (statuses.some((s) => s === 'fail' || s === 'error')) process.exitCode = 1;
