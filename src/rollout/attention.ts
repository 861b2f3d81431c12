// Decode attention of the rollout engine: each row's one new query attends to
//   (1) its prompt's keys in the shared PromptKV (never copied per row), and
//   (2) its own generated keys in RowKV,
// computed as two attention calls whose outputs are merged with their log-sum-exps (the
// "cascade" form: softmax over the union of keys = lse-weighted mix of the two partial softmaxes):
//   out = out_row + (out_prompt - out_row) · sigmoid(lse_prompt - lse_row).
// No dense [B, keys] mask exists when every row shares one prompt (1-shot RLVR).
//
// CPU: ATen's fused flash kernel for CPU (`_scaled_dot_product_flash_attention_for_cpu`, which
//      returns the lse). Grouped-query attention without repeating keys: with one query per row,
//      the g query heads that share a KV head become g queries against that head's keys. Several
//      distinct prompts (mixed lengths): an additive mask over the packed prompt keys.
// CUDA (fp16/bf16): ATen's variable-length flash attention (`_flash_attention_forward` with
//      cum_seq_k + seqused_k): each row's key range starts at its prompt's offset (ranges of rows
//      that share a prompt overlap; seqused_k gives the lengths), so mixed prompt lengths need no
//      mask, and all lengths live in device tensors (CUDA-graph safe).
// Other devices/dtypes (e.g. fp32 on CUDA): the same CPU-form layout, attention written out.
// Sliding-window layers (Gemma 3): a query at position p sees keys at positions > p - window
//      (window.ts). Own keys: a sliding layer's RowKV is a ring of `window` slots holding exactly
//      the keys in the window, so the own part attends to every written slot. Prompt keys:
//        CPU form — a per-row bound (rows' prompts differ in length) as an additive mask,
//          attention written out so that a row whose whole prompt has left the window gets
//          weight 0 for that part (lse -inf) instead of NaN;
//        varlen — the bound moves each row's key range start (cum_seq_k + first visible, seqused_k
//          shortened; device arithmetic on the step's positions, so CUDA graphs still capture),
//          and a row whose prompt has left the window keeps one key and gets lse -inf. The
//          kernel's own window (window_size_left) is not used in decode: with the prompt and own
//          keys in two calls, and own keys in ring order, its bottom-right alignment would put
//          the query at the wrong position. Prefill (queries = keys, in order) can use it:
//          window_size_left = window - 1, right 0 (flashWindowArgs), with the engine option
//          windowPrefill 'flash'; the default stays SDPA with the window mask until the kernel's
//          local mode has been checked on a GPU (bench/gpu-smoke.ts varlen_window).
import { F, arange, opMany, tensor, where, type Tensor } from '../engine/index.js';
import { deviceCaps } from '../engine/device.js';
import { flashWindowArgs, promptWindowRange, rowWindowRange } from './window.js';

export interface DecodeAttentionInputs {
  /** Queries after RoPE [B, H, 1, D]. */
  q: Tensor;
  /** This layer's prompt keys/values [S, kvH, D]. */
  promptK: Tensor;
  promptV: Tensor;
  /**
   * This layer's row keys/values [B, slots, kvH, D]: `rowLength` own tokens written (this step's
   * included); on a sliding layer a ring of min(capacity, window) slots (kv-store.ts).
   */
  rowK: Tensor;
  rowV: Tensor;
  rowLength: number;
  /** Per-wave index tensors (see DecodeIndex). */
  index: DecodeIndex;
  /** This layer's sliding window (keys a query sees: itself and window-1 before it), or null. */
  window?: number | null;
  /** Attention scale; null/undefined = 1/sqrt(D). */
  scale?: number | null;
  /** Absolute position of each row's query [B] (int64); needed with a window. */
  positions?: Tensor;
  /** Per-step cache of the varlen window ranges, shared by the layers of one window (the caller owns and disposes its tensors). */
  windowRanges?: Map<number, WindowRanges>;
}

/** varlen key ranges of one window for one decode step (window.ts). */
export interface WindowRanges {
  promptCuK: Tensor;
  promptUsed: Tensor;
  /** [B, 1] rows whose whole prompt has left the window. */
  promptEmpty: Tensor;
  rowCuK: Tensor;
  rowUsed: Tensor;
}

/**
 * What the attention of a wave needs besides keys: built once per wave and after each
 * compaction (all on the device).
 */
