// Support for the engine parity tests (not a test file itself): a seeded JS RNG for inputs,
// one Python (PyTorch) oracle run per test file, and tolerance-based comparisons.
//
//   const P = new Parity('ops', 1);
//   const x = P.randn('x', [4, 5]);                       // registered input (a kept device tensor)
//   P.case('math', 'exp', 'x.exp()', () => x.exp(), TOL.f32);
//   before(() => P.run());                                 // ONE python3 process: test/py/engine_ref.py
//   test('math', () => P.check('math'));                   // TS result vs torch, all cases of a family
//   after(() => P.dispose());
//
// Inputs travel as raw bytes (identical bits on both sides, bf16 included); `py` is a Python
// expression or statements that set `out` (see test/py/engine_ref.py for what is in scope).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fromBytes, liveTensors, tensor, tidy, Tensor, type DType } from '../../src/engine/index.js';
import { hasPythonModule, runPython } from '../helpers/python.js';
import { repoRoot } from '../helpers/paths.js';

/** The device the engine tests run on: RLVR_TEST_DEVICE=cuda runs the same suite on a GPU. */
export const DEVICE: string = process.env.RLVR_TEST_DEVICE ?? 'cpu';
export const ON_CUDA = DEVICE.startsWith('cuda');

/** Whether the Python oracle can run (python3 with torch); asked once, only by files that need it. */
export function haveTorch(): boolean {
  return hasPythonModule('torch');
}

/** node:test `skip` option for parity tests: a reason when there is no python3 with torch. */
export function skipNoTorch(): string | false {
  return haveTorch() ? false : 'python3 with torch is not available';
}

/** |actual - expected| <= atol + rtol * |expected|, elementwise; rtol = atol = 0 means bit-exact. */
export interface Tol {
  rtol: number;
  atol: number;
}

/**
 * Stated tolerances. fp32 elementwise: 1e-5 relative + 1e-6 absolute; fp32 reductions/matmul
 * (summation order may differ, e.g. on CUDA): 1e-4 + 1e-5. bf16 against torch's bf16 result:
 * 1e-2 relative (about one bf16 ulp, 2^-7 = 7.8e-3) + 1e-2 absolute for elementwise ops;
 * 2e-2 + 2e-2 for reductions/matmul/attention. Integer, bool, index and random results: exact.
 */
export const TOL = {
  exact: { rtol: 0, atol: 0 },
  f32: { rtol: 1e-5, atol: 1e-6 },
  f32red: { rtol: 1e-4, atol: 1e-5 },
  bf16: { rtol: 1e-2, atol: 1e-2 },
  bf16red: { rtol: 2e-2, atol: 2e-2 },
} as const satisfies Record<string, Tol>;

export const FLOAT_DTYPES: readonly DType[] = ['float32', 'bfloat16'];

/** Elementwise / reduction tolerance for a dtype. */
export function tolFor(dtype: DType, kind: 'ew' | 'red'): Tol {
  if (dtype === 'float32') return kind === 'ew' ? TOL.f32 : TOL.f32red;
  return kind === 'ew' ? TOL.bf16 : TOL.bf16red;
}

/** mulberry32: a tiny seeded PRNG so inputs are reproducible without torch. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }
  /** Standard normal (Box-Muller). */
  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo));
  }
}

export type Result = Tensor | number | string | null | Result[];

type Expected = { dtype: DType; shape: number[]; file: string } | { number: number } | { text: string } | null | Expected[];

interface Case {
  family: string;
  name: string;
  py: string;
  ts: () => Result;
  tol: Tol;
  bind: Record<string, string>;
}

