// Rotary position embeddings as Hugging Face's Qwen2/Llama compute them: inverse frequencies in
// float32 (with Llama-3 rescaling when configured), cos/sin in float32, then cast to the
// activations' dtype before rotating.
import { arange, cat, tensor, tidy, type Tensor } from '../engine/index.js';
import type { ModelConfig } from './config.js';

/** inv_freq[i] = 1 / theta^(2i/d), with Llama-3 frequency rescaling if configured. */
export function inverseFrequencies(cfg: ModelConfig): number[] {
  const d = cfg.headDim;
  const inv: number[] = [];
  for (let i = 0; i < d; i += 2) inv.push(1 / Math.pow(cfg.ropeTheta, i / d));
  const s = cfg.ropeScaling;
  if (!s) return inv.map(Math.fround);
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

  constructor(cfg: ModelConfig, maxPositions: number, device: string) {
    const [cos, sin] = tidy(() => {
      const inv = tensor(inverseFrequencies(cfg), [1, cfg.headDim / 2], { dtype: 'float32', device });
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

  /** cos, sin gathered at positions [B, L] → [B, 1, L, D] in `dtype`. */
  at(positions: Tensor, dtype: Tensor['dtype']): [Tensor, Tensor] {
    const flat = positions.reshape(-1);
    const [b, l] = positions.shape as [number, number];
    const pick = (t: Tensor) => t.indexSelect(0, flat).reshape(b, 1, l, -1).to({ dtype });
    return [pick(this.cos), pick(this.sin)];
  }

  dispose(): void {
    this.cos.dispose();
    this.sin.dispose();
  }
}

/** x * cos + rotate_half(x) * sin, rotate_half(x) = cat(-x2, x1). x: [B, H, L, D]. */
export function applyRotary(x: Tensor, cos: Tensor, sin: Tensor): Tensor {
  const half = x.size(-1) / 2;
  const x1 = x.narrow(-1, 0, half);
  const x2 = x.narrow(-1, half, half);
  const rotated = cat([x2.neg(), x1], -1);
  return x.mul(cos).add(rotated.mul(sin));
}
