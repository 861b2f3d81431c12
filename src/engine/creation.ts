// Creating tensors: constants, ranges, random numbers, and copies of JS data.
import { dtypeCode, itemSize, type Device, type DType } from './dtype.js';
import { native } from './native.js';
import type { Generator } from './random.js';
import { call, callRaw, Tensor, type Shape, type TensorOptions } from './tensor.js';

function dt(opts?: TensorOptions, fallback: DType | null = null): number | null {
  const d = opts?.dtype ?? fallback;
  return d === null ? null : dtypeCode(d);
}

function finish(t: Tensor, opts?: TensorOptions): Tensor {
  if (opts?.requiresGrad) t.requiresGrad_(true);
  return t;
}

export function zeros(shape: Shape, opts?: TensorOptions): Tensor {
  return finish(call('aten::zeros', shape, dt(opts), null, opts?.device ?? null), opts);
}

export function ones(shape: Shape, opts?: TensorOptions): Tensor {
  return finish(call('aten::ones', shape, dt(opts), null, opts?.device ?? null), opts);
}

export function full(shape: Shape, value: number, opts?: TensorOptions): Tensor {
  return finish(call('aten::full', shape, value, dt(opts), null, opts?.device ?? null), opts);
}

export function empty(shape: Shape, opts?: TensorOptions): Tensor {
  return finish(call('aten::empty.memory_format', shape, dt(opts), null, opts?.device ?? null), opts);
}

export function zerosLike(t: Tensor, opts?: TensorOptions): Tensor {
  return call('aten::zeros_like', t, dt(opts), null, opts?.device ?? null);
}

export function onesLike(t: Tensor, opts?: TensorOptions): Tensor {
  return call('aten::ones_like', t, dt(opts), null, opts?.device ?? null);
}

export function fullLike(t: Tensor, value: number, opts?: TensorOptions): Tensor {
  return call('aten::full_like', t, value, dt(opts), null, opts?.device ?? null);
}

/** [start, end) with step, like torch.arange; integer arguments give int64. */
export function arange(start: number, end?: number, step = 1, opts?: TensorOptions): Tensor {
  if (end === undefined) [start, end] = [0, start];
  return call('aten::arange.start_step', start, end, step, dt(opts), null, opts?.device ?? null);
}

/** Uniform [0, 1). */
export function rand(shape: Shape, opts?: TensorOptions & { generator?: Generator }): Tensor {
  return finish(call('aten::rand.generator', shape, gen(opts?.generator), dt(opts), null, opts?.device ?? null), opts);
}

/** Standard normal. */
export function randn(shape: Shape, opts?: TensorOptions & { generator?: Generator }): Tensor {
  return finish(call('aten::randn.generator', shape, gen(opts?.generator), dt(opts), null, opts?.device ?? null), opts);
}

/** Integers uniform in [low, high). */
export function randint(low: number, high: number, shape: Shape, opts?: TensorOptions & { generator?: Generator }): Tensor {
  return call('aten::randint.low_generator', low, high, shape, gen(opts?.generator), dt(opts, 'int64'), null, opts?.device ?? null);
}

export function randperm(n: number, opts?: TensorOptions & { generator?: Generator }): Tensor {
  return call('aten::randperm.generator', n, gen(opts?.generator), dt(opts, 'int64'), null, opts?.device ?? null);
}

function gen(g?: Generator): never | null {
  return (g ? g.handle : null) as never | null;
}

/** A tensor from raw bytes in a dtype's layout (e.g. a safetensors slice). Copies. */
export function fromBytes(bytes: Uint8Array, dtype: DType, shape: Shape, device: Device = 'cpu'): Tensor {
  return new Tensor(native.fromBuffer(bytes, dtypeCode(dtype), [...shape], device));
}

type NumericArray = Float32Array | Float64Array | Int32Array | Int16Array | Int8Array | Uint8Array | BigInt64Array;

/**
 * A tensor from JS data (copies). Plain number arrays become float32 unless a dtype is given;
 * typed arrays keep their type (Int32Array → int32, BigInt64Array → int64, ...).
 */
export function tensor(data: number[] | boolean[] | NumericArray, shape?: Shape, opts?: TensorOptions): Tensor {
  const n = data.length;
  const dims = shape ? [...shape] : [n];
  const count = dims.reduce((a, b) => a * b, 1);
  if (count !== n) throw new Error(`tensor(): ${n} values do not fill shape [${dims.join(', ')}]`);
  let source: NumericArray;
  let sourceType: DType;
  if (Array.isArray(data)) {
    if (typeof data[0] === 'boolean') {
      source = Uint8Array.from(data as boolean[], (b) => (b ? 1 : 0));
      sourceType = 'bool';
    } else {
      const target = opts?.dtype ?? 'float32';
      if (target === 'int64') {
        source = BigInt64Array.from(data as number[], (v) => BigInt(Math.trunc(v)));
        sourceType = 'int64';
      } else if (target === 'int32') {
        source = Int32Array.from(data as number[]);
        sourceType = 'int32';
      } else if (target === 'float64') {
        source = Float64Array.from(data as number[]);
        sourceType = 'float64';
      } else {
        source = Float32Array.from(data as number[]);
        sourceType = 'float32';
      }
    }
  } else {
    source = data;
    sourceType =
      data instanceof Float32Array
        ? 'float32'
        : data instanceof Float64Array
          ? 'float64'
          : data instanceof Int32Array
            ? 'int32'
            : data instanceof Int16Array
              ? 'int16'
              : data instanceof Int8Array
                ? 'int8'
                : data instanceof BigInt64Array
                  ? 'int64'
                  : 'uint8';
  }
  const bytes = new Uint8Array(source.buffer, source.byteOffset, n * itemSize(sourceType));
  let t = new Tensor(native.fromBuffer(bytes, dtypeCode(sourceType), dims, 'cpu'));
  const wantType = opts?.dtype ?? sourceType;
  const wantDevice = opts?.device ?? 'cpu';
  if (wantType !== sourceType || wantDevice !== 'cpu') {
    const moved = t.to({ dtype: wantType, device: wantDevice });
    t.dispose();
    t = moved;
  }
  return finish(t, opts);
}

/** Concatenation along an existing dim. */
export function cat(tensors: Tensor[], dim = 0): Tensor {
  return call('aten::cat', tensors, dim);
}

/** Stacking along a new dim. */
export function stack(tensors: Tensor[], dim = 0): Tensor {
  return call('aten::stack', tensors, dim);
}

/** Elementwise choice: cond ? a : b (tensors or scalars). */
export function where(cond: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
  if (a instanceof Tensor && b instanceof Tensor) return call('aten::where.self', cond, a, b);
  if (a instanceof Tensor) return call('aten::where.ScalarOther', cond, a, b as number);
  if (b instanceof Tensor) return call('aten::where.ScalarSelf', cond, a, b);
  return call('aten::where.Scalar', cond, a, b);
}

/** Raw operator access for anything the typed API does not cover yet. */
export { call as op, callRaw as opRaw };
