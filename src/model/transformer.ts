// The decoder-only transformer of Qwen2 / Llama, computing what transformers'
// Qwen2ForCausalLM / LlamaForCausalLM compute, with weights under the same names.
//
//   x = embed(ids)
//   for each layer:  x += o_proj(attn(rope(q_proj(norm1 x)), rope(k_proj(..)), v_proj(..)))
//                    x += down(silu(gate(norm2 x)) * up(norm2 x))
//   logits = lm_head(norm x)          (lm_head = embed when tie_word_embeddings)
import {
  F, arange, noGrad, ones, randn, tidy, zeros, type DType, type Device, type Tensor,
} from '../engine/index.js';
import type { ModelConfig } from './config.js';
import { KVCache } from './kv-cache.js';
import { applyRotary, RotaryTables } from './rope.js';

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

export interface AttentionContext {
  cos: Tensor;
  sin: Tensor;
  mask: Tensor | null;
  causal: boolean;
  cache: KVCache | null;
}

export interface LayerWeights {
  inputNorm: Tensor;
  q: Tensor; qBias: Tensor | null;
  k: Tensor; kBias: Tensor | null;
  v: Tensor; vBias: Tensor | null;
  o: Tensor;
  postNorm: Tensor;
  gate: Tensor; up: Tensor; down: Tensor;
}

/** The HF parameter names of a model with this config, with their shapes, in checkpoint order. */
export function parameterShapes(cfg: ModelConfig): Map<string, number[]> {
  const { hiddenSize: h, intermediateSize: m, numHeads, numKvHeads, headDim: d, vocabSize: v } = cfg;
  const shapes = new Map<string, number[]>();
  shapes.set('model.embed_tokens.weight', [v, h]);
  for (let i = 0; i < cfg.numLayers; i++) {
    const p = `model.layers.${i}.`;
    shapes.set(p + 'input_layernorm.weight', [h]);
    shapes.set(p + 'self_attn.q_proj.weight', [numHeads * d, h]);
    shapes.set(p + 'self_attn.k_proj.weight', [numKvHeads * d, h]);
    shapes.set(p + 'self_attn.v_proj.weight', [numKvHeads * d, h]);
    if (cfg.attentionBias) {
      shapes.set(p + 'self_attn.q_proj.bias', [numHeads * d]);
      shapes.set(p + 'self_attn.k_proj.bias', [numKvHeads * d]);
      shapes.set(p + 'self_attn.v_proj.bias', [numKvHeads * d]);
    }
    shapes.set(p + 'self_attn.o_proj.weight', [h, numHeads * d]);
    shapes.set(p + 'post_attention_layernorm.weight', [h]);
    shapes.set(p + 'mlp.gate_proj.weight', [m, h]);
    shapes.set(p + 'mlp.up_proj.weight', [m, h]);
    shapes.set(p + 'mlp.down_proj.weight', [h, m]);
  }
  shapes.set('model.norm.weight', [h]);
  if (!cfg.tieWordEmbeddings) shapes.set('lm_head.weight', [v, h]);
  return shapes;
}

export class CausalLM {
  readonly config: ModelConfig;
  /** HF name → parameter (kept tensors, owned by the model). */
  readonly params: Map<string, Tensor>;
  readonly dtype: DType;
  readonly device: Device;
  /** Per-layer weight handles (views of `params`), shared with the rollout engine's forward. */
  readonly layers: readonly LayerWeights[];
  private rope: RotaryTables;

  constructor(config: ModelConfig, params: Map<string, Tensor>) {
    this.config = config;
    const expected = parameterShapes(config);
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
    const get = (n: string) => params.get(n)!;
    const maybe = (n: string) => params.get(n) ?? null;
    this.layers = Array.from({ length: config.numLayers }, (_, i) => {
      const p = `model.layers.${i}.`;
      return {
        inputNorm: get(p + 'input_layernorm.weight'),
        q: get(p + 'self_attn.q_proj.weight'), qBias: maybe(p + 'self_attn.q_proj.bias'),
        k: get(p + 'self_attn.k_proj.weight'), kBias: maybe(p + 'self_attn.k_proj.bias'),
        v: get(p + 'self_attn.v_proj.weight'), vBias: maybe(p + 'self_attn.v_proj.bias'),
        o: get(p + 'self_attn.o_proj.weight'),
        postNorm: get(p + 'post_attention_layernorm.weight'),
        gate: get(p + 'mlp.gate_proj.weight'), up: get(p + 'mlp.up_proj.weight'), down: get(p + 'mlp.down_proj.weight'),
      };
    });
    this.rope = new RotaryTables(config, Math.min(config.maxPositionEmbeddings, 4096), this.device);
  }

