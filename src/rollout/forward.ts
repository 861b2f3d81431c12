// The two forward passes of the rollout engine over a CausalLM's weights (the same math as
// src/model/transformer.ts, which stays the training/reference forward):
//   prefill — one distinct prompt [1, L], causal, returns its keys/values token-major and the
//             last position's logits (the first generated token of every sample comes from it);
//   decode  — one new token per row [B], attending to the shared prompt keys and the row's own
//             keys (attention.ts), keys/values written into RowKV.
// In decode every tensor keeps the token-major layout [B, 1, heads, D], so that the new
// keys/values drop into RowKV without a transpose; RoPE broadcasts over heads.
import { F, autocastState, noGrad, tensor, tidy, type DType, type Tensor } from '../engine/index.js';
import type { ModelConfig } from '../model/config.js';
import { applyRotary, RotaryTables } from '../model/rope.js';
import type { CausalLM, LayerWeights } from '../model/transformer.js';
import { decodeAttention, prefillAttention, type DecodeIndex } from './attention.js';
import type { PromptKV, RowKV } from './kv-store.js';

export class RolloutForward {
  readonly config: ModelConfig;
  private readonly layers: readonly LayerWeights[];
  private readonly rope: RotaryTables;
  /**
   * The dtype attention and the KV cache run in: the autocast dtype when the caller runs the
   * rollout under autocast (fp32 master weights, bf16 compute), else the weights' dtype.
   */
  readonly computeDtype: DType;

  constructor(readonly model: CausalLM, maxPositions: number) {
    this.config = model.config;
    const ac = autocastState(model.device);
    this.computeDtype = ac.enabled && model.dtype === 'float32' ? ac.dtype : model.dtype;
    this.layers = model.layers;
    this.rope = new RotaryTables(this.config, Math.max(1, maxPositions), model.device);
  }

  /** Prefills one prompt: keys/values [L, kvH, D] per layer (kept) and last-position logits [V] float32 (kept). */
  prefill(ids: number[]): { keys: Tensor[]; values: Tensor[]; lastLogits: Tensor } {
    const cfg = this.config;
    const { device } = this.model;
    const keys: Tensor[] = [];
    const values: Tensor[] = [];
    const lastLogits = noGrad(() => tidy(() => {
      const l = ids.length;
      const input = tensor(ids, [1, l], { dtype: 'int64', device });
      const pos = tensor(ids.map((_, i) => i), [1, l], { dtype: 'int64', device });
      const [cos, sin] = this.rope.at(pos, this.computeDtype); // [1, 1, L, D]
      let x = this.model.embed(input);
      for (let i = 0; i < this.layers.length; i++) {
        x = this.layer(i, x, (hIn, w) => {
          let q = this.cast(F.linear(hIn, w.q, w.qBias)).view(1, l, cfg.numHeads, cfg.headDim).transpose(1, 2);
          let k = this.cast(F.linear(hIn, w.k, w.kBias)).view(1, l, cfg.numKvHeads, cfg.headDim).transpose(1, 2);
          const v = this.cast(F.linear(hIn, w.v, w.vBias)).view(1, l, cfg.numKvHeads, cfg.headDim).transpose(1, 2);
          q = applyRotary(q, cos, sin);
          k = applyRotary(k, cos, sin);
          keys.push(k.transpose(1, 2).squeeze(0).contiguous().keep());
          values.push(v.transpose(1, 2).squeeze(0).contiguous().keep());
          return prefillAttention(q, k, v).transpose(1, 2).reshape(1, l, cfg.numHeads * cfg.headDim);
        });
      }
      const last = this.model.finalNorm(x).select(1, l - 1); // [1, hidden]
      return this.model.logits(last).float().squeeze(0);
    })).keep();
    return { keys, values, lastLogits };
  }

  /**
   * One decode step: tokens [B] and positions [B] (int64) → logits [B, V] float32. Writes this
   * step's keys/values at row position `rows.length` (host) or `index.rowWrite` (device, for
   * graph capture), then attends over rows.length + 1 own keys. The caller advances rows.length.
   */
  decode(tokens: Tensor, positions: Tensor, prompt: PromptKV, rows: RowKV, index: DecodeIndex, rowWrite: Tensor | null): Tensor {
    const cfg = this.config;
    const b = tokens.size(0);
    return noGrad(() => tidy(() => {
      const [cos, sin] = this.rope.at(positions.unsqueeze(1), this.computeDtype); // [B, 1, 1, D]
      let x = this.model.embed(tokens.unsqueeze(1)); // [B, 1, hidden]
      const t = rows.length;
      for (let i = 0; i < this.layers.length; i++) {
        x = this.layer(i, x, (hIn, w) => {
          const q = applyRotary(this.cast(F.linear(hIn, w.q, w.qBias)).view(b, 1, cfg.numHeads, cfg.headDim), cos, sin); // [B, 1, H, D]
          const k = applyRotary(this.cast(F.linear(hIn, w.k, w.kBias)).view(b, 1, cfg.numKvHeads, cfg.headDim), cos, sin); // [B, 1, kvH, D]
          const v = this.cast(F.linear(hIn, w.v, w.vBias)).view(b, 1, cfg.numKvHeads, cfg.headDim);
          const K = rows.keys[i]!;
          const V = rows.values[i]!;
          if (rowWrite) { K.indexCopy_(1, rowWrite, k); V.indexCopy_(1, rowWrite, v); }
          else { K.narrow(1, t, 1).copy_(k); V.narrow(1, t, 1).copy_(v); }
          const a = decodeAttention({
            q: q.transpose(1, 2), promptK: prompt.keys[i]!, promptV: prompt.values[i]!, rowK: K, rowV: V, rowLength: t + 1, index,
          }); // [B, H, D]
          return a.reshape(b, 1, cfg.numHeads * cfg.headDim);
        });
      }
      return this.model.logits(this.model.finalNorm(x).squeeze(1)).float();
    }));
  }

  /** To the compute dtype (only under autocast, where projections may come out in another dtype). */
  private cast(t: Tensor): Tensor {
    return this.computeDtype === this.model.dtype ? t : t.to({ dtype: this.computeDtype });
  }

  /** x + o_proj(attn(norm x)) then + mlp(norm ...); `attend` maps the normed input to the attention output. */
  private layer(i: number, x: Tensor, attend: (hIn: Tensor, w: LayerWeights) => Tensor): Tensor {
    const cfg = this.config;
    const w = this.layers[i]!;
    return tidy(() => {
      const a = tidy(() => F.linear(attend(F.rmsNorm(x, w.inputNorm, cfg.rmsNormEps), w), w.o));
      const x1 = x.add(a);
      const m = tidy(() => {
        const h2 = F.rmsNorm(x1, w.postNorm, cfg.rmsNormEps);
        return F.linear(F.silu(F.linear(h2, w.gate)).mul(F.linear(h2, w.up)), w.down);
      });
      return x1.add(m);
    });
  }

  dispose(): void {
    this.rope.dispose();
  }
}
