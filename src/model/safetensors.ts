// Safetensors reading and writing, single-file and sharded.
//
// Format: 8-byte little-endian header length N, then N bytes of JSON
//   {"__metadata__": {...}, "<name>": {"dtype": "BF16", "shape": [..], "data_offsets": [begin, end]}, ...}
// then the raw little-endian tensor data, offsets relative to the end of the header.
// Reading never loads a whole file: the header is read once and each tensor is fetched
// with a positioned read when asked for, so a 3 GB checkpoint loads tensor by tensor.

import * as fs from 'node:fs';
import * as path from 'node:path';

export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

const DTYPE_SIZE: Record<SafetensorsDtype, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

export function dtypeByteSize(dtype: SafetensorsDtype): number {
  return DTYPE_SIZE[dtype];
}

export interface TensorInfo {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Absolute path of the file holding the data. */
  file: string;
  /** Absolute byte offset of the data in `file`. */
  byteOffset: number;
  byteLength: number;
}

export interface SafetensorsHeader {
  tensors: TensorInfo[];
  metadata: Record<string, string>;
}

// Headers of real checkpoints are well under a few MB; the bound stops a corrupt length
// from triggering a huge allocation.
const MAX_HEADER_BYTES = 100 * 1024 * 1024;
// fs.readSync cannot read more than 2 GiB in one call.
const MAX_READ_CHUNK = 1 << 30;

function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function readFully(fd: number, into: Uint8Array, position: number, file: string): void {
  let done = 0;
  while (done < into.length) {
    const want = Math.min(into.length - done, MAX_READ_CHUNK);
    const n = fs.readSync(fd, into, done, want, position + done);
    if (n === 0) throw new Error(`${file}: unexpected end of file at byte ${position + done}`);
    done += n;
  }
}

