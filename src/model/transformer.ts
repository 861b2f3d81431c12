// The decoder-only transformer (training and reference forward): whatever family the config
// names (families/), computing what transformers' <Family>ForCausalLM computes, with weights
// under the same names. The block itself is block.ts (shared with the rollout engine); this file
// owns the parameters, the KV-cache attention with its masks, and the whole-sequence forward:
//
//   x = embed(ids) (· embedScale)
//   for each layer:  x = decoderLayer(x, attend = SDPA over cache + this call's keys, masked
//                                        causally, and to the window on sliding layers)
//   logits = softcap?(lm_head(norm x))          (lm_head = embed when tie_word_embeddings)
import { F, arange, noGrad, ones, randn, tidy, zeros, type DType, type Device, type Tensor } from '../engine/index.js';
import { decoderLayer, capLogits, embedTokens, isNormWeight, layerWeights, norm, parameterShapesOf, type LayerWeights } from './block.js';
import type { ModelConfig } from './config.js';
import { blockSpec, type BlockSpec } from './families/index.js';
import { KVCache } from './kv-cache.js';
import type { LoraAdapters } from './lora.js';
import { LayerRopes } from './rope.js';

export type { LayerWeights } from './block.js';

export interface ForwardOptions {
  /** Keys/values of earlier tokens; this call's keys/values are appended to it. */
  cache?: KVCache;
  /**
   * Key validity [B, cachedLength + L] (bool, true = real token): needed when rows are padded
   * on the left (batched prompts of different lengths). Without it attention is plain causal.
   */
  keyMask?: Tensor;
  /** Position ids [B, L] (int64); default: cachedLength + 0..L-1 for every row. */
  positions?: Tensor;
}

/** What every layer of one forward call shares; per layer because layers differ in RoPE base and window. */
export interface AttentionContext {
  /** Per layer: cos, sin [B, L, 1, D]. */
  rope: [Tensor, Tensor][];
  /** Per layer: the attention mask (or null with the causal flag). */
  masks: { mask: Tensor | null; causal: boolean }[];
  cache: KVCache | null;
}

/** The HF parameter names of a model with this config, with their shapes, in checkpoint order. */
export function parameterShapes(cfg: ModelConfig): Map<string, number[]> {
  return parameterShapesOf(cfg, blockSpec(cfg));
}

export class CausalLM {
  readonly config: ModelConfig;
  /** The family's block (families/): which norms, attention options, MLP, embedding scale. */
  readonly spec: BlockSpec;
  /** HF name → parameter (kept tensors, owned by the model). */
  readonly params: Map<string, Tensor>;
  readonly dtype: DType;
  readonly device: Device;
  /** Per-layer weight handles (views of `params`), shared with the rollout engine's forward. */
  readonly layers: readonly LayerWeights[];
  private rope: LayerRopes;
  /** LoRA adapters (lora.ts LoraAdapters.attach), or null: then every parameter trains. */
  lora: LoraAdapters | null = null;

  constructor(config: ModelConfig, params: Map<string, Tensor>) {
    this.config = config;
    this.spec = blockSpec(config);
    const expected = parameterShapesOf(config, this.spec);
    for (const [name, shape] of expected) {
      const t = params.get(name);
      if (!t) throw new Error(`checkpoint is missing tensor ${name} (expected shape [${shape.join(', ')}])`);
      if (t.shape.join(',') !== shape.join(',')) {
        throw new Error(`tensor ${name} has shape [${t.shape.join(', ')}] but config.json implies [${shape.join(', ')}]`);
      }
    }
    for (const name of params.keys()) {
      if (!expected.has(name)) throw new Error(`checkpoint has tensor ${name}, which a ${config.architecture} with this config does not use`);
    }
    this.params = params;
    const embed = params.get('model.embed_tokens.weight')!;
    this.dtype = embed.dtype;
    this.device = embed.device;
    this.layers = Array.from({ length: config.numLayers }, (_, i) => layerWeights(params, this.spec, i));
    this.rope = new LayerRopes(config.headDim, this.spec.layers, Math.min(config.maxPositionEmbeddings, 4096), this.device);
  }

  /** A model with HF's default initialisation (normal(0, 0.02), norms at 1 — Gemma's 1 + w at 0), for training from scratch. */
  static randomInit(config: ModelConfig, opts: { dtype?: DType; device?: Device; seed?: number } = {}): CausalLM {
    const params = new Map<string, Tensor>();
    const gemmaNorm = blockSpec(config).norm === 'gemma';
    noGrad(() => {
      for (const [name, shape] of parameterShapes(config)) {
        const isNorm = isNormWeight(name);
        const isBias = name.endsWith('.bias');
        const t = isNorm
          ? gemmaNorm
            ? zeros(shape, { dtype: 'float32' })
            : ones(shape, { dtype: 'float32' })
          : isBias
            ? zeros(shape, { dtype: 'float32' })
            : tidy(() => randn(shape, { dtype: 'float32' }).mul(0.02));
        params.set(name, tidy(() => t.to({ dtype: opts.dtype ?? 'float32', device: opts.device ?? 'cpu' })).keep());
        t.dispose();
      }
    });
    return new CausalLM(config, params);
  }

  /** Parameters in checkpoint order (the order optimizers and checkpoints use). */
  parameters(): Tensor[] {
    return [...this.params.values()];
  }

  /** What an optimizer trains: the LoRA adapters when attached (the base is frozen), else every parameter. */
  trainableParameters(): Tensor[] {
    return this.lora ? this.lora.parameters() : this.parameters();
  }

  get lmHeadWeight(): Tensor {
    return this.params.get('lm_head.weight') ?? this.params.get('model.embed_tokens.weight')!;
  }

