// The rollout engine: n samples per prompt from a CausalLM, built for RL rollouts at scale.
//
//   1. every DISTINCT prompt is prefilled once (1-shot RLVR: once per step); its keys/values live
//      once in PromptKV and every sample of it attends to them there (attention.ts);
//   2. rows are admitted in waves that fit a KV byte budget at their worst case (every row to
//      maxNewTokens), so no length mix can run out of memory; within a wave, RowKV grows on
//      demand and finished rows leave by compaction once a quarter of the rows are done;
//   3. each decode step runs on the device end to end — forward, temperature/top-k/top-p
//      sampling, stop tokens and length limits as device flags, tokens and log-probs written into a
//      device block — and the host reads the block once every `syncEvery` steps;
//   4. on CUDA (fp16/bf16) a decode step is captured as a CUDA graph per (rows, capacity) and
//      replayed; rows are padded to bucketed counts so that few graphs are needed.
//
// Results match the reference sampler (reference-sampler.ts): the same Sample objects,
// greedy tokens identical, sampled tokens identical for the same seed while the reference's
// batch keeps every row (it draws over live rows only, so once rows finish the two draw
// differently but from the same distributions: test/rollout/engine.test.ts).
import { Generator, arange, cat, cuda, inferenceMode, op, tensor, tidy, where, zeros, type Tensor } from '../engine/index.js';
import type { CausalLM } from '../model/transformer.js';
import type { Sample, SamplingOptions } from './types.js';
import { useVarlen, type DecodeIndex } from './attention.js';
import { RolloutForward } from './forward.js';
import { KVMeter, PromptKV, RowKV } from './kv-store.js';
import { itemSize } from '../engine/dtype.js';
import { sampleNext } from './sample.js';
import { rowKvBytes } from './window.js';
import { deviceCaps } from '../engine/device.js';

export interface RolloutOptions extends SamplingOptions {
  /**
   * KV bytes (prompt + rows) the engine may hold. Rows are admitted in waves whose worst case
   * (every row reaching maxNewTokens) fits. Default: unlimited on CPU; on CUDA 90% of the device
   * memory free at the start, less 2 GiB and the sampling workspace (see defaultKvBudget).
   * `rlvr plan` computes one for a whole run.
   */
  kvBudgetBytes?: number;
  /** Decode steps between host reads of the token block (the only host syncs). Default 16. */
  syncEvery?: number;
  /** Per-row cap on new tokens (row order: prompt-major, n per prompt); for forced length mixes in benchmarks. */
  maxNewTokensPerRow?: number[];
  /** Capture decode steps as CUDA graphs (CUDA, fp16/bf16 only). Default true. */
  cudaGraphs?: boolean;
  /** First row-KV capacity in tokens (grows ×1.5 on demand). Default 64. */
  initialCapacity?: number;
  /**
   * Pad compacted waves to the CUDA-graph row buckets even when graphs are off (bench:gpu-smoke
   * compares graph replays with eager steps at the same shapes, so that both draw the same random
   * numbers). Default false.
   */
  padRows?: boolean;
  /** Attention layout: 'auto' (varlen on CUDA fp16/bf16, else the CPU form) or 'varlen' (tests: with setVarlenKernel on CPU). */
  attentionLayout?: 'auto' | 'varlen';
  /**
   * Prefill of a sliding-window layer on the varlen layout: 'mask' (SDPA with a [L, L] window mask,
   * what ran on CUDA before) or 'flash' (the flash kernel's local mode, window_size_left =
   * window - 1, no mask). Default 'mask' until bench:gpu-smoke's varlen_window section has passed
   * on a GPU: a flash build without local kernels would ignore the window silently.
   */
  windowPrefill?: 'mask' | 'flash';
}

export interface RolloutStats {
  rows: number;
  waves: number;
  prefillTokens: number;
  generatedTokens: number;
  decodeSteps: number;
  /** Blocking device→host reads made by the engine during decoding. */
  hostSyncs: number;
  compactions: number;
  growths: number;
  graphCaptures: number;
  graphReplays: number;
  /** Peak KV bytes held (prompt + rows, transient copies included). */
  kvPeakBytes: number;
  /** Per layer, the most row-KV slots a row held (a sliding layer's ring stops at its window). */
  rowSlots: number[];
  /** Why CUDA graphs were turned off during this rollout, if they were. */
  graphError?: string;
}

