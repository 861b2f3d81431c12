// LoRA adapters (Hu et al. 2021, as PEFT implements them) on the linear layers of the decoder
// block: y = W x + b + scale · B (A dropout(x)), A [r, in] kaiming-uniform (PEFT's
// kaiming_uniform_(a=√5): U(-1/√in, 1/√in)), B [out, r] zeros (so step 0 is the base model),
// scale = alpha / r. The base weights stay frozen; only A and B train.
//
// The adapters are applied on the fly inside block.ts (loraLinear), so the training forward,
// the reference forward and the rollout engine all see the same adapted weights without a
// merged copy; `disabled(f)` runs f on the plain base (the KL reference: no second model).
// Names follow PEFT's module paths (peft-io.ts adds the `base_model.model.` prefix).
import { F, Generator, isGradEnabled, noGrad, rand, tidy, zeros, type DType, type Device, type Tensor } from '../engine/index.js';
import type { ModelConfig } from './config-types.js';
import { LORA_TARGETS, loraModulePath, targetShape, type LoraTarget } from './lora-targets.js';

export { LORA_TARGETS, loraModulePath, targetShape, type LoraTarget };

export interface LoraSettings {
  rank: number;
  alpha: number;
  dropout: number;
  targetModules: LoraTarget[];
}

/** A [r, in] and B [out, r] of one adapted linear layer. */
export interface LoraPair {
  a: Tensor;
  b: Tensor;
}

/** What block.ts needs of one layer's adapters. */
export interface LayerLora {
  pairs: Partial<Record<LoraTarget, LoraPair>>;
  scale: number;
  dropout: number;
  /** Shared by every layer of a model: false while the base (reference) runs. */
  state: { enabled: boolean };
}

/** The part of CausalLM attach() touches (structural, so this file does not import the model). */
export interface LoraHost {
  readonly config: ModelConfig;
  readonly dtype: DType;
  readonly device: Device;
  readonly layers: readonly { lora?: LayerLora | null }[];
  lora: LoraAdapters | null;
}

/**
 * alpha when none is given: 32 at every rank, as "LoRA Without Regret" (Schulman et al., 2025)
 * does: with the alpha/r scale, a fixed alpha keeps the best learning rate nearly independent of
 * the rank. (PEFT's LoraConfig defaults to r 8, alpha 8; "alpha = 2r" is another common habit.)
 */
export const DEFAULT_LORA_ALPHA = 32;

/** Checks and completes LoRA settings: alpha defaults to 32, dropout to 0, targets to every linear layer. */
export function loraSettings(s: { rank: number; alpha?: number; dropout?: number; targetModules?: readonly string[] }): LoraSettings {
  if (!Number.isInteger(s.rank) || s.rank < 1) throw new Error(`lora rank must be a positive integer, got ${s.rank}`);
  const dropout = s.dropout ?? 0;
  if (!(dropout >= 0 && dropout < 1)) throw new Error(`lora dropout must be in [0, 1), got ${dropout}`);
  const targets = s.targetModules ?? LORA_TARGETS;
  for (const t of targets)
    if (!(LORA_TARGETS as readonly string[]).includes(t)) throw new Error(`lora target module '${t}' is not one of ${LORA_TARGETS.join(', ')}`);
  return { rank: s.rank, alpha: s.alpha ?? DEFAULT_LORA_ALPHA, dropout, targetModules: LORA_TARGETS.filter((t) => targets.includes(t)) };
}

export class LoraAdapters {
  /** PEFT module path + `.lora_A.weight` / `.lora_B.weight` → tensor (kept, float32 unless the model is not). */
  readonly params = new Map<string, Tensor>();
  readonly state = { enabled: true };
  readonly scale: number;

  private constructor(
    readonly settings: LoraSettings,
    private readonly host: LoraHost,
  ) {
    this.scale = settings.alpha / settings.rank;
  }

