// Key/value storage of the rollout engine, in two parts so that memory follows live tokens:
//
//   PromptKV — the keys/values of each DISTINCT prompt, prefilled once and packed one after the
//              other: [S, kvHeads, D] per layer (S = sum of distinct prompt lengths). Every sample
//              of a prompt reads the same slice; nothing is copied per row.
//   RowKV    — the keys/values of the tokens each row generates: [B, capacity, kvHeads, D] per
//              layer. Capacity grows geometrically (×1.5) on demand (amortised: each token is moved
//              O(1) times), and finished rows leave by compaction, which moves live rows only and
//              only when enough rows have finished (see engine.ts), not on every finish.
//
// Token-major layout (sequence before heads) is what ATen's variable-length flash attention
// reads on CUDA; the CPU kernel takes the transposed view at little cost (measured: 2.9 vs
// 2.2 ms for 32 rows × 300 keys).
import { itemSize } from '../engine/dtype.js';
import { cat, empty, noGrad, tidy, type DType, type Device, type Tensor } from '../engine/index.js';

/** Bytes of keys + values of one token over all layers. */
export function kvBytesPerToken(numLayers: number, kvHeads: number, headDim: number, dtype: DType): number {
  return 2 * numLayers * kvHeads * headDim * itemSize(dtype);
}

/** Tracks the KV bytes held now and at peak (including transient copies while growing/compacting). */
export class KVMeter {
  current = 0;
  peak = 0;

  add(bytes: number): void {
    this.current += bytes;
    if (this.current > this.peak) this.peak = this.current;
  }

  sub(bytes: number): void {
    this.current -= bytes;
  }
}

export class PromptKV {
  /** Per layer [S, kvHeads, D]. */
  readonly keys: Tensor[];
  readonly values: Tensor[];
  /** Start of each distinct prompt in the packed sequence, and its length. */
  readonly offsets: number[];
  readonly lengths: number[];
  readonly bytes: number;

  /** Packs per-prompt keys/values ([L_p, kvHeads, D] per layer, per prompt) into one sequence. */
  constructor(
    perPrompt: { keys: Tensor[]; values: Tensor[] }[],
    private readonly meter: KVMeter,
  ) {
    const layers = perPrompt[0]!.keys.length;
    this.lengths = perPrompt.map((p) => p.keys[0]!.size(0));
    this.offsets = [];
    let s = 0;
    for (const l of this.lengths) {
      this.offsets.push(s);
      s += l;
    }
    const pack = (pick: (p: { keys: Tensor[]; values: Tensor[] }) => Tensor[]) =>
      Array.from({ length: layers }, (_, i) =>
        perPrompt.length === 1
          ? pick(perPrompt[0]!)[i]!.keep()
          : tidy(() =>
              cat(
                perPrompt.map((p) => pick(p)[i]!),
                0,
              ),
            ).keep(),
      );
    this.keys = pack((p) => p.keys);
    this.values = pack((p) => p.values);
    const k0 = this.keys[0]!;
    this.bytes = 2 * layers * k0.numel * itemSize(k0.dtype);
    meter.add(this.bytes);
  }

  get totalLength(): number {
    return this.offsets.length === 0 ? 0 : this.offsets[this.offsets.length - 1]! + this.lengths[this.lengths.length - 1]!;
  }

  dispose(): void {
    for (const t of [...this.keys, ...this.values]) t.dispose();
    this.meter.sub(this.bytes);
  }
}

export class RowKV {
  /** Per layer [B, capacity, kvHeads, D]; positions >= length hold garbage. */
  keys: Tensor[];
  values: Tensor[];
  /** Tokens written per row (the same for every row of a wave). */
  length = 0;
  rows: number;
  capacity: number;

  constructor(
    readonly numLayers: number,
    rows: number,
    capacity: number,
    readonly kvHeads: number,
    readonly headDim: number,
    readonly maxCapacity: number,
    readonly dtype: DType,
    readonly device: Device,
    private readonly meter: KVMeter,
  ) {
    this.rows = rows;
    this.capacity = Math.min(capacity, maxCapacity);
    const make = () => empty([rows, this.capacity, kvHeads, headDim], { dtype, device }).keep();
    this.keys = Array.from({ length: numLayers }, make);
    this.values = Array.from({ length: numLayers }, make);
    meter.add(this.bytes);
  }

  /** Bytes of one layer's K (or V) buffer. */
  private get bufferBytes(): number {
    return this.rows * this.capacity * this.kvHeads * this.headDim * itemSize(this.dtype);
  }

  get bytes(): number {
    return 2 * this.numLayers * this.bufferBytes;
  }

  /** Makes room for `extra` more tokens, growing capacity ×1.5 (capped) when needed. Returns true if buffers moved. */
  reserve(extra: number): boolean {
    const need = this.length + extra;
    if (need <= this.capacity) return false;
    if (need > this.maxCapacity) throw new Error(`rollout KV: ${need} tokens exceed the row capacity ${this.maxCapacity}`);
    // ×1.5 (rounded up to 64 tokens): amortised O(1) moves per token, less overshoot than ×2.
    const next = Math.min(this.maxCapacity, Math.max(need, Math.ceil((this.capacity * 1.5) / 64) * 64));
    this.rebuild(this.rows, next, null);
    return true;
  }

  /** Keeps only the given rows (int64 indices on the device): moves the live rows' tokens, nothing else. */
  keepRows(rows: Tensor, count: number): void {
    this.rebuild(count, this.capacity, rows);
  }

  /**
   * Reallocates every buffer as [rows, capacity, ...], copying the written tokens of the kept rows.
   * One layer at a time, so that the transient extra memory is one layer's worth.
   */
  private rebuild(rows: number, capacity: number, keep: Tensor | null): void {
    const oldLayerBytes = this.bufferBytes;
    const newLayerBytes = rows * capacity * this.kvHeads * this.headDim * itemSize(this.dtype);
    const move = (t: Tensor): Tensor => {
      this.meter.add(newLayerBytes);
      const n = empty([rows, capacity, this.kvHeads, this.headDim], { dtype: this.dtype, device: this.device }).keep();
      if (this.length > 0) {
        noGrad(() =>
          tidy(() => {
            let src = t.narrow(1, 0, this.length);
            if (keep) src = src.indexSelect(0, keep);
            n.narrow(1, 0, this.length).copy_(src);
          }),
        );
      }
      t.dispose();
      this.meter.sub(oldLayerBytes);
      return n;
    };
    this.keys = this.keys.map(move);
    this.values = this.values.map(move);
    this.rows = rows;
    this.capacity = capacity;
  }

  dispose(): void {
    for (const t of [...this.keys, ...this.values]) t.dispose();
    this.meter.sub(this.bytes);
    this.keys = [];
    this.values = [];
  }
}