export interface DecodeIndex {
  kind: 'cpu' | 'varlen';
  /** cpu: additive mask [1, 1, g·B, S] (0 / -inf) when rows use different prompts, else null. */
  promptMask: Tensor | null;
  /** cpu: int64 [B, 1] start of each row's prompt in the packed keys (for sliding windows). */
  promptStart?: Tensor | null;
  /** varlen: int32 [B+1] query offsets 0, g, 2g, .. (g query heads per KV head become g queries per row). */
  cuQ: Tensor | null;
  /** varlen: int32 [B+1] start of each row's prompt in the packed keys (last = S). */
  cuPromptK: Tensor | null;
  /** varlen: int32 [B] prompt length of each row. */
  promptUsed: Tensor | null;
  maxPrompt: number;
  /** varlen: int32 [B+1] start of each row's own keys, row·cap (rebuilt when capacity changes). */
  cuRowK: Tensor | null;
  /** varlen: int32 [B] keys written per row (a device tensor so that graph replays see it change). */
  rowUsed: Tensor | null;
}

/** True where the variable-length flash kernel applies (CUDA with a half-precision dtype). */
export function useVarlen(device: string, dtype: string): boolean {
  return deviceCaps(device).varlenAttention && (dtype === 'bfloat16' || dtype === 'float16');
}

/** Attention output [B, H, D] for one decode step. */
export function decodeAttention(x: DecodeAttentionInputs): Tensor {
  const [b, h, , d] = x.q.shape as [number, number, number, number];
  const kvH = x.promptK.size(1);
  const g = h / kvH;
  const scale = x.scale ?? null;
  const window = x.window ?? null;
  if (x.index.kind === 'varlen') {
    // The g query heads of a KV head become g query positions of that head (as the CPU path
    // does), so the kernel sees equal head counts and a fixed lse layout [kvH, B·g].
    const qv = x.q
      .reshape(b, kvH, g, d)
      .permute(0, 2, 1, 3)
      .reshape(b * g, kvH, d);
    const cap = x.rowK.size(1);
    const win = window === null ? null : varlenWindowRanges(x, window, b, cap);
    const [o1, l1] = varlen(
      qv,
      x.promptK,
      x.promptV,
      x.index.cuQ!,
      win ? win.promptCuK : x.index.cuPromptK!,
      win ? win.promptUsed : x.index.promptUsed!,
      g,
      x.index.maxPrompt,
      scale,
    );
    const [o2, l2] = varlen(
      qv,
      x.rowK.reshape(b * cap, kvH, d),
      x.rowV.reshape(b * cap, kvH, d),
      x.index.cuQ!,
      win ? win.rowCuK : x.index.cuRowK!,
      win ? win.rowUsed : x.index.rowUsed!,
      g,
      cap,
      scale,
    );
    const out = (o: Tensor) => o.reshape(b, g, kvH, d).permute(0, 2, 1, 3).reshape(b, h, d);
    const lse = (l: Tensor) => {
      if (l.ndim !== 2 || l.size(0) !== kvH || l.size(1) !== b * g) throw new Error(`rollout: unexpected varlen lse shape [${l.shape.join(', ')}]`);
      return l.reshape(kvH, b, g).permute(1, 0, 2).reshape(b, h);
    };
    let out1 = out(o1);
    let lse1 = lse(l1);
    if (win) {
      // A row whose prompt has left the window: its one stand-in key gets weight 0.
      lse1 = where(win.promptEmpty, -Infinity, lse1.float());
      out1 = where(win.promptEmpty.unsqueeze(2), 0, out1);
    }
    return merge(out1, lse1, out(o2), lse(l2));
  }
  // Prompt part: [1, kvH, g·B, D] queries (head-group major) against [1, kvH, S, D] keys.
  const qp = x.q
    .reshape(b, kvH, g, d)
    .permute(1, 2, 0, 3)
    .reshape(1, kvH, g * b, d);
  const pk = x.promptK.transpose(0, 1).unsqueeze(0);
  const pv = x.promptV.transpose(0, 1).unsqueeze(0);
  // Some prompt key may be outside a row's window only once maxPrompt + own keys exceed it.
  const windowed = window !== null && x.index.maxPrompt + x.rowLength > window;
  const [o1, l1] = windowed ? attendMaskedWithLse(qp, pk, pv, promptWindowMask(x, window, g, b), scale) : attendWithLse(qp, pk, pv, x.index.promptMask, scale);
  const out1 = o1.reshape(kvH, g, b, d).permute(2, 0, 1, 3).reshape(b, h, d);
  const lse1 = l1.reshape(kvH, g, b).permute(2, 0, 1).reshape(b, h);
  // Own part: [B, kvH, g, D] queries against [B, kvH, t, D] keys (a sliding layer's ring holds
  // the last `window` of them, in ring order).
  const qg = x.q.reshape(b, kvH, g, d);
  const own = window !== null ? Math.min(x.rowLength, window) : x.rowLength;
  const rk = x.rowK.narrow(1, 0, own).transpose(1, 2);
  const rv = x.rowV.narrow(1, 0, own).transpose(1, 2);
  const [o2, l2] = attendWithLse(qg, rk, rv, null, scale);
  return merge(out1, lse1, o2.reshape(b, h, d), l2.reshape(b, h));
}