/** Generates for every prompt (token ids) n samples; returns them prompt-major, and counters. */
export function rollout(model: CausalLM, prompts: number[][], opts: RolloutOptions): { samples: Sample[]; stats: RolloutStats } {
  const n = opts.n ?? 1;
  const rows = prompts.flatMap((p, pi) => Array.from({ length: n }, (_, si) => ({ p, pi, si })));
  if (rows.some((r) => r.p.length === 0)) throw new Error('rollout: every prompt needs at least one token');
  const samples: Sample[] = rows.map((r) => ({ promptIndex: r.pi, sampleIndex: r.si, tokens: [], logprobs: [], finishReason: 'length' }));
  const meter = new KVMeter();
  const stats: RolloutStats = {
    rows: rows.length,
    waves: 0,
    prefillTokens: 0,
    generatedTokens: 0,
    decodeSteps: 0,
    hostSyncs: 0,
    compactions: 0,
    growths: 0,
    graphCaptures: 0,
    graphReplays: 0,
    kvPeakBytes: 0,
    rowSlots: [],
  };
  if (opts.maxNewTokens <= 0 || rows.length === 0) return { samples, stats };
  const limits = opts.maxNewTokensPerRow ?? rows.map(() => opts.maxNewTokens);
  if (limits.length !== rows.length) throw new Error(`rollout: maxNewTokensPerRow has ${limits.length} entries for ${rows.length} rows`);
  const maxNew = Math.min(opts.maxNewTokens, Math.max(...limits));
  const device = model.device;
  const cfg = model.config;
  const stop = new Set(opts.stopTokenIds ?? []);

  // Distinct prompts (by content), in first-seen order.
  const keyOf = new Map<string, number>();
  const distinct: number[][] = [];
  const promptOfRow = rows.map((r) => {
    const key = r.p.join(',');
    let k = keyOf.get(key);
    if (k === undefined) {
      k = distinct.length;
      keyOf.set(key, k);
      distinct.push(r.p);
    }
    return k;
  });

  const maxPrompt = Math.max(...distinct.map((p) => p.length));
  const fwd = new RolloutForward(model, maxPrompt + maxNew + 1);
  const generator = new Generator({ seed: opts.seed ?? 0, device });
  const kvDtype = fwd.computeDtype;
  // Sliding-window layers (Gemma 3) run the varlen layout too (attention.ts, window.ts), so CUDA graphs with it.
  const varlenOk = useVarlen(device, kvDtype);
  const varlenLayout = opts.attentionLayout === 'varlen' || varlenOk;
  fwd.flashWindowPrefill = varlenLayout && opts.windowPrefill === 'flash';
  const wantGraphs = deviceCaps(device).graphs && (opts.cudaGraphs ?? true) && varlenOk && cuda.isAvailable();
  let graphs = wantGraphs && cuda.hasGraphs();
  if (wantGraphs && !graphs) stats.graphError = 'the native addon has no CUDA graphs (built without them or against a CPU libtorch): decoding ran eagerly';
  let prompt: PromptKV | null = null;
  let lastLogits: Tensor | null = null;
  try {
    inferenceMode(() => {
      // ---- prefill each distinct prompt once ----
      const parts = distinct.map((ids) => fwd.prefill(ids));
      stats.prefillTokens = distinct.reduce((a, p) => a + p.length, 0);
      prompt = new PromptKV(
        parts.map((p) => ({ keys: p.keys, values: p.values })),
        meter,
      );
      if (parts.length > 1) for (const p of parts) for (const t of [...p.keys, ...p.values]) t.dispose();
      lastLogits = tidy(() =>
        cat(
          parts.map((p) => p.lastLogits.unsqueeze(0)),
          0,
        ),
      ).keep(); // [P, V] float32
      for (const p of parts) p.lastLogits.dispose();

      // ---- waves of rows within the KV budget ----
      // Worst case per row: every layer to maxNew tokens, a sliding layer to at most its window (its ring).
      const perRow = rowKvBytes(fwd.windows, maxNew, cfg.numKvHeads, cfg.headDim, itemSize(kvDtype));
      const budget = opts.kvBudgetBytes ?? defaultKvBudget(device, rows.length, cfg.vocabSize, (opts.topP ?? 1) < 1);
      const waveRows = Math.max(1, Math.min(rows.length, Math.floor((budget - prompt.bytes) / perRow)));
      for (let w0 = 0; w0 < rows.length; w0 += waveRows) {
        const ids = Array.from({ length: Math.min(waveRows, rows.length - w0) }, (_, i) => w0 + i);
        runWave(ids);
        stats.waves++;
      }
    });
  } finally {
    (prompt as PromptKV | null)?.dispose();
    (lastLogits as Tensor | null)?.dispose();
    fwd.dispose();
  }
  stats.kvPeakBytes = meter.peak;
  return { samples, stats };

  /** Decodes one wave of rows (global row ids) to the end. */
  function runWave(waveIds: number[]): void {
    const syncEvery = Math.max(1, opts.syncEvery ?? 16);
    const kvH = cfg.numKvHeads;
    const P = prompt!;
    // Physical row → global row id (-1: padding row of a CUDA-graph bucket).
    let live = waveIds.slice();
    let b = live.length;
    const dev = (data: number[], dtype: 'int64' | 'int32' | 'bool' = 'int64') => tensor(data, [data.length], { dtype, device }).keep();
    const st = {
      promptIdx: dev(live.map((r) => promptOfRow[r]!)),
      positions: dev(live.map((r) => rows[r]!.p.length)),
      limit: dev(live.map((r) => limits[r]!)),
      count: dev(live.map(() => 0)),
      done: zeros([b], { dtype: 'bool', device }).keep(),
      input: dev(live.map(() => 0)),
      tokBlock: zeros([b, syncEvery], { dtype: 'int64', device }).keep(),
      lpBlock: zeros([b, syncEvery], { dtype: 'float32', device }).keep(),
      blockCol: dev([0]),
      rowWrite: dev([0]),
      stops: dev(stop.size > 0 ? [...stop] : [-1]),
    };
    const kv = new RowKV(cfg.numLayers, b, Math.max(1, opts.initialCapacity ?? 64), kvH, cfg.headDim, maxNew, kvDtype, device, meter, fwd.windows);
    let index = buildIndex();
    let pending = 0; // steps written into the block since the last read
    let graph: { g: cuda.CUDAGraph; b: number; cap: number } | null = null;
    let graphReadyFor = ''; // (b, cap) that ran one eager step (the warm-up) and may be captured next
    try {
      // Step 0: the first token of every row comes from its prompt's prefill logits.
      tidy(() => {
        const logits = lastLogits!.indexSelect(0, st.promptIdx);
        record(logits);
      });
      pending++;
      for (let step = 1; step < maxNew; step++) {
        if (pending === syncEvery) {
          if (readBlock()) break;
        }
        if (kv.reserve(1)) {
          stats.growths++;
          rebuildRowIndex();
        }
        const key = `${b}x${kv.capacity}`;
        if (graphs && graph && graph.b === b && graph.cap === kv.capacity) {
          graph.g.replay();
          stats.graphReplays++;
        } else if (graphs && graphReadyFor === key) {
          graph?.g.reset();
          graph = null;
          try {
            graph = captureStep(key);
          } catch (e) {
            // A capture failure (an op that syncs, an unsupported kernel) must not lose the run:
            // graphs go off for this rollout and the step runs eagerly (capture ran nothing).
            graphs = false;
            stats.graphError = (e as Error).message.split('\n')[0];
            tidy(() => decodeStep());
          }
        } else {
          tidy(() => decodeStep());
          if (graphs) graphReadyFor = key;
        }
        kv.length++;
        pending++;
        stats.decodeSteps++;
      }
      if (pending > 0) readBlock(true);
    } finally {
      graph?.g.reset();
      // Capacity only grows within a wave: its last slot counts are its peak.
      for (let i = 0; i < cfg.numLayers; i++) stats.rowSlots[i] = Math.max(stats.rowSlots[i] ?? 0, kv.slots(i));
      for (const t of Object.values(st)) t.dispose();
      disposeIndex(index);
      kv.dispose();
    }

    /**
     * The work of one decode step, all on the device and in place (graph-capturable: with the
     * varlen layout every position lives in device counters — rowUsed, rowWrite — not in host ints).
     */
    function decodeStep(): void {
      if (index.rowUsed) index.rowUsed.add_(1);
      const logits = fwd.decode(st.input, st.positions, P, kv, index, varlenLayout ? st.rowWrite : null);
      record(logits);
      st.positions.add_(1);
      st.rowWrite.add_(1);
    }

    /** Samples from logits [b, V], writes token/log-prob into the block, updates flags. */
    function record(logits: Tensor): void {
      const { token, logprob } = sampleNext(logits, opts, generator);
      const col = st.blockCol;
      st.tokBlock.indexCopy_(1, col, where(st.done, -1, token).unsqueeze(1));
      st.lpBlock.indexCopy_(1, col, where(st.done, 0, logprob).unsqueeze(1));
      col.add_(1);
      st.count.add_(1);
      const finished = st.done.logicalOr(op('aten::isin.Tensor_Tensor', token, st.stops)).logicalOr(st.count.ge(st.limit));
      st.done.copy_(finished);
      st.input.copy_(token);
    }

    function captureStep(key: string): { g: cuda.CUDAGraph; b: number; cap: number } {
      const g = new cuda.CUDAGraph(device);
      try {
        g.registerGenerator(generator);
        tidy(() => g.capture(() => decodeStep()));
      } catch (e) {
        g.reset(); // its memory pool goes now, not at garbage collection
        throw e;
      }
      stats.graphCaptures++;
      g.replay(); // capture records without running: run this step now
      stats.graphReplays++;
      graphReadyFor = '';
      const [bb, cap] = key.split('x').map(Number) as [number, number];
      return { g, b: bb, cap };
    }

    /** Reads the block (one host sync); appends tokens; compacts or ends the wave. Returns true when every row is done. */
    function readBlock(final = false): boolean {
      const width = pending;
      const data = tidy(() =>
        cat(
          [
            st.tokBlock.narrow(1, 0, width).to({ dtype: 'float64' }),
            st.lpBlock.narrow(1, 0, width).to({ dtype: 'float64' }),
            st.done.to({ dtype: 'float64' }).unsqueeze(1),
          ],
          1,
        ).toNumbers(),
      );
      stats.hostSyncs++;
      const stride = 2 * width + 1;
      let finished = 0;
      let produced = 0;
      live.forEach((r, row) => {
        if (r < 0) {
          finished++;
          return;
        }
        const s = samples[r]!;
        for (let c = 0; c < width; c++) {
          const tok = data[row * stride + c]!;
          if (tok < 0) break;
          s.tokens.push(tok);
          s.logprobs.push(data[row * stride + width + c]!);
          produced++;
        }
        if (data[row * stride + 2 * width] === 1) {
          finished++;
          if (s.tokens.length > 0 && stop.has(s.tokens[s.tokens.length - 1]!)) s.finishReason = 'stop';
        }
      });
      stats.generatedTokens += produced;
      pending = 0;
      st.blockCol.fill_(0);
      const alive = live.length - finished;
      opts.onStep?.(stats.generatedTokens, alive);
      if (alive === 0 || final) return true;
      if (alive <= Math.floor((3 * live.length) / 4)) compact(data, stride, width);
      return false;
    }

    /** Keeps the live rows (padded to a bucket on CUDA graphs): moves their KV and state. */
    function compact(data: number[], stride: number, width: number): void {
      const keepPhys: number[] = [];
      live.forEach((r, row) => {
        if (r >= 0 && data[row * stride + 2 * width] !== 1) keepPhys.push(row);
      });
      const target = graphs || opts.padRows ? bucket(keepPhys.length) : keepPhys.length;
      if (target >= b) return;
      const padded = keepPhys.concat(new Array<number>(target - keepPhys.length).fill(keepPhys[0]!));
      const idx = tensor(padded, [padded.length], { dtype: 'int64', device });
      kv.keepRows(idx, padded.length);
      for (const name of ['promptIdx', 'positions', 'limit', 'count', 'done', 'input', 'tokBlock', 'lpBlock'] as const) {
        const moved = st[name].indexSelect(0, idx).keep();
        st[name].dispose();
        st[name] = moved;
      }
      idx.dispose();
      if (target > keepPhys.length) st.done.narrow(0, keepPhys.length, target - keepPhys.length).fill_(1);
      live = padded.map((phys, i) => (i < keepPhys.length ? live[phys]! : -1));
      b = padded.length;
      stats.compactions++;
      disposeIndex(index);
      index = buildIndex();
    }

    function buildIndex(): DecodeIndex {
      const promptOf = live.map((r) => promptOfRow[r < 0 ? live.find((x) => x >= 0)! : r]!);
      const maxP = Math.max(...promptOf.map((p) => P.lengths[p]!));
      if (!varlenLayout) {
        let promptMask: Tensor | null = null;
        if (distinct.length > 1) {
          // Row b sees its prompt's segment; queries are ordered [g, B] (attention.ts).
          const g = cfg.numHeads / kvH;
          const S = P.totalLength;
          promptMask = tidy(() => {
            const starts = tensor(
              promptOf.map((p) => P.offsets[p]!),
              [b, 1],
              { dtype: 'int64', device },
            );
            const ends = tensor(
              promptOf.map((p) => P.offsets[p]! + P.lengths[p]!),
              [b, 1],
              { dtype: 'int64', device },
            );
            const k = arange(0, S, 1, { dtype: 'int64', device }).unsqueeze(0);
            const sees = k.ge(starts).logicalAnd(k.lt(ends)); // [B, S]
            const add = where(sees, 0, -Infinity).to({ dtype: kvDtype });
            return add.repeat(g, 1).reshape(1, 1, g * b, S);
          }).keep();
        }
        const promptStart =
          fwd.hasWindow && distinct.length > 1
            ? tensor(
                promptOf.map((p) => P.offsets[p]!),
                [b, 1],
                { dtype: 'int64', device },
              ).keep()
            : null;
        return { kind: 'cpu', promptMask, promptStart, cuQ: null, cuPromptK: null, promptUsed: null, maxPrompt: maxP, cuRowK: null, rowUsed: null };
      }
      const i32 = (d: number[]) => tensor(d, [d.length], { dtype: 'int32', device }).keep();
      return {
        kind: 'varlen',
        promptMask: null,
        maxPrompt: maxP,
        cuQ: i32(Array.from({ length: b + 1 }, (_, i) => i * (cfg.numHeads / kvH))),
        cuPromptK: i32([...promptOf.map((p) => P.offsets[p]!), P.totalLength]),
        promptUsed: i32(promptOf.map((p) => P.lengths[p]!)),
        cuRowK: i32(Array.from({ length: b + 1 }, (_, i) => i * kv.capacity)),
        rowUsed: i32(new Array<number>(b).fill(kv.length)),
      };
    }

    /** Capacity changed: the varlen row offsets follow (and the row-write index stays kv.length). */
    function rebuildRowIndex(): void {
      if (index.kind !== 'varlen') return;
      index.cuRowK!.dispose();
      index.cuRowK = tensor(
        Array.from({ length: b + 1 }, (_, i) => i * kv.capacity),
        [b + 1],
        { dtype: 'int32', device },
      ).keep();
    }
  }
}