/** Reads and validates the header of one .safetensors file. */
export function readSafetensorsHeader(file: string): SafetensorsHeader {
  const abs = path.resolve(file);
  const fd = fs.openSync(abs, 'r');
  try {
    const fileSize = fs.fstatSync(fd).size;
    const lenBuf = new Uint8Array(8);
    if (fileSize < 8) throw new Error(`${abs}: not a safetensors file (${fileSize} bytes)`);
    readFully(fd, lenBuf, 0, abs);
    const headerLen = Number(new DataView(lenBuf.buffer).getBigUint64(0, true));
    if (headerLen > MAX_HEADER_BYTES || 8 + headerLen > fileSize) {
      throw new Error(`${abs}: invalid safetensors header length ${headerLen}`);
    }
    const headerBytes = new Uint8Array(headerLen);
    readFully(fd, headerBytes, 8, abs);
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(new TextDecoder().decode(headerBytes)) as Record<string, unknown>;
    } catch (e) {
      throw new Error(`${abs}: safetensors header is not valid JSON: ${(e as Error).message}`);
    }
    const dataStart = 8 + headerLen;
    const metadata = (json.__metadata__ ?? {}) as Record<string, string>;
    const tensors: TensorInfo[] = [];
    for (const [name, value] of Object.entries(json)) {
      if (name === '__metadata__') continue;
      const v = value as { dtype: string; shape: number[]; data_offsets: [number, number] };
      if (!(v.dtype in DTYPE_SIZE)) throw new Error(`${abs}: tensor ${name} has unsupported dtype ${v.dtype}`);
      const dtype = v.dtype as SafetensorsDtype;
      const [begin, end] = v.data_offsets;
      const expected = numel(v.shape) * DTYPE_SIZE[dtype];
      if (end - begin !== expected || begin < 0 || dataStart + end > fileSize) {
        throw new Error(`${abs}: tensor ${name} has inconsistent offsets [${begin}, ${end}] for ${dtype}${JSON.stringify(v.shape)}`);
      }
      tensors.push({ name, dtype, shape: [...v.shape], file: abs, byteOffset: dataStart + begin, byteLength: end - begin });
    }
    return { tensors, metadata };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * An opened checkpoint: one .safetensors file, a sharded set (model.safetensors.index.json),
 * or a model folder containing either. Tensor data is read on demand.
 */
export class SafetensorsReader {
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  readonly metadata: Record<string, string>;
  private readonly fds = new Map<string, number>();

  constructor(pathOrDir: string) {
    const files = resolveFiles(pathOrDir);
    const tensors = new Map<string, TensorInfo>();
    let metadata: Record<string, string> = {};
    for (const f of files) {
      const h = readSafetensorsHeader(f);
      metadata = { ...metadata, ...h.metadata };
      for (const t of h.tensors) {
        if (tensors.has(t.name)) throw new Error(`tensor ${t.name} appears in more than one shard`);
        tensors.set(t.name, t);
      }
    }
    this.tensors = tensors;
    this.metadata = metadata;
  }

  get names(): string[] {
    return [...this.tensors.keys()];
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  info(name: string): TensorInfo {
    const t = this.tensors.get(name);
    if (!t) throw new Error(`tensor ${name} not found in checkpoint`);
    return t;
  }

  /** The raw little-endian bytes of one tensor, in a fresh (8-byte aligned) buffer. */
  read(name: string): Uint8Array {
    const t = this.info(name);
    let fd = this.fds.get(t.file);
    if (fd === undefined) {
      fd = fs.openSync(t.file, 'r');
      this.fds.set(t.file, fd);
    }
    const out = new Uint8Array(t.byteLength);
    readFully(fd, out, t.byteOffset, t.file);
    return out;
  }

  close(): void {
    for (const fd of this.fds.values()) fs.closeSync(fd);
    this.fds.clear();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** The .safetensors files behind a path: a file, an index json, or a folder with either. */
/** The .safetensors files of a file, an index or a model folder (the shards, in index order). */
export function resolveFiles(pathOrDir: string): string[] {
  let p = path.resolve(pathOrDir);
  if (fs.statSync(p).isDirectory()) {
    const index = path.join(p, 'model.safetensors.index.json');
    const single = path.join(p, 'model.safetensors');
    if (fs.existsSync(index)) p = index;
    else if (fs.existsSync(single)) p = single;
    else {
      const any = fs
        .readdirSync(p)
        .filter((f) => f.endsWith('.safetensors'))
        .sort();
      if (any.length === 0) throw new Error(`${p}: no .safetensors files found`);
      return any.map((f) => path.join(p, f));
    }
  }
  if (p.endsWith('.json')) {
    const index = JSON.parse(fs.readFileSync(p, 'utf8')) as { weight_map?: Record<string, string> };
    if (!index.weight_map) throw new Error(`${p}: not a safetensors index (no weight_map)`);
    const dir = path.dirname(p);
    return [...new Set(Object.values(index.weight_map))].map((f) => path.join(dir, f));
  }
  return [p];
}

/** Reads the raw bytes of one tensor described by `info` (opens and closes the file). */
export function readTensorBytes(info: TensorInfo): Uint8Array {
  const fd = fs.openSync(info.file, 'r');
  try {
    const out = new Uint8Array(info.byteLength);
    readFully(fd, out, info.byteOffset, info.file);
    return out;
  } finally {
    fs.closeSync(fd);
  }
}

// ---------------------------------------------------------------------------------------
// Writing

export interface TensorToWrite {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** The bytes, or a function producing them when written (so a large model need not be held twice). */
  data: ArrayBufferView | (() => ArrayBufferView);
}

function byteLengthOf(t: TensorToWrite): number {
  return numel(t.shape) * DTYPE_SIZE[t.dtype];
}

function asBytes(v: ArrayBufferView): Uint8Array {
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

/** Writes one .safetensors file with tensors in the given order; returns the file size. */
export function writeSafetensors(file: string, tensors: readonly TensorToWrite[], metadata: Record<string, string> = {}): number {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt', ...metadata } };
  let offset = 0;
  const seen = new Set<string>();
  for (const t of tensors) {
    if (seen.has(t.name)) throw new Error(`duplicate tensor name ${t.name}`);
    if (!(t.dtype in DTYPE_SIZE)) throw new Error(`tensor ${t.name}: unsupported dtype ${t.dtype}`);
    seen.add(t.name);
    const len = byteLengthOf(t);
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + len] };
    offset += len;
  }
  // Pad the header with spaces so tensor data starts 8-byte aligned, as the Rust writer does.
  let headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(headerBytes.length / 8) * 8;
  if (padded !== headerBytes.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(headerBytes);
    headerBytes = p;
  }
  const lenBuf = new Uint8Array(8);
  new DataView(lenBuf.buffer).setBigUint64(0, BigInt(headerBytes.length), true);

  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, lenBuf);
    fs.writeSync(fd, headerBytes);
    for (const t of tensors) {
      const bytes = asBytes(typeof t.data === 'function' ? t.data() : t.data);
      if (bytes.length !== byteLengthOf(t)) {
        throw new Error(`tensor ${t.name}: got ${bytes.length} bytes, ${t.dtype}${JSON.stringify(t.shape)} needs ${byteLengthOf(t)}`);
      }
      for (let done = 0; done < bytes.length; ) done += fs.writeSync(fd, bytes, done, Math.min(bytes.length - done, MAX_READ_CHUNK));
    }
  } finally {
    fs.closeSync(fd);
  }
  return 8 + headerBytes.length + offset;
}

export interface ShardOptions {
  /** Largest total tensor bytes per shard (default 5 GB, as transformers' save_pretrained). */
  maxShardBytes?: number;
  /** File name stem: `model` gives model.safetensors or model-00001-of-00002.safetensors. */
  prefix?: string;
  metadata?: Record<string, string>;
}

/**
 * Writes tensors into `dir`, splitting into shards when they exceed maxShardBytes, with a
 * `<prefix>.safetensors.index.json` weight map in the sharded case (transformers' layout).
 * A single tensor larger than the limit gets a shard of its own. Returns the files written.
 */
export function writeSafetensorsSharded(dir: string, tensors: readonly TensorToWrite[], opts: ShardOptions = {}): string[] {
  const maxBytes = opts.maxShardBytes ?? 5e9;
  const prefix = opts.prefix ?? 'model';
  const shards: TensorToWrite[][] = [];
  let current: TensorToWrite[] = [];
  let currentBytes = 0;
  for (const t of tensors) {
    const len = byteLengthOf(t);
    if (current.length > 0 && currentBytes + len > maxBytes) {
      shards.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(t);
    currentBytes += len;
  }
  if (current.length > 0 || shards.length === 0) shards.push(current);

  fs.mkdirSync(dir, { recursive: true });
  if (shards.length === 1) {
    const file = path.join(dir, `${prefix}.safetensors`);
    writeSafetensors(file, shards[0]!, opts.metadata);
    return [file];
  }
  const pad = (n: number) => String(n).padStart(5, '0');
  const weightMap: Record<string, string> = {};
  const files: string[] = [];
  let totalSize = 0;
  shards.forEach((shard, i) => {
    const name = `${prefix}-${pad(i + 1)}-of-${pad(shards.length)}.safetensors`;
    writeSafetensors(path.join(dir, name), shard, opts.metadata);
    files.push(path.join(dir, name));
    for (const t of shard) {
      weightMap[t.name] = name;
      totalSize += byteLengthOf(t);
    }
  });
  const indexFile = path.join(dir, `${prefix}.safetensors.index.json`);
  fs.writeFileSync(indexFile, JSON.stringify({ metadata: { total_size: totalSize }, weight_map: weightMap }, null, 2) + '\n');
  return [...files, indexFile];
}
