// Qwen3 (dense 0.6B-32B): the Llama block with RMSNorm over each head's q and k before RoPE
// (self_attn.q_norm / k_norm, Llama-style norm), no q/k/v bias (`attention_bias`, false in every
// release), head_dim set explicitly (128 while hidden/heads is 64 for 0.6B). Sliding window is
// off in every release (refused when a config turns it on). transformers: models/qwen3.
import type { Family } from './types.js';
import { plainLayers } from './types.js';

export const qwen3: Family = {
  modelType: 'qwen3',
  architecture: 'Qwen3ForCausalLM',
  parse(json, common, fail) {
    const act = json.hidden_act ?? 'silu';
    if (act !== 'silu') fail(`unsupported hidden_act ${JSON.stringify(act)} (only silu)`);
    if (json.use_sliding_window === true) fail('use_sliding_window = true is not supported');
    return { ...common, attentionBias: json.attention_bias === true, qkNorm: true };
  },
  toJson(cfg, json) {
    json.hidden_act = 'silu';
    json.attention_bias = cfg.attentionBias;
    json.use_sliding_window = false;
    json.sliding_window = null;
    json.max_window_layers = cfg.numLayers;
  },
  block: (cfg) => ({
    qkvBias: cfg.attentionBias,
    qkNorm: true,
    norm: 'llama',
    sandwichNorms: false,
    activation: 'silu',
    embedScale: null,
    attentionScale: null,
    finalLogitSoftcap: null,
    layers: plainLayers(cfg),
  }),
};
