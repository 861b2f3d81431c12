// Real values at high precision with a running error bound, for every comparison that exact
// rationals cannot decide (irrational constants, values past the exact cap, identity testing at
// random points). decimal.js (maintained, arbitrary precision, exponent range ±9e15, correctly
// rounded exp/ln/sin/cos/tan/asin/...) replaces complex doubles there, so no value that under- or
// overflows a double can equal one that does not: 10^{-7000} is a number ≠ 0, 2^{2^{20}} is a
// number = 4^{2^{19}}.
//
// Each value carries `e`, a first-order bound on its absolute error (propagated through the
// operation's condition number, plus one rounding at PREC digits), and `lost`, set when a certainly
// nonzero term vanished below the rounding of a sum (1 + 10^{-7000} at 40 digits): such a value
// cannot decide equality, and "cannot decide" scores 0.
// Sources: decimal.js API https://mikemcl.github.io/decimal.js/ ; the error propagation is the
// standard first-order forward analysis (Higham, Accuracy and Stability of Numerical Algorithms, ch. 2-3).
import { Decimal } from 'decimal.js';
import type { Node } from './parse.js';
import { exact } from './expression.js';

/** Working precision in significant digits. */
export const PREC = 40;
const D = Decimal.clone({ precision: PREC, rounding: Decimal.ROUND_HALF_EVEN, minE: -9e15, maxE: 9e15, toExpNeg: -7, toExpPos: 21 });
type Dec = InstanceType<typeof D>;
/** One unit of relative rounding, with slack for decimal.js's last-digit accuracy of functions. */
const U = new D('1e-' + (PREC - 2));
const ZERO = new D(0);

export interface PV {
  v: Dec;
  /** Bound on |v - true value|. */
  e: Dec;
  /** A nonzero term was absorbed: the value cannot decide equality. */
  lost: boolean;
}

export type PEnv = Map<string, Dec>;

/** Loop bound for factorials, binomials, sums (each step is one 40-digit multiplication). */
const MAX_STEPS = 20000;
/** Integer exponents larger than this are not evaluated (|exponent| of the result explodes). */
const MAX_INT_EXP = 10n ** 15n;

let PI: Dec | null = null;
let EUL: Dec | null = null;

const fin = (x: Dec) => x.isFinite();
const abs = (x: Dec) => x.abs();
const round = (v: Dec) => abs(v).times(U);
const make = (v: Dec, e: Dec, lost = false): PV | null => (fin(v) && fin(e) ? { v, e, lost } : null);
/** |x| > its error bound: certainly not zero. */
const nonzero = (x: PV) => abs(x.v).gt(x.e);

export function decimal(x: string | number): Dec {
  return new D(x);
}

/** The real value of n (variables from env), or null: undefined, not real, unsupported, or out of range. */
export function precise(n: Node, env: PEnv = new Map()): PV | null {
  const c = preciseComplex(n, env);
  return c && isReal(c) ? c.re : null;
}

/** A complex value: real and imaginary parts, each with its error bound (im null: real). */
export interface CV {
  re: PV;
  im: PV | null;
}

/** The complex value of n (a + bi answers, i² = -1, (1+i)^4, 1/(1+i), √-4), or null. */
export function preciseComplex(n: Node, env: PEnv = new Map()): CV | null {
  try {
    return ev(n, env);
  } catch {
    return null; // decimal.js precision/range errors: cannot decide
  }
}

const isReal = (c: CV) => c.im === null || (c.im.v.isZero() && c.im.e.isZero() && !c.im.lost);
const real = (re: PV | null): CV | null => (re ? { re, im: null } : null);
const ZPV: PV = { v: ZERO, e: ZERO, lost: false };
const imOf = (c: CV): PV => c.im ?? ZPV;

