// The two forward passes of the rollout engine over a CausalLM's weights. The block math is
// src/model/block.ts, the same code the training forward (src/model/transformer.ts) runs; only
// the attention differs:
//   prefill — one distinct prompt [1, L], causal (windowed on sliding layers), returns its
//             keys/values token-major and the last position's logits (the first generated token
//             of every sample comes from it);
//   decode  — one new token per row [B], attending to the shared prompt keys and the row's own
//             keys (attention.ts), keys/values written into RowKV.
// In decode every tensor keeps the token-major layout [B, 1, heads, D], so that the new
// keys/values drop into RowKV without a transpose; RoPE broadcasts over heads.
import { autocastState, noGrad, tensor, tidy, type DType, type Tensor } from '../engine/index.js';
import { decoderLayer, type LayerWeights } from '../model/block.js';
import type { ModelConfig } from '../model/config.js';
import type { BlockSpec } from '../model/families/index.js';
import { LayerRopes } from '../model/rope.js';
import type { CausalLM } from '../model/transformer.js';
import { decodeAttention, prefillAttention, type DecodeIndex, type WindowRanges } from './attention.js';
import type { PromptKV, RowKV } from './kv-store.js';
import { ringSlot } from './window.js';

export class RolloutForward {
  readonly config: ModelConfig;
  readonly spec: BlockSpec;
  private readonly layers: readonly LayerWeights[];
  private readonly rope: LayerRopes;
  /**
   * The dtype attention and the KV cache run in: the autocast dtype when the caller runs the
   * rollout under autocast (fp32 master weights, bf16 compute), else the weights' dtype.
   */
  readonly computeDtype: DType;
  /** Windowed prefill through the varlen (flash) kernel's local mode (engine option windowPrefill). */
  flashWindowPrefill = false;

  constructor(
    readonly model: CausalLM,
    maxPositions: number,
  ) {
    this.config = model.config;
    this.spec = model.spec;
    const ac = autocastState(model.device);
    this.computeDtype = ac.enabled && model.dtype === 'float32' ? ac.dtype : model.dtype;
    this.layers = model.layers;
    this.rope = new LayerRopes(this.config.headDim, this.spec.layers, Math.max(1, maxPositions), model.device);
  }

  /** True when some layer attends through a sliding window. */
  get hasWindow(): boolean {
    return this.spec.layers.some((l) => l.window !== null);
  }

  /** Each layer's window (null: full attention). */
  get windows(): (number | null)[] {
    return this.spec.layers.map((l) => l.window);
  }

  /** Prefills one prompt: keys/values [L, kvH, D] per layer (kept) and last-position logits [V] float32 (kept). */
  prefill(ids: number[]): { keys: Tensor[]; values: Tensor[]; lastLogits: Tensor } {
    const cfg = this.config;
    const { device } = this.model;
    const keys: Tensor[] = [];
    const values: Tensor[] = [];
    const lastLogits = noGrad(() =>
      tidy(() => {
        const l = ids.length;
        const input = tensor(ids, [1, l], { dtype: 'int64', device });
        const pos = tensor(
          ids.map((_, i) => i),
          [1, l],
          { dtype: 'int64', device },
        );
        const ropes = this.rope.at(pos, this.computeDtype); // per layer [1, L, 1, D]
        let x = this.model.embed(input);
        for (let i = 0; i < this.layers.length; i++) {
          const [cos, sin] = ropes[i]!;
          const window = this.spec.layers[i]!.window;
          x = decoderLayer({ spec: this.spec, cfg, w: this.layers[i]!, cos, sin, cast: (t) => this.cast(t) }, x, (q, k, v) => {
            keys.push(k.squeeze(0).contiguous().keep()); // [L, kvH, D]
            values.push(v.squeeze(0).contiguous().keep());
            const a = prefillAttention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2), {
              window,
              scale: this.spec.attentionScale,
              varlen: this.flashWindowPrefill,
            });
            return a.transpose(1, 2).reshape(1, l, cfg.numHeads * cfg.headDim);
          });
        }
        const last = this.model.finalNorm(x).select(1, l - 1); // [1, hidden]
        return this.model.logits(last).float().squeeze(0);
      }),
    ).keep();
    return { keys, values, lastLogits };
  }

  /**
   * One decode step: tokens [B] and positions [B] (int64) → logits [B, V] float32. Writes this
   * step's keys/values at row position `rows.length` (host) or `rowWrite` (device, for graph
   * capture) — on a sliding layer at that position mod window (its ring) — then attends over
   * rows.length + 1 own keys. The caller advances rows.length.
   */
  decode(tokens: Tensor, positions: Tensor, prompt: PromptKV, rows: RowKV, index: DecodeIndex, rowWrite: Tensor | null): Tensor {
    const cfg = this.config;
    const b = tokens.size(0);
    return noGrad(() =>
      tidy(() => {
        const ropes = this.rope.at(positions.unsqueeze(1), this.computeDtype); // per layer [B, 1, 1, D]
        let x = this.model.embed(tokens.unsqueeze(1)); // [B, 1, hidden]
        const t = rows.length;
        // Per window, computed once a step: the ring slot to write (device form) and the varlen key ranges.
        const writeAt = new Map<number | null, Tensor>();
        const windowRanges = new Map<number, WindowRanges>();
        try {
          for (let i = 0; i < this.layers.length; i++) {
            const [cos, sin] = ropes[i]!;
            const window = this.spec.layers[i]!.window;
            x = decoderLayer({ spec: this.spec, cfg, w: this.layers[i]!, cos, sin, cast: (u) => this.cast(u) }, x, (q, k, v) => {
              // q [B, 1, H, D], k/v [B, 1, kvH, D]
              const K = rows.keys[i]!;
              const V = rows.values[i]!;
              if (rowWrite) {
                let at = writeAt.get(window);
                if (!at) {
                  // Kept: layer scopes end before the step's (disposed below).
                  at = window === null ? rowWrite : rowWrite.remainder(window).keep();
                  writeAt.set(window, at);
                }
                K.indexCopy_(1, at, k);
                V.indexCopy_(1, at, v);
              } else {
                const slot = ringSlot(t, window);
                K.narrow(1, slot, 1).copy_(k);
                V.narrow(1, slot, 1).copy_(v);
              }
              const a = decodeAttention({
                q: q.transpose(1, 2),
                promptK: prompt.keys[i]!,
                promptV: prompt.values[i]!,
                rowK: K,
                rowV: V,
                rowLength: t + 1,
                index,
                window,
                scale: this.spec.attentionScale,
                positions,
                windowRanges,
              }); // [B, H, D]
              return a.reshape(b, 1, cfg.numHeads * cfg.headDim);
            });
          }
        } finally {
          for (const [w, at] of writeAt) if (w !== null) at.dispose();
          for (const r of windowRanges.values()) for (const u of Object.values(r)) u.dispose();
        }
        return this.model.logits(this.model.finalNorm(x).squeeze(1)).float();
      }),
    );
  }

  /** To the compute dtype (only under autocast, where projections may come out in another dtype). */
  private cast(t: Tensor): Tensor {
    return t.dtype === this.computeDtype ? t : t.to({ dtype: this.computeDtype });
  }

  dispose(): void {
    this.rope.dispose();
  }
}
