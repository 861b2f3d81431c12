// The typed model config (ModelConfig) every part of the project reads, kept apart from the
// config.json parser (config.ts) so that the family files (families/*.ts), which the parser
// consults, can use the types without an import circle.

/** The HF `architectures[0]` values this project runs; one family file each (families/). */
export type Architecture = 'Qwen2ForCausalLM' | 'LlamaForCausalLM' | 'Qwen3ForCausalLM' | 'Gemma3ForCausalLM';

/** Llama-3.x rope frequency rescaling ("rope_type": "llama3"). */
export interface Llama3RopeScaling {
  type: 'llama3';
  factor: number;
  lowFreqFactor: number;
  highFreqFactor: number;
  originalMaxPositionEmbeddings: number;
}

/** Position interpolation ("rope_type": "linear"): every frequency divided by `factor` (Gemma 3 4B+ global layers). */
export interface LinearRopeScaling {
  type: 'linear';
  factor: number;
}

export type RopeScaling = Llama3RopeScaling | LinearRopeScaling;

/** Attention kind of one layer, as HF `layer_types` names them. */
export type LayerType = 'full_attention' | 'sliding_attention';

export interface ModelConfig {
  architecture: Architecture;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  vocabSize: number;
  rmsNormEps: number;
  /** RoPE base of full-attention layers (all layers unless `layerTypes` says otherwise). */
  ropeTheta: number;
  ropeScaling: RopeScaling | null;
  tieWordEmbeddings: boolean;
  /** Bias on q/k/v projections: always for Qwen2, `attention_bias` for the others. */
  attentionBias: boolean;
  maxPositionEmbeddings: number;
  bosTokenId: number | null;
  eosTokenId: number | number[] | null;
  /** e.g. 'bfloat16', 'float32'; null if the file does not say. */
  torchDtype: string | null;
  // ---- family options (absent = off; set by the family files that use them) ----
  /** RMSNorm over each head's q and k before RoPE (Qwen3, Gemma 3). */
  qkNorm?: boolean;
  /** Per-layer attention kind (Gemma 3); absent = every layer full attention. */
  layerTypes?: LayerType[];
  /** Keys a sliding-attention query sees: itself and the window-1 before it. */
  slidingWindow?: number;
  /** RoPE base of sliding-attention layers (Gemma 3 `rope_local_base_freq`). */
  ropeLocalTheta?: number;
  /** Attention scale = queryPreAttnScalar^-0.5 instead of headDim^-0.5 (Gemma 3). */
  queryPreAttnScalar?: number;
  /** logits = tanh(logits / c) · c (Gemma 2/3 `final_logit_softcapping`). */
  finalLogitSoftcap?: number;
}