  /**
   * Adds adapters to `model` (A from a generator seeded with `seed`, B zeros), or with the
   * tensors in `weights` (PEFT names without the prefix; e.g. read from a checkpoint).
   */
  static attach(model: LoraHost, settings: LoraSettings, opts: { seed?: number; weights?: Map<string, Tensor> } = {}): LoraAdapters {
    if (model.lora) throw new Error('the model already has LoRA adapters');
    const lora = new LoraAdapters(settings, model);
    const gen = new Generator({ seed: opts.seed ?? 0 });
    const r = settings.rank;
    noGrad(() => {
      for (let i = 0; i < model.layers.length; i++) {
        const layer: LayerLora = { pairs: {}, scale: lora.scale, dropout: settings.dropout, state: lora.state };
        for (const t of settings.targetModules) {
          const [out, inp] = targetShape(model.config, t);
          const p = loraModulePath(i, t);
          const given = (n: string, shape: number[]) => {
            const w = opts.weights?.get(n);
            if (!opts.weights) return null;
            if (!w) throw new Error(`adapter is missing tensor ${n}`);
            if (w.shape.join(',') !== shape.join(','))
              throw new Error(`adapter tensor ${n} has shape [${w.shape.join(', ')}], the model needs [${shape.join(', ')}]`);
            return tidy(() => w.to({ dtype: model.dtype, device: model.device }).contiguous().clone()).keep();
          };
          // kaiming_uniform_(a=√5) on [r, in]: bound = √(2/(1+5)) · √(3/in) = 1/√in.
          const a =
            given(p + '.lora_A.weight', [r, inp]) ??
            tidy(() =>
              rand([r, inp], { dtype: 'float32', generator: gen })
                .mul(2)
                .sub(1)
                .mul(1 / Math.sqrt(inp))
                .to({ dtype: model.dtype, device: model.device }),
            ).keep();
          const b = given(p + '.lora_B.weight', [out, r]) ?? zeros([out, r], { dtype: model.dtype, device: model.device }).keep();
          lora.params.set(p + '.lora_A.weight', a);
          lora.params.set(p + '.lora_B.weight', b);
          layer.pairs[t] = { a, b };
        }
        model.layers[i]!.lora = layer;
      }
    });
    model.lora = lora;
    return lora;
  }

  /** The trainable tensors, in PEFT's order (layer by layer, A before B). */
  parameters(): Tensor[] {
    return [...this.params.values()];
  }

  requiresGrad_(on = true): this {
    for (const p of this.params.values()) p.requiresGrad_(on);
    return this;
  }

  /** Runs f on the base model (adapters off): the KL reference. */
  disabled<T>(f: () => T): T {
    const was = this.state.enabled;
    this.state.enabled = false;
    try {
      return f();
    } finally {
      this.state.enabled = was;
    }
  }

  /** Removes the adapters from the model and frees them. */
  dispose(): void {
    for (const l of this.host.layers) l.lora = null;
    if (this.host.lora === this) this.host.lora = null;
    for (const p of this.params.values()) p.dispose();
    this.params.clear();
  }
}

/** Runs f with the model's adapters off (a model without adapters: just f). */
export function withoutAdapters<T>(model: { lora: LoraAdapters | null }, f: () => T): T {
  return model.lora ? model.lora.disabled(f) : f();
}

/**
 * A linear layer with its adapter: x W^T + b + scale · (drop(x) A^T) B^T. Dropout acts only
 * where gradients are recorded (the update's forward), as PEFT's does in train mode only.
 */
export function loraLinear(x: Tensor, w: Tensor, bias: Tensor | null, lora: LayerLora | null | undefined, t: LoraTarget): Tensor {
  const base = F.linear(x, w, bias);
  const pair = lora?.state.enabled ? lora.pairs[t] : undefined;
  if (!pair || !lora) return base;
  const xin = lora.dropout > 0 && isGradEnabled() ? F.dropout(x, lora.dropout, true) : x;
  return base.add(F.linear(F.linear(xin, pair.a), pair.b).mul(lora.scale));
}

/** W + scale · B A for a target of layer i (merge, rlvr merge): a new tensor of W's dtype. */
export function mergedWeight(w: Tensor, pair: LoraPair, scale: number): Tensor {
  return noGrad(() => tidy(() => w.float().add(pair.b.float().matmul(pair.a.float()).mul(scale)).to({ dtype: w.dtype })));
}
