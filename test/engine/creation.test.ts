// Parity with PyTorch: creation functions, seeded random numbers (bit-exact with
// torch.Generator().manual_seed(s)), and typed-array round trips for every dtype the engine exposes.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  arange,
  empty,
  fromBytes,
  full,
  fullLike,
  Generator,
  manualSeed,
  ones,
  onesLike,
  rand,
  randint,
  randn,
  randperm,
  tensor,
  tidy,
  zeros,
  zerosLike,
  type DType,
  type Tensor,
} from '../../src/engine/index.js';
import { DEVICE, Parity, TOL, skipNoTorch } from './parity.js';

const P = new Parity('creation', 11);
const dev = { device: DEVICE };

// ---- creation (exact: same kernels) ----
P.case('creation', 'zeros', 'torch.zeros(2, 3, device=dev)', () => zeros([2, 3], dev), TOL.exact);
P.case('creation', 'zeros_int64', 'torch.zeros(4, dtype=torch.int64, device=dev)', () => zeros([4], { ...dev, dtype: 'int64' }), TOL.exact);
P.case('creation', 'zeros_0d', 'torch.zeros((), device=dev)', () => zeros([], dev), TOL.exact);
P.case('creation', 'zeros_empty', 'torch.zeros(0, 3, device=dev)', () => zeros([0, 3], dev), TOL.exact);
P.case('creation', 'ones_bf16', 'torch.ones(3, 2, dtype=torch.bfloat16, device=dev)', () => ones([3, 2], { ...dev, dtype: 'bfloat16' }), TOL.exact);
P.case('creation', 'ones_bool', 'torch.ones(3, dtype=torch.bool, device=dev)', () => ones([3], { ...dev, dtype: 'bool' }), TOL.exact);
P.case('creation', 'full_float', 'torch.full((2, 2), 3.5, device=dev)', () => full([2, 2], 3.5, dev), TOL.exact);
// An integral JS number is an integer scalar, so (as in Python with `3`) the result is int64.
P.case('creation', 'full_int_infers_int64', 'torch.full((2, 2), 3, device=dev)', () => full([2, 2], 3, dev), TOL.exact);
P.case('creation', 'full_int32', 'torch.full((3,), 7, dtype=torch.int32, device=dev)', () => full([3], 7, { ...dev, dtype: 'int32' }), TOL.exact);
P.case('creation', 'full_bf16', 'torch.full((3,), 0.1, dtype=torch.bfloat16, device=dev)', () => full([3], 0.1, { ...dev, dtype: 'bfloat16' }), TOL.exact);
P.case('creation', 'arange_end', 'torch.arange(10, device=dev)', () => arange(10, undefined, 1, dev), TOL.exact);
P.case('creation', 'arange_step', 'torch.arange(1, 10, 3, device=dev)', () => arange(1, 10, 3, dev), TOL.exact);
P.case('creation', 'arange_negative_step', 'torch.arange(5, -5, -2, device=dev)', () => arange(5, -5, -2, dev), TOL.exact);
P.case('creation', 'arange_float', 'torch.arange(0, 1, 0.1, device=dev)', () => arange(0, 1, 0.1, dev), TOL.f32);
P.case(
  'creation',
  'arange_dtype',
  'torch.arange(-2.5, 2.5, 0.5, dtype=torch.bfloat16, device=dev)',
  () => arange(-2.5, 2.5, 0.5, { ...dev, dtype: 'bfloat16' }),
  TOL.exact,
);
P.case(
  'creation',
  'arange_float_dtype',
  'torch.arange(6, dtype=torch.float32, device=dev)',
  () => arange(6, undefined, 1, { ...dev, dtype: 'float32' }),
  TOL.exact,
);

