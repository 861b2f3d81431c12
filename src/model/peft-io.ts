// The PEFT adapter folder format: adapter_config.json (LoraConfig's fields) and
// adapter_model.safetensors with PEFT's key names
// (`base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight`, ...), so that
// `PeftModel.from_pretrained(base, folder)` loads what we train and we load what PEFT saves.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fromBytes, noGrad, tidy, type Tensor } from '../engine/index.js';
import { FROM_SAFETENSORS, TOKENIZER_FILES, tensorToWrite } from './checkpoint.js';
import { SafetensorsReader, writeSafetensors } from './safetensors.js';
import { LoraAdapters, loraSettings, mergedWeight, type LoraHost, type LoraSettings } from './lora.js';
import { loraModulePath, type LoraTarget } from './lora-targets.js';

export const ADAPTER_CONFIG_FILE = 'adapter_config.json';
export const ADAPTER_WEIGHTS_FILE = 'adapter_model.safetensors';
const PREFIX = 'base_model.model.';

/** True when `dir` is a PEFT adapter folder (not a full model). */
export function isAdapterFolder(dir: string): boolean {
  return fs.existsSync(path.join(dir, ADAPTER_CONFIG_FILE));
}

/** Writes adapter_config.json and adapter_model.safetensors into `dir` (float32 unless `dtype`). */
/** `baseModel` null: the base is unknown here (PEFT writes null too); loaders then need it given (--base). */
export function saveAdapter(lora: LoraAdapters, dir: string, opts: { baseModel: string | null }): void {
  const s = lora.settings;
  fs.mkdirSync(dir, { recursive: true });
  const config = {
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    r: s.rank,
    lora_alpha: s.alpha,
    lora_dropout: s.dropout,
    target_modules: s.targetModules,
    base_model_name_or_path: opts.baseModel,
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    use_rslora: false,
    use_dora: false,
    modules_to_save: null,
    layers_to_transform: null,
    layers_pattern: null,
    rank_pattern: {},
    alpha_pattern: {},
    revision: null,
  };
  fs.writeFileSync(path.join(dir, ADAPTER_CONFIG_FILE), JSON.stringify(config, null, 2) + '\n');
  const tensors = [...lora.params.entries()].map(([n, t]) => tensorToWrite(PREFIX + n, t));
  writeSafetensors(path.join(dir, ADAPTER_WEIGHTS_FILE), tensors, { format: 'pt' });
}

/** A checkpoint of a LoRA run: the adapter folder plus the base's tokenizer files (so `rlvr generate` and PEFT find them). */
export function saveAdapterCheckpoint(lora: LoraAdapters, dir: string, opts: { baseModel: string | null; tokenizerFrom?: string }): void {
  saveAdapter(lora, dir, { baseModel: opts.baseModel });
  if (!opts.tokenizerFrom) return;
  for (const f of TOKENIZER_FILES) {
    const src = path.join(opts.tokenizerFrom, f);
    if (fs.existsSync(src)) fs.copyFileSync(src, path.join(dir, f));
  }
}

export interface AdapterFolder {
  settings: LoraSettings;
  /** The base model named in the config (may be a hub id or a path relative to nothing). */
  baseModel: string | null;
  /** Tensors under our names (PEFT's, without `base_model.model.`), float32 on the CPU; the caller disposes. */
  weights: Map<string, Tensor>;
}

