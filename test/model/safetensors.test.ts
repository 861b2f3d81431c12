import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  SafetensorsReader,
  readSafetensorsHeader,
  readTensorBytes,
  writeSafetensors,
  writeSafetensorsSharded,
  type TensorToWrite,
} from '../../src/model/safetensors.js';
import { hasPythonModule, runPython } from '../helpers/python.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const REF_PY = path.join(ROOT, 'test/py/safetensors_ref.py');
const havePy = hasPythonModule('safetensors') && hasPythonModule('torch');

interface PyTensors {
  metadata: Record<string, string>;
  tensors: Record<string, { dtype: string; shape: number[]; hex: string }>;
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'st-'));
const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** A deterministic mix of dtypes and shapes, including special float bit patterns. */
function sampleTensors(): TensorToWrite[] {
  const f32 = new Float32Array([NaN, Infinity, -Infinity, -0, 1e-40, 1.5, -2.25, 3e38]);
  const f16 = new Uint16Array([0x7c00, 0xfc00, 0x7e00, 0x8000, 0x0001, 0x3c00]); // inf, -inf, nan, -0, subnormal, 1
  const bf16 = new Uint16Array(24).map((_, i) => (i * 2654435761) & 0xffff);
  const i64 = new BigInt64Array([0n, -1n, 2n ** 62n, -(2n ** 63n)]);
  return [
    { name: 'z.last_in_order', dtype: 'F32', shape: [2, 4], data: f32 },
    { name: 'a.f16', dtype: 'F16', shape: [6], data: f16 },
    { name: 'm.bf16', dtype: 'BF16', shape: [2, 3, 4], data: () => bf16 }, // lazily produced
    { name: 'i64', dtype: 'I64', shape: [2, 2], data: i64 },
    { name: 'i32', dtype: 'I32', shape: [3], data: new Int32Array([-7, 0, 7]) },
    { name: 'u8', dtype: 'U8', shape: [5], data: new Uint8Array([0, 1, 127, 128, 255]) },
    { name: 'bool', dtype: 'BOOL', shape: [2], data: new Uint8Array([1, 0]) },
    { name: 'scalar', dtype: 'F32', shape: [], data: new Float32Array([2.5]) },
    { name: 'empty', dtype: 'F32', shape: [0, 3], data: new Float32Array(0) },
  ];
}

function bytesOf(t: TensorToWrite): Uint8Array {
  const v = typeof t.data === 'function' ? t.data() : t.data;
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

test('write then read back: header layout, order, alignment, bytes', () => {
  const dir = tmp();
  const file = path.join(dir, 'x.safetensors');
  const tensors = sampleTensors();
  const size = writeSafetensors(file, tensors, { note: 'hi' });
  assert.equal(fs.statSync(file).size, size);

  const raw = fs.readFileSync(file);
  const headerLen = Number(raw.readBigUInt64LE(0));
  assert.equal(headerLen % 8, 0, 'header padded to 8 bytes');
  const header = JSON.parse(raw.subarray(8, 8 + headerLen).toString('utf8'));
  assert.deepEqual(header.__metadata__, { format: 'pt', note: 'hi' });
  assert.deepEqual(
    Object.keys(header).slice(1),
    tensors.map((t) => t.name),
    'tensors kept in the given order',
  );

  const h = readSafetensorsHeader(file);
  assert.equal(h.metadata.format, 'pt');
  for (const t of tensors) {
    const info = h.tensors.find((x) => x.name === t.name)!;
    assert.equal(info.dtype, t.dtype);
    assert.deepEqual(info.shape, t.shape);
    assert.equal(hex(readTensorBytes(info)), hex(bytesOf(t)), t.name);
  }
  fs.rmSync(dir, { recursive: true });
});

test('rejects wrong data sizes and corrupt headers', () => {
  const dir = tmp();
  const file = path.join(dir, 'bad.safetensors');
  assert.throws(() => writeSafetensors(file, [{ name: 'x', dtype: 'F32', shape: [3], data: new Float32Array(2) }]), /needs 12/);
  fs.writeFileSync(file, Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0x7b]));
  assert.throws(() => readSafetensorsHeader(file), /invalid safetensors header length/);
  fs.rmSync(dir, { recursive: true });
});

