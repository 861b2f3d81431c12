// Sliding-window attention (Gemma 3) in the rollout engine: which keys a query sees, where a
// sliding layer's own keys live (a ring buffer of `window` slots), and the per-row key ranges the
// variable-length kernel reads. Every piece is a pure function (host numbers or device-tensor
// arithmetic, no host reads: CUDA-graph safe), tested on CPU in test/rollout/window.test.ts.
//
// The convention is transformers' (masking_utils.sliding_window_overlay): a query at position p
// sees key positions k with p - window < k <= p, i.e. itself and window-1 before it.
import { arange, cat, zeros, type Tensor } from '../engine/index.js';

/**
 * flash-attn's local-attention arguments for a window of `window` keys (HF convention):
 * left = window - 1, right = 0 (causal), as transformers' flash integration passes
 * (sliding_window - 1). null = no window (the kernel's -1 / None).
 */
export function flashWindowArgs(window: number | null): { left: number | null; right: number | null } {
  return window === null ? { left: null, right: null } : { left: window - 1, right: 0 };
}

/**
 * flash-attn's local mask (its documented rule, bottom-right aligned): query i of sq sees key j of
 * sk when i + sk - sq - left <= j <= i + sk - sq + right; a negative (or null) bound is unbounded.
 */
export function flashKeyVisible(i: number, j: number, sq: number, sk: number, left: number | null, right: number | null): boolean {
  const d = i + sk - sq;
  if (left !== null && left >= 0 && j < d - left) return false;
  if (right !== null && right >= 0 && j > d + right) return false;
  return true;
}

/** First key position a query at `position` sees on a layer with `window` (0 without one). */
export function windowStart(position: number, window: number | null): number {
  return window === null ? 0 : Math.max(0, position - window + 1);
}

/** Row-KV slots a layer keeps: all `capacity` on a full layer, at most `window` on a sliding one (a ring). */
export function layerCapacity(capacity: number, window: number | null): number {
  return window === null ? capacity : Math.min(capacity, window);
}

/**
 * Slot of own token t in a sliding layer's ring: t mod window. While the ring is not yet full
 * (t < window) that is t, so growing the buffer up to `window` keeps every slot where it was.
 */
export function ringSlot(t: number, window: number | null): number {
  return window === null ? t : t % window;
}

/**
 * The prompt keys one decode query sees on a sliding layer, as a varlen key range per row:
 * row b's prompt sits at packed keys [cuK[b], cuK[b] + used[b]) and its query at absolute
 * position positions[b]; it sees prompt positions j >= positions[b] - window + 1. Returns
 * start/length per row ([B+1] int32 with cuK's last entry kept, [B] int32) and `empty` [B] bool
 * for rows whose whole prompt has left the window: those get one key (the last) so that the
 * kernel never sees an empty range, and the caller gives that part weight 0 (lse -inf).
 */
export function promptWindowRange(cuK: Tensor, used: Tensor, positions: Tensor, window: number): { cuK: Tensor; used: Tensor; empty: Tensor } {
  const u = used.to({ dtype: 'int64' });
  const lo = positions.sub(window - 1).clamp(0); // [B] first visible prompt position
  const empty = lo.ge(u);
  const first = lo.minimum(u.sub(1)); // at least one key
  const shift = cat([first, zeros([1], { dtype: 'int64', device: used.device })], 0).to({ dtype: 'int32' });
  return { cuK: cuK.add(shift), used: u.sub(first).to({ dtype: 'int32' }), empty };
}

/** A sliding layer's own-key ranges: rows at stride min(capacity, window), min(written, window) keys each. */
export function rowWindowRange(rowUsed: Tensor, rows: number, capacity: number, window: number): { cuK: Tensor; used: Tensor } {
  const stride = layerCapacity(capacity, window);
  return {
    cuK: arange(0, (rows + 1) * stride, stride, { dtype: 'int32', device: rowUsed.device }),
    used: rowUsed.clamp(null, window),
  };
}

/** Per-row worst-case row-KV bytes when each layer holds at most min(maxNew, its window) tokens. */
export function rowKvBytes(windows: readonly (number | null)[], maxNew: number, kvHeads: number, headDim: number, itemBytes: number): number {
  return windows.reduce<number>((a, w) => a + 2 * layerCapacity(maxNew, w) * kvHeads * headDim * itemBytes, 0);
}
