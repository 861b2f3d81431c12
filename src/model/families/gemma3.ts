// Gemma 3 (text; 270M-27B): interleaved sliding-window and full-attention layers (`layer_types`,
// or the older `sliding_window_pattern`: every 6th layer full), each kind with its own RoPE base
// (`rope_local_base_freq` 1e4 for sliding layers, `rope_theta` 1e6 for full ones; transformers 5
// writes both as `rope_parameters[layer_type]`), q/k norm, four norms per layer (pre/post
// attention, pre/post feed-forward), Gemma RMSNorm x·(1 + w), GeGLU MLP (gelu_pytorch_tanh),
// embeddings × sqrt(hidden), attention scale query_pre_attn_scalar^-0.5, optional final logit
// softcapping. transformers: models/gemma3/modeling_gemma3.py (Gemma3ForCausalLM).
import type { LayerType, RopeScaling } from '../config-types.js';
import type { Family, Json } from './types.js';

export const gemma3: Family = {
  modelType: 'gemma3_text',
  architecture: 'Gemma3ForCausalLM',
  parse(json, common, fail) {
    const numOr = (v: unknown, fallback: number, key: string): number => {
      const x = v ?? fallback;
      if (typeof x !== 'number' || !Number.isFinite(x)) fail(`field "${key}" must be a number, got ${JSON.stringify(v)}`);
      return x as number;
    };
    const act = json.hidden_activation ?? json.hidden_act ?? 'gelu_pytorch_tanh';
    if (act !== 'gelu_pytorch_tanh') fail(`unsupported hidden_activation ${JSON.stringify(act)} (only gelu_pytorch_tanh)`);
    if (json.attn_logit_softcapping !== undefined && json.attn_logit_softcapping !== null) fail('attn_logit_softcapping is not supported');
    if (json.use_bidirectional_attention === true) fail('use_bidirectional_attention is not supported');
    const n = common.numLayers;
    let layerTypes: LayerType[];
    if (Array.isArray(json.layer_types)) {
      layerTypes = json.layer_types.map((t) => {
        if (t !== 'full_attention' && t !== 'sliding_attention') fail(`unsupported layer type ${JSON.stringify(t)}`);
        return t;
      });
      if (layerTypes.length !== n) fail(`layer_types has ${layerTypes.length} entries for ${n} layers`);
    } else {
      const p = numOr(json.sliding_window_pattern ?? json._sliding_window_pattern, 6, 'sliding_window_pattern');
      layerTypes = Array.from({ length: n }, (_, i) => ((i + 1) % p !== 0 ? 'sliding_attention' : 'full_attention'));
    }
    const window = numOr(json.sliding_window, 4096, 'sliding_window');
    if (!(window > 0)) fail('sliding_window must be positive');
    // transformers 5: rope_parameters = { full_attention: {...}, sliding_attention: {...} }.
    const rp = (json.rope_parameters ?? null) as Json | null;
    const local = (rp?.sliding_attention ?? null) as Json | null;
    const localTheta = numOr(local?.rope_theta ?? json.rope_local_base_freq, 10000, 'rope_local_base_freq');
    const qpas = numOr(json.query_pre_attn_scalar, 256, 'query_pre_attn_scalar');
    const cap = json.final_logit_softcapping;
    // Gemma3TextConfig's defaults differ from the common ones: tied embeddings, global base 1e6
    // (config files saved with use_diff leave defaults out).
    const fullRope = (rp?.full_attention ?? null) as Json | null;
    const hasTheta = json.rope_theta !== undefined || fullRope?.rope_theta !== undefined || rp?.rope_theta !== undefined;
    const out = {
      ...common,
      tieWordEmbeddings: json.tie_word_embeddings !== false,
      ropeTheta: hasTheta ? common.ropeTheta : 1e6,
      attentionBias: json.attention_bias === true,
      qkNorm: true,
      layerTypes,
      slidingWindow: window,
      ropeLocalTheta: localTheta,
      queryPreAttnScalar: qpas,
    };
    return typeof cap === 'number' ? { ...out, finalLogitSoftcap: cap } : out;
  },
  toJson(cfg, json) {
    delete json.hidden_act;
    json.hidden_activation = 'gelu_pytorch_tanh';
    json.attention_bias = cfg.attentionBias;
    json.layer_types = cfg.layerTypes;
    json.sliding_window = cfg.slidingWindow;
    json.rope_local_base_freq = cfg.ropeLocalTheta;
    json.query_pre_attn_scalar = cfg.queryPreAttnScalar;
    json.final_logit_softcapping = cfg.finalLogitSoftcap ?? null;
    json.attn_logit_softcapping = null;
  },
  block(cfg) {
    const types = cfg.layerTypes ?? Array.from({ length: cfg.numLayers }, () => 'full_attention' as const);
    const scaling: RopeScaling | null = cfg.ropeScaling;
    return {
      qkvBias: cfg.attentionBias,
      qkNorm: true,
      norm: 'gemma',
      sandwichNorms: true,
      activation: 'gelu_tanh',
      embedScale: Math.sqrt(cfg.hiddenSize),
      attentionScale: 1 / Math.sqrt(cfg.queryPreAttnScalar ?? cfg.headDim),
      finalLogitSoftcap: cfg.finalLogitSoftcap ?? null,
      layers: types.map((t) =>
        t === 'sliding_attention'
          ? { window: cfg.slidingWindow ?? null, ropeTheta: cfg.ropeLocalTheta ?? 10000, ropeScaling: null }
          : { window: null, ropeTheta: cfg.ropeTheta, ropeScaling: scaling },
      ),
    };
  },
};