test('reads a file written by Python safetensors (torch) bit-exactly', { skip: !havePy && 'python safetensors/torch missing' }, () => {
  const dir = tmp();
  const file = path.join(dir, 'py.safetensors');
  const ref = JSON.parse(runPython(REF_PY, ['write', file])) as PyTensors;
  const reader = new SafetensorsReader(file);
  assert.equal(reader.metadata.source, 'python');
  assert.deepEqual(new Set(reader.names), new Set(Object.keys(ref.tensors)));
  for (const [name, want] of Object.entries(ref.tensors)) {
    const info = reader.info(name);
    assert.equal(info.dtype, want.dtype, name);
    assert.deepEqual(info.shape, want.shape, name);
    assert.equal(hex(reader.read(name)), want.hex, name);
  }
  reader.close();
  fs.rmSync(dir, { recursive: true });
});

test('files we write are read by Python safetensors bit-exactly', { skip: !havePy && 'python safetensors/torch missing' }, () => {
  const dir = tmp();
  const file = path.join(dir, 'ours.safetensors');
  const tensors = sampleTensors();
  writeSafetensors(file, tensors);
  const ref = JSON.parse(runPython(REF_PY, ['read', file])) as PyTensors;
  assert.equal(ref.metadata.format, 'pt');
  for (const t of tensors) {
    const got = ref.tensors[t.name]!;
    assert.equal(got.dtype, t.dtype, t.name);
    assert.deepEqual(got.shape, t.shape, t.name);
    assert.equal(got.hex, hex(bytesOf(t)), t.name);
  }
  fs.rmSync(dir, { recursive: true });
});

test('sharded write: index json, shard names, reader over folder, Python reads every shard', () => {
  const dir = tmp();
  const tensors: TensorToWrite[] = Array.from({ length: 7 }, (_, i) => ({
    name: `model.layers.${i}.mlp.weight`,
    dtype: 'F32',
    shape: [10, 10],
    data: new Float32Array(100).map((_, k) => i * 1000 + k),
  }));
  // 400 bytes each, at most 1000 bytes per shard -> shards of 2, 2, 2, 1 tensors.
  const files = writeSafetensorsSharded(dir, tensors, { maxShardBytes: 1000 });
  const names = files.map((f) => path.basename(f));
  assert.deepEqual(names, [
    'model-00001-of-00004.safetensors',
    'model-00002-of-00004.safetensors',
    'model-00003-of-00004.safetensors',
    'model-00004-of-00004.safetensors',
    'model.safetensors.index.json',
  ]);
  const index = JSON.parse(fs.readFileSync(path.join(dir, 'model.safetensors.index.json'), 'utf8'));
  assert.equal(index.metadata.total_size, 7 * 400);
  assert.equal(index.weight_map['model.layers.6.mlp.weight'], 'model-00004-of-00004.safetensors');

  const reader = new SafetensorsReader(dir);
  assert.equal(reader.names.length, 7);
  for (const t of tensors) assert.equal(hex(reader.read(t.name)), hex(bytesOf(t)));
  assert.equal(reader.info('model.layers.3.mlp.weight').file, path.join(dir, 'model-00002-of-00004.safetensors'));
  reader.close();

  if (havePy) {
    const ref = JSON.parse(runPython(REF_PY, ['read', ...files.slice(0, 4)])) as PyTensors;
    for (const t of tensors) assert.equal(ref.tensors[t.name]!.hex, hex(bytesOf(t)));
  }

  // Below the limit everything goes into one model.safetensors and no index is written.
  const single = tmp();
  assert.deepEqual(
    writeSafetensorsSharded(single, tensors).map((f) => path.basename(f)),
    ['model.safetensors'],
  );
  assert.equal(new SafetensorsReader(single).names.length, 7);
  fs.rmSync(dir, { recursive: true });
  fs.rmSync(single, { recursive: true });
});

test('reading loads tensor by tensor (positioned reads, not the whole file)', () => {
  // A 64 MB tensor next to a tiny one: reading the tiny one must not allocate the big one.
  const dir = tmp();
  const file = path.join(dir, 'big.safetensors');
  const big = new Uint8Array(64 << 20);
  big[big.length - 1] = 7;
  writeSafetensors(file, [
    { name: 'big', dtype: 'U8', shape: [big.length], data: big },
    { name: 'tiny', dtype: 'F32', shape: [1], data: new Float32Array([1]) },
  ]);
  const reader = new SafetensorsReader(file);
  const before = process.memoryUsage().arrayBuffers;
  assert.equal(hex(reader.read('tiny')), hex(new Uint8Array(new Float32Array([1]).buffer)));
  assert.ok(process.memoryUsage().arrayBuffers - before < 1 << 20);
  assert.equal(reader.read('big')[big.length - 1], 7);
  reader.close();
  fs.rmSync(dir, { recursive: true });
});
