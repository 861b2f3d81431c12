// Llama (Llama 3.x, SmolLM2): pre-norm block, SiLU-gated MLP, optional q/k/v bias
// (`attention_bias`), Llama-3 RoPE rescaling (parsed by config.ts).
import type { Family } from './types.js';
import { plainLayers } from './types.js';

export const llama: Family = {
  modelType: 'llama',
  architecture: 'LlamaForCausalLM',
  parse(json, common, fail) {
    const act = json.hidden_act ?? 'silu';
    if (act !== 'silu') fail(`unsupported hidden_act ${JSON.stringify(act)} (only silu)`);
    return { ...common, attentionBias: json.attention_bias === true };
  },
  toJson(cfg, json) {
    json.hidden_act = 'silu';
    json.attention_bias = cfg.attentionBias;
    json.mlp_bias = false;
  },
  block: (cfg) => ({
    qkvBias: cfg.attentionBias,
    qkNorm: false,
    norm: 'llama',
    sandwichNorms: false,
    activation: 'silu',
    embedScale: null,
    attentionScale: null,
    finalLogitSoftcap: null,
    layers: plainLayers(cfg),
  }),
};
