// Loading and saving Hugging Face model folders: config.json, *.safetensors (single or
// sharded), generation_config.json and the tokenizer files. Loading goes tensor by tensor, so
// peak host memory is the model plus one tensor, never the whole file twice.
import { jsonErrorText } from '../errors.js';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fromBytes, noGrad, tidy, type DType, type Device, type Tensor } from '../engine/index.js';
import { configToJson, parseModelConfig, type ModelConfig } from './config.js';
import { SafetensorsReader, writeSafetensorsSharded, type SafetensorsDtype, type TensorToWrite } from './safetensors.js';
import { CausalLM, parameterShapes } from './transformer.js';

export const FROM_SAFETENSORS: Record<SafetensorsDtype, DType | null> = {
  F64: 'float64',
  F32: 'float32',
  F16: 'float16',
  BF16: 'bfloat16',
  I64: 'int64',
  I32: 'int32',
  I16: 'int16',
  I8: 'int8',
  U8: 'uint8',
  BOOL: 'bool',
};
const TO_SAFETENSORS: Partial<Record<DType, SafetensorsDtype>> = {
  float32: 'F32',
  float16: 'F16',
  bfloat16: 'BF16',
  float64: 'F64',
  int64: 'I64',
  int32: 'I32',
  uint8: 'U8',
  bool: 'BOOL',
};

/** Files copied along with the weights so that the saved folder is a complete model. */
export const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.json', 'merges.txt', 'chat_template.jinja'];

export function readConfig(dir: string): ModelConfig {
  const file = path.join(dir, 'config.json');
  if (!fs.existsSync(dir)) throw new Error(`no such model folder: ${dir}`);
  if (!fs.existsSync(file)) throw new Error(`${dir} is not a Hugging Face model folder (no config.json)`);
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${jsonErrorText(e)})`);
  }
  try {
    return parseModelConfig(json);
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
}

export interface LoadOptions {
  /** Compute dtype of the parameters. Default: float32 on CPU, bfloat16 elsewhere. */
  dtype?: DType;
  device?: Device;
}

/** Loads a Qwen2/Llama model folder. */
export function loadModel(dir: string, opts: LoadOptions = {}): CausalLM {
  const config = readConfig(dir);
  const device = opts.device ?? 'cpu';
  const dtype = opts.dtype ?? (device === 'cpu' ? 'float32' : 'bfloat16');
  const reader = new SafetensorsReader(dir);
  const expected = parameterShapes(config);
  const params = new Map<string, Tensor>();
  try {
    for (const name of reader.names) {
      // Some exports carry non-parameter buffers (rotary inv_freq): derived from the config, skip.
      if (name.endsWith('rotary_emb.inv_freq')) continue;
      // A tied checkpoint may still store lm_head; the tie means it equals the embedding.
      if (name === 'lm_head.weight' && config.tieWordEmbeddings) continue;
      if (!expected.has(name)) throw new Error(`${dir}: tensor ${name} is not part of a ${config.architecture} with this config.json`);
      const info = reader.info(name);
      const srcType = FROM_SAFETENSORS[info.dtype];
      if (!srcType) throw new Error(`${dir}: tensor ${name} has unsupported dtype ${info.dtype}`);
      const t = noGrad(() => tidy(() => fromBytes(reader.read(name), srcType, info.shape).to({ dtype, device })));
      params.set(name, t.keep());
      // NaN/inf weights would only surface later as "probability tensor contains inf/nan" mid-run.
      if (!noGrad(() => tidy(() => t.isfinite().all().item())))
        throw new Error(`${dir}: tensor ${name} has NaN or infinite values (a damaged or diverged checkpoint)`);
    }
    return new CausalLM(config, params);
  } catch (e) {
    for (const t of params.values()) t.dispose();
    throw e;
  } finally {
    reader.close();
  }
}

export interface SaveOptions {
  /** dtype written to the safetensors (default: the model's). */
  dtype?: DType;
  /** Copy tokenizer files from this folder (usually the folder the model came from). */
  tokenizerFrom?: string;
  /** Extra generation_config.json fields. */
  generation?: Record<string, unknown>;
  maxShardBytes?: number;
}

/**
 * A safetensors entry for a tensor, converted to `dtype` on the CPU only when the file is
 * written (one tensor at a time, so a model is never held twice in host memory).
 */
export function tensorToWrite(name: string, t: Tensor, dtype: DType = t.dtype): TensorToWrite {
  const st = TO_SAFETENSORS[dtype];
  if (!st) throw new Error(`cannot save ${name} as ${dtype}`);
  return { name, dtype: st, shape: t.shape, data: () => noGrad(() => tidy(() => t.detach().to({ dtype, device: 'cpu' }).contiguous().toBytes())) };
}

/** Writes the model in HF layout so that transformers' from_pretrained loads it. */
export function saveModel(model: CausalLM, dir: string, opts: SaveOptions = {}): void {
  const dtype = opts.dtype ?? model.dtype;
  const tensors = [...model.params.entries()].map(([name, p]) => tensorToWrite(name, p, dtype));
  fs.mkdirSync(dir, { recursive: true });
  writeSafetensorsSharded(dir, tensors, { maxShardBytes: opts.maxShardBytes });
  const config = { ...configToJson(model.config), torch_dtype: dtype };
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  const generation = {
    bos_token_id: model.config.bosTokenId,
    eos_token_id: model.config.eosTokenId,
    ...opts.generation,
  };
  fs.writeFileSync(path.join(dir, 'generation_config.json'), JSON.stringify(generation, null, 2) + '\n');
  if (opts.tokenizerFrom && path.resolve(opts.tokenizerFrom) !== path.resolve(dir)) {
    for (const f of TOKENIZER_FILES) {
      const src = path.join(opts.tokenizerFrom, f);
      if (fs.existsSync(src)) fs.copyFileSync(src, path.join(dir, f));
    }
  }
}