/**
 * Device memory (CUDA) the KV cache may take: see kvBudgetFrom, with the device's numbers now.
 * CPU: unlimited.
 */
export function defaultKvBudget(device: string, rows: number, vocab: number, topP: boolean): number {
  if (!deviceCaps(device).deviceMemory) return Infinity;
  return kvBudgetFrom(cuda.memoryStats(device), rows, vocab, topP);
}

/** Sampling workspace per logit (bytes): fp32 logits, softmax and sampling temporaries, measured ~26 (issue 23). */
export const SAMPLING_BYTES_PER_LOGIT = 26;
/** With top-p also the sort's fp32 values + int64 indices + fp32 cumulative sums (4 + 8 + 4). */
export const TOP_P_EXTRA_BYTES_PER_LOGIT = 16;

/**
 * The KV budget from the allocator's and the driver's numbers: what can still be had is the
 * driver's free memory PLUS what the caching allocator holds reserved but unused (reserved -
 * allocated; after a training update that can be most of the device, and counting only the
 * driver's free memory made waves small). 90% of that, less 2 GiB for allocator slack and
 * activations, less the sampling workspace over all rows.
 */
export function kvBudgetFrom(m: { freeBytes: number; reservedBytes: number; allocatedBytes: number }, rows: number, vocab: number, topP: boolean): number {
  const available = m.freeBytes + Math.max(0, m.reservedBytes - m.allocatedBytes);
  const workspace = rows * vocab * (SAMPLING_BYTES_PER_LOGIT + (topP ? TOP_P_EXTRA_BYTES_PER_LOGIT : 0));
  return Math.max(0, 0.9 * available - 2 * 2 ** 30 - workspace);
}

function disposeIndex(ix: DecodeIndex): void {
  for (const t of [ix.promptMask, ix.promptStart, ix.cuQ, ix.cuPromptK, ix.promptUsed, ix.cuRowK, ix.rowUsed]) t?.dispose();
}

/** Row counts that CUDA graphs are captured at: powers of two up to 256, then multiples of 128. */
export function bucket(rows: number): number {
  if (rows <= 256) {
    let p = 1;
    while (p < rows) p *= 2;
    return p;
  }
  return Math.ceil(rows / 128) * 128;
}

/** The reference sampler's signature (a drop-in for `generate` in the trainer and evaluation). */
export function rolloutSamples(model: CausalLM, prompts: number[][], opts: RolloutOptions): Sample[] {
  return rollout(model, prompts, opts).samples;
}
