// HF `config.json` for the causal LMs this project runs: Qwen2 (Qwen2.5, Qwen2.5-Math) and Llama.
//
// parseModelConfig turns the loose JSON into a typed, validated ModelConfig, failing with one
// clear message on an unsupported architecture or a missing field; configToJson writes a
// config.json that transformers loads back into the same model.

export type Architecture = 'Qwen2ForCausalLM' | 'LlamaForCausalLM';

/** Llama-3.x rope frequency rescaling ("rope_type": "llama3"). */
export interface Llama3RopeScaling {
  type: 'llama3';
  factor: number;
  lowFreqFactor: number;
  highFreqFactor: number;
  originalMaxPositionEmbeddings: number;
}

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
  ropeTheta: number;
  ropeScaling: Llama3RopeScaling | null;
  tieWordEmbeddings: boolean;
  /** Bias on q/k/v projections: always for Qwen2, `attention_bias` for Llama. */
  attentionBias: boolean;
  maxPositionEmbeddings: number;
  bosTokenId: number | null;
  eosTokenId: number | number[] | null;
  /** e.g. 'bfloat16', 'float32'; null if the file does not say. */
  torchDtype: string | null;
}

const ARCHITECTURES: Record<string, Architecture> = {
  Qwen2ForCausalLM: 'Qwen2ForCausalLM',
  LlamaForCausalLM: 'LlamaForCausalLM',
};
const MODEL_TYPE: Record<Architecture, string> = { Qwen2ForCausalLM: 'qwen2', LlamaForCausalLM: 'llama' };

type Json = Record<string, unknown>;

function fail(msg: string): never {
  throw new Error(`config.json: ${msg}`);
}

function num(json: Json, key: string, fallback?: number): number {
  const v = json[key];
  if (v === undefined || v === null) {
    if (fallback !== undefined) return fallback;
    fail(`missing required field "${key}"`);
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(`field "${key}" must be a number, got ${JSON.stringify(v)}`);
  return v;
}

function tokenIds(v: unknown, key: string): number | number[] | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number') return v;
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return v as number[];
  fail(`field "${key}" must be a number or list of numbers`);
}

function parseRopeScaling(v: unknown): Llama3RopeScaling | null {
  if (v === undefined || v === null) return null;
  const r = v as Json;
  const kind = r.rope_type ?? r.type;
  if (kind === 'default') return null;
  if (kind !== 'llama3') fail(`unsupported rope_scaling type ${JSON.stringify(kind)} (supported: llama3)`);
  return {
    type: 'llama3',
    factor: num(r, 'factor'),
    lowFreqFactor: num(r, 'low_freq_factor'),
    highFreqFactor: num(r, 'high_freq_factor'),
    originalMaxPositionEmbeddings: num(r, 'original_max_position_embeddings'),
  };
}

/** Validates a parsed config.json; throws one clear error on anything unsupported or missing. */
export function parseModelConfig(input: unknown): ModelConfig {
  if (typeof input !== 'object' || input === null) fail('expected a JSON object');
  const json = input as Json;
  const archs = json.architectures;
  const archName = Array.isArray(archs) ? archs[0] : undefined;
  if (typeof archName !== 'string') fail('missing required field "architectures"');
  const architecture = ARCHITECTURES[archName];
  if (!architecture) fail(`unsupported architecture ${archName} (supported: ${Object.keys(ARCHITECTURES).join(', ')})`);

  const act = json.hidden_act ?? 'silu';
  if (act !== 'silu') fail(`unsupported hidden_act ${JSON.stringify(act)} (only silu)`);

  const hiddenSize = num(json, 'hidden_size');
  const numHeads = num(json, 'num_attention_heads');
  const numKvHeads = num(json, 'num_key_value_heads', numHeads);
  if (numHeads % numKvHeads !== 0) fail(`num_attention_heads ${numHeads} is not a multiple of num_key_value_heads ${numKvHeads}`);
  const headDim = num(json, 'head_dim', hiddenSize / numHeads);
  if (!Number.isInteger(headDim)) fail(`hidden_size ${hiddenSize} is not divisible by num_attention_heads ${numHeads}`);

  // transformers >= 5 saves rope settings as `rope_parameters`; older files use rope_theta/rope_scaling.
  const ropeParams = (json.rope_parameters ?? null) as Json | null;
  const ropeTheta = ropeParams && ropeParams.rope_theta !== undefined ? num(ropeParams, 'rope_theta') : num(json, 'rope_theta', 10000);
  const ropeScaling = parseRopeScaling(ropeParams ?? json.rope_scaling);

  if (architecture === 'Qwen2ForCausalLM' && json.use_sliding_window === true) {
    fail('use_sliding_window = true is not supported');
  }

  return {
    architecture,
    hiddenSize,
    intermediateSize: num(json, 'intermediate_size'),
    numLayers: num(json, 'num_hidden_layers'),
    numHeads,
    numKvHeads,
    headDim,
    vocabSize: num(json, 'vocab_size'),
    rmsNormEps: num(json, 'rms_norm_eps'),
    ropeTheta,
    ropeScaling,
    tieWordEmbeddings: json.tie_word_embeddings === true,
    attentionBias: architecture === 'Qwen2ForCausalLM' ? true : json.attention_bias === true,
    maxPositionEmbeddings: num(json, 'max_position_embeddings'),
    bosTokenId: (tokenIds(json.bos_token_id, 'bos_token_id') as number | null),
    eosTokenId: tokenIds(json.eos_token_id, 'eos_token_id'),
    torchDtype: typeof (json.torch_dtype ?? json.dtype) === 'string' ? ((json.torch_dtype ?? json.dtype) as string) : null,
  };
}

/** A config.json object transformers accepts for this model (write with JSON.stringify). */
export function configToJson(cfg: ModelConfig): Record<string, unknown> {
  const json: Record<string, unknown> = {
    architectures: [cfg.architecture],
    model_type: MODEL_TYPE[cfg.architecture],
    hidden_act: 'silu',
    hidden_size: cfg.hiddenSize,
    intermediate_size: cfg.intermediateSize,
    num_hidden_layers: cfg.numLayers,
    num_attention_heads: cfg.numHeads,
    num_key_value_heads: cfg.numKvHeads,
    head_dim: cfg.headDim,
    vocab_size: cfg.vocabSize,
    rms_norm_eps: cfg.rmsNormEps,
    rope_theta: cfg.ropeTheta,
    rope_scaling: cfg.ropeScaling && {
      rope_type: 'llama3',
      factor: cfg.ropeScaling.factor,
      low_freq_factor: cfg.ropeScaling.lowFreqFactor,
      high_freq_factor: cfg.ropeScaling.highFreqFactor,
      original_max_position_embeddings: cfg.ropeScaling.originalMaxPositionEmbeddings,
    },
    tie_word_embeddings: cfg.tieWordEmbeddings,
    max_position_embeddings: cfg.maxPositionEmbeddings,
    bos_token_id: cfg.bosTokenId,
    eos_token_id: cfg.eosTokenId,
    initializer_range: 0.02,
    use_cache: true,
    attention_dropout: 0.0,
  };
  if (cfg.torchDtype !== null) json.torch_dtype = cfg.torchDtype;
  if (cfg.architecture === 'Qwen2ForCausalLM') {
    // Qwen2 always has q/k/v bias; sliding window is off for every Qwen2.5 checkpoint.
    json.use_sliding_window = false;
    json.sliding_window = null;
    json.max_window_layers = cfg.numLayers;
  } else {
    json.attention_bias = cfg.attentionBias;
    json.mlp_bias = false;
  }
  return json;
}
