// HF `config.json` for the causal LMs this project runs: one family file each under families/
// (Qwen2 / Qwen2.5-Math, Llama, Qwen3, Gemma 3 text).
//
// parseModelConfig turns the loose JSON into a typed, validated ModelConfig, failing with one
// clear message on an unsupported architecture or a missing field: the common fields here, the
// family's own through its file; configToJson writes a config.json that transformers loads back
// into the same model.

import type { Llama3RopeScaling, ModelConfig, RopeScaling } from './config-types.js';
import { FAMILIES, familyOf, findFamily } from './families/index.js';

export type { Architecture, LayerType, Llama3RopeScaling, LinearRopeScaling, ModelConfig, RopeScaling } from './config-types.js';

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

function parseRopeScaling(v: unknown): RopeScaling | null {
  if (v === undefined || v === null) return null;
  const r = v as Json;
  const kind = r.rope_type ?? r.type;
  if (kind === 'default' || kind === undefined) return null;
  if (kind === 'linear') return { type: 'linear', factor: num(r, 'factor') };
  if (kind !== 'llama3') fail(`unsupported rope_scaling type ${JSON.stringify(kind)} (supported: llama3, linear)`);
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
  // `architectures` decides; `model_type` only when a file has no `architectures`.
  const family = typeof archName === 'string' ? findFamily(archName) : findFamily(undefined, json.model_type);
  if (typeof archName !== 'string' && !family) fail('missing required field "architectures"');
  if (!family) fail(`unsupported architecture ${String(archName)} (supported: ${FAMILIES.map((f) => f.architecture).join(', ')})`);
  const architecture = family.architecture;

  const hiddenSize = num(json, 'hidden_size');
  const numHeads = num(json, 'num_attention_heads');
  const numKvHeads = num(json, 'num_key_value_heads', numHeads);
  if (numHeads % numKvHeads !== 0) fail(`num_attention_heads ${numHeads} is not a multiple of num_key_value_heads ${numKvHeads}`);
  const headDim = num(json, 'head_dim', hiddenSize / numHeads);
  if (!Number.isInteger(headDim)) fail(`hidden_size ${hiddenSize} is not divisible by num_attention_heads ${numHeads}`);

  // transformers >= 5 saves rope settings as `rope_parameters` (per layer type for families with
  // several: the full-attention entry is the global one); older files use rope_theta/rope_scaling.
  let ropeParams = (json.rope_parameters ?? null) as Json | null;
  if (ropeParams && typeof ropeParams.full_attention === 'object') ropeParams = ropeParams.full_attention as Json;
  const ropeTheta = ropeParams && ropeParams.rope_theta !== undefined ? num(ropeParams, 'rope_theta') : num(json, 'rope_theta', 10000);
  const ropeScaling = parseRopeScaling(ropeParams ?? json.rope_scaling);

  const common: ModelConfig = {
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
    attentionBias: json.attention_bias === true,
    maxPositionEmbeddings: num(json, 'max_position_embeddings'),
    bosTokenId: tokenIds(json.bos_token_id, 'bos_token_id') as number | null,
    eosTokenId: tokenIds(json.eos_token_id, 'eos_token_id'),
    torchDtype: typeof (json.torch_dtype ?? json.dtype) === 'string' ? ((json.torch_dtype ?? json.dtype) as string) : null,
  };
  return family.parse(json, common, fail);
}

/** A config.json object transformers accepts for this model (write with JSON.stringify). */
export function configToJson(cfg: ModelConfig): Record<string, unknown> {
  const json: Record<string, unknown> = {
    architectures: [cfg.architecture],
    model_type: familyOf(cfg.architecture).modelType,
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
    rope_scaling: ropeScalingJson(cfg.ropeScaling),
    tie_word_embeddings: cfg.tieWordEmbeddings,
    max_position_embeddings: cfg.maxPositionEmbeddings,
    bos_token_id: cfg.bosTokenId,
    eos_token_id: cfg.eosTokenId,
    initializer_range: 0.02,
    use_cache: true,
    attention_dropout: 0.0,
  };
  if (cfg.torchDtype !== null) json.torch_dtype = cfg.torchDtype;
  familyOf(cfg.architecture).toJson(cfg, json);
  return json;
}

function ropeScalingJson(s: RopeScaling | null): Json | null {
  if (!s) return null;
  if (s.type === 'linear') return { rope_type: 'linear', factor: s.factor };
  const l: Llama3RopeScaling = s;
  return {
    rope_type: 'llama3',
    factor: l.factor,
    low_freq_factor: l.lowFreqFactor,
    high_freq_factor: l.highFreqFactor,
    original_max_position_embeddings: l.originalMaxPositionEmbeddings,
  };
}
