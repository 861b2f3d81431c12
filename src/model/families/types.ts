// What a model family plugs into the project: how its config.json maps onto ModelConfig and
// what its decoder block is made of (BlockSpec). The block math itself is written once, in
// src/model/block.ts, and read by both the training forward (src/model/transformer.ts) and the
// rollout engine (src/rollout/forward.ts); a family only states which pieces its block uses.
import type { Architecture, ModelConfig, RopeScaling } from '../config-types.js';

export type Json = Record<string, unknown>;

/** One layer's attention: full or sliding-window, and its RoPE base. */
export interface LayerSpec {
  /** Keys a query sees (itself and window-1 before it); null = all earlier keys. */
  window: number | null;
  ropeTheta: number;
  ropeScaling: RopeScaling | null;
}

export interface BlockSpec {
  /** Bias on q/k/v projections. */
  qkvBias: boolean;
  /** RMSNorm over each head's q and k before RoPE (weights self_attn.q_norm / k_norm). */
  qkNorm: boolean;
  /**
   * 'llama': normalise in float32, cast, × weight (weights start at 1).
   * 'gemma': normalise in float32, × (1 + weight) in float32, then cast (weights start at 0).
   */
  norm: 'llama' | 'gemma';
  /**
   * Gemma's four norms per layer: input → attn → post_attention_layernorm → +residual,
   * pre_feedforward_layernorm → mlp → post_feedforward_layernorm → +residual. Without it,
   * post_attention_layernorm is the pre-MLP norm (Llama/Qwen naming).
   */
  sandwichNorms: boolean;
  /** MLP: down(act(gate x) · up x). */
  activation: 'silu' | 'gelu_tanh';
  /** Embeddings × this (cast to the embedding dtype first, as HF does), or null. */
  embedScale: number | null;
  /** Attention scale; null = 1/sqrt(headDim). */
  attentionScale: number | null;
  finalLogitSoftcap: number | null;
  /** One per layer. */
  layers: LayerSpec[];
}

export interface Family {
  /** HF `model_type`. */
  modelType: string;
  architecture: Architecture;
  /** The family's fields of config.json on top of the common ones (validates, throws via `fail`). */
  parse(json: Json, common: ModelConfig, fail: (msg: string) => never): ModelConfig;
  /** Writes the family's fields into a config.json object (the common ones are already there). */
  toJson(cfg: ModelConfig, json: Json): void;
  /** The decoder block of a model with this config. */
  block(cfg: ModelConfig): BlockSpec;
}

/** The block of a Llama-style family (one RoPE base, full attention everywhere). */
export function plainLayers(cfg: ModelConfig): LayerSpec[] {
  return Array.from({ length: cfg.numLayers }, () => ({ window: null, ropeTheta: cfg.ropeTheta, ropeScaling: cfg.ropeScaling }));
}
