// The Tensor class: a handle on an at::Tensor plus PyTorch-style methods. Each method names
// the ATen operator it calls (`aten::name.overload`); the dispatcher does the rest (kernels,
// broadcasting, type promotion, autograd). Shapes/dtypes are read once and cached.
import { dtypeCode, dtypeFromCode, isFloating, typedArrayFor, type Device, type DType, type TypedArray } from './dtype.js';
import { native, type OpHandle, type TensorId } from './native.js';
import { track, untrack, type Disposable } from './scope.js';

// ---- operator calls ------------------------------------------------------------------------

const handles = new Map<string, OpHandle>();

/**
 * Reads of tensor data into JS (item, toNumbers, toArray, toBytes) since the process started.
 * On CUDA each one waits for the device (a host sync); tests and benchmarks count them.
 */
let hostReadCount = 0;
export function hostReads(): number {
  return hostReadCount;
}

/** Resolves 'aten::add.Tensor' (name.overload) to a cached dispatcher handle. */
export function opHandle(qualified: string): OpHandle {
  let h = handles.get(qualified);
  if (!h) {
    const sep = qualified.indexOf('.', qualified.indexOf('::') + 2);
    const name = sep < 0 ? qualified : qualified.slice(0, sep);
    const overload = sep < 0 ? '' : qualified.slice(sep + 1);
    h = native.lookup(name, overload);
    handles.set(qualified, h);
  }
  return h;
}

type Arg = Tensor | number | boolean | string | null | undefined | readonly number[] | readonly (Tensor | null)[] | bigint;

function toNative(a: Arg): unknown {
  if (a instanceof Tensor) return a.id;
  if (Array.isArray(a) && a.length > 0 && (a[0] instanceof Tensor || a[0] === null)) {
    return (a as (Tensor | null)[]).map((t) => (t === null ? null : t.id));
  }
  return a;
}

/** Calls an ATen operator with tensors/numbers/lists; returns the raw result (ids). */
export function callRaw(qualified: string, ...args: Arg[]): unknown {
  const h = opHandle(qualified);
  switch (args.length) {
    // Unrolled: spreading a mapped array is measurably slower on tiny ops.
    case 1:
      return native.call(h, toNative(args[0]));
    case 2:
      return native.call(h, toNative(args[0]), toNative(args[1]));
    case 3:
      return native.call(h, toNative(args[0]), toNative(args[1]), toNative(args[2]));
    default:
      return native.call(h, ...args.map(toNative));
  }
}

/** Calls an operator that returns one tensor. */
export function call(qualified: string, ...args: Arg[]): Tensor {
  return new Tensor(callRaw(qualified, ...args) as TensorId);
}

/** Calls an operator that returns several tensors (a tuple or a list). */
export function callMany(qualified: string, ...args: Arg[]): Tensor[] {
  return (callRaw(qualified, ...args) as TensorId[]).map((id) => new Tensor(id));
}

/** Calls an in-place operator (`name_`) and returns `self`; the alias the op returns is freed. */
function callInPlace(self: Tensor, qualified: string, ...args: Arg[]): Tensor {
  const out = callRaw(qualified, self, ...args) as TensorId;
  native.dispose(out);
  self.invalidateMeta();
  return self;
}

export type Shape = readonly number[];

/** Options of creation functions and conversions. */
export interface TensorOptions {
  dtype?: DType;
  device?: Device;
  requiresGrad?: boolean;
}

// ---- the Tensor ----------------------------------------------------------------------------

export class Tensor implements Disposable {
  #id: TensorId;
  #shape: number[] | null = null;
  #dtype: DType | null = null;
  #device: string | null = null;
  scope: Disposable[] | null = null;
  #kept = false;

  /** Wraps a native tensor id; registers with the current tidy scope. */
  constructor(id: TensorId) {
    this.#id = id;
    track(this);
  }