const base = P.randn('base', [3, 4]);
P.case('creation', 'zeros_like', 'torch.zeros_like(base)', () => zerosLike(base), TOL.exact);
P.case('creation', 'ones_like_int32', 'torch.ones_like(base, dtype=torch.int32)', () => onesLike(base, { dtype: 'int32' }), TOL.exact);
P.case('creation', 'full_like', 'torch.full_like(base, 2.5)', () => fullLike(base, 2.5), TOL.exact);
P.case('creation', 'tensor_numbers', 'torch.tensor([1.5, -2.0, 3.25], device=dev)', () => tensor([1.5, -2, 3.25], undefined, dev), TOL.exact);
P.case('creation', 'tensor_shape', 'torch.tensor([[1., 2., 3.], [4., 5., 6.]], device=dev)', () => tensor([1, 2, 3, 4, 5, 6], [2, 3], dev), TOL.exact);
P.case(
  'creation',
  'tensor_int64',
  'torch.tensor([1, -2, 3], dtype=torch.int64, device=dev)',
  () => tensor([1, -2, 3], undefined, { ...dev, dtype: 'int64' }),
  TOL.exact,
);
P.case(
  'creation',
  'tensor_int32',
  'torch.tensor([1, -2, 3], dtype=torch.int32, device=dev)',
  () => tensor([1, -2, 3], undefined, { ...dev, dtype: 'int32' }),
  TOL.exact,
);
P.case('creation', 'tensor_bool', 'torch.tensor([True, False, True], device=dev)', () => tensor([true, false, true], undefined, dev), TOL.exact);
P.case(
  'creation',
  'tensor_bf16',
  'torch.tensor([0.1, 1.0/3.0, -7.77, 1e30], dtype=torch.bfloat16, device=dev)',
  () => tensor([0.1, 1 / 3, -7.77, 1e30], undefined, { ...dev, dtype: 'bfloat16' }),
  TOL.exact,
);
P.case(
  'creation',
  'tensor_f16',
  'torch.tensor([0.1, 1.0/3.0, -7.77, 65504.0], dtype=torch.float16, device=dev)',
  () => tensor([0.1, 1 / 3, -7.77, 65504], undefined, { ...dev, dtype: 'float16' }),
  TOL.exact,
);
P.case(
  'creation',
  'tensor_uint8',
  'torch.tensor([0, 7, 255], dtype=torch.uint8, device=dev)',
  () => tensor(Uint8Array.from([0, 7, 255]), undefined, dev),
  TOL.exact,
);

// ---- seeded random numbers: bit-exact with torch.Generator(device).manual_seed(seed) ----
const g = (seed: number) => new Generator({ seed, device: DEVICE });
P.case('random', 'rand', 'torch.rand(3, 4, generator=gen(1), device=dev)', () => rand([3, 4], { ...dev, generator: g(1) }), TOL.exact);
P.case('random', 'rand_large', 'torch.rand(2, 5000, generator=gen(12), device=dev)', () => rand([2, 5000], { ...dev, generator: g(12) }), TOL.exact);
P.case('random', 'randn', 'torch.randn(1000, generator=gen(2), device=dev)', () => randn([1000], { ...dev, generator: g(2) }), TOL.exact);
P.case('random', 'randn_small', 'torch.randn(7, generator=gen(2), device=dev)', () => randn([7], { ...dev, generator: g(2) }), TOL.exact);
P.case(
  'random',
  'randn_bf16',
  'torch.randn(64, dtype=torch.bfloat16, generator=gen(3), device=dev)',
  () => randn([64], { ...dev, dtype: 'bfloat16', generator: g(3) }),
  TOL.exact,
);
P.case(
  'random',
  'randn_f64',
  'torch.randn(33, dtype=torch.float64, generator=gen(3), device=dev)',
  () => randn([33], { ...dev, dtype: 'float64', generator: g(3) }),
  TOL.exact,
);
P.case('random', 'randint', 'torch.randint(0, 10, (50,), generator=gen(4), device=dev)', () => randint(0, 10, [50], { ...dev, generator: g(4) }), TOL.exact);
P.case(
  'random',
  'randint_int32',
  'torch.randint(-5, 5, (7, 3), dtype=torch.int32, generator=gen(4), device=dev)',
  () => randint(-5, 5, [7, 3], { ...dev, dtype: 'int32', generator: g(4) }),
  TOL.exact,
);
P.case('random', 'randperm', 'torch.randperm(20, generator=gen(5), device=dev)', () => randperm(20, { ...dev, generator: g(5) }), TOL.exact);
P.case('random', 'randperm_large', 'torch.randperm(3000, generator=gen(5), device=dev)', () => randperm(3000, { ...dev, generator: g(5) }), TOL.exact);
P.case(
  'random',
  'sequence',
  'g = gen(8)\nout = [torch.rand(5, generator=g, device=dev), torch.randn(5, generator=g, device=dev), torch.randint(0, 100, (5,), generator=g, device=dev)]',
  () => {
    const gg = g(8);
    return [rand([5], { ...dev, generator: gg }), randn([5], { ...dev, generator: gg }), randint(0, 100, [5], { ...dev, generator: gg })];
  },
  TOL.exact,
);
const probs = P.uniform('probs', [4, 10], 0.01, 1);
P.case('random', 'multinomial', 'torch.multinomial(probs, 3, False, generator=gen(6))', () => probs.multinomial(3, false, g(6)), TOL.exact);
P.case('random', 'multinomial_replacement', 'torch.multinomial(probs, 20, True, generator=gen(6))', () => probs.multinomial(20, true, g(6)), TOL.exact);
P.case(
  'random',
  'default_generator',
  'torch.manual_seed(1234)\nout = [torch.randn(8, device=dev), torch.rand(3, device=dev)]',
  () => {
    manualSeed(1234);
    return [randn([8], dev), rand([3], dev)];
  },
  TOL.exact,
);
P.case('random', 'generator_state', 'gen(7).get_state()', () => g(7).getState(), TOL.exact);
P.case(
  'random',
  'state_restore',
  'g = gen(9)\ng.set_state(g.get_state())\ns = g.get_state()\na = torch.randn(6, generator=g, device=dev)\ng.set_state(s)\nout = [a, torch.randn(6, generator=g, device=dev)]',
  () => {
    const gg = g(9);
    const s = gg.getState();
    const a = randn([6], { ...dev, generator: gg });
    gg.setState(s);
    return [a, randn([6], { ...dev, generator: gg })];
  },
  TOL.exact,
);

