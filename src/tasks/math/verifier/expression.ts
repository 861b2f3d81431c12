// Evaluation of parsed expressions: exactly (rationals, when the value is rational) and
// numerically (complex doubles, with variables bound to random points). Also a canonical
// string form (commutative arguments sorted) for structural comparison.
import type { Node } from './parse.js';
import * as R from './rational.js';
import type { Rat } from './rational.js';

// ---------------------------------------------------------------- exact

const MAX_FACTORIAL = 3000;

/** The exact rational value, or null when it is irrational, symbolic, or too large. */
export function exact(n: Node): Rat | null {
  switch (n.t) {
    case 'num':
      return n.v;
    case 'neg': {
      const a = exact(n.a);
      return a && R.neg(a);
    }
    case 'add': {
      let acc: Rat | null = R.ZERO;
      for (const x of n.args) {
        const v = exact(x);
        if (!v || !acc) return null;
        acc = R.add(acc, v);
      }
      return acc;
    }
    case 'mul': {
      let acc: Rat | null = R.ONE;
      for (const x of n.args) {
        const v = exact(x);
        if (!v || !acc) return null;
        acc = R.mul(acc, v);
      }
      return acc;
    }
    case 'div': {
      const a = exact(n.a);
      const b = exact(n.b);
      return a && b ? R.div(a, b) : null;
    }
    case 'pow': {
      const a = exact(n.a);
      const b = exact(n.b);
      if (!a || !b) return null;
      if (b.d === 1n) return R.powInt(a, b.n);
      // a^(p/q): exact only when the q-th root is.
      if (b.d > 64n) return null;
      const root = R.rootRat(a, Number(b.d));
      return root && R.powInt(root, b.n);
    }
    case 'fn':
      return exactFn(n.name, n.args);
    default:
      return null;
  }
}

function exactFn(name: string, args: Node[]): Rat | null {
  const a = args[0] ? exact(args[0]) : null;
  if (!a) return null;
  switch (name) {
    case 'sqrt':
      return a.n >= 0n ? R.rootRat(a, 2) : null;
    case 'root': {
      const k = args[1] ? exact(args[1]) : null;
      return k && k.d === 1n && k.n > 0n && k.n <= 64n ? R.rootRat(a, Number(k.n)) : null;
    }
    case 'abs':
      return a.n < 0n ? R.neg(a) : a;
    case 'floor':
    case 'ceil': {
      const f = a.n / a.d - (a.n < 0n && a.n % a.d !== 0n ? 1n : 0n);
      return R.rat(name === 'ceil' && f * a.d !== a.n ? f + 1n : f);
    }
    case 'binom': {
      const k = args[1] ? exact(args[1]) : null;
      if (!k || a.d !== 1n || k.d !== 1n || k.n < 0n || k.n > a.n || k.n > 5000n) return null;
      let r = 1n;
      for (let j = 0n; j < k.n; j++) r = (r * (a.n - j)) / (j + 1n);
      return R.rat(r);
    }
    case 'fact': {
      if (a.d !== 1n || a.n < 0n || a.n > BigInt(MAX_FACTORIAL)) return null;
      let f = 1n;
      for (let k = 2n; k <= a.n; k++) f *= k;
      return R.rat(f);
    }
    default:
      return null;
  }
}

// ---------------------------------------------------------------- numeric (complex)

export type C = [number, number];
const NAN: C = [NaN, NaN];

const cadd = (a: C, b: C): C => [a[0] + b[0], a[1] + b[1]];
const cmul = (a: C, b: C): C => [a[0] * b[0] - a[1] * b[1], a[0] * b[1] + a[1] * b[0]];
function cdiv(a: C, b: C): C {
  const d = b[0] * b[0] + b[1] * b[1];
  if (d === 0) return NAN;
  return [(a[0] * b[0] + a[1] * b[1]) / d, (a[1] * b[0] - a[0] * b[1]) / d];
}
const cabs = (a: C) => Math.hypot(a[0], a[1]);
function clog(a: C): C {
  return [Math.log(cabs(a)), Math.atan2(a[1], a[0])];
}
function cexp(a: C): C {
  const r = Math.exp(a[0]);
  return a[1] === 0 ? [r, 0] : [r * Math.cos(a[1]), r * Math.sin(a[1])];
}
function cpow(a: C, b: C): C {
  // Real base and exponent: keep real roots of negative numbers for odd denominators (cbrt(-8) = -2).
  if (a[1] === 0 && b[1] === 0) {
    if (a[0] >= 0 || Number.isInteger(b[0])) return [Math.pow(a[0], b[0]), 0];
  }
  if (a[0] === 0 && a[1] === 0) return b[0] > 0 ? [0, 0] : NAN;
  return cexp(cmul(b, clog(a)));
}
function csqrt(a: C): C {
  if (a[1] === 0) return a[0] >= 0 ? [Math.sqrt(a[0]), 0] : [0, Math.sqrt(-a[0])];
  return cpow(a, [0.5, 0]);
}
function real(f: (x: number) => number): (a: C) => C {
  return (a) => (a[1] === 0 ? [f(a[0]), 0] : NAN);
}
function gamma(x: number): number {
  if (x < 0.5) return Math.PI / (Math.sin(Math.PI * x) * gamma(1 - x));
  if (x > 171) return Infinity;
  x -= 1;
  const g = 7;
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61582262434, 12.507343278686905, -0.13857109526572012,
    9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  let a = c[0]!;
  const t = x + g + 0.5;
  for (let i = 1; i < g + 2; i++) a += c[i]! / (x + i);
  return Math.sqrt(2 * Math.PI) * Math.pow(t, x + 0.5) * Math.exp(-t) * a;
}