function cmul(a: CV, b: CV): CV | null {
  if (isReal(a) && isReal(b)) return real(mul(a.re, b.re));
  const [ar, ai, br, bi] = [a.re, imOf(a), b.re, imOf(b)];
  const p1 = mul(ar, br);
  const p2 = mul(ai, bi);
  const p3 = mul(ar, bi);
  const p4 = mul(ai, br);
  if (!p1 || !p2 || !p3 || !p4) return null;
  const re = sum([p1, { ...p2, v: p2.v.neg() }]);
  const im = sum([p3, p4]);
  return re && im ? { re, im } : null;
}

function cdiv(a: CV, b: CV): CV | null {
  if (isReal(b)) {
    const re = div(a.re, b.re);
    const im = a.im ? div(a.im, b.re) : null;
    return re && (im || !a.im) ? { re, im } : null;
  }
  // a / b = a · conj(b) / |b|²
  const conj: CV = { re: b.re, im: { ...imOf(b), v: imOf(b).v.neg() } };
  const num = cmul(a, conj);
  const d1 = mul(b.re, b.re);
  const d2 = mul(imOf(b), imOf(b));
  const den = d1 && d2 ? sum([d1, d2]) : null;
  if (!num || !den) return null;
  const re = div(num.re, den);
  const im = div(imOf(num), den);
  return re && im ? { re, im } : null;
}

function cexp(a: CV): CV | null {
  const b = imOf(a);
  const m = fn('exp', [], new Map(), a.re);
  const c = fn('cos', [], new Map(), b);
  const sn = fn('sin', [], new Map(), b);
  const re = m && c ? mul(m, c) : null;
  const im = m && sn ? mul(m, sn) : null;
  return re && im ? { re, im } : null;
}

function ev(n: Node, env: PEnv): CV | null {
  switch (n.t) {
    case 'const':
      if (n.name === 'i') return { re: ZPV, im: { v: new D(1), e: ZERO, lost: false } };
      return real(evReal(n, env));
    case 'neg': {
      const a = ev(n.a, env);
      return a && { re: { ...a.re, v: a.re.v.neg() }, im: a.im && { ...a.im, v: a.im.v.neg() } };
    }
    case 'add': {
      const xs: CV[] = [];
      for (const t of n.args) {
        const x = ev(t, env);
        if (!x) return null;
        xs.push(x);
      }
      const re = sum(xs.map((x) => x.re));
      if (xs.every(isReal)) return real(re);
      const im = sum(xs.map(imOf));
      return re && im ? { re, im } : null;
    }
    case 'mul': {
      let acc: CV | null = { re: { v: new D(1), e: ZERO, lost: false }, im: null };
      for (const t of n.args) {
        const x = ev(t, env);
        if (!x || !acc) return null;
        acc = cmul(acc, x);
      }
      return acc;
    }
    case 'div': {
      const a = ev(n.a, env);
      const b = ev(n.b, env);
      return a && b ? cdiv(a, b) : null;
    }
    case 'pow': {
      const a = ev(n.a, env);
      if (!a) return null;
      if (isReal(a)) {
        const r = evReal(n, env);
        if (r) return real(r);
        // A positive real base to a complex power: e^{iπ} = exp(iπ · ln e).
        const b = ev(n.b, env);
        if (b && !isReal(b) && a.re.v.gt(a.re.e) && a.re.v.gt(0)) {
          const la = fn('ln', [], env, a.re);
          const z = la ? cmul(b, real(la)!) : null;
          return z ? cexp(z) : null;
        }
      }
      // A complex base to a small integer power (by repeated multiplication).
      const k = exactExponent(n.b);
      if (!k || k.q !== 1n || k.p > 256n || k.p < -256n) return null;
      let acc: CV | null = { re: { v: new D(1), e: ZERO, lost: false }, im: null };
      for (let j = 0n; j < (k.p < 0n ? -k.p : k.p); j++) acc = acc && cmul(acc, a);
      if (!acc) return null;
      return k.p < 0n ? cdiv({ re: { v: new D(1), e: ZERO, lost: false }, im: null }, acc) : acc;
    }
    case 'fn': {
      if (n.name === 'sum' || n.name === 'prod') return real(evReal(n, env));
      // Each argument once (evaluating it again per branch doubled the work per nesting level).
      const xs: CV[] = [];
      for (const a of n.args) {
        const x = ev(a, env);
        if (!x) return null;
        xs.push(x);
      }
      const a = xs[0];
      if (!a) return null;
      if (n.name === 'sqrt' && xs.length === 1 && isReal(a) && a.re.v.lt(0) && nonzero(a.re)) {
        const r = root({ ...a.re, v: a.re.v.neg() }, 2n, a.re.lost);
        return r && { re: ZPV, im: r };
      }
      if ((n.name === 'exp' || n.name === 'abs') && !isReal(a)) {
        if (n.name === 'exp') return cexp(a);
        const b = imOf(a);
        const r2 = mul(a.re, a.re);
        const i2 = mul(b, b);
        const s2 = r2 && i2 ? sum([r2, i2]) : null;
        return s2 ? real(root(s2, 2n, s2.lost)) : null;
      }
      // Other functions: real arguments only.
      if (!xs.every(isReal)) return null;
      return real(
        fnOf(
          n.name,
          xs.map((x) => x.re),
          env,
        ),
      );
    }
    default:
      return real(evReal(n, env));
  }
}

