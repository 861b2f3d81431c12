// The family registry: config.json's `architectures[0]` (or `model_type`) → the family file
// that knows its fields and its block. Adding a family = one file here + one line below (and
// its name in config-types.ts `Architecture`).
import type { Architecture, ModelConfig } from '../config-types.js';
import { gemma3 } from './gemma3.js';
import { llama } from './llama.js';
import { qwen2 } from './qwen2.js';
import { qwen3 } from './qwen3.js';
import type { BlockSpec, Family } from './types.js';

export type { BlockSpec, Family, LayerSpec } from './types.js';

export const FAMILIES: readonly Family[] = [qwen2, llama, qwen3, gemma3];

/** The family of an `architectures[0]` name, else (no name given) of a `model_type`; undefined if unknown. */
export function findFamily(architecture: string | undefined, modelType?: unknown): Family | undefined {
  if (architecture !== undefined) return FAMILIES.find((f) => f.architecture === architecture);
  return FAMILIES.find((f) => f.modelType === modelType);
}

export function familyOf(arch: Architecture): Family {
  const f = FAMILIES.find((x) => x.architecture === arch);
  if (!f) throw new Error(`no family file for ${arch}`);
  return f;
}

/** The decoder block of a model with this config. */
export function blockSpec(cfg: ModelConfig): BlockSpec {
  return familyOf(cfg.architecture).block(cfg);
}
