// What a run is: its model's architecture, its base weights and its data, as digests recorded in
// run_config.json (`fingerprint`) when the run starts. `--resume` (and GRPOTrainer.resume)
// checks the checkpoint and the files against them and refuses, with one line, a checkpoint of
// another model (a hidden-32 checkpoint in a hidden-64 run trained on, silently, with the KL
// measured against the original) or base weights / data that changed since the start.
//
// Cheap enough for every start: the architecture is config.json's shape fields; the weights'
// digest hashes every safetensors header (names, dtypes, shapes, offsets), each file's size and
// the bytes: all of them up to 1 GiB of weights (sha256 ran at ~660 MB/s on the 2-core dev
// machine: under 2 s), beyond that 16 evenly spaced 64 KiB samples per file (a 3 GB model: 1 MB
// read, milliseconds; a fine-tune of the same architecture differs in the samples, an edit of a
// few weights between them would not); the data's digest is the sha256 of the whole data file (or
// of the examples given in code).
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../errors.js';
import { resolveFiles, SafetensorsReader } from '../model/safetensors.js';

export interface RunFingerprint {
  /** config.json's architecture fields, as JSON (model_type, sizes, layers, heads, vocab). */
  architecture: string;
  /** sha256 of the base weights' headers, sizes and sampled bytes. */
  weights: string;
  /** sha256 of the data file (or of the in-code examples as JSON). */
  data: string;
}

const ARCH_FIELDS = [
  'model_type',
  'hidden_size',
  'intermediate_size',
  'num_hidden_layers',
  'num_attention_heads',
  'num_key_value_heads',
  'vocab_size',
  'head_dim',
  'tie_word_embeddings',
];

/** config.json's architecture fields (missing ones left out), as canonical JSON. */
export function architectureOf(modelDir: string): string {
  let cfg: Record<string, unknown>;
  try {
    cfg = JSON.parse(fs.readFileSync(path.join(modelDir, 'config.json'), 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new UserError(`${path.join(modelDir, 'config.json')}: ${(e as { code?: string }).code === 'ENOENT' ? 'missing' : 'not valid JSON'}`);
  }
  return JSON.stringify(Object.fromEntries(ARCH_FIELDS.filter((k) => cfg[k] !== undefined).map((k) => [k, cfg[k]])));
}

const SAMPLES = 16;
const SAMPLE_BYTES = 64 * 1024;
/** Up to this many weight bytes the digest reads them all. */
const FULL_DIGEST_BYTES = 1 << 30;

/** The base weights' digest (see the header). */
export function weightsDigest(modelDir: string): string {
  const h = createHash('sha256');
  const files = resolveFiles(modelDir);
  const full = files.reduce((n, f) => n + fs.statSync(f).size, 0) <= FULL_DIGEST_BYTES;
  for (const f of files) {
    if (full) {
      h.update(`${path.basename(f)}\n`);
      h.update(dataDigest(f));
      continue;
    }
    const fd = fs.openSync(f, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      h.update(`${path.basename(f)}:${size}\n`);
      const len = new Uint8Array(8);
      fs.readSync(fd, len, 0, 8, 0);
      const headerLen = Math.min(Number(new DataView(len.buffer).getBigUint64(0, true)), size - 8);
      const header = new Uint8Array(Math.max(0, headerLen));
      fs.readSync(fd, header, 0, header.length, 8);
      h.update(header);
      const buf = new Uint8Array(SAMPLE_BYTES);
      for (let i = 0; i < SAMPLES; i++) {
        const pos = Math.floor((i * Math.max(0, size - SAMPLE_BYTES)) / (SAMPLES - 1));
        const n = fs.readSync(fd, buf, 0, SAMPLE_BYTES, pos);
        h.update(buf.subarray(0, n));
      }
    } finally {
      fs.closeSync(fd);
    }
  }
  return h.digest('hex');
}

/** sha256 of a data file's bytes, or of examples given in code. */
export function dataDigest(data: string | unknown[]): string {
  const h = createHash('sha256');
  if (typeof data === 'string') {
    const fd = fs.openSync(data, 'r');
    try {
      const buf = new Uint8Array(1 << 20);
      for (let pos = 0; ; ) {
        const n = fs.readSync(fd, buf, 0, buf.length, pos);
        if (n === 0) break;
        h.update(buf.subarray(0, n));
        pos += n;
      }
    } finally {
      fs.closeSync(fd);
    }
  } else {
    h.update(JSON.stringify(data));
  }
  return h.digest('hex');
}

export function fingerprint(modelDir: string, data: string | unknown[]): RunFingerprint {
  return { architecture: architectureOf(modelDir), weights: weightsDigest(modelDir), data: dataDigest(data) };
}

/**
 * Refuses (one UserError line) to resume `checkpoint` when it does not belong to the run: its
 * architecture or tensor shapes differ from the run's model, or the model's weights or the data
 * changed since the run started (`recorded`, absent for runs from before fingerprints: then only
 * the checkpoint is compared with the model).
 */
export function checkResume(opts: { checkpoint: string; model: string; data: string | unknown[]; recorded?: RunFingerprint }): void {
  const { checkpoint, model } = opts;
  const name = path.basename(checkpoint);
  const base = JSON.parse(architectureOf(model)) as Record<string, unknown>;
  // A LoRA checkpoint is an adapter folder (no config.json): its tensors' shapes are checked when attached.
  const ours = fs.existsSync(path.join(checkpoint, 'adapter_config.json')) ? base : (JSON.parse(architectureOf(checkpoint)) as Record<string, unknown>);
  for (const k of ARCH_FIELDS) {
    if (base[k] !== undefined && ours[k] !== undefined && base[k] !== ours[k]) {
      throw new UserError(
        `--resume: checkpoint ${name} is not from this run: its model has ${k} ${String(ours[k])}, the run's model ${model} has ${String(base[k])}`,
      );
    }
  }
  const a = new SafetensorsReader(checkpoint);
  const b = new SafetensorsReader(model);
  try {
    for (const [n, t] of a.tensors) {
      const u = b.tensors.get(n);
      if (u && JSON.stringify(u.shape) !== JSON.stringify(t.shape)) {
        throw new UserError(
          `--resume: checkpoint ${name} is not from this run: ${n} has shape [${t.shape.join(', ')}], the run's model has [${u.shape.join(', ')}]`,
        );
      }
    }
  } finally {
    a.close();
    b.close();
  }
  const r = opts.recorded;
  if (!r) return;
  if (architectureOf(model) !== r.architecture)
    throw new UserError(`--resume: the run's model folder ${model} now holds another architecture than when the run started`);
  if (weightsDigest(model) !== r.weights)
    throw new UserError(`--resume: the weights in ${model} changed since the run started (the KL reference would differ); restore them or start a new run`);
  if (dataDigest(opts.data) !== r.data)
    throw new UserError(
      `--resume: the data ${typeof opts.data === 'string' ? opts.data : '(given in code)'} changed since the run started; restore it or start a new run with another --out`,
    );
}
