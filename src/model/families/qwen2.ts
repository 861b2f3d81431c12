// Qwen2 (Qwen2.5, Qwen2.5-Math): the Llama block with bias on q/k/v always; sliding window off
// in every Qwen2.5 checkpoint (refused when a config turns it on).
import type { Family } from './types.js';
import { plainLayers } from './types.js';

export const qwen2: Family = {
  modelType: 'qwen2',
  architecture: 'Qwen2ForCausalLM',
  parse(json, common, fail) {
    const act = json.hidden_act ?? 'silu';
    if (act !== 'silu') fail(`unsupported hidden_act ${JSON.stringify(act)} (only silu)`);
    if (json.use_sliding_window === true) fail('use_sliding_window = true is not supported');
    return { ...common, attentionBias: true };
  },
  toJson(cfg, json) {
    json.hidden_act = 'silu';
    json.use_sliding_window = false;
    json.sliding_window = null;
    json.max_window_layers = cfg.numLayers;
  },
  block: (cfg) => ({
    qkvBias: true,
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
