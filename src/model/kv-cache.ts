// Key/value cache for incremental decoding: per layer, preallocated [B, kvHeads, maxLen, D]
// buffers written in place, so a decode step costs no reallocation. Rows can be dropped
// (finished sequences leave the batch) with keepRows().
import { itemSize } from '../engine/dtype.js';
import { empty, noGrad, type DType, type Device, type Tensor } from '../engine/index.js';

export class KVCache {
  private keys: Tensor[];
  private values: Tensor[];
  /** Tokens stored so far (the same for every row; padding is masked, not skipped). */
  length = 0;
  batch: number;

  constructor(
    readonly numLayers: number,
    batch: number,
    readonly kvHeads: number,
    readonly maxLength: number,
    readonly headDim: number,
    readonly dtype: DType,
    readonly device: Device,
  ) {
    this.batch = batch;
    const shape = [batch, kvHeads, maxLength, headDim];
    this.keys = Array.from({ length: numLayers }, () => empty(shape, { dtype, device }).keep());
    this.values = Array.from({ length: numLayers }, () => empty(shape, { dtype, device }).keep());
  }

  /** Writes this step's k, v [B, kvHeads, L, D] after the cached ones; returns views of all keys/values so far. */
  append(layer: number, k: Tensor, v: Tensor): [Tensor, Tensor] {
    const l = k.size(2);
    if (this.length + l > this.maxLength) {
      throw new Error(`KV cache full: ${this.length} + ${l} tokens exceed its ${this.maxLength}`);
    }
    const K = this.keys[layer]!;
    const V = this.values[layer]!;
    noGrad(() => {
      K.narrow(2, this.length, l).copy_(k);
      V.narrow(2, this.length, l).copy_(v);
    });
    const total = this.length + l;
    return [K.narrow(2, 0, total), V.narrow(2, 0, total)];
  }

  /** Called once per forward, after every layer appended. */
  advance(l: number): void {
    this.length += l;
  }

  /** Keeps only the given rows (int64 indices), e.g. the sequences still generating. */
  keepRows(rows: Tensor): void {
    noGrad(() => {
      this.keys = this.keys.map((t) => {
        const n = t.indexSelect(0, rows).keep();
        t.dispose();
        return n;
      });
      this.values = this.values.map((t) => {
        const n = t.indexSelect(0, rows).keep();
        t.dispose();
        return n;
      });
    });
    this.batch = rows.size(0);
  }

  /** Bytes held by the cache buffers. */
  get bytes(): number {
    const per = this.keys[0]!.numel * itemSize(this.dtype);
    return per * 2 * this.numLayers;
  }

  dispose(): void {
    for (const t of [...this.keys, ...this.values]) t.dispose();
    this.keys = [];
    this.values = [];
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
