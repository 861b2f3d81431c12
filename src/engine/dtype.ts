// Data types and devices. Codes are c10::ScalarType values, which the addon passes through.

export type DType = 'float32' | 'float64' | 'bfloat16' | 'float16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

const CODES: Record<DType, number> = {
  uint8: 0,
  int8: 1,
  int16: 2,
  int32: 3,
  int64: 4,
  float16: 5,
  float32: 6,
  float64: 7,
  bool: 11,
  bfloat16: 15,
};
const NAMES = new Map<number, DType>(Object.entries(CODES).map(([k, v]) => [v, k as DType]));

const ITEM_SIZE: Record<DType, number> = {
  uint8: 1,
  int8: 1,
  int16: 2,
  int32: 4,
  int64: 8,
  float16: 2,
  float32: 4,
  float64: 8,
  bool: 1,
  bfloat16: 2,
};

export function dtypeCode(d: DType): number {
  const c = CODES[d];
  if (c === undefined) throw new Error(`unknown dtype '${String(d)}' (known: ${Object.keys(CODES).join(', ')})`);
  return c;
}

export function dtypeFromCode(code: number): DType {
  const d = NAMES.get(code);
  if (!d) throw new Error(`tensor has a dtype this API does not expose (c10::ScalarType ${code})`);
  return d;
}

export function itemSize(d: DType): number {
  return ITEM_SIZE[d];
}

export function isFloating(d: DType): boolean {
  return d === 'float32' || d === 'float64' || d === 'bfloat16' || d === 'float16';
}

/** 'cpu', 'cuda', 'cuda:1', 'mps'. Passed to libtorch as is; it validates. */
export type Device = string;

export type TypedArray = Float32Array | Float64Array | Int32Array | Int16Array | Int8Array | Uint8Array | BigInt64Array | Uint16Array;

/** The typed array that holds a dtype's elements as their raw bytes (bf16/f16 as Uint16Array). */
export function typedArrayFor(d: DType, buffer: ArrayBuffer): TypedArray {
  switch (d) {
    case 'float32':
      return new Float32Array(buffer);
    case 'float64':
      return new Float64Array(buffer);
    case 'int64':
      return new BigInt64Array(buffer);
    case 'int32':
      return new Int32Array(buffer);
    case 'int16':
      return new Int16Array(buffer);
    case 'int8':
      return new Int8Array(buffer);
    case 'uint8':
    case 'bool':
      return new Uint8Array(buffer);
    case 'bfloat16':
    case 'float16':
      return new Uint16Array(buffer);
  }
}
