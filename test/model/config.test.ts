import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { configToJson, parseModelConfig, type ModelConfig } from '../../src/model/config.js';
import { hasPythonModule, runPython } from '../helpers/python.js';

/** config.json of Qwen/Qwen2.5-Math-1.5B, as published. */
const QWEN25_MATH_1_5B = {
  architectures: ['Qwen2ForCausalLM'],
  attention_dropout: 0.0,
  bos_token_id: 151643,
  eos_token_id: 151643,
  hidden_act: 'silu',
  hidden_size: 1536,
  initializer_range: 0.02,
  intermediate_size: 8960,
  max_position_embeddings: 4096,
  max_window_layers: 21,
  model_type: 'qwen2',
  num_attention_heads: 12,
  num_hidden_layers: 28,
  num_key_value_heads: 2,
  rms_norm_eps: 1e-6,
  rope_theta: 10000,
  sliding_window: 4096,
  tie_word_embeddings: true,
  torch_dtype: 'bfloat16',
  transformers_version: '4.37.0',
  use_cache: true,
  use_mrope: false,
  use_sliding_window: false,
  vocab_size: 151936,
};

/** config.json of meta-llama/Llama-3.2-1B. */
const LLAMA_3_2_1B = {
  architectures: ['LlamaForCausalLM'],
  attention_bias: false,
  attention_dropout: 0.0,
  bos_token_id: 128000,
  eos_token_id: 128001,
  head_dim: 64,
  hidden_act: 'silu',
  hidden_size: 2048,
  initializer_range: 0.02,
  intermediate_size: 8192,
  max_position_embeddings: 131072,
  mlp_bias: false,
  model_type: 'llama',
  num_attention_heads: 32,
  num_hidden_layers: 16,
  num_key_value_heads: 8,
  pretraining_tp: 1,
  rms_norm_eps: 1e-5,
  rope_scaling: { factor: 32.0, high_freq_factor: 4.0, low_freq_factor: 1.0, original_max_position_embeddings: 8192, rope_type: 'llama3' },
  rope_theta: 500000.0,
  tie_word_embeddings: true,
  torch_dtype: 'bfloat16',
  use_cache: true,
  vocab_size: 128256,
};

test('parses the Qwen2.5-Math-1.5B config', () => {
  assert.deepEqual(parseModelConfig(QWEN25_MATH_1_5B), {
    architecture: 'Qwen2ForCausalLM',
    hiddenSize: 1536,
    intermediateSize: 8960,
    numLayers: 28,
    numHeads: 12,
    numKvHeads: 2,
    headDim: 128,
    vocabSize: 151936,
    rmsNormEps: 1e-6,
    ropeTheta: 10000,
    ropeScaling: null,
    tieWordEmbeddings: true,
    attentionBias: true,
    maxPositionEmbeddings: 4096,
    bosTokenId: 151643,
    eosTokenId: 151643,
    torchDtype: 'bfloat16',
  } satisfies ModelConfig);
});

test('parses a Llama-3.2 config with llama3 rope scaling', () => {
  const cfg = parseModelConfig(LLAMA_3_2_1B);
  assert.equal(cfg.architecture, 'LlamaForCausalLM');
  assert.equal(cfg.headDim, 64);
  assert.equal(cfg.attentionBias, false);
  assert.equal(cfg.ropeTheta, 500000);
  assert.deepEqual(cfg.ropeScaling, { type: 'llama3', factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 });
  // Llama 3 instruct lists several eos ids; transformers >= 5 may store rope settings in rope_parameters.
  const v5 = {
    ...LLAMA_3_2_1B,
    eos_token_id: [128001, 128008, 128009],
    rope_theta: undefined,
    rope_scaling: undefined,
    rope_parameters: { ...LLAMA_3_2_1B.rope_scaling, rope_theta: 500000 },
  };
  const c5 = parseModelConfig(v5);
  assert.deepEqual(c5.eosTokenId, [128001, 128008, 128009]);
  assert.equal(c5.ropeTheta, 500000);
  assert.deepEqual(c5.ropeScaling, cfg.ropeScaling);
});

test('one clear error for unsupported architectures and missing fields', () => {
  assert.throws(() => parseModelConfig({ ...QWEN25_MATH_1_5B, architectures: ['MistralForCausalLM'] }), /unsupported architecture MistralForCausalLM/);
  const { hidden_size: _h, ...noHidden } = QWEN25_MATH_1_5B;
  assert.throws(() => parseModelConfig(noHidden), /missing required field "hidden_size"/);
  assert.throws(() => parseModelConfig({ ...LLAMA_3_2_1B, rope_scaling: { rope_type: 'yarn', factor: 4 } }), /unsupported rope_scaling type "yarn"/);
  assert.throws(() => parseModelConfig({ ...QWEN25_MATH_1_5B, use_sliding_window: true }), /use_sliding_window/);
  assert.throws(() => parseModelConfig({ ...QWEN25_MATH_1_5B, num_key_value_heads: 5 }), /multiple/);
});

