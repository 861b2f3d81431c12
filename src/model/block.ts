// The decoder block, written once for every family (families/*.ts state which pieces a family
// uses) and run by both forwards: the training/reference forward (transformer.ts) and the
// rollout engine's prefill/decode (src/rollout/forward.ts). Only attention differs between the
// two (a KV cache + SDPA there, shared prompt keys + row keys here), so the caller passes it in:
//
//   h = norm_in(x); q, k, v = proj(h); q, k = qk_norm(q, k); q, k = rope(q, k)
//   x = x + post_attn_norm?(o_proj(attend(q, k, v)))
//   x = x + post_mlp_norm?(down(act(gate(pre_mlp_norm x)) · up(pre_mlp_norm x)))
//
// q/k/v stay token-major [B, L, heads, D] here (RoPE's cos/sin [B, L, 1, D] broadcast over heads),
// which is the layout the rollout engine stores keys in; the training forward transposes.
import { F, tensor, tidy, type Tensor } from '../engine/index.js';
import type { ModelConfig } from './config-types.js';
import type { BlockSpec } from './families/types.js';
import { loraLinear, type LayerLora } from './lora.js';
import { applyRotary } from './rope.js';

export interface LayerWeights {
  inputNorm: Tensor;
  q: Tensor;
  qBias: Tensor | null;
  k: Tensor;
  kBias: Tensor | null;
  v: Tensor;
  vBias: Tensor | null;
  /** Per-head q/k RMSNorm weights [D] (Qwen3, Gemma 3). */
  qNorm: Tensor | null;
  kNorm: Tensor | null;
  o: Tensor;
  /** Norm of the attention output before the residual add (Gemma `post_attention_layernorm`). */
  postAttnNorm: Tensor | null;
  /** Norm before the MLP (Llama/Qwen `post_attention_layernorm`, Gemma `pre_feedforward_layernorm`). */
  preMlpNorm: Tensor;
  /** Norm of the MLP output before the residual add (Gemma `post_feedforward_layernorm`). */
  postMlpNorm: Tensor | null;
  gate: Tensor;
  up: Tensor;
  down: Tensor;
  /** LoRA adapters of this layer (lora.ts), applied on the fly by every forward; null/absent: none. */
  lora?: LayerLora | null;
}

/** The HF parameter names of a model with this config, with their shapes, in checkpoint order. */
export function parameterShapesOf(cfg: ModelConfig, spec: BlockSpec): Map<string, number[]> {
  const { hiddenSize: h, intermediateSize: m, numHeads, numKvHeads, headDim: d, vocabSize: v } = cfg;
  const shapes = new Map<string, number[]>();
  shapes.set('model.embed_tokens.weight', [v, h]);
  for (let i = 0; i < cfg.numLayers; i++) {
    const p = `model.layers.${i}.`;
    shapes.set(p + 'input_layernorm.weight', [h]);
    shapes.set(p + 'self_attn.q_proj.weight', [numHeads * d, h]);
    shapes.set(p + 'self_attn.k_proj.weight', [numKvHeads * d, h]);
    shapes.set(p + 'self_attn.v_proj.weight', [numKvHeads * d, h]);
    if (spec.qkvBias) {
      shapes.set(p + 'self_attn.q_proj.bias', [numHeads * d]);
      shapes.set(p + 'self_attn.k_proj.bias', [numKvHeads * d]);
      shapes.set(p + 'self_attn.v_proj.bias', [numKvHeads * d]);
    }
    shapes.set(p + 'self_attn.o_proj.weight', [h, numHeads * d]);
    if (spec.qkNorm) {
      shapes.set(p + 'self_attn.q_norm.weight', [d]);
      shapes.set(p + 'self_attn.k_norm.weight', [d]);
    }
    shapes.set(p + 'post_attention_layernorm.weight', [h]);
    if (spec.sandwichNorms) {
      shapes.set(p + 'pre_feedforward_layernorm.weight', [h]);
      shapes.set(p + 'post_feedforward_layernorm.weight', [h]);
    }
    shapes.set(p + 'mlp.gate_proj.weight', [m, h]);
    shapes.set(p + 'mlp.up_proj.weight', [m, h]);
    shapes.set(p + 'mlp.down_proj.weight', [h, m]);
  }
  shapes.set('model.norm.weight', [h]);
  if (!cfg.tieWordEmbeddings) shapes.set('lm_head.weight', [v, h]);
  return shapes;
}

/** Handles (views of `params`) of layer i's weights. */
export function layerWeights(params: Map<string, Tensor>, spec: BlockSpec, i: number): LayerWeights {
  const p = `model.layers.${i}.`;
  const get = (n: string) => params.get(p + n)!;
  const maybe = (n: string) => params.get(p + n) ?? null;
  return {
    inputNorm: get('input_layernorm.weight'),
    q: get('self_attn.q_proj.weight'),
    qBias: maybe('self_attn.q_proj.bias'),
    k: get('self_attn.k_proj.weight'),
    kBias: maybe('self_attn.k_proj.bias'),
    v: get('self_attn.v_proj.weight'),
    vBias: maybe('self_attn.v_proj.bias'),
    qNorm: maybe('self_attn.q_norm.weight'),
    kNorm: maybe('self_attn.k_norm.weight'),
    o: get('self_attn.o_proj.weight'),
    postAttnNorm: spec.sandwichNorms ? get('post_attention_layernorm.weight') : null,
    preMlpNorm: spec.sandwichNorms ? get('pre_feedforward_layernorm.weight') : get('post_attention_layernorm.weight'),
    postMlpNorm: spec.sandwichNorms ? get('post_feedforward_layernorm.weight') : null,
    gate: get('mlp.gate_proj.weight'),
    up: get('mlp.up_proj.weight'),
    down: get('mlp.down_proj.weight'),
  };
}