/** Real evaluation (null for anything not real). */
function evReal(n: Node, env: PEnv): PV | null {
  return evR(n, env);
}

function evR(n: Node, env: PEnv): PV | null {
  switch (n.t) {
    case 'num': {
      const v = new D(n.v.n.toString()).div(new D(n.v.d.toString()));
      const isExactInt = n.v.d === 1n && v.precision(true) <= PREC - 2;
      return make(v, isExactInt ? ZERO : round(v));
    }
    case 'sym': {
      const x = env.get(n.name);
      return x ? { v: x, e: ZERO, lost: false } : null;
    }
    case 'const':
      if (n.name === 'pi') {
        PI ??= D.acos(-1);
        return { v: PI, e: round(PI), lost: false };
      }
      if (n.name === 'e') {
        EUL ??= D.exp(1);
        return { v: EUL, e: round(EUL), lost: false };
      }
      return null;
    case 'neg': {
      const a = evR(n.a, env);
      return a && { ...a, v: a.v.neg() };
    }
    case 'add': {
      const xs: PV[] = [];
      for (const t of n.args) {
        const x = evR(t, env);
        if (!x) return null;
        xs.push(x);
      }
      return sum(xs);
    }
    case 'mul': {
      let acc: PV | null = { v: new D(1), e: ZERO, lost: false };
      for (const t of n.args) {
        const x = evR(t, env);
        if (!x || !acc) return null;
        acc = mul(acc, x);
      }
      return acc;
    }
    case 'div': {
      const a = evR(n.a, env);
      const b = evR(n.b, env);
      return a && b ? div(a, b) : null;
    }
    case 'pow':
      return pow(n, env);
    case 'fn':
      return fn(n.name, n.args, env);
    default:
      return null;
  }
}

function sum(xs: PV[]): PV | null {
  let v = ZERO;
  let e = ZERO;
  let lost = false;
  for (const x of xs) {
    v = v.plus(x.v);
    e = e.plus(x.e);
    lost ||= x.lost;
  }
  // Exact integers summing below 10^38 are exact at 40 digits: no rounding.
  if (!(e.isZero() && exactInt(v) && xs.every((x) => x.v.isInteger()))) e = e.plus(round(v));
  // A certainly nonzero term within the sum's uncertainty (its rounding and its other terms'
  // errors) cannot be told from 0 there: 1 + 10^{-7000}, (e^{16} - 1) + 10^{-30} at 40 digits.
  for (const x of xs) if (nonzero(x) && abs(x.v).lte(e.minus(x.e))) lost = true;
  return make(v, e, lost);
}

/** An integer small enough (< 10^38) that 40-digit arithmetic on such integers is exact. */
const LIMIT = new D('1e38');
const exactInt = (v: Dec) => v.isInteger() && abs(v).lt(LIMIT);