function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export class Parity {
  readonly rng: Rng;
  private readonly cpuInputs = new Map<string, Tensor>();
  private readonly devInputs: Tensor[] = [];
  private readonly cases: Case[] = [];
  private readonly names = new Set<string>();
  private outputs: Record<string, Expected | { error: string }> = {};
  private dir: string | null = null;

  constructor(
    readonly tag: string,
    seed: number,
  ) {
    this.rng = new Rng(seed);
  }

  /** Registers a CPU tensor as an input called `name`; returns a kept copy on DEVICE. */
  input(name: string, cpu: Tensor): Tensor {
    if (this.cpuInputs.has(name)) throw new Error(`input ${name} registered twice`);
    const c = cpu.contiguous().keep();
    this.cpuInputs.set(name, c);
    const d = c.to({ device: DEVICE }).keep();
    this.devInputs.push(d);
    return d;
  }

  /** Standard-normal values (times scale, plus shift), made in float32 and cast to dtype. */
  randn(name: string, shape: number[], opts: { dtype?: DType; scale?: number; shift?: number } = {}): Tensor {
    const data = Float32Array.from({ length: numel(shape) }, () => this.rng.normal() * (opts.scale ?? 1) + (opts.shift ?? 0));
    return this.fromFloat(name, data, shape, opts.dtype ?? 'float32');
  }

  /** Uniform values in [lo, hi). */
  uniform(name: string, shape: number[], lo: number, hi: number, dtype: DType = 'float32'): Tensor {
    const data = Float32Array.from({ length: numel(shape) }, () => this.rng.uniform(lo, hi));
    return this.fromFloat(name, data, shape, dtype);
  }

  /** Integers uniform in [lo, hi) (int64 unless told). */
  randint(name: string, shape: number[], lo: number, hi: number, dtype: DType = 'int64'): Tensor {
    const data = Array.from({ length: numel(shape) }, () => this.rng.int(lo, hi));
    return tidy(() => this.input(name, tensor(data, shape, { dtype })));
  }

  /** Booleans, true with probability p. */
  mask(name: string, shape: number[], p = 0.5): Tensor {
    const data = Array.from({ length: numel(shape) }, () => this.rng.next() < p);
    return tidy(() => this.input(name, tensor(data, shape)));
  }

  private fromFloat(name: string, data: Float32Array, shape: number[], dtype: DType): Tensor {
    return tidy(() => {
      const f = tensor(data, shape);
      return this.input(name, dtype === 'float32' ? f : f.to({ dtype }));
    });
  }

  /**
   * A parity case: `ts()` runs in a tidy scope on DEVICE; `py` is evaluated by the oracle with
   * the inputs (fresh clones on the device) in scope. With `suffix`, every input named
   * `<alias><suffix>` is also visible to Python as `<alias>` (one Python line for fp32 and bf16).
   */
  case(family: string, name: string, py: string, ts: () => Result, tol: Tol, suffix = ''): void {
    const full = `${family}/${name}`;
    if (this.names.has(full)) throw new Error(`case ${full} registered twice`);
    this.names.add(full);
    const bind: Record<string, string> = {};
    if (suffix) {
      for (const n of this.cpuInputs.keys()) if (n.endsWith(suffix)) bind[n.slice(0, -suffix.length)] = n;
    }
    this.cases.push({ family, name: full, py, ts, tol, bind });
  }

  /** Writes inputs and cases, runs test/py/engine_ref.py once, reads the references back. */
  run(): void {
    if (!haveTorch()) return;
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `rlvr-engine-${this.tag}-`));
    const inputs: Record<string, { dtype: DType; shape: number[]; file: string }> = {};
    for (const [name, t] of this.cpuInputs) {
      const file = `in_${name}.bin`;
      fs.writeFileSync(path.join(this.dir, file), t.toBytes());
      inputs[name] = { dtype: t.dtype, shape: t.shape, file };
    }
    const manifest = {
      device: DEVICE,
      inputs,
      cases: this.cases.map((c) => ({ name: c.name, py: c.py, bind: c.bind })),
    };
    fs.writeFileSync(path.join(this.dir, 'manifest.json'), JSON.stringify(manifest));
    runPython(path.join(repoRoot, 'test/py/engine_ref.py'), [this.dir]);
    this.outputs = JSON.parse(fs.readFileSync(path.join(this.dir, 'outputs.json'), 'utf8'));
  }

  /** Runs and compares every case of a family; fails once, listing every mismatch. */
  check(family: string): void {
    const mine = this.cases.filter((c) => c.family === family);
    assert.ok(mine.length > 0, `no cases in family ${family}`);
    const failures: string[] = [];
    const live = liveTensors();
    for (const c of mine) {
      const exp = this.outputs[c.name];
      if (exp === undefined) {
        failures.push(`${c.name}: no reference output`);
        continue;
      }
      if (exp !== null && !Array.isArray(exp) && 'error' in exp) {
        failures.push(`${c.name}: python failed: ${exp.error}`);
        continue;
      }
      try {
        tidy(() => {
          const actual = c.ts();
          const problems = this.compare(actual, exp, c.tol, c.name);
          failures.push(...problems);
        });
      } catch (e) {
        failures.push(`${c.name}: TS threw: ${(e as Error).message}`);
      }
    }
    assert.deepEqual(failures, [], `${failures.length} of ${mine.length} ${family} cases differ from PyTorch:\n${failures.join('\n')}`);
    assert.equal(liveTensors(), live, `family ${family} leaked ${liveTensors() - live} tensors`);
  }

  /** The reference output of a case (for tests that check more than closeness). */
  expected(name: string): Expected | { error: string } | undefined {
    return this.outputs[name];
  }

  private compare(actual: Result, exp: Expected, tol: Tol, label: string): string[] {
    if (Array.isArray(actual) || Array.isArray(exp)) {
      if (!Array.isArray(actual) || !Array.isArray(exp)) return [`${label}: one side is a list, the other is not`];
      if (actual.length !== exp.length) return [`${label}: ${actual.length} results vs ${exp.length} from torch`];
      return actual.flatMap((a, i) => this.compare(a, exp[i]!, tol, `${label}[${i}]`));
    }
    if (exp === null || actual === null) return exp === actual ? [] : [`${label}: ${String(actual)} vs ${JSON.stringify(exp)}`];
    if ('text' in exp) {
      return actual === exp.text ? [] : [`${label}: text ${JSON.stringify(actual)} vs torch ${JSON.stringify(exp.text)}`];
    }
    if ('number' in exp) {
      if (typeof actual !== 'number') return [`${label}: expected a number`];
      return closeScalar(actual, exp.number, tol) ? [] : [`${label}: ${actual} vs torch ${exp.number}`];
    }
    if (!(actual instanceof Tensor)) return [`${label}: expected a tensor, got ${String(actual)}`];
    const bytes = fs.readFileSync(path.join(this.dir!, exp.file));
    const ref = fromBytes(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), exp.dtype, exp.shape);
    return compareTensors(actual, ref, tol, label);
  }

  dispose(): void {
    for (const t of this.cpuInputs.values()) t.dispose();
    for (const t of this.devInputs) t.dispose();
    this.cpuInputs.clear();
    this.devInputs.length = 0;
    if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
    this.dir = null;
  }
}

