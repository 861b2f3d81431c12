// Key/value storage of the rollout engine, in two parts so that memory follows live tokens:
//
//   PromptKV — the keys/values of each DISTINCT prompt, prefilled once and packed one after the
//              other: [S, kvHeads, D] per layer (S = sum of distinct prompt lengths). Every sample
//              of a prompt reads the same slice; nothing is copied per row.
//   RowKV    — the keys/values of the tokens each row generates: [B, capacity, kvHeads, D] per
//              layer. Capacity grows geometrically (×1.5) on demand (amortised: each token is moved
//              O(1) times), and finished rows leave by compaction, which moves live rows only and
//              only when enough rows have finished (see engine.ts), not on every finish.
//              A sliding-window layer (Gemma 3) keeps at most `window` slots, a ring: own token t
//              lives in slot t mod window (window.ts), so its memory stops growing at the window
//              while full layers grow with the length. Attention is order-free over keys (RoPE is
//              already in them), so the ring's slot order does not matter.
//
// Token-major layout (sequence before heads) is what ATen's variable-length flash attention
// reads on CUDA; the CPU kernel takes the transposed view at little cost (measured: 2.9 vs
// 2.2 ms for 32 rows × 300 keys).
import { itemSize } from '../engine/dtype.js';
import { cat, empty, noGrad, tidy, type DType, type Device, type Tensor } from '../engine/index.js';
import { layerCapacity } from './window.js';

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
  /** Per layer [B, layerCapacity(capacity, window), kvHeads, D]; slots not yet written hold garbage. */
  keys: Tensor[];
  values: Tensor[];
  /** Tokens written per row (the same for every row of a wave). */
  length = 0;
  rows: number;
  /** Slots of a full layer; a sliding layer holds min(capacity, window). */
  capacity: number;
  /** Each layer's window (null: full attention). */
  readonly windows: readonly (number | null)[];

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
    windows: readonly (number | null)[] = [],
  ) {
    this.rows = rows;
    this.capacity = Math.min(capacity, maxCapacity);
    this.windows = Array.from({ length: numLayers }, (_, i) => windows[i] ?? null);
    const make = (i: number) => empty([rows, this.slots(i), kvHeads, headDim], { dtype, device }).keep();
    this.keys = Array.from({ length: numLayers }, (_, i) => make(i));
    this.values = Array.from({ length: numLayers }, (_, i) => make(i));
    meter.add(this.bytes);
  }

  /** Slots of layer i at a given capacity. */
  slots(i: number, capacity = this.capacity): number {
    return layerCapacity(capacity, this.windows[i]!);
  }

  /** Written slots of layer i (a ring holds at most its window). */
  used(i: number): number {
    return Math.min(this.length, this.slots(i));
  }

  /** Bytes of layer i's K (or V) buffer at a row count and capacity. */
  private layerBytes(i: number, rows = this.rows, capacity = this.capacity): number {
    return rows * this.slots(i, capacity) * this.kvHeads * this.headDim * itemSize(this.dtype);
  }

  get bytes(): number {
    let s = 0;
    for (let i = 0; i < this.numLayers; i++) s += 2 * this.layerBytes(i);
    return s;
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
   * Reallocates the buffers as [rows, slots, ...], copying the written slots of the kept rows
   * (a ring's slots stay where they are). One layer at a time, so that the transient extra memory
   * is one layer's worth; a layer whose shape does not change (a full ring, on growth) stays.
   */
  private rebuild(rows: number, capacity: number, keep: Tensor | null): void {
    const move = (t: Tensor, i: number): Tensor => {
      const slots = this.slots(i, capacity);
      if (!keep && rows === this.rows && slots === this.slots(i)) return t;
      const newBytes = this.layerBytes(i, rows, capacity);
      this.meter.add(newBytes);
      const n = empty([rows, slots, this.kvHeads, this.headDim], { dtype: this.dtype, device: this.device }).keep();
      const written = this.used(i);
      if (written > 0) {
        noGrad(() =>
          tidy(() => {
            let src = t.narrow(1, 0, written);
            if (keep) src = src.indexSelect(0, keep);
            n.narrow(1, 0, written).copy_(src);
          }),
        );
      }
      t.dispose();
      this.meter.sub(this.layerBytes(i));
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