function mul(a: PV, b: PV): PV | null {
  const v = a.v.times(b.v);
  if (a.e.isZero() && b.e.isZero() && a.v.isInteger() && b.v.isInteger() && exactInt(v)) return make(v, ZERO, a.lost || b.lost);
  const e = abs(a.v).times(b.e).plus(abs(b.v).times(a.e)).plus(a.e.times(b.e)).plus(round(v));
  return make(v, e, a.lost || b.lost);
}

function div(a: PV, b: PV): PV | null {
  if (!nonzero(b)) return null;
  const v = a.v.div(b.v);
  const denom = abs(b.v).minus(b.e);
  const e = a.e.plus(abs(v).times(b.e)).div(denom).plus(round(v));
  return make(v, e, a.lost || b.lost);
}

/** An exactly known rational exponent p/q (from the exact evaluator), if any. */
function exactExponent(n: Node): { p: bigint; q: bigint } | null {
  const r = exact(n);
  return r ? { p: r.n, q: r.d } : null;
}

function pow(n: Node & { t: 'pow' }, env: PEnv): PV | null {
  const a = evR(n.a, env);
  if (!a) return null;
  const k = exactExponent(n.b);
  if (k && k.q === 1n) {
    if (k.p > MAX_INT_EXP || -k.p > MAX_INT_EXP) return null;
    if (k.p === 0n) return { v: new D(1), e: ZERO, lost: a.lost };
    if (a.v.isZero() && a.e.isZero()) return k.p > 0n ? a : null;
    if (!nonzero(a)) return null;
    const kd = new D(k.p.toString());
    const v = intPow(a.v, k.p);
    // relative error |k|·rel(a) (first order), plus rounding.
    const rel = a.e.div(abs(a.v));
    return make(v, abs(v).times(abs(kd).times(rel)).plus(round(v)), a.lost);
  }
  const b = k ? { v: new D(k.p.toString()).div(new D(k.q.toString())), e: ZERO, lost: false } : evR(n.b, env);
  if (!b) return null;
  if (a.v.isZero() && a.e.isZero()) return b.v.gt(0) && !nonzero({ ...b, v: ZERO }) ? a : b.v.gt(0) ? a : null;
  if (!nonzero(a)) return null;
  let sign = 1;
  if (a.v.lt(0)) {
    // Real odd roots of negatives: (-8)^{2/3} = 4, (-8)^{1/3} = -2.
    if (!k || k.q % 2n === 0n) return null;
    sign = k.p % 2n === 0n ? 1 : -1;
  }
  const base = abs(a.v);
  const v = k && k.q <= 64n && (k.p < 0n ? -k.p : k.p) <= 1000n ? intPow(nthRoot(base, Number(k.q)), k.p) : base.pow(b.v);
  const rel = abs(b.v).times(a.e.div(base)).plus(abs(base.ln()).times(b.e));
  return make(sign < 0 ? v.neg() : v, abs(v).times(rel).plus(round(v)), a.lost || b.lost);
}

/** x^k by repeated squaring at working precision (decimal.js's pow is 10-100x slower). */
function intPow(x: Dec, k: bigint): Dec {
  if (k < 0n) return new D(1).div(intPow(x, -k));
  if (k > 4096n) return x.pow(k.toString());
  let r = new D(1);
  let b = x;
  while (k > 0n) {
    if (k & 1n) r = r.times(b);
    k >>= 1n;
    if (k > 0n) b = b.times(b);
  }
  return r;
}

/** The positive q-th root of x > 0: Newton from a double (or decimal.js) start. */
function nthRoot(x: Dec, q: number): Dec {
  if (q === 1) return x;
  if (q === 2) return x.sqrt();
  const xd = x.toNumber();
  let y = Number.isFinite(xd) && xd > 1e-300 && xd < 1e300 ? new D(Math.pow(xd, 1 / q)) : x.pow(new D(1).div(q));
  const qd = new D(q);
  for (let i = 0; i < 6; i++) {
    const yq1 = intPow(y, BigInt(q - 1));
    const next = y.minus(yq1.times(y).minus(x).div(qd.times(yq1)));
    if (next.eq(y)) break;
    y = next;
  }
  return y;
}

