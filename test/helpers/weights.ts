// A saved model folder's float32 weights by name, and the largest element difference between two
// of them: the data-parallel and ZeRO-1 trainer tests compare 1-process and N-rank runs this way.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { SafetensorsReader } from '../../src/model/safetensors.js';

export function readWeights(dir: string, file = 'model.safetensors'): Map<string, Float32Array> {
  const r = new SafetensorsReader(path.join(dir, file));
  try {
    const out = new Map<string, Float32Array>();
    for (const name of r.names) {
      const b = r.read(name);
      out.set(name, new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)));
    }
    return out;
  } finally {
    r.close();
  }
}

/** max |a - b| over every element of every tensor (the two must hold the same names). */
export function maxAbsDiff(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
  let m = 0;
  for (const [k, x] of a) {
    const y = b.get(k)!;
    for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  }
  return m;
}