  /** A model with HF's default initialisation (normal(0, 0.02), norms at 1), for training from scratch. */
  static randomInit(config: ModelConfig, opts: { dtype?: DType; device?: Device; seed?: number } = {}): CausalLM {
    const params = new Map<string, Tensor>();
    noGrad(() => {
      for (const [name, shape] of parameterShapes(config)) {
        const isNorm = name.endsWith('layernorm.weight') || name === 'model.norm.weight';
        const isBias = name.endsWith('.bias');
        const t = isNorm ? ones(shape, { dtype: 'float32' }) : isBias ? zeros(shape, { dtype: 'float32' })
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

  get lmHeadWeight(): Tensor {
    return this.params.get('lm_head.weight') ?? this.params.get('model.embed_tokens.weight')!;
  }

  /** Makes every parameter a leaf that records gradients (for training). */
  requiresGrad_(on = true): this {
    for (const p of this.params.values()) p.requiresGrad_(on);
    return this;
  }

  /**
   * What every layer of one forward call shares: rotary cos/sin at the positions and the
   * attention mask (or the causal flag). Tensors live in the caller's scope.
   */
  attentionContext(b: number, l: number, opts: ForwardOptions = {}): AttentionContext {
    const past = opts.cache?.length ?? 0;
    const positions = opts.positions ?? arange(past, past + l, 1, { dtype: 'int64', device: this.device }).unsqueeze(0).expand(b, l);
    if (past + l > this.rope.maxPositions) this.growRope(past + l);
    const [cos, sin] = this.rope.at(positions, this.dtype);
    // SDPA's is_causal aligns to the top-left, which is right only without cached keys.
    let mask: Tensor | null = null;
    if (opts.keyMask) mask = attentionMask(opts.keyMask, past, l, this.device);
    else if (past > 0 && l > 1) mask = attentionMask(ones([b, past + l], { dtype: 'bool', device: this.device }), past, l, this.device);
    return { cos, sin, mask, causal: mask === null && past === 0 && l > 1, cache: opts.cache ?? null };
  }

  embed(ids: Tensor): Tensor {
    return F.embedding(this.params.get('model.embed_tokens.weight')!, ids);
  }

  /** Decoder layer i: x + attn(norm x), then + mlp(norm ...). x: [B, L, hidden]. */
  block(i: number, x: Tensor, ctx: AttentionContext): Tensor {
    const cfg = this.config;
    const w = this.layers[i]!;
    const [b, l] = x.shape as [number, number];
    return tidy(() => {
      const attnOut = tidy(() => {
        const hIn = F.rmsNorm(x, w.inputNorm, cfg.rmsNormEps);
        let q = F.linear(hIn, w.q, w.qBias).view(b, l, cfg.numHeads, cfg.headDim).transpose(1, 2);
        let k = F.linear(hIn, w.k, w.kBias).view(b, l, cfg.numKvHeads, cfg.headDim).transpose(1, 2);
        let v = F.linear(hIn, w.v, w.vBias).view(b, l, cfg.numKvHeads, cfg.headDim).transpose(1, 2);
        q = applyRotary(q, ctx.cos, ctx.sin);
        k = applyRotary(k, ctx.cos, ctx.sin);
        if (ctx.cache) [k, v] = ctx.cache.append(i, k, v);
        const a = F.scaledDotProductAttention(q, k, v, { mask: ctx.mask, causal: ctx.causal, enableGqa: cfg.numKvHeads !== cfg.numHeads });
        return F.linear(a.transpose(1, 2).reshape(b, l, cfg.numHeads * cfg.headDim), w.o);
      });
      const x1 = x.add(attnOut);
      const mlpOut = tidy(() => {
        const h2 = F.rmsNorm(x1, w.postNorm, cfg.rmsNormEps);
        return F.linear(F.silu(F.linear(h2, w.gate)).mul(F.linear(h2, w.up)), w.down);
      });
      return x1.add(mlpOut);
    });
  }

  finalNorm(x: Tensor): Tensor {
    return F.rmsNorm(x, this.params.get('model.norm.weight')!, this.config.rmsNormEps);
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
    return tidy(() => F.linear(this.hiddenStates(ids, opts), this.lmHeadWeight));
  }

  /** Logits for hidden states [.., hidden] (used to apply the head chunk by chunk). */
  logits(hidden: Tensor): Tensor {
    return F.linear(hidden, this.lmHeadWeight);
  }

  /** An empty KV cache for `batch` rows of up to `maxLength` tokens. */
  newCache(batch: number, maxLength: number): KVCache {
    const c = this.config;
    return new KVCache(c.numLayers, batch, c.numKvHeads, maxLength, c.headDim, this.dtype, this.device);
  }

  private growRope(n: number): void {
    const old = this.rope;
    this.rope = new RotaryTables(this.config, Math.max(n, old.maxPositions * 2), this.device);
    old.dispose();
  }

  dispose(): void {
    for (const p of this.params.values()) p.dispose();
    this.rope.dispose();
  }
}

/**
 * Boolean attention mask [B, 1, L, past+L]: query i (absolute position past+i) sees key j when
 * j <= past+i and key j is a real token. Each query also always sees itself, so that rows of
 * padding never have every key masked (a fully masked row makes NaNs that would leak through
 * 0 * NaN into real rows).
 */
function attentionMask(keyMask: Tensor, past: number, l: number, device: Device): Tensor {
  const total = past + l;
  const qPos = arange(past, total, 1, { dtype: 'int64', device }).unsqueeze(1);
  const kPos = arange(0, total, 1, { dtype: 'int64', device }).unsqueeze(0);
  const causal = kPos.le(qPos);
  const self = kPos.eq(qPos);
  const valid = keyMask.bool().unsqueeze(1).unsqueeze(1); // [B, 1, 1, total]
  return causal.logicalAnd(valid).logicalOr(self);
}