/** The varlen key ranges of a sliding layer at this step (computed once per window and step). */
function varlenWindowRanges(x: DecodeAttentionInputs, window: number, b: number, cap: number): WindowRanges {
  const hit = x.windowRanges?.get(window);
  if (hit) return hit;
  if (!x.positions) throw new Error('rollout: a sliding-window layer needs the query positions');
  const p = promptWindowRange(x.index.cuPromptK!, x.index.promptUsed!, x.positions, window);
  const r = rowWindowRange(x.index.rowUsed!, b, cap, window);
  const ranges = { promptCuK: p.cuK, promptUsed: p.used, promptEmpty: p.empty.unsqueeze(1), rowCuK: r.cuK, rowUsed: r.used };
  if (!x.windowRanges) return ranges;
  // Cached across layers, whose scopes end before the step's: kept, and disposed by the cache's owner (forward.ts).
  for (const t of Object.values(ranges)) t.keep();
  x.windowRanges.set(window, ranges);
  return ranges;
}

/** out = o2 + (o1 - o2) · sigmoid(l1 - l2), in float32, back in the queries' dtype. [B, H, D] */
function merge(o1: Tensor, l1: Tensor, o2: Tensor, l2: Tensor): Tensor {
  const w = l1.float().sub(l2.float()).sigmoid().unsqueeze(-1);
  const a = o1.float();
  const c = o2.float();
  const out = c.add(a.sub(c).mul(w));
  return o1.dtype === 'float32' ? out : out.to({ dtype: o1.dtype });
}

/**
 * Additive mask [1, 1, g·B, S] over the packed prompt keys for a sliding-window layer: row b's
 * query (position p_b) sees packed key j of its prompt (start s_b) when j - s_b > p_b - window,
 * on top of the which-prompt mask.
 */
function promptWindowMask(x: DecodeAttentionInputs, window: number, g: number, b: number): Tensor {
  if (!x.positions) throw new Error('rollout: a sliding-window layer needs the query positions');
  const S = x.promptK.size(0);
  const start = x.index.promptStart ?? null;
  const lo = (start ? x.positions.unsqueeze(1).add(start) : x.positions.unsqueeze(1)).sub(window); // [B, 1]
  const k = arange(0, S, 1, { dtype: 'int64', device: x.promptK.device }).unsqueeze(0); // [1, S]
  const add = where(k.gt(lo), 0, -Infinity)
    .to({ dtype: x.q.dtype })
    .repeat(g, 1)
    .reshape(1, 1, g * b, S);
  return x.index.promptMask ? add.add(x.index.promptMask) : add;
}

/**
 * attendWithLse written out, for masks that may hide every key of a row: such rows come back
 * with output 0 and lse -inf (weight 0 in the merge) instead of NaN.
 */
function attendMaskedWithLse(q: Tensor, k: Tensor, v: Tensor, mask: Tensor, scale: number | null): [Tensor, Tensor] {
  const sc = scale ?? 1 / Math.sqrt(q.size(-1));
  const s = q.float().matmul(k.float().transpose(-2, -1)).mul(sc).add(mask.float());
  const lse = s.logsumexp(-1, true);
  const empty = lse.isfinite().logicalNot();
  const o = where(
    empty,
    0,
    s
      .sub(where(empty, 0, lse))
      .exp()
      .matmul(v.float()),
  );
  return [o.to({ dtype: q.dtype }), lse.squeeze(-1)];
}