/** Is this parameter a norm weight (initialised at 1 for Llama-style norms, 0 for Gemma's 1 + w)? */
export function isNormWeight(name: string): boolean {
  return name.endsWith('norm.weight');
}

/**
 * RMSNorm of the family: Llama/Qwen normalise in float32, cast back, then × w; Gemma multiplies
 * by (1 + w) in float32 and casts last (transformers' Gemma3RMSNorm).
 */
export function norm(spec: BlockSpec, x: Tensor, w: Tensor, eps: number): Tensor {
  if (spec.norm === 'llama') return F.rmsNorm(x, w, eps);
  return tidy(() => {
    const out = F.rmsNorm(x.float(), w.float().add(1), eps);
    return out.dtype === x.dtype ? out : out.to({ dtype: x.dtype });
  });
}

/** Token embeddings [.., hidden], × embedScale rounded to the embedding dtype first (as HF does). */
export function embedTokens(spec: BlockSpec, weight: Tensor, ids: Tensor): Tensor {
  const e = F.embedding(weight, ids);
  if (spec.embedScale === null) return e;
  return tidy(() => e.mul(tensor([spec.embedScale!], [1], { dtype: 'float32', device: weight.device }).to({ dtype: weight.dtype })));
}

/** logits, tanh-softcapped when the family sets final_logit_softcapping. */
export function capLogits(spec: BlockSpec, logits: Tensor): Tensor {
  const c = spec.finalLogitSoftcap;
  return c === null ? logits : tidy(() => logits.div(c).tanh().mul(c));
}

/** q [B, L, H, D], k and v [B, L, kvH, D] after q/k norm and RoPE → attention output [B, L, H·D] (before o_proj). */
export type Attend = (q: Tensor, k: Tensor, v: Tensor) => Tensor;

export interface LayerInputs {
  spec: BlockSpec;
  cfg: ModelConfig;
  w: LayerWeights;
  /** RoPE tables at this call's positions for this layer's base: [B, L, 1, D]. */
  cos: Tensor;
  sin: Tensor;
  /** Casts projections to the compute dtype (the rollout under autocast); identity by default. */
  cast?: (t: Tensor) => Tensor;
}

/** One decoder layer on x [B, L, hidden]; `attend` is the only part the two forwards do differently. */
export function decoderLayer(c: LayerInputs, x: Tensor, attend: Attend): Tensor {
  const { spec, cfg, w } = c;
  const cast = c.cast ?? ((t: Tensor) => t);
  const eps = cfg.rmsNormEps;
  const [b, l] = x.shape as [number, number];
  return tidy(() => {
    const attnOut = tidy(() => {
      const hIn = norm(spec, x, w.inputNorm, eps);
      let q = cast(loraLinear(hIn, w.q, w.qBias, w.lora, 'q_proj')).view(b, l, cfg.numHeads, cfg.headDim); // [B, L, H, D]
      let k = cast(loraLinear(hIn, w.k, w.kBias, w.lora, 'k_proj')).view(b, l, cfg.numKvHeads, cfg.headDim); // [B, L, kvH, D]
      const v = cast(loraLinear(hIn, w.v, w.vBias, w.lora, 'v_proj')).view(b, l, cfg.numKvHeads, cfg.headDim);
      // (cast again: a float32 norm weight promotes a half-precision q/k under autocast)
      if (w.qNorm) q = cast(norm(spec, q, w.qNorm, eps));
      if (w.kNorm) k = cast(norm(spec, k, w.kNorm, eps));
      q = applyRotary(q, c.cos, c.sin);
      k = applyRotary(k, c.cos, c.sin);
      const o = loraLinear(attend(q, k, v), w.o, null, w.lora, 'o_proj');
      return w.postAttnNorm ? norm(spec, o, w.postAttnNorm, eps) : o;
    });
    const x1 = x.add(attnOut);
    const mlpOut = tidy(() => {
      const h2 = norm(spec, x1, w.preMlpNorm, eps);
      const g = loraLinear(h2, w.gate, null, w.lora, 'gate_proj');
      const act = spec.activation === 'silu' ? F.silu(g) : F.gelu(g, 'tanh');
      const out = loraLinear(act.mul(loraLinear(h2, w.up, null, w.lora, 'up_proj')), w.down, null, w.lora, 'down_proj');
      return w.postMlpNorm ? norm(spec, out, w.postMlpNorm, eps) : out;
    });
    return x1.add(mlpOut);
  });
}