function intArg(x: PV): bigint | null {
  if (!x.e.isZero() || !x.v.isInteger()) return null;
  return BigInt(x.v.toFixed(0));
}

function fn(name: string, args: Node[], env: PEnv, given?: PV): PV | null {
  if (name === 'sum' || name === 'prod') return bigOp(name, args, env);
  const xs: PV[] = given ? [given] : [];
  for (const t of args) {
    const x = evR(t, env);
    if (!x) return null;
    xs.push(x);
  }
  return fnOf(name, xs, env);
}

/** A function of already evaluated real arguments. */
function fnOf(name: string, xs: PV[], env: PEnv): PV | null {
  void env;
  const a = xs[0];
  if (!a) return null;
  const lost = xs.some((x) => x.lost);
  const out = (v: Dec, e: Dec) => make(v, e.plus(round(v)), lost);
  const x = a.v;
  switch (name) {
    case 'sqrt':
      return root(a, 2n, lost);
    case 'root': {
      const k = xs[1] && intArg(xs[1]);
      return k && k > 0n && k <= 1000n ? root(a, k, lost) : null;
    }
    case 'abs':
      return out(abs(x), a.e);
    case 'sin':
      return out(D.sin(x), a.e);
    case 'cos':
      return out(D.cos(x), a.e);
    case 'tan':
    case 'sec':
    case 'csc':
    case 'cot': {
      const c = D.cos(x);
      const s = D.sin(x);
      const den = name === 'tan' || name === 'sec' ? c : s;
      if (abs(den).lte(a.e.times(4).plus(U))) return null; // at a pole within the error
      const v = name === 'tan' ? s.div(c) : name === 'cot' ? c.div(s) : new D(1).div(den);
      // derivative magnitude ≤ (1 + v²) or |v|·|other/den|: bound by (1 + v²)/|den|.
      return out(v, a.e.times(new D(1).plus(v.times(v))).div(abs(den)));
    }
    case 'arcsin':
    case 'asin':
    case 'arccos':
    case 'acos': {
      if (abs(x).plus(a.e).gte(1)) return abs(x).lte(1) && a.e.isZero() ? out(name.endsWith('sin') ? D.asin(x) : D.acos(x), ZERO) : null;
      const v = name.endsWith('sin') ? D.asin(x) : D.acos(x);
      return out(v, a.e.div(new D(1).minus(x.times(x)).minus(a.e.times(2)).sqrt()));
    }
    case 'arctan':
    case 'atan':
      return out(D.atan(x), a.e);
    case 'sinh':
      return out(D.sinh(x), a.e.times(D.cosh(x)));
    case 'cosh':
      return out(D.cosh(x), a.e.times(abs(D.sinh(x))));
    case 'tanh':
      return out(D.tanh(x), a.e);
    case 'exp': {
      const v = D.exp(x);
      return out(v, abs(v).times(a.e));
    }
    case 'ln':
    case 'log10':
    case 'log': {
      if (!x.gt(a.e)) return null;
      let v = D.ln(x);
      let e = a.e.div(x.minus(a.e));
      if (name === 'log10') {
        v = v.div(D.ln(10));
        e = e.div(D.ln(10));
      } else if (name === 'log' && xs[1]) {
        const b = xs[1];
        if (!b.v.gt(b.e) || abs(b.v.minus(1)).lte(b.e)) return null;
        const lb = D.ln(b.v);
        if (lb.isZero()) return null;
        const eb = b.e.div(b.v.minus(b.e));
        v = v.div(lb);
        e = e.plus(abs(v).times(eb)).div(abs(lb));
      }
      return out(v, e);
    }
    case 'fact': {
      const k = intArg(a);
      if (k === null || k < 0n || k > BigInt(MAX_STEPS)) return null;
      let v = new D(1);
      for (let j = 2; j <= Number(k); j++) v = v.times(j);
      return exactInt(v) ? make(v, ZERO, lost) : out(v, round(v).times(Number(k)));
    }
    case 'binom': {
      const b = xs[1];
      const k = b && intArg(b);
      if (k === null || k === undefined || k < 0n || k > BigInt(MAX_STEPS)) return k !== null && k !== undefined && k < 0n ? out(ZERO, ZERO) : null;
      // C(n, k) = Π (n - j)/(j + 1) for any real n (a polynomial in n).
      let v = new D(1);
      let rel = ZERO;
      for (let j = 0; j < Number(k); j++) {
        const f = x.minus(j);
        if (f.isZero()) return out(ZERO, a.e.isZero() ? ZERO : a.e);
        rel = rel.plus(a.e.div(abs(f)));
        v = v.times(f).div(j + 1);
      }
      return out(v, abs(v).times(rel.plus(U.times(Number(k) + 1))));
    }
    case 'floor':
    case 'ceil': {
      const v = name === 'floor' ? x.floor() : x.ceil();
      // Too close to an integer to know which side: cannot decide.
      if (!a.e.isZero() && abs(x.minus(x.round())).lte(a.e)) return null;
      return make(v, ZERO, lost);
    }
    default:
      return null;
  }
}