/** softmax(q kᵀ·scale + mask) v and its log-sum-exp over keys: [.., Lq, D], [.., Lq]. */
function attendWithLse(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | null, scale: number | null = null): [Tensor, Tensor] {
  if (q.device === 'cpu') {
    const [o, l] = opMany('aten::_scaled_dot_product_flash_attention_for_cpu', q, k, v, 0, false, mask, scale);
    return [o!, l!];
  }
  const sc = scale ?? 1 / Math.sqrt(q.size(-1));
  let s = q.float().matmul(k.float().transpose(-2, -1)).mul(sc);
  if (mask) s = s.add(mask.float());
  const lse = s.logsumexp(-1, true);
  const o = s.sub(lse).exp().matmul(v.float());
  return [o.to({ dtype: q.dtype }), lse.squeeze(-1)];
}

/**
 * Variable-length flash attention: q [Nq, Hq, D] (decode: g queries per row, Hq = kvH), packed
 * k/v [N, kvH, D] (Hq a multiple of kvH) → ([Nq, Hq, D], lse [Hq, Nq]). Sequence i: queries
 * [cuQ[i], cuQ[i+1]), keys from cuK[i], usedK[i] of them (null: cuK[i+1] - cuK[i]). `mask`:
 * causal and flash-attn's local window (left/right, bottom-right aligned: flashKeyVisible).
 */
export type VarlenKernel = (
  q: Tensor,
  k: Tensor,
  v: Tensor,
  cuQ: Tensor,
  cuK: Tensor,
  usedK: Tensor | null,
  maxQ: number,
  maxK: number,
  scale?: number | null,
  mask?: VarlenMask,
) => [Tensor, Tensor];

export interface VarlenMask {
  causal: boolean;
  left: number | null;
  right: number | null;
}

/** ATen's (CUDA only). */
const atenVarlen: VarlenKernel = (q, k, v, cuQ, cuK, usedK, maxQ, maxK, scale = null, mask) => {
  const out = opMany(
    'aten::_flash_attention_forward',
    q,
    k,
    v,
    cuQ,
    cuK,
    maxQ,
    maxK,
    0,
    mask?.causal ?? false,
    false,
    scale,
    mask?.left ?? null,
    mask?.right ?? null,
    usedK,
  );
  return [out[0]!, out[1]!];
};

let varlen: VarlenKernel = atenVarlen;

/**
 * Swaps the varlen kernel (tests on CPU plug in a written-out one to check the engine's
 * offsets and layouts, which the CUDA kernel would otherwise be the only one to see); returns
 * the previous one.
 */
export function setVarlenKernel(k: VarlenKernel | null): VarlenKernel {
  const prev = varlen;
  varlen = k ?? atenVarlen;
  return prev;
}

/**
 * Causal self-attention of a prompt prefill (no cache): q [1, H, L, D], k/v [1, kvH, L, D]; on a
 * sliding-window layer query i sees keys i-window+1..i. With `varlen` (the engine's windowPrefill
 * 'flash'; CUDA half precision) a window runs in the flash kernel's local mode (window - 1 to the
 * left), no [L, L] mask.
 */
export function prefillAttention(q: Tensor, k: Tensor, v: Tensor, opts: { window?: number | null; scale?: number | null; varlen?: boolean } = {}): Tensor {
  const l = q.size(2);
  const scale = opts.scale ?? undefined;
  const enableGqa = q.size(1) !== k.size(1);
  const window = opts.window ?? null;
  if (window === null || l <= window) return F.scaledDotProductAttention(q, k, v, { causal: l > 1, enableGqa, scale });
  if (opts.varlen) {
    const cu = tensor([0, l], [2], { dtype: 'int32', device: q.device });
    const tok = (t: Tensor) => t.squeeze(0).transpose(0, 1).contiguous(); // [L, heads, D]
    const [o] = varlen(tok(q), tok(k), tok(v), cu, cu, null, l, l, opts.scale ?? null, { causal: true, ...flashWindowArgs(window) });
    return o.transpose(0, 1).unsqueeze(0); // [1, H, L, D]
  }
  const pos = arange(0, l, 1, { dtype: 'int64', device: q.device });
  const qp = pos.unsqueeze(1);
  const kp = pos.unsqueeze(0);
  const mask = kp.le(qp).logicalAnd(kp.gt(qp.sub(window))); // [L, L]
  return F.scaledDotProductAttention(q, k, v, { mask, enableGqa, scale });
}