  /** Makes the trainable parameters leaves that record gradients (for training); with LoRA the base stays frozen. */
  requiresGrad_(on = true): this {
    for (const p of this.params.values()) p.requiresGrad_(on && !this.lora);
    this.lora?.requiresGrad_(on);
    return this;
  }

  /**
   * What every layer of one forward call shares: rotary cos/sin at the positions (per RoPE base)
   * and the attention mask (or the causal flag; per window). Tensors live in the caller's scope.
   */
  attentionContext(b: number, l: number, opts: ForwardOptions = {}): AttentionContext {
    const past = opts.cache?.length ?? 0;
    const positions =
      opts.positions ??
      arange(past, past + l, 1, { dtype: 'int64', device: this.device })
        .unsqueeze(0)
        .expand(b, l);
    if (past + l > this.rope.maxPositions) this.rope.grow(past + l);
    const rope = this.rope.at(positions, this.dtype);
    const byWindow = new Map<number | null, { mask: Tensor | null; causal: boolean }>();
    const masks = this.spec.layers.map((layer) => {
      // A window no shorter than the keys changes nothing: the layer shares the full mask.
      const window = layer.window !== null && layer.window < past + l ? layer.window : null;
      let m = byWindow.get(window);
      if (!m) {
        // SDPA's is_causal aligns to the top-left, which is right only without cached keys.
        let mask: Tensor | null = null;
        if (opts.keyMask) mask = attentionMask(opts.keyMask, past, l, this.device, window);
        else if ((past > 0 && l > 1) || window !== null)
          mask = attentionMask(ones([b, past + l], { dtype: 'bool', device: this.device }), past, l, this.device, window);
        m = { mask, causal: mask === null && past === 0 && l > 1 };
        byWindow.set(window, m);
      }
      return m;
    });
    return { rope, masks, cache: opts.cache ?? null };
  }

  embed(ids: Tensor): Tensor {
    return embedTokens(this.spec, this.params.get('model.embed_tokens.weight')!, ids);
  }

  /** Decoder layer i (block.ts) with attention over the cache. x: [B, L, hidden]. */
  block(i: number, x: Tensor, ctx: AttentionContext): Tensor {
    const cfg = this.config;
    const [cos, sin] = ctx.rope[i]!;
    const { mask, causal } = ctx.masks[i]!;
    return decoderLayer({ spec: this.spec, cfg, w: this.layers[i]!, cos, sin }, x, (q, k, v) => {
      const [b, l] = q.shape as [number, number];
      let kh = k.transpose(1, 2); // [B, kvH, L, D]
      let vh = v.transpose(1, 2);
      if (ctx.cache) [kh, vh] = ctx.cache.append(i, kh, vh);
      const a = F.scaledDotProductAttention(q.transpose(1, 2), kh, vh, {
        mask,
        causal,
        enableGqa: cfg.numKvHeads !== cfg.numHeads,
        scale: this.spec.attentionScale ?? undefined,
      }); // [B, H, L, D]
      return a.transpose(1, 2).reshape(b, l, cfg.numHeads * cfg.headDim);
    });
  }

  finalNorm(x: Tensor): Tensor {
    return norm(this.spec, x, this.params.get('model.norm.weight')!, this.config.rmsNormEps);
  }

  /** Final-norm hidden states [B, L, hidden] for token ids [B, L]. */
  hiddenStates(ids: Tensor, opts: ForwardOptions = {}): Tensor {
    return tidy(() => {
      const [b, l] = ids.shape as [number, number];
      const ctx = this.attentionContext(b, l, opts);
      let x = this.embed(ids);
      for (let i = 0; i < this.layers.length; i++) x = this.block(i, x, ctx);
      if (opts.cache) opts.cache.advance(l);
      return this.finalNorm(x);
    });
  }

  /** Logits [B, L, vocab] in the model's dtype. */
  forward(ids: Tensor, opts: ForwardOptions = {}): Tensor {
    return tidy(() => this.logits(this.hiddenStates(ids, opts)));
  }

  /** Logits for hidden states [.., hidden] (used to apply the head chunk by chunk); softcapped if the family says so. */
  logits(hidden: Tensor): Tensor {
    return capLogits(this.spec, F.linear(hidden, this.lmHeadWeight));
  }

  /** An empty KV cache for `batch` rows of up to `maxLength` tokens. */
  newCache(batch: number, maxLength: number): KVCache {
    const c = this.config;
    return new KVCache(c.numLayers, batch, c.numKvHeads, maxLength, c.headDim, this.dtype, this.device);
  }

  dispose(): void {
    this.lora?.dispose();
    for (const p of this.params.values()) p.dispose();
    this.rope.dispose();
  }
}

/**
 * Boolean attention mask [B, 1, L, past+L]: query i (absolute position past+i) sees key j when
 * j <= past+i, key j is a real token, and (sliding layers) past+i - j < window, as
 * transformers' sliding_window_overlay (kv_idx > q_idx - sliding_window, on cache columns). Each
 * query also always sees itself, so that rows of padding never have every key masked (a fully
 * masked row makes NaNs that would leak through 0 * NaN into real rows).
 */
function attentionMask(keyMask: Tensor, past: number, l: number, device: Device, window: number | null): Tensor {
  const total = past + l;
  const qPos = arange(past, total, 1, { dtype: 'int64', device }).unsqueeze(1);
  const kPos = arange(0, total, 1, { dtype: 'int64', device }).unsqueeze(0);
  let causal = kPos.le(qPos);
  if (window !== null) causal = causal.logicalAnd(kPos.gt(qPos.sub(window)));
  const self = kPos.eq(qPos);
  const valid = keyMask.bool().unsqueeze(1).unsqueeze(1); // [B, 1, 1, total]
  return causal.logicalAnd(valid).logicalOr(self);
}