function root(a: PV, k: bigint, lost: boolean): PV | null {
  const x = a.v;
  if (x.isZero() && a.e.isZero()) return { v: ZERO, e: ZERO, lost };
  if (x.lt(0) && k % 2n === 0n) return null;
  if (!nonzero(a)) {
    // |x| within its error of 0: the root is within the root of the error.
    return make(ZERO, a.e.pow(new D(1).div(k.toString())).times(2), lost);
  }
  const v = k <= 64n ? nthRoot(abs(x), Number(k)) : abs(x).pow(new D(1).div(k.toString()));
  const s = x.lt(0) ? v.neg() : v;
  return make(
    s,
    abs(v)
      .times(a.e.div(abs(x)).div(k.toString()))
      .plus(round(v)),
    lost,
  );
}

function bigOp(name: string, args: Node[], env: PEnv): PV | null {
  const [v, lo, hi, body] = args as [Node, Node, Node, Node];
  if (v.t !== 'sym') return null;
  const a = evR(lo, env);
  const b = evR(hi, env);
  const ia = a && intArg(a);
  const ib = b && intArg(b);
  if (ia === null || ib === null || !a || !b || ib - (ia as bigint) > BigInt(MAX_STEPS)) return null;
  const inner = new Map(env);
  const terms: PV[] = [];
  let acc: PV | null = { v: new D(name === 'sum' ? 0 : 1), e: ZERO, lost: false };
  for (let k = ia as bigint; k <= (ib as bigint); k++) {
    inner.set(v.name, new D(k.toString()));
    const x = evR(body, inner);
    if (!x) return null;
    if (name === 'sum') terms.push(x);
    else acc = acc && mul(acc, x);
  }
  return name === 'sum' ? sum(terms.length ? terms : [{ v: ZERO, e: ZERO, lost: false }]) : acc;
}

/**
 * Equality of two values: 'equal' when they agree within their error bounds and those bounds are
 * tiny (10^-25 of the magnitudes, at least 1), 'different' when they differ by more, else
 * 'unknown' (a lost term, or too much error to tell): the caller scores 'unknown' as not equal.
 */
export function compareComplex(x: CV, y: CV): 'equal' | 'different' | 'unknown' {
  const r = compare(x.re, y.re);
  const i = compare(imOf(x), imOf(y));
  if (r === 'different' || i === 'different') return 'different';
  return r === 'equal' && i === 'equal' ? 'equal' : 'unknown';
}

export function compare(x: PV, y: PV): 'equal' | 'different' | 'unknown' {
  const d = abs(x.v.minus(y.v));
  const e = x.e.plus(y.e);
  if (d.gt(e.times(4))) return 'different';
  if (x.lost || y.lost) return 'unknown';
  const scale = D.max(1, abs(x.v), abs(y.v));
  if (e.gt(scale.times('1e-25'))) return 'unknown';
  return 'equal';
}