/** Reads a PEFT LoRA adapter folder (plain LoRA: no DoRA, rsLoRA, per-module ranks or biases). */
export function readAdapter(dir: string): AdapterFolder {
  const cfg = JSON.parse(fs.readFileSync(path.join(dir, ADAPTER_CONFIG_FILE), 'utf8')) as Record<string, unknown>;
  if (cfg['peft_type'] !== 'LORA') throw new Error(`${dir}: peft_type ${String(cfg['peft_type'])} is not LORA`);
  for (const k of ['use_dora', 'use_rslora']) if (cfg[k]) throw new Error(`${dir}: ${k} adapters are not supported`);
  if (cfg['bias'] && cfg['bias'] !== 'none') throw new Error(`${dir}: bias '${String(cfg['bias'])}' is not supported (only 'none')`);
  for (const k of ['rank_pattern', 'alpha_pattern']) if (cfg[k] && Object.keys(cfg[k] as object).length) throw new Error(`${dir}: ${k} is not supported`);
  const targets = cfg['target_modules'];
  const settings = loraSettings({
    rank: Number(cfg['r']),
    alpha: Number(cfg['lora_alpha']),
    dropout: Number(cfg['lora_dropout'] ?? 0),
    targetModules: typeof targets === 'string' ? (targets === 'all-linear' ? undefined : [targets]) : (targets as string[]),
  });
  const reader = new SafetensorsReader(path.join(dir, ADAPTER_WEIGHTS_FILE));
  const weights = new Map<string, Tensor>();
  try {
    for (const name of reader.names) {
      const info = reader.info(name);
      const dt = FROM_SAFETENSORS[info.dtype];
      if (!dt) throw new Error(`${dir}: tensor ${name} has unsupported dtype ${info.dtype}`);
      // PEFT may save with or without the adapter name (`lora_A.default.weight`).
      const ours = name.replace(/^base_model\.model\./, '').replace(/\.lora_([AB])\.default\.weight$/, '.lora_$1.weight');
      weights.set(ours, noGrad(() => tidy(() => fromBytes(reader.read(name), dt, info.shape).float())).keep());
    }
  } finally {
    reader.close();
  }
  const base = cfg['base_model_name_or_path'];
  return { settings, baseModel: typeof base === 'string' && base.length > 0 ? base : null, weights };
}

/**
 * The base model folder of an adapter: `base` when given (--base), else the config's
 * base_model_name_or_path (absolute, or relative to the working directory or the adapter folder).
 */
export function adapterBase(dir: string, base?: string): string {
  if (base !== undefined) return base;
  const named = readAdapterConfigBase(dir);
  if (named === null) throw new Error(`${dir}: adapter_config.json names no base_model_name_or_path; give the base model folder (--base DIR)`);
  for (const cand of [named, path.join(dir, named)]) if (fs.existsSync(path.join(cand, 'config.json'))) return cand;
  throw new Error(`${dir}: its base model '${named}' is not a model folder here; give it (--base DIR)`);
}

function readAdapterConfigBase(dir: string): string | null {
  const cfg = JSON.parse(fs.readFileSync(path.join(dir, ADAPTER_CONFIG_FILE), 'utf8')) as Record<string, unknown>;
  const b = cfg['base_model_name_or_path'];
  return typeof b === 'string' && b.length > 0 ? b : null;
}

/** Attaches the adapters of folder `dir` to `model` (its base). */
export function attachAdapterFolder(model: LoraHost, dir: string): LoraAdapters {
  const saved = readAdapter(dir);
  try {
    return LoraAdapters.attach(model, saved.settings, { weights: saved.weights });
  } finally {
    for (const t of saved.weights.values()) t.dispose();
  }
}

/**
 * Folds the model's adapters into its base weights (W += scale · B A, in float32, rounded once
 * to W's dtype) and removes them: a plain model, as PEFT's merge_and_unload.
 */
export function mergeAdapters(model: LoraHost & { params: Map<string, Tensor> }): void {
  const lora = model.lora;
  if (!lora) return;
  model.layers.forEach((layer, i) => {
    for (const [t, pair] of Object.entries(layer.lora?.pairs ?? {})) {
      const w = model.params.get(`${loraModulePath(i, t as LoraTarget)}.weight`)!;
      const merged = mergedWeight(w, pair!, lora.scale);
      noGrad(() => w.copy_(merged));
      merged.dispose();
    }
  });
  lora.dispose();
}