// ---- typed arrays round trips: TS bytes -> torch -> bytes back, and values as torch sees them ----
const f32 = P.input('f32', tensor(Float32Array.from([0, -0, 1.5, -3.25, 1e-38, 3.4e38, NaN, Infinity, -Infinity, 1e-45])));
const bf16Bits = Uint16Array.from([0x3f80, 0xc020, 0x7f80, 0xff80, 0x0000, 0x8000, 0x7fc0, 0x0001, 0x3dcd]);
const bf16 = P.input('bf16', fromBytes(new Uint8Array(bf16Bits.buffer), 'bfloat16', [bf16Bits.length]));
const f16Bits = Uint16Array.from([0x3c00, 0xc100, 0x7bff, 0x7c00, 0xfc00, 0x0000, 0x8000, 0x7e00, 0x0001]);
const f16 = P.input('f16', fromBytes(new Uint8Array(f16Bits.buffer), 'float16', [f16Bits.length]));
const i64Values = BigInt64Array.from([0n, -1n, 2n ** 62n, -(2n ** 63n), 123456789012345n, 2n ** 63n - 1n]);
const i64 = P.input('i64', tensor(i64Values));
const i32Values = Int32Array.from([-2147483648, 2147483647, 0, -7, 42]);
const i32 = P.input('i32', tensor(i32Values));
const boolValues = [true, false, false, true, true];
const bools = P.input('bools', tensor(boolValues));
const u8Values = Uint8Array.from([0, 1, 127, 128, 255]);
const u8 = P.input('u8', tensor(u8Values));
const typed: [string, Tensor][] = [
  ['f32', f32],
  ['bf16', bf16],
  ['f16', f16],
  ['i64', i64],
  ['i32', i32],
  ['bools', bools],
  ['u8', u8],
];
for (const [name, t] of typed) P.case('typed', `echo_${name}`, name, () => t, TOL.exact);
P.case('typed', 'bf16_to_f32', 'bf16.float()', () => bf16.float(), TOL.exact);
P.case('typed', 'f16_to_f32', 'f16.float()', () => f16.float(), TOL.exact);
P.case('typed', 'f32_to_bf16', 'f32.bfloat16()', () => f32.bfloat16(), TOL.exact);
P.case('typed', 'f32_to_f16', 'f32.half()', () => f32.half(), TOL.exact);
P.case('typed', 'i64_remainder', 'i64 % 1000', () => i64.remainder(1000), TOL.exact);
P.case('typed', 'i32_to_i64', 'i32.long()', () => i32.long(), TOL.exact);
P.case('typed', 'bool_not', 'bools.logical_not()', () => bools.logicalNot(), TOL.exact);
P.case('typed', 'u8_to_i32', 'u8.int()', () => u8.int(), TOL.exact);
P.case('typed', 'u8_to_bool', 'u8.bool()', () => u8.bool(), TOL.exact);