const FN1: Record<string, (a: C) => C> = {
  sin: real(Math.sin),
  cos: real(Math.cos),
  tan: real(Math.tan),
  sec: real((x) => 1 / Math.cos(x)),
  csc: real((x) => 1 / Math.sin(x)),
  cot: real((x) => 1 / Math.tan(x)),
  arcsin: real(Math.asin),
  arccos: real(Math.acos),
  arctan: real(Math.atan),
  asin: real(Math.asin),
  acos: real(Math.acos),
  atan: real(Math.atan),
  sinh: real(Math.sinh),
  cosh: real(Math.cosh),
  tanh: real(Math.tanh),
  ln: clog,
  log10: (a) => cdiv(clog(a), [Math.LN10, 0]),
  exp: cexp,
  sqrt: csqrt,
  abs: (a) => [cabs(a), 0],
  floor: real(Math.floor),
  ceil: real(Math.ceil),
  fact: real((x) => (Number.isInteger(x) && x >= 0 ? gamma(x + 1) : NaN)),
};

/** Pseudo-random but deterministic value of an unknown function F at x (F_{n-1} with n bound). */
function unknownFn(name: string, x: C): C {
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) | 0;
  const v = Math.sin(x[0] * 12.9898 + x[1] * 4.1414 + h * 0.001) * 43758.5453;
  return [v - Math.floor(v) + 0.5, 0];
}

export type Env = Map<string, C>;

/** Complex value of n with variables from env; NaN components for anything undefined. */
export function numeric(n: Node, env: Env): C {
  switch (n.t) {
    case 'num':
      return [R.toNumber(n.v), 0];
    case 'sym':
      return env.get(n.name) ?? NAN;
    case 'const':
      return n.name === 'pi' ? [Math.PI, 0] : n.name === 'e' ? [Math.E, 0] : n.name === 'i' ? [0, 1] : n.name === 'inf' ? [Infinity, 0] : NAN;
    case 'neg': {
      const a = numeric(n.a, env);
      return [-a[0], -a[1]];
    }
    case 'add':
      return n.args.reduce<C>((acc, x) => cadd(acc, numeric(x, env)), [0, 0]);
    case 'mul':
      return n.args.reduce<C>((acc, x) => cmul(acc, numeric(x, env)), [1, 0]);
    case 'div':
      return cdiv(numeric(n.a, env), numeric(n.b, env));
    case 'pow': {
      const base = numeric(n.a, env);
      // Real odd roots of negative numbers: (-8)^{2/3} = 4, as \sqrt[3]{-8}^2 is.
      if (base[1] === 0 && base[0] < 0) {
        const q = exact(n.b);
        if (q && q.d !== 1n && q.d % 2n === 1n) {
          const mag = Math.pow(-base[0], R.toNumber(q));
          return [q.n % 2n === 0n ? mag : -mag, 0];
        }
      }
      return cpow(base, numeric(n.b, env));
    }
    case 'fn':
      return numericFn(n.name, n.args, env);
    default:
      return NAN;
  }
}

function numericFn(name: string, args: Node[], env: Env): C {
  if (name === 'sum' || name === 'prod') return numericSum(name, args, env);
  const a = numeric(args[0]!, env);
  const f = FN1[name];
  if (f && args.length === 1) return f(a);
  if (name === 'root') {
    const k = numeric(args[1]!, env);
    if (a[1] === 0 && k[1] === 0 && a[0] < 0 && Number.isInteger(k[0]) && k[0] % 2 === 1) return [-Math.pow(-a[0], 1 / k[0]), 0];
    return cpow(a, cdiv([1, 0], k));
  }
  if (name === 'binom' && args.length === 2) {
    const k = numeric(args[1]!, env);
    if (a[1] !== 0 || k[1] !== 0 || !Number.isInteger(k[0]) || k[0] > 10000) return NAN;
    if (k[0] < 0) return [0, 0];
    let r = 1;
    for (let j = 0; j < k[0]; j++) r = (r * (a[0] - j)) / (j + 1);
    return [r, 0];
  }
  if (name === 'log') return args.length === 2 ? cdiv(clog(a), clog(numeric(args[1]!, env))) : clog(a);
  if (name.startsWith('sub:')) return unknownFn(name, a);
  return NAN;
}