  get id(): TensorId {
    if (this.#id < 0) throw new Error('tensor was already disposed');
    return this.#id;
  }

  get isDisposed(): boolean {
    return this.#id < 0;
  }

  /** Frees the native tensor now. Safe to call twice. */
  dispose(): void {
    if (this.#id >= 0) {
      native.dispose(this.#id);
      this.#id = -1;
    }
    this.scope = null;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /** Exempts this tensor from every tidy scope: it lives until dispose(). */
  keep(): this {
    this.#kept = true;
    untrack(this);
    return this;
  }

  get isKept(): boolean {
    return this.#kept;
  }

  private loadMeta(): void {
    const m = native.meta(this.id);
    this.#dtype = dtypeFromCode(m[0]);
    this.#device = m[1];
    this.#shape = m.slice(3) as number[];
  }

  /** Called after in-place ops that can change metadata. */
  invalidateMeta(): void {
    this.#shape = null;
  }

  get shape(): number[] {
    if (!this.#shape) this.loadMeta();
    return this.#shape!;
  }

  get dtype(): DType {
    if (!this.#dtype) this.loadMeta();
    return this.#dtype!;
  }

  get device(): Device {
    if (!this.#device) this.loadMeta();
    return this.#device!;
  }

  get ndim(): number {
    return this.shape.length;
  }

  get numel(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  size(dim: number): number {
    const s = this.shape;
    const d = dim < 0 ? dim + s.length : dim;
    if (d < 0 || d >= s.length) throw new Error(`size(${dim}): tensor has ${s.length} dimensions`);
    return s[d]!;
  }

  strides(): number[] {
    return native.strides(this.id);
  }

  toString(): string {
    return `Tensor(shape=[${this.shape.join(', ')}], dtype=${this.dtype}, device=${this.device})`;
  }

  // ---- data out ----

  /** The elements as a typed array (row-major copy). bf16/f16 are converted to Float32Array. */
  toArray(): TypedArray {
    if (this.dtype === 'bfloat16' || this.dtype === 'float16') {
      const f = this.to({ dtype: 'float32' });
      try {
        return f.toArray();
      } finally {
        f.dispose();
      }
    }
    hostReadCount++;
    return typedArrayFor(this.dtype, native.toBuffer(this.id));
  }

  /** The elements as plain numbers (int64 converted; exact below 2^53). */
  toNumbers(): number[] {
    const a = this.toArray();
    if (a instanceof BigInt64Array) return Array.from(a, Number);
    return Array.from(a as ArrayLike<number>);
  }

  /** Raw bytes in this tensor's dtype (row-major copy), e.g. for safetensors. */
  toBytes(): Uint8Array {
    hostReadCount++;
    return new Uint8Array(native.toBuffer(this.id));
  }

  /** The value of a one-element tensor. */
  item(): number {
    hostReadCount++;
    return Number(native.item(this.id));
  }

  // ---- conversions ----

  to(opts: { dtype?: DType; device?: Device; copy?: boolean }): Tensor {
    return call(
      'aten::to.dtype_layout',
      this,
      opts.dtype === undefined ? null : dtypeCode(opts.dtype),
      null,
      opts.device ?? null,
      null,
      false,
      opts.copy ?? false,
    );
  }

  float(): Tensor {
    return this.to({ dtype: 'float32' });
  }
  bfloat16(): Tensor {
    return this.to({ dtype: 'bfloat16' });
  }
  half(): Tensor {
    return this.to({ dtype: 'float16' });
  }
  long(): Tensor {
    return this.to({ dtype: 'int64' });
  }
  int(): Tensor {
    return this.to({ dtype: 'int32' });
  }
  bool(): Tensor {
    return this.to({ dtype: 'bool' });
  }
  cpu(): Tensor {
    return this.to({ device: 'cpu' });
  }
  clone(): Tensor {
    return call('aten::clone', this);
  }
  contiguous(): Tensor {
    return call('aten::contiguous', this);
  }

  // ---- autograd ----

  get requiresGrad(): boolean {
    return native.meta(this.id)[2];
  }

  requiresGrad_(on = true): this {
    native.setRequiresGrad(this.id, on);
    return this;
  }

  /** The accumulated gradient (a new handle on it each call), or null. */
  get grad(): Tensor | null {
    const g = native.grad(this.id);
    return g === null ? null : new Tensor(g);
  }

  set grad(g: Tensor | null) {
    native.setGrad(this.id, g === null ? null : g.id);
  }

  get isLeaf(): boolean {
    return native.isLeaf(this.id);
  }

  backward(gradient?: Tensor, opts: { retainGraph?: boolean; createGraph?: boolean } = {}): void {
    native.backward([this.id], gradient ? [gradient.id] : null, opts.retainGraph ?? false, opts.createGraph ?? false);
  }

  detach(): Tensor {
    return call('aten::detach', this);
  }

  // ---- views and indexing ----

  reshape(...shape: number[] | [Shape]): Tensor {
    return call('aten::reshape', this, flatShape(shape));
  }
  view(...shape: number[] | [Shape]): Tensor {
    return call('aten::view', this, flatShape(shape));
  }
  flatten(startDim = 0, endDim = -1): Tensor {
    return call('aten::flatten.using_ints', this, startDim, endDim);
  }
  /** Python's t[..., start:end:step] along one dim; negative and omitted bounds as in Python. */
  slice(dim: number, start: number | null = null, end: number | null = null, step = 1): Tensor {
    return call('aten::slice.Tensor', this, dim, start, end, step);
  }
  narrow(dim: number, start: number, length: number): Tensor {
    return call('aten::narrow', this, dim, start, length);
  }
  select(dim: number, index: number): Tensor {
    return call('aten::select.int', this, dim, index);
  }
  indexSelect(dim: number, index: Tensor): Tensor {
    return call('aten::index_select', this, dim, index);
  }
  /** Advanced indexing t[i0, i1, ...] with index tensors (null = take the whole dim). */
  index(indices: (Tensor | null)[]): Tensor {
    return call('aten::index.Tensor', this, indices);
  }
  indexPut_(indices: (Tensor | null)[], values: Tensor, accumulate = false): Tensor {
    return callInPlace(this, 'aten::index_put_', indices, values, accumulate);
  }
  gather(dim: number, index: Tensor): Tensor {
    return call('aten::gather', this, dim, index);
  }
  scatter(dim: number, index: Tensor, src: Tensor | number): Tensor {
    return src instanceof Tensor ? call('aten::scatter.src', this, dim, index, src) : call('aten::scatter.value', this, dim, index, src);
  }
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor {
    return call('aten::scatter_add', this, dim, index, src);
  }
  maskedFill(mask: Tensor, value: number | Tensor): Tensor {
    return value instanceof Tensor ? call('aten::masked_fill.Tensor', this, mask, value) : call('aten::masked_fill.Scalar', this, mask, value);
  }
  transpose(dim0: number, dim1: number): Tensor {
    return call('aten::transpose.int', this, dim0, dim1);
  }
  get T(): Tensor {
    return this.transpose(-2, -1);
  }
  permute(...dims: number[]): Tensor {
    return call('aten::permute', this, dims);
  }
  expand(...shape: number[] | [Shape]): Tensor {
    return call('aten::expand', this, flatShape(shape));
  }
  unsqueeze(dim: number): Tensor {
    return call('aten::unsqueeze', this, dim);
  }
  squeeze(dim?: number): Tensor {
    return dim === undefined ? call('aten::squeeze', this) : call('aten::squeeze.dim', this, dim);
  }
  tril(diagonal = 0): Tensor {
    return call('aten::tril', this, diagonal);
  }
  triu(diagonal = 0): Tensor {
    return call('aten::triu', this, diagonal);
  }
  split(sizeOrSizes: number | number[], dim = 0): Tensor[] {
    return typeof sizeOrSizes === 'number'
      ? callMany('aten::split.Tensor', this, sizeOrSizes, dim)
      : callMany('aten::split_with_sizes', this, sizeOrSizes, dim);
  }
  chunk(chunks: number, dim = 0): Tensor[] {
    return callMany('aten::chunk', this, chunks, dim);
  }
  repeat(...repeats: number[]): Tensor {
    return call('aten::repeat', this, repeats);
  }
  repeatInterleave(repeats: number, dim: number): Tensor {
    return call('aten::repeat_interleave.self_int', this, repeats, dim);
  }
  flip(...dims: number[]): Tensor {
    return call('aten::flip', this, dims);
  }

  // ---- arithmetic (broadcasting, type promotion as in PyTorch) ----

  add(other: Tensor | number, alpha = 1): Tensor {
    return other instanceof Tensor ? call('aten::add.Tensor', this, other, alpha) : call('aten::add.Scalar', this, other, alpha);
  }
  sub(other: Tensor | number, alpha = 1): Tensor {
    return other instanceof Tensor ? call('aten::sub.Tensor', this, other, alpha) : call('aten::sub.Scalar', this, other, alpha);
  }
  mul(other: Tensor | number): Tensor {
    return other instanceof Tensor ? call('aten::mul.Tensor', this, other) : call('aten::mul.Scalar', this, other);
  }
  div(other: Tensor | number): Tensor {
    return other instanceof Tensor ? call('aten::div.Tensor', this, other) : call('aten::div.Scalar', this, other);
  }
  /** Scalar minus tensor: s - t. */
  rsub(scalar: number): Tensor {
    return call('aten::rsub.Scalar', this, scalar);
  }
  pow(exponent: Tensor | number): Tensor {
    return exponent instanceof Tensor ? call('aten::pow.Tensor_Tensor', this, exponent) : call('aten::pow.Tensor_Scalar', this, exponent);
  }
  remainder(other: number): Tensor {
    return call('aten::remainder.Scalar', this, other);
  }
  maximum(other: Tensor): Tensor {
    return call('aten::maximum', this, other);
  }
  minimum(other: Tensor): Tensor {
    return call('aten::minimum', this, other);
  }
  neg(): Tensor {
    return call('aten::neg', this);
  }
  exp(): Tensor {
    return call('aten::exp', this);
  }
  log(): Tensor {
    return call('aten::log', this);
  }
  log1p(): Tensor {
    return call('aten::log1p', this);
  }
  expm1(): Tensor {
    return call('aten::expm1', this);
  }
  sqrt(): Tensor {
    return call('aten::sqrt', this);
  }
  rsqrt(): Tensor {
    return call('aten::rsqrt', this);
  }
  square(): Tensor {
    return call('aten::square', this);
  }
  abs(): Tensor {
    return call('aten::abs', this);
  }
  sign(): Tensor {
    return call('aten::sign', this);
  }
  reciprocal(): Tensor {
    return call('aten::reciprocal', this);
  }
  sin(): Tensor {
    return call('aten::sin', this);
  }
  cos(): Tensor {
    return call('aten::cos', this);
  }
  tanh(): Tensor {
    return call('aten::tanh', this);
  }
  sigmoid(): Tensor {
    return call('aten::sigmoid', this);
  }
  floor(): Tensor {
    return call('aten::floor', this);
  }
  round(): Tensor {
    return call('aten::round', this);
  }
  clamp(min: number | null = null, max: number | null = null): Tensor {
    return call('aten::clamp', this, min, max);
  }
  isnan(): Tensor {
    return call('aten::isnan', this);
  }
  isfinite(): Tensor {
    return call('aten::isfinite', this);
  }
  nanToNum(nan = 0, posinf: number | null = null, neginf: number | null = null): Tensor {
    return call('aten::nan_to_num', this, nan, posinf, neginf);
  }
  matmul(other: Tensor): Tensor {
    return call('aten::matmul', this, other);
  }
  mm(other: Tensor): Tensor {
    return call('aten::mm', this, other);
  }
  bmm(other: Tensor): Tensor {
    return call('aten::bmm', this, other);
  }

  // ---- comparisons and logic (bool results) ----

  eq(other: Tensor | number): Tensor {
    return other instanceof Tensor ? call('aten::eq.Tensor', this, other) : call('aten::eq.Scalar', this, other);
  }
  ne(other: Tensor | number): Tensor {
    return other instanceof Tensor ? call('aten::ne.Tensor', this, other) : call('aten::ne.Scalar', this, other);
  }
  lt(other: Tensor | number): Tensor {
    return other instanceof Tensor ? call('aten::lt.Tensor', this, other) : call('aten::lt.Scalar', this, other);
  }
  le(other: Tensor | number): Tensor {
    return other instanceof Tensor ? call('aten::le.Tensor', this, other) : call('aten::le.Scalar', this, other);
  }
  gt(other: Tensor | number): Tensor {
    return other instanceof Tensor ? call('aten::gt.Tensor', this, other) : call('aten::gt.Scalar', this, other);
  }
  ge(other: Tensor | number): Tensor {
    return other instanceof Tensor ? call('aten::ge.Tensor', this, other) : call('aten::ge.Scalar', this, other);
  }
  logicalNot(): Tensor {
    return call('aten::logical_not', this);
  }
  logicalAnd(other: Tensor): Tensor {
    return call('aten::logical_and', this, other);
  }
  logicalOr(other: Tensor): Tensor {
    return call('aten::logical_or', this, other);
  }
  all(): Tensor {
    return call('aten::all', this);
  }
  any(): Tensor {
    return call('aten::any', this);
  }

  // ---- reductions ----

  sum(dim?: number | number[], keepdim = false, dtype?: DType): Tensor {
    const dt = dtype === undefined ? null : dtypeCode(dtype);
    return dim === undefined ? call('aten::sum', this, dt) : call('aten::sum.dim_IntList', this, dimList(dim), keepdim, dt);
  }
  mean(dim?: number | number[], keepdim = false): Tensor {
    return dim === undefined ? call('aten::mean', this) : call('aten::mean.dim', this, dimList(dim), keepdim);
  }
  /** Variance; correction 1 = unbiased (PyTorch's default), 0 = population. */
  var(dim?: number | number[], opts: { correction?: number; keepdim?: boolean } = {}): Tensor {
    return call('aten::var.correction', this, dim === undefined ? null : dimList(dim), opts.correction ?? 1, opts.keepdim ?? false);
  }
  std(dim?: number | number[], opts: { correction?: number; keepdim?: boolean } = {}): Tensor {
    return call('aten::std.correction', this, dim === undefined ? null : dimList(dim), opts.correction ?? 1, opts.keepdim ?? false);
  }
  /** Maximum of all elements. */
  max(): Tensor {
    return call('aten::max', this);
  }
  min(): Tensor {
    return call('aten::min', this);
  }
  /** Maximum along a dim: [values, indices]. */
  maxDim(dim: number, keepdim = false): [Tensor, Tensor] {
    return callMany('aten::max.dim', this, dim, keepdim) as [Tensor, Tensor];
  }
  minDim(dim: number, keepdim = false): [Tensor, Tensor] {
    return callMany('aten::min.dim', this, dim, keepdim) as [Tensor, Tensor];
  }
  amax(dim: number | number[], keepdim = false): Tensor {
    return call('aten::amax', this, dimList(dim), keepdim);
  }
  amin(dim: number | number[], keepdim = false): Tensor {
    return call('aten::amin', this, dimList(dim), keepdim);
  }
  argmax(dim?: number, keepdim = false): Tensor {
    return call('aten::argmax', this, dim ?? null, keepdim);
  }
  argmin(dim?: number, keepdim = false): Tensor {
    return call('aten::argmin', this, dim ?? null, keepdim);
  }
  logsumexp(dim: number | number[], keepdim = false): Tensor {
    return call('aten::logsumexp', this, dimList(dim), keepdim);
  }
  cumsum(dim: number, dtype?: DType): Tensor {
    return call('aten::cumsum', this, dim, dtype === undefined ? null : dtypeCode(dtype));
  }
  norm(p = 2): Tensor {
    return call('aten::norm.Scalar', this, p);
  }
  softmax(dim: number, dtype?: DType): Tensor {
    return call('aten::softmax.int', this, dim, dtype === undefined ? null : dtypeCode(dtype));
  }
  logSoftmax(dim: number, dtype?: DType): Tensor {
    return call('aten::log_softmax.int', this, dim, dtype === undefined ? null : dtypeCode(dtype));
  }
  /** [values, indices] of the k largest (or smallest) along dim. */
  topk(k: number, dim = -1, largest = true, sorted = true): [Tensor, Tensor] {
    return callMany('aten::topk', this, k, dim, largest, sorted) as [Tensor, Tensor];
  }
  /** [values, indices], stable. */
  sort(dim = -1, descending = false): [Tensor, Tensor] {
    return callMany('aten::sort.stable', this, true, dim, descending) as [Tensor, Tensor];
  }
  argsort(dim = -1, descending = false): Tensor {
    return call('aten::argsort.stable', this, true, dim, descending);
  }
  /** Samples indices from each row's (unnormalised) probabilities. */
  multinomial(numSamples: number, replacement = false, generator: { handle: unknown } | null = null): Tensor {
    return call('aten::multinomial', this, numSamples, replacement, (generator?.handle ?? null) as Arg);
  }

  // ---- in-place (used by optimizers, caches and samplers) ----

  zero_(): Tensor {
    return callInPlace(this, 'aten::zero_');
  }
  fill_(value: number): Tensor {
    return callInPlace(this, 'aten::fill_.Scalar', value);
  }
  copy_(src: Tensor): Tensor {
    return callInPlace(this, 'aten::copy_', src);
  }
  add_(other: Tensor | number, alpha = 1): Tensor {
    return other instanceof Tensor ? callInPlace(this, 'aten::add_.Tensor', other, alpha) : callInPlace(this, 'aten::add_.Scalar', other, alpha);
  }
  mul_(other: Tensor | number): Tensor {
    return other instanceof Tensor ? callInPlace(this, 'aten::mul_.Tensor', other) : callInPlace(this, 'aten::mul_.Scalar', other);
  }
  div_(other: Tensor | number): Tensor {
    return other instanceof Tensor ? callInPlace(this, 'aten::div_.Tensor', other) : callInPlace(this, 'aten::div_.Scalar', other);
  }
  clamp_(min: number | null = null, max: number | null = null): Tensor {
    return callInPlace(this, 'aten::clamp_', min, max);
  }
  maskedFill_(mask: Tensor, value: number): Tensor {
    return callInPlace(this, 'aten::masked_fill_.Scalar', mask, value);
  }
  indexCopy_(dim: number, index: Tensor, source: Tensor): Tensor {
    return callInPlace(this, 'aten::index_copy_', dim, index, source);
  }
  scatter_(dim: number, index: Tensor, src: Tensor): Tensor {
    return callInPlace(this, 'aten::scatter_.src', dim, index, src);
  }
}

function flatShape(shape: number[] | [Shape]): number[] {
  return (shape.length === 1 && Array.isArray(shape[0]) ? [...shape[0]] : shape) as number[];
}

function dimList(dim: number | number[]): number[] {
  return typeof dim === 'number' ? [dim] : dim;
}

/** Wraps a raw id returned by the addon (for modules that call it directly). */
export function wrap(id: TensorId): Tensor {
  return new Tensor(id);
}

export function floatingOrThrow(t: Tensor, what: string): void {
  if (!isFloating(t.dtype)) throw new Error(`${what} needs a floating-point tensor, got ${t.dtype}`);
}