before(() => P.run());
after(() => P.dispose());

test('creation functions match torch (exact)', { skip: skipNoTorch() }, () => P.check('creation'));
test('seeded random numbers match torch bit-for-bit', { skip: skipNoTorch() }, () => P.check('random'));
test('typed-array round trips and casts match torch bit-for-bit', { skip: skipNoTorch() }, () => P.check('typed'));

test('creation: shapes, dtypes, devices, requiresGrad', () => {
  tidy(() => {
    const e = empty([2, 5], { dtype: 'bfloat16', device: DEVICE });
    assert.deepEqual(e.shape, [2, 5]);
    assert.equal(e.dtype, 'bfloat16');
    assert.equal(e.device, DEVICE === 'cuda' ? 'cuda:0' : DEVICE);
    assert.equal(zeros([3], { requiresGrad: true }).requiresGrad, true);
    assert.equal(arange(4).dtype, 'int64');
    assert.equal(arange(0, 1, 0.25).dtype, 'float32');
    assert.equal(randint(0, 3, [2]).dtype, 'int64');
    assert.throws(() => tensor([1, 2, 3], [2, 2]), /3 values do not fill shape \[2, 2\]/);
  });
});

test('typed arrays come back with their type and values', () => {
  tidy(() => {
    const a = f32.toArray();
    assert.ok(a instanceof Float32Array);
    const src = [0, -0, 1.5, -3.25, Math.fround(1e-38), Math.fround(3.4e38), NaN, Infinity, -Infinity, Math.fround(1e-45)];
    src.forEach((v, i) => assert.ok(Object.is(a[i], v), `f32[${i}] = ${a[i]}, want ${v}`));
    // bf16 / f16 convert to Float32Array on the way out; the raw bits stay available via toBytes().
    const b = bf16.toArray() as Float32Array;
    assert.ok(b instanceof Float32Array);
    assert.deepEqual(Array.from(b).slice(0, 6), [1, -2.5, Infinity, -Infinity, 0, -0]);
    assert.ok(Number.isNaN(b[6]!));
    assert.equal(b[7], 2 ** -133);
    assert.deepEqual(Array.from(new Uint16Array(bf16.toBytes().slice().buffer)), Array.from(bf16Bits));
    const h = f16.toArray() as Float32Array;
    assert.deepEqual(Array.from(h).slice(0, 7), [1, -2.5, 65504, Infinity, -Infinity, 0, -0]);
    assert.equal(h[8], 2 ** -24);
    assert.deepEqual(Array.from(new Uint16Array(f16.toBytes().slice().buffer)), Array.from(f16Bits));
    const l = i64.toArray();
    assert.ok(l instanceof BigInt64Array);
    assert.deepEqual(Array.from(l), Array.from(i64Values));
    assert.deepEqual(i64.toNumbers().slice(0, 2), [0, -1]);
    const n = i32.toArray();
    assert.ok(n instanceof Int32Array);
    assert.deepEqual(Array.from(n), Array.from(i32Values));
    const t = bools.toArray();
    assert.ok(t instanceof Uint8Array);
    assert.deepEqual(Array.from(t), boolValues.map(Number));
    assert.equal(bools.dtype, 'bool');
    assert.deepEqual(Array.from(u8.toArray() as Uint8Array), Array.from(u8Values));
    assert.equal(u8.dtype, 'uint8');
    for (const [d, bytes] of [
      ['float32', 4],
      ['bfloat16', 2],
      ['float16', 2],
      ['int64', 8],
      ['int32', 4],
      ['bool', 1],
      ['uint8', 1],
    ] as [DType, number][]) {
      const z = zeros([3], { dtype: d, device: DEVICE });
      assert.equal(z.toBytes().length, 3 * bytes, d);
      assert.equal(z.dtype, d);
    }
    assert.equal(full([], 2.5).item(), 2.5);
    assert.equal(tensor([true]).item(), 1);
    assert.equal(i64.select(0, 4).item(), 123456789012345);
  });
});
