// Rotary position embeddings as Hugging Face's Qwen2/Llama/Gemma compute them: inverse
// frequencies in float32 (with Llama-3 or linear rescaling when configured), cos/sin in float32,
// then cast to the activations' dtype before rotating. One table per RoPE base (Gemma 3's
// sliding and full layers have different bases).
import { arange, cat, tensor, tidy, type Tensor } from '../engine/index.js';
import type { RopeScaling } from './config-types.js';

/** What a rotary table depends on. */
export interface RopeSpec {
  headDim: number;
  theta: number;
  scaling: RopeScaling | null;
}

/** inv_freq[i] = 1 / theta^(2i/d), with Llama-3 or linear frequency rescaling if configured. */
export function inverseFrequencies(spec: RopeSpec): number[] {
  const d = spec.headDim;
  const inv: number[] = [];
  for (let i = 0; i < d; i += 2) inv.push(1 / Math.pow(spec.theta, i / d));
  const s = spec.scaling;
  if (!s) return inv.map(Math.fround);
  if (s.type === 'linear') return inv.map((f) => Math.fround(Math.fround(f) / s.factor));
  // transformers' _compute_llama3_parameters: long wavelengths are slowed by `factor`, short
  // ones kept, and the band between interpolated smoothly.
  const lowWavelen = s.originalMaxPositionEmbeddings / s.lowFreqFactor;
  const highWavelen = s.originalMaxPositionEmbeddings / s.highFreqFactor;
  return inv.map((f) => {
    const f32 = Math.fround(f);
    const wavelen = (2 * Math.PI) / f32;
    if (wavelen > lowWavelen) return Math.fround(f32 / s.factor);
    if (wavelen < highWavelen) return f32;
    const smooth = (s.originalMaxPositionEmbeddings / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
    return Math.fround((1 - smooth) * (f32 / s.factor) + smooth * f32);
  });
}

/** Precomputed float32 cos/sin tables [maxPositions, headDim] on a device. */
export class RotaryTables {
  readonly cos: Tensor;
  readonly sin: Tensor;

  constructor(
    readonly spec: RopeSpec,
    maxPositions: number,
    device: string,
  ) {
    const [cos, sin] = tidy(() => {
      const inv = tensor(inverseFrequencies(spec), [1, spec.headDim / 2], { dtype: 'float32', device });
      const pos = arange(0, maxPositions, 1, { dtype: 'float32', device }).unsqueeze(1);
      const freqs = pos.matmul(inv);
      const emb = cat([freqs, freqs], -1);
      return [emb.cos(), emb.sin()];
    });
    this.cos = cos!.keep();
    this.sin = sin!.keep();
  }

  get maxPositions(): number {
    return this.cos.size(0);
  }

  /** cos, sin gathered at positions [B, L] → [B, L, 1, D] in `dtype` (token-major: broadcasts over heads). */
  at(positions: Tensor, dtype: Tensor['dtype']): [Tensor, Tensor] {
    const flat = positions.reshape(-1);
    const [b, l] = positions.shape as [number, number];
    const pick = (t: Tensor) => t.indexSelect(0, flat).reshape(b, l, 1, -1).to({ dtype });
    return [pick(this.cos), pick(this.sin)];
  }

  dispose(): void {
    this.cos.dispose();
    this.sin.dispose();
  }
}

/** x * cos + rotate_half(x) * sin, rotate_half(x) = cat(-x2, x1). x: [B, L, H, D], cos/sin [B, L, 1, D]. */
export function applyRotary(x: Tensor, cos: Tensor, sin: Tensor): Tensor {
  const half = x.size(-1) / 2;
  const x1 = x.narrow(-1, 0, half);
  const x2 = x.narrow(-1, half, half);
  const rotated = cat([x2.neg(), x1], -1);
  return x.mul(cos).add(rotated.mul(sin));
}

/**
 * The rotary tables of every layer of a model: one table per distinct (base, scaling), shared
 * by the layers that use it (Gemma 3: one for sliding layers, one for full ones).
 */
export class LayerRopes {
  private tables: RotaryTables[] = [];
  /** Index into `tables` of each layer. */
  private readonly ofLayer: number[];
  private readonly specs: RopeSpec[] = [];

  constructor(
    headDim: number,
    layers: readonly { ropeTheta: number; ropeScaling: RopeScaling | null }[],
    maxPositions: number,
    readonly device: string,
  ) {
    const keys: string[] = [];
    this.ofLayer = layers.map((l) => {
      const key = JSON.stringify([l.ropeTheta, l.ropeScaling]);
      let i = keys.indexOf(key);
      if (i < 0) {
        i = keys.length;
        keys.push(key);
        this.specs.push({ headDim, theta: l.ropeTheta, scaling: l.ropeScaling });
      }
      return i;
    });
    this.tables = this.specs.map((s) => new RotaryTables(s, maxPositions, device));
  }

  get maxPositions(): number {
    return this.tables[0]?.maxPositions ?? 0;
  }

  /** Rebuilds the tables for at least n positions (doubling). */
  grow(n: number): void {
    const size = Math.max(n, this.maxPositions * 2);
    for (const t of this.tables) t.dispose();
    this.tables = this.specs.map((s) => new RotaryTables(s, size, this.device));
  }

  /** Per layer: cos, sin [B, L, 1, D] at positions [B, L] (gathered once per distinct table). */
  at(positions: Tensor, dtype: Tensor['dtype']): [Tensor, Tensor][] {
    const per = this.tables.map((t) => t.at(positions, dtype));
    return this.ofLayer.map((i) => per[i]!);
  }

  dispose(): void {
    for (const t of this.tables) t.dispose();
    this.tables = [];
  }
}
