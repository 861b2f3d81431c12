// `rlvr plan` on the new families' published shapes (config.json fields as released; no
// weights): Qwen3-0.6B and Gemma 3 270M, parameters and KV bytes against hand arithmetic, and a
// plan that fits on 80 GB. The planner reads the family files through parameterShapes, so q/k
// norms and Gemma's extra norms are counted.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kvBytesPerToken, parameterCount } from '../../src/memory-plan/memory.js';
import { planMemory } from '../../src/memory-plan/plan.js';
import { parseModelConfig } from '../../src/model/config.js';

/** Qwen/Qwen3-0.6B config.json (the fields that matter, as published). */
const QWEN3_06B = {
  architectures: ['Qwen3ForCausalLM'],
  model_type: 'qwen3',
  attention_bias: false,
  bos_token_id: 151643,
  eos_token_id: 151645,
  head_dim: 128,
  hidden_act: 'silu',
  hidden_size: 1024,
  intermediate_size: 3072,
  max_position_embeddings: 40960,
  max_window_layers: 28,
  num_attention_heads: 16,
  num_hidden_layers: 28,
  num_key_value_heads: 8,
  rms_norm_eps: 1e-6,
  rope_scaling: null,
  rope_theta: 1000000,
  sliding_window: null,
  tie_word_embeddings: true,
  torch_dtype: 'bfloat16',
  use_sliding_window: false,
  vocab_size: 151936,
};

/**
 * google/gemma-3-270m config.json (text model, as published); tie_word_embeddings left out, as
 * files saved with transformers' use_diff leave it out (Gemma 3's default is true).
 */
const GEMMA3_270M = {
  architectures: ['Gemma3ForCausalLM'],
  model_type: 'gemma3_text',
  _sliding_window_pattern: 6,
  attention_bias: false,
  attn_logit_softcapping: null,
  bos_token_id: 2,
  eos_token_id: 1,
  final_logit_softcapping: null,
  head_dim: 256,
  hidden_activation: 'gelu_pytorch_tanh',
  hidden_size: 640,
  intermediate_size: 2048,
  layer_types: Array.from({ length: 18 }, (_, i) => ((i + 1) % 6 === 0 ? 'full_attention' : 'sliding_attention')),
  max_position_embeddings: 32768,
  num_attention_heads: 4,
  num_hidden_layers: 18,
  num_key_value_heads: 1,
  pad_token_id: 0,
  query_pre_attn_scalar: 256,
  rms_norm_eps: 1e-6,
  rope_local_base_freq: 10000,
  rope_scaling: null,
  rope_theta: 1000000,
  sliding_window: 512,
  torch_dtype: 'bfloat16',
  use_bidirectional_attention: false,
  vocab_size: 262144,
};

test('Qwen3-0.6B: 596,049,920 parameters (q/k norms counted), 114,688 KV bytes per bf16 token, a plan that fits 80 GB', () => {
  const cfg = parseModelConfig(QWEN3_06B);
  const perLayer = 1024 + 2048 * 1024 + 2 * 1024 * 1024 + 1024 * 2048 + 2 * 128 + 1024 + 3 * 1024 * 3072; // 15,730,944
  assert.equal(parameterCount(cfg), 151936 * 1024 + 28 * perLayer + 1024);
  assert.equal(parameterCount(cfg), 596_049_920);
  assert.equal(kvBytesPerToken(cfg, 2), 2 * 28 * 8 * 128 * 2);
  const plan = planMemory({
    model: cfg,
    deviceBytes: 80e9,
    computeDtype: 'bfloat16',
    trainBatchSize: 128,
    groupSize: 8,
    maxPromptLength: 1024,
    maxResponseLength: 3072,
    klCoef: 0,
  });
  assert.equal(plan.weights, 4 * 596_049_920);
  assert.ok(plan.fits);
});

test('Gemma 3 270M: 268,098,176 parameters (four norms per layer, q/k norms), 18 layers x 1 KV head x 256', () => {
  const cfg = parseModelConfig(GEMMA3_270M);
  const perLayer = 4 * 640 + 1024 * 640 + 2 * 256 * 640 + 640 * 1024 + 2 * 256 + 3 * 640 * 2048; // 5,573,632
  assert.equal(parameterCount(cfg), 262144 * 640 + 18 * perLayer + 640);
  assert.equal(parameterCount(cfg), 268_098_176);
  assert.equal(kvBytesPerToken(cfg, 2), 2 * 18 * 1 * 256 * 2);
  const plan = planMemory({
    model: cfg,
    deviceBytes: 80e9,
    computeDtype: 'bfloat16',
    trainBatchSize: 128,
    groupSize: 8,
    maxPromptLength: 1024,
    maxResponseLength: 3072,
    klCoef: 0,
  });
  assert.ok(plan.fits);
});
