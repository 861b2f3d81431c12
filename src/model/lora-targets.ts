// The linear layers of the decoder block a LoRA adapter can sit on, under PEFT's names, with
// their module paths and shapes. Pure data (no engine import) so that the run schema
// (src/run/run-config.ts) and the memory plan can use it without loading libtorch.
import type { ModelConfig } from './config-types.js';

/** Linear layers of the block an adapter can sit on (PEFT's target_modules names); default: all of them. */
export const LORA_TARGETS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const;
export type LoraTarget = (typeof LORA_TARGETS)[number];

/** Module path of a target inside layer i (PEFT's names without the `base_model.model.` prefix). */
export function loraModulePath(i: number, t: LoraTarget): string {
  const group = t === 'gate_proj' || t === 'up_proj' || t === 'down_proj' ? 'mlp' : 'self_attn';
  return `model.layers.${i}.${group}.${t}`;
}

/** [out, in] of a target's base weight. */
export function targetShape(
  cfg: Pick<ModelConfig, 'hiddenSize' | 'intermediateSize' | 'numHeads' | 'numKvHeads' | 'headDim'>,
  t: LoraTarget,
): [number, number] {
  const { hiddenSize: h, intermediateSize: m, numHeads, numKvHeads, headDim: d } = cfg;
  switch (t) {
    case 'q_proj':
      return [numHeads * d, h];
    case 'k_proj':
    case 'v_proj':
      return [numKvHeads * d, h];
    case 'o_proj':
      return [h, numHeads * d];
    case 'gate_proj':
    case 'up_proj':
      return [m, h];
    case 'down_proj':
      return [h, m];
  }
}

/** Sizes of the adapter tensors in checkpoint order (per layer, per target: A = r·in, then B = out·r). */
export function loraTensorSizes(
  cfg: Pick<ModelConfig, 'numLayers' | 'hiddenSize' | 'intermediateSize' | 'numHeads' | 'numKvHeads' | 'headDim'>,
  rank: number,
  targets: readonly LoraTarget[] = LORA_TARGETS,
): number[] {
  const sizes: number[] = [];
  for (let i = 0; i < cfg.numLayers; i++) {
    for (const t of LORA_TARGETS.filter((u) => targets.includes(u))) {
      const [out, inp] = targetShape(cfg, t);
      sizes.push(rank * inp, out * rank);
    }
  }
  return sizes;
}

/** Adapter parameters of a model: every layer, every target, r · (in + out) each. */
export function loraParameterCount(cfg: Parameters<typeof loraTensorSizes>[0], rank: number, targets: readonly LoraTarget[] = LORA_TARGETS): number {
  return loraTensorSizes(cfg, rank, targets).reduce((a, b) => a + b, 0);
}