function numericSum(name: string, args: Node[], env: Env): C {
  const [v, lo, hi, body] = args as [Node, Node, Node, Node];
  const a = numeric(lo, env);
  const b = numeric(hi, env);
  if (v.t !== 'sym' || !Number.isInteger(a[0]) || !Number.isInteger(b[0]) || b[0] - a[0] > 10000) return NAN;
  let acc: C = name === 'sum' ? [0, 0] : [1, 0];
  const inner = new Map(env);
  for (let k = a[0]; k <= b[0]; k++) {
    inner.set(v.name, [k, 0]);
    const x = numeric(body, inner);
    acc = name === 'sum' ? cadd(acc, x) : cmul(acc, x);
  }
  return acc;
}

// ---------------------------------------------------------------- structure

export function freeVars(n: Node, out: Set<string> = new Set(), bound: Set<string> = new Set()): Set<string> {
  switch (n.t) {
    case 'sym':
      if (!bound.has(n.name)) out.add(n.name);
      break;
    case 'fn':
      if (n.name === 'sum' || n.name === 'prod') {
        const v = (n.args[0] as { name: string }).name;
        const b2 = new Set(bound).add(v);
        freeVars(n.args[1]!, out, bound);
        freeVars(n.args[2]!, out, bound);
        freeVars(n.args[3]!, out, b2);
      } else n.args.forEach((a) => freeVars(a, out, bound));
      break;
    default:
      for (const c of children(n)) freeVars(c, out, bound);
  }
  return out;
}

export function children(n: Node): Node[] {
  switch (n.t) {
    case 'add':
    case 'mul':
    case 'fn':
      return n.args;
    case 'neg':
      return [n.a];
    case 'div':
    case 'pow':
    case 'in':
      return [n.a, n.b];
    case 'pm':
      return n.a ? [n.a, n.b] : [n.b];
    case 'group':
    case 'ratio':
    case 'union':
      return n.items;
    case 'matrix':
      return n.rows.flat();
    case 'rel':
      return n.args;
    default:
      return [];
  }
}

/** Canonical text: sums and products sorted, so a+b and b+a (or F_k F_j and F_j F_k) agree. */
export function canon(n: Node): string {
  switch (n.t) {
    case 'num':
      return R.ratToString(n.v);
    case 'sym':
      return n.name;
    case 'const':
      return '#' + n.name;
    case 'text':
      return `"${n.s.toLowerCase().replace(/\s+/g, '')}"`;
    case 'neg':
      return `-(${canon(n.a)})`;
    case 'add':
      return `(${flatten(n, 'add').map(canon).sort().join('+')})`;
    case 'mul':
      return `(${flatten(n, 'mul').map(canon).sort().join('*')})`;
    case 'div':
      return `(${canon(n.a)}/${canon(n.b)})`;
    case 'pow':
      return `(${canon(n.a)}^${canon(n.b)})`;
    case 'fn':
      return `${n.name}(${n.args.map(canon).join(',')})`;
    case 'pm':
      return `(${n.a ? canon(n.a) : ''}±${canon(n.b)})`;
    case 'group':
      return `${n.open}${n.items.map(canon).join(',')}${n.close}`;
    case 'matrix':
      return `[${n.rows.map((r) => r.map(canon).join('&')).join(';')}]`;
    case 'rel':
      return n.args.map((a, i) => (i ? n.ops[i - 1] : '') + canon(a)).join('');
    case 'ratio':
      return n.items.map(canon).join(':');
    case 'union':
      return n.items.map(canon).sort().join('∪');
    case 'in':
      return `${canon(n.a)}∈${canon(n.b)}`;
  }
}

function flatten(n: Node, t: 'add' | 'mul'): Node[] {
  if (n.t !== t) return [n];
  return n.args.flatMap((a) => flatten(a, t));
}

export function contains(n: Node, pred: (x: Node) => boolean): boolean {
  if (pred(n)) return true;
  return children(n).some((c) => contains(c, pred));
}

/**
 * Whether complex doubles can be trusted for n at env: no subexpression under- or overflows
 * (0 < |v| < 1e-280, |v| > 1e280, an infinity from finite parts, or an exact 0 from nonzero
 * factors as in 2^{-30000}). Used before any double comparison, so no value that leaves the
 * double range can equal one that does not.
 */
export function doubleSafe(n: Node, env: Env, budget = { left: 2000 }): boolean {
  if (--budget.left < 0) return false;
  const v = numeric(n, env);
  const bad = (x: number) => x === Infinity || x === -Infinity || (x !== 0 && Math.abs(x) < 1e-280) || Math.abs(x) > 1e280;
  if (n.t !== 'const' && (bad(v[0]) || bad(v[1]))) return false;
  const kids = children(n);
  if ((n.t === 'pow' || n.t === 'mul' || n.t === 'div') && v[0] === 0 && v[1] === 0) {
    const kv = kids.map((k) => numeric(k, env));
    if (kv.length && kv.every((x) => Number.isFinite(x[0]) && Number.isFinite(x[1]) && (x[0] !== 0 || x[1] !== 0))) return false;
  }
  if (n.t === 'fn' && (n.name === 'sum' || n.name === 'prod')) return true;
  return kids.every((k) => doubleSafe(k, env, budget));
}
