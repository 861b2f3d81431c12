// Gemma 3 (text) against transformers' Gemma3ForCausalLM, fp32 on CPU, on a random-init
// checkpoint of the 270M shape: hidden 640, 18 layers (sliding ×5, full, repeated), 4 q heads,
// 1 kv head, head_dim 256, intermediate 2048, vocab 262144, rope_theta 1e6 (full layers),
// rope_local_base_freq 1e4 (sliding layers), query_pre_attn_scalar 256, GeGLU, tied embeddings,
// every norm weight random (Gemma's 1 + w). One change from the 270M config: sliding_window 16
// instead of 512, so that prompts of 17-30 tokens and 32 generated tokens pass the window (both
// layer kinds exercised) at a size CI's CPUs run in seconds, in the training forward, the
// reference sampler (KV cache + window mask) and the rollout engine (windowed prefill, windowed
// shared-prompt and own-key decode attention, several distinct prompts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseModelConfig } from '../../src/model/config.js';
import { blockSpec } from '../../src/model/families/index.js';
import { familyParitySuite } from '../helpers/family-parity.js';

const WINDOW = 16;
const rnd = (n: number, seed: number) => Array.from({ length: n }, (_, i) => 1 + ((seed * 7919 + i * 104729) % 262143));

familyParitySuite({
  name: `gemma3 (270M shape, sliding window ${WINDOW})`,
  family: 'gemma3',
  config: {
    vocab_size: 262144,
    hidden_size: 640,
    intermediate_size: 2048,
    num_hidden_layers: 18,
    num_attention_heads: 4,
    num_key_value_heads: 1,
    head_dim: 256,
    max_position_embeddings: 32768,
    rms_norm_eps: 1e-6,
    rope_theta: 1000000.0,
    rope_local_base_freq: 10000.0,
    query_pre_attn_scalar: 256,
    sliding_window: WINDOW,
    sliding_window_pattern: 6,
    hidden_activation: 'gelu_pytorch_tanh',
    final_logit_softcapping: null,
    attn_logit_softcapping: null,
    tie_word_embeddings: true,
    attention_bias: false,
    bos_token_id: 2,
    eos_token_id: 1,
    pad_token_id: 0,
    initializer_range: 0.02,
  },
  ids: [rnd(24, 1), rnd(24, 2)],
  prompt: rnd(20, 3),
  maxNewTokens: 32,
  batch: [rnd(20, 3), rnd(5, 4), rnd(30, 5), rnd(1, 6)],
  checkConfig: (m) => {
    assert.equal(m.config.architecture, 'Gemma3ForCausalLM');
    const kinds = m.spec.layers.map((l) => (l.window === null ? 'F' : 'S')).join('');
    assert.equal(kinds, 'SSSSSFSSSSSFSSSSSF');
    assert.deepEqual([...new Set(m.spec.layers.map((l) => `${l.window}@${l.ropeTheta}`))].sort(), [`${WINDOW}@10000`, 'null@1000000']);
    assert.equal(m.spec.embedScale, Math.sqrt(640));
    assert.equal(m.spec.attentionScale, 1 / 16);
    assert.equal(m.spec.norm, 'gemma');
    assert.ok(m.params.has('model.layers.0.pre_feedforward_layernorm.weight'));
  },
});

test('Gemma 3 config: layer_types wins over the pattern; transformers-5 rope_parameters per layer type; softcap and errors', () => {
  const base = {
    architectures: ['Gemma3ForCausalLM'],
    model_type: 'gemma3_text',
    hidden_size: 64,
    intermediate_size: 128,
    num_hidden_layers: 3,
    num_attention_heads: 2,
    num_key_value_heads: 1,
    head_dim: 32,
    vocab_size: 100,
    rms_norm_eps: 1e-6,
    max_position_embeddings: 128,
    sliding_window: 8,
  };
  const a = parseModelConfig({
    ...base,
    layer_types: ['full_attention', 'sliding_attention', 'full_attention'],
    final_logit_softcapping: 30,
    rope_parameters: { full_attention: { rope_type: 'linear', factor: 8, rope_theta: 1e6 }, sliding_attention: { rope_type: 'default', rope_theta: 1e4 } },
  });
  const spec = blockSpec(a);
  assert.deepEqual(
    spec.layers.map((l) => l.window),
    [null, 8, null],
  );
  assert.deepEqual(
    spec.layers.map((l) => l.ropeTheta),
    [1e6, 1e4, 1e6],
  );
  assert.deepEqual(spec.layers[0]!.ropeScaling, { type: 'linear', factor: 8 });
  assert.equal(spec.layers[1]!.ropeScaling, null);
  assert.equal(spec.finalLogitSoftcap, 30);
  assert.equal(spec.attentionScale, 1 / 16); // query_pre_attn_scalar defaults to 256
  assert.throws(() => parseModelConfig({ ...base, hidden_activation: 'silu' }), /hidden_activation/);
  assert.throws(() => parseModelConfig({ ...base, attn_logit_softcapping: 50 }), /attn_logit_softcapping/);
});