function closeScalar(a: number, e: number, tol: Tol): boolean {
  if (Number.isNaN(a) || Number.isNaN(e)) return Number.isNaN(a) && Number.isNaN(e);
  if (a === e) return true;
  return Math.abs(a - e) <= tol.atol + tol.rtol * Math.abs(e);
}

/** Shape, dtype and values (bit-exact for integer/bool dtypes or an exact tolerance). */
export function compareTensors(actual: Tensor, ref: Tensor, tol: Tol, label = 'tensor'): string[] {
  if (actual.dtype !== ref.dtype) return [`${label}: dtype ${actual.dtype} vs torch ${ref.dtype}`];
  if (actual.shape.join(',') !== ref.shape.join(',')) return [`${label}: shape [${actual.shape}] vs torch [${ref.shape}]`];
  const floating = ['float32', 'float64', 'bfloat16', 'float16'].includes(ref.dtype);
  if (!floating || (tol.rtol === 0 && tol.atol === 0)) {
    const a = actual.toBytes();
    const b = ref.toBytes();
    const n = a.length;
    for (let i = 0; i < n; i++) {
      if (a[i] !== b[i]) {
        const k = Math.floor(i / (n / Math.max(1, ref.numel)));
        const av = actual.toNumbers()[k];
        const bv = ref.toNumbers()[k];
        return [`${label}: not bit-exact at element ${k}: ${av} vs torch ${bv}`];
      }
    }
    return [];
  }
  const a = actual.toArray() as Float32Array | Float64Array;
  const b = ref.toArray() as Float32Array | Float64Array;
  let worst = -Infinity;
  let at = -1;
  for (let i = 0; i < b.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (Number.isNaN(x) || Number.isNaN(y)) {
      if (Number.isNaN(x) !== Number.isNaN(y)) return [`${label}: NaN mismatch at ${i}: ${x} vs torch ${y}`];
      continue;
    }
    if (x === y) continue;
    const excess = Math.abs(x - y) - (tol.atol + tol.rtol * Math.abs(y));
    if (excess > worst) {
      worst = excess;
      at = i;
    }
  }
  if (worst > 0) {
    return [
      `${label}: element ${at} is ${a[at]} vs torch ${b[at]} (|diff| ${Math.abs(a[at]! - b[at]!).toExponential(2)} > ` +
        `atol ${tol.atol} + rtol ${tol.rtol} * |ref|)`,
    ];
  }
  return [];
}

/** Detached leaf copies with requires_grad, fn on them, backward of its (scalar) result: [y, ...grads]. */
export function withGrads(inputs: Tensor[], fn: (...xs: Tensor[]) => Tensor): Tensor[] {
  const leaves = inputs.map((t) => t.detach().requiresGrad_(true));
  const y = fn(...leaves);
  y.backward();
  return [y.detach(), ...leaves.map((l) => l.grad!)];
}