test('configToJson round-trips through parseModelConfig', () => {
  for (const src of [QWEN25_MATH_1_5B, LLAMA_3_2_1B]) {
    const cfg = parseModelConfig(src);
    assert.deepEqual(parseModelConfig(JSON.parse(JSON.stringify(configToJson(cfg)))), cfg);
  }
});

// transformers loads our config.json and builds the model we expect from it.
const LOAD_PY = `
import json, sys
from transformers import AutoConfig, AutoModelForCausalLM
out = []
for d in sys.argv[1:]:
    cfg = AutoConfig.from_pretrained(d)
    rope = getattr(cfg, "rope_parameters", None) or {}
    model = AutoModelForCausalLM.from_config(cfg)
    out.append({
        "cls": type(model).__name__,
        "rope_theta": rope.get("rope_theta", getattr(cfg, "rope_theta", None)),
        "rope_type": rope.get("rope_type") or (getattr(cfg, "rope_scaling", None) or {}).get("rope_type"),
        "tied": model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr(),
        "params": {k: list(v.shape) for k, v in model.state_dict().items() if ".layers.0." in k or "layers" not in k},
    })
print(json.dumps(out))
`;

test('transformers accepts configToJson output', { skip: !hasPythonModule('transformers') && 'transformers missing' }, () => {
  const tiny: ModelConfig[] = [
    {
      ...parseModelConfig(QWEN25_MATH_1_5B),
      hiddenSize: 32,
      intermediateSize: 64,
      numLayers: 2,
      numHeads: 4,
      numKvHeads: 2,
      headDim: 8,
      vocabSize: 100,
      torchDtype: 'float32',
    },
    {
      ...parseModelConfig(LLAMA_3_2_1B),
      hiddenSize: 32,
      intermediateSize: 64,
      numLayers: 2,
      numHeads: 4,
      numKvHeads: 1,
      headDim: 16,
      vocabSize: 100,
      tieWordEmbeddings: false,
      torchDtype: 'float32',
    },
  ];
  const dirs = tiny.map((cfg) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfg-'));
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(configToJson(cfg), null, 2));
    return dir;
  });
  // One Python process for both configs: importing transformers dominates the cost.
  const results = JSON.parse(runPython('-c', [LOAD_PY, ...dirs])) as Array<{
    cls: string;
    rope_theta: number;
    rope_type: string | null;
    tied: boolean;
    params: Record<string, number[]>;
  }>;
  for (const dir of dirs) fs.rmSync(dir, { recursive: true });
  tiny.forEach((cfg, i) => {
    const r = results[i]!;
    const qwen = cfg.architecture === 'Qwen2ForCausalLM';
    assert.equal(r.cls, cfg.architecture);
    assert.equal(r.rope_theta, cfg.ropeTheta);
    assert.equal(r.rope_type, qwen ? 'default' : 'llama3');
    assert.equal(r.tied, cfg.tieWordEmbeddings);
    const p = r.params;
    assert.deepEqual(p['model.layers.0.self_attn.q_proj.weight'], [cfg.numHeads * cfg.headDim, cfg.hiddenSize]);
    assert.deepEqual(p['model.layers.0.self_attn.k_proj.weight'], [cfg.numKvHeads * cfg.headDim, cfg.hiddenSize]);
    assert.deepEqual(p['model.layers.0.mlp.gate_proj.weight'], [cfg.intermediateSize, cfg.hiddenSize]);
    assert.equal('model.layers.0.self_attn.q_proj.bias' in p, cfg.attentionBias);
    assert.equal('model.layers.0.self_attn.o_proj.bias' in p, false);
    assert.deepEqual(p['model.embed_tokens.weight'], [cfg.vocabSize, cfg.hiddenSize]);
  });
});

test('Qwen3 and Gemma 3 configs round-trip through configToJson and parseModelConfig', () => {
  const qwen3 = parseModelConfig({
    architectures: ['Qwen3ForCausalLM'],
    hidden_size: 1024,
    intermediate_size: 3072,
    num_hidden_layers: 2,
    num_attention_heads: 16,
    num_key_value_heads: 8,
    head_dim: 128,
    vocab_size: 151936,
    rms_norm_eps: 1e-6,
    rope_theta: 1e6,
    max_position_embeddings: 40960,
    tie_word_embeddings: true,
  });
  const gemma3 = parseModelConfig({
    architectures: ['Gemma3ForCausalLM'],
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
    layer_types: ['full_attention', 'sliding_attention', 'full_attention'],
    final_logit_softcapping: 30,
    rope_parameters: { full_attention: { rope_type: 'linear', factor: 8, rope_theta: 1e6 }, sliding_attention: { rope_type: 'default', rope_theta: 1e4 } },
  });
  assert.equal(qwen3.qkNorm, true);
  assert.equal(gemma3.tieWordEmbeddings, true);
  for (const cfg of [qwen3, gemma3]) {
    assert.deepEqual(parseModelConfig(JSON.parse(JSON.stringify(configToJson(cfg)))), cfg);
    // Without `architectures`, the registry finds the family by `model_type`.
    const { architectures: _, ...bare } = configToJson(cfg);
    assert.equal(parseModelConfig(bare).architecture, cfg.architecture);
  }
});
