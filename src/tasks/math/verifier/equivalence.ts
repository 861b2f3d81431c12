// Equivalence of two answers. Policy per kind (see README.md):
//  - numbers: exact rationals; a decimal matches an exact value only at the precision written
//    (≥ 2 decimals); no absolute tolerance, so different integers and tiny values never merge.
//  - irrational constants: complex doubles, relative tolerance 1e-9.
//  - symbolic: canonical form, else equal values at random points (all variables bound).
//  - equations: A=B ≡ C=D iff A-B = λ(C-D), λ ≠ 0 constant; "x = v" (a label) compares v.
//  - inequalities: as interval sets; otherwise A<B ≡ C<D iff A-B = λ(C-D), λ > 0.
//  - intervals: same brackets and ends; unions: as sets of intervals.
//  - tuples ordered; sets (\{\}, "and"/"or", ±, lists of points) unordered multisets;
//    plain comma lists ordered.
//  - matrices: same shape, entries equal. Text: case- and space-insensitive string equality.
import type { Node } from './parse.js';
import { buildAnswer, canonText, expandPm, rebuild, type Answer } from './answer.js';
import { canon, children, exact, freeVars, numeric, contains, doubleSafe, type C, type Env } from './expression.js';
import { precise, preciseComplex, compare, compareComplex, decimal, type PEnv } from './precise.js';
import * as R from './rational.js';
import { intervalsOf, resolveSetminus } from './intervals.js';

// ------------------------------------------------------------------ scalars

/** Decimal literal info: value and the number of decimals written (through a leading minus). */
function decimalLiteral(n: Node): { v: R.Rat; dec: number } | null {
  if (n.t === 'num' && n.dec >= 0) return { v: n.v, dec: n.dec };
  if (n.t === 'neg' && n.a.t === 'num' && n.a.dec >= 0) return { v: R.neg(n.a.v), dec: n.a.dec };
  return null;
}

// Policy (../shared/data/verifier/README.md): decimal vs decimal is exact (12.8 = 12.80 ≠ 12.83,
// 0.29 ≠ 0.2902…); a decimal stands for a non-terminating exact value (1/7, √2, π) only when it
// agrees with it to at least 6 significant digits (0.142857 = 1/7; 0.1429, 2.6667 for 8/3 are wrong).
const MIN_SIGNIFICANT = 6;

function significantDigits(v: R.Rat, dec: number): number {
  const scaled = ((v.n < 0n ? -v.n : v.n) * 10n ** BigInt(dec)) / v.d; // the written digits as an integer
  return scaled === 0n ? 0 : scaled.toString().length;
}

/** d is x rounded (|x - d| ≤ half a unit) or truncated toward 0 (0 ≤ |x| - |d| < a unit) at d's last place. */
function agreesTo(x: R.Rat, d: R.Rat, dec: number): boolean {
  const unit = R.rat(1n, 10n ** BigInt(dec))!;
  const half = R.rat(1n, 2n * 10n ** BigInt(dec))!;
  const diff = R.sub(x, d);
  if (!diff) return false;
  const a = diff.n < 0n ? R.neg(diff) : diff;
  if (R.cmp(a, half) <= 0) return true;
  const towardZero = x.n < 0n === diff.n < 0n; // x is beyond d, away from 0
  return towardZero && R.cmp(a, unit) < 0;
}

/** Whitespace removed, except between two digits (`2 3` is two numbers, never 23). */
export function squash(s: string): string {
  if (!/\d\s+\d/.test(s)) return s.replace(/\s+/g, '');
  return s.replace(/\s+/g, (m: string, at: number) => (/\d/.test(s[at - 1] ?? '') && /\d/.test(s[at + m.length] ?? '') ? ' ' : ''));
}

function decimalPolicy(a: Node, b: Node, ea: R.Rat | null, eb: R.Rat | null): boolean {
  for (const [d, x, ex, goldSide] of [
    [a, b, eb, true],
    [b, a, ea, false],
  ] as const) {
    const lit = decimalLiteral(d);
    if (!lit || significantDigits(lit.v, lit.dec) < MIN_SIGNIFICANT) continue;
    if (decimalLiteral(x)) continue; // two decimals: exact only (checked by the caller)
    if (ex) {
      // A rational: only a non-terminating one can be stood for by a decimal.
      if (terminates(ex)) continue;
      if (agreesTo(ex, lit.v, lit.dec)) return true;
      continue;
    }
    // The other side is not a known rational (π, √2, ln 2, or past the exact cap). A response's
    // decimal never equals it, however many digits it has (a decimal is not the exact answer);
    // a gold given as a decimal (the problem asked for one) accepts the exact value when that
    // rounds or truncates to every digit written, checked at 40 digits, never with doubles.
    if (!goldSide) continue;
    if (freeVars(x).size > 0) continue;
    const v = precise(x);
    if (!v || v.lost) continue;
    const unit = decimal(10).pow(-lit.dec);
    const dv = decimal(lit.v.n.toString()).div(decimal(lit.v.d.toString()));
    const diff = v.v.minus(dv);
    // rounded (within half a unit) or truncated toward 0 (within a unit, on the far side)
    if (diff.abs().plus(v.e).lte(unit.div(2))) return true;
    const away = diff.isNeg() === v.v.isNeg() && !diff.isZero();
    if (away && diff.abs().plus(v.e).lt(unit)) return true;
  }
  return false;
}

/** Whether a rational has a terminating decimal expansion (its denominator is 2^a 5^b). */
function terminates(x: R.Rat): boolean {
  let d = x.d;
  while (d % 2n === 0n) d /= 2n;
  while (d % 5n === 0n) d /= 5n;
  return d === 1n;
}

function closeC(a: C, b: C, rel = 1e-9, abs = 0): boolean {
  if (![a[0], a[1], b[0], b[1]].every(Number.isFinite)) return false;
  const d = Math.hypot(a[0] - b[0], a[1] - b[1]);
  const m = Math.max(Math.hypot(a[0], a[1]), Math.hypot(b[0], b[1]));
  return d <= rel * m + abs;
}

/** Complex doubles, only where no subexpression of either side leaves the double range. */
function doublesEqual(a: Node, b: Node, env: Env, rel: number, abs: number): 'equal' | 'different' | 'unknown' {
  const x = numeric(a, env);
  const y = numeric(b, env);
  const fx = Number.isFinite(x[0]) && Number.isFinite(x[1]);
  const fy = Number.isFinite(y[0]) && Number.isFinite(y[1]);
  if (!fx && !fy) return 'unknown';
  if (!doubleSafe(a, env) || !doubleSafe(b, env)) return 'unknown';
  if (fx !== fy) return 'different';
  return closeC(x, y, rel, abs) ? 'equal' : 'different';
}

/** Two constants: 40-digit values with error bounds; complex doubles only for complex values. */
function constantsEqual(a: Node, b: Node): boolean {
  const x = preciseComplex(a);
  const y = preciseComplex(b);
  if (x && y) return compareComplex(x, y) === 'equal';
  return doublesEqual(a, b, new Map(), 1e-9, 0) === 'equal';
}

/** Contains a function of a variable that is defined on integers only (n!, C(n,k), a sum to n). */
function needsIntegerPoints(n: Node): boolean {
  return contains(
    n,
    (x) => x.t === 'fn' && (x.name === 'fact' || x.name === 'binom' || x.name === 'sum' || x.name === 'prod') && x.args.some((y) => freeVars(y).size > 0),
  );
}

/**
 * The value of each variable at test point p (deterministic). Half the points are negative, so
 * that √(x²) ≠ x and (x²)^{1/2} ≠ x; integer points when a factorial or binomial needs them.
 */
function pointEnvs(vars: string[], p: number, integer: boolean): { env: Env; penv: PEnv } {
  const env: Env = new Map();
  const penv: PEnv = new Map();
  vars.forEach((v, k) => {
    const h = Math.sin((k + 1) * 12.9898 + (p + 1) * 78.233) * 43758.5453;
    const f = h - Math.floor(h);
    if (integer) {
      const x = 4 + ((p * 7 + k * 3) % 11) + k; // 4..25, distinct across points
      env.set(v, [x, 0]);
      penv.set(v, decimal(x));
      return;
    }
    // 12 significant digits, in ±(0.35, 1.85), exactly representable in both evaluators' inputs.
    const mag = Math.round((0.35 + f * 1.5) * 1e12) / 1e12;
    const x = p % 2 === 1 ? -mag : mag;
    env.set(v, [x, 0]);
    penv.set(v, decimal(x));
  });
  return { env, penv };
}

const POINTS = 8;

/** Values of a and b at point p: 40-digit reals where both are real, else complex doubles. */
function atPoint(a: Node, b: Node, vars: string[], p: number, integer: boolean): 'equal' | 'different' | 'unknown' {
  const { env, penv } = pointEnvs(vars, p, integer);
  const x = precise(a, penv);
  const y = precise(b, penv);
  if (x && y) return compare(x, y);
  // Real on one side only: the point is outside one side's real domain (√(1/n) and 1/√n at
  // n < 0 are not compared there). Neither real: complex values (i, complex roots), in doubles.
  // Neither real: complex answers (with i) compare as complex doubles; real expressions outside
  // their real domain are not compared there.
  if (x || y || !(hasI(a) || hasI(b))) return 'unknown';
  const cx = preciseComplex(a, penv);
  const cy = preciseComplex(b, penv);
  if (cx && cy) return compareComplex(cx, cy);
  return doublesEqual(a, b, env, 1e-8, 1e-12);
}

const hasI = (n: Node) => contains(n, (x) => x.t === 'const' && x.name === 'i');

/** Identity testing: equal at ≥ 3 points where both are defined, different at none. */
function randomPointsEqual(a: Node, b: Node): boolean {
  const vars = [...new Set([...freeVars(a), ...freeVars(b)])].sort();
  const integer = needsIntegerPoints(a) || needsIntegerPoints(b);
  let valid = 0;
  for (let p = 0; p < POINTS; p++) {
    const r = atPoint(a, b, vars, p, integer);
    if (r === 'different') return false;
    if (r === 'equal') valid++;
  }
  return valid >= 3;
}

const isStructureNode = (n: Node) => ['group', 'matrix', 'union', 'ratio'].includes(n.t);
const isStructure = (n: Node) => ['group', 'matrix', 'rel', 'union', 'ratio', 'in', 'text'].includes(n.t);

export function scalarEqual(a: Node, b: Node): boolean {
  if (canon(a) === canon(b)) return true;
  if (isStructure(a) || isStructure(b)) return false;
  const ea = exact(a);
  const eb = exact(b);
  if (ea && eb && R.eq(ea, eb)) return true;
  if (decimalPolicy(a, b, ea, eb)) return true;
  if (ea && eb) return false;
  // A bare decimal against anything else is decided by the decimal policy alone.
  if (decimalLiteral(a) || decimalLiteral(b)) return false;
  const va = freeVars(a);
  const vb = freeVars(b);
  if (va.size === 0 && vb.size === 0) {
    // Irrational, complex, or past the exact cap; infinities only equal through canon above.
    return constantsEqual(a, b);
  }
  const fam = familiesEqual(a, b);
  if (fam !== null) return fam;
  return randomPointsEqual(a, b);
}

// ------------------------------------------------------------------ solution families

const PARAMETERS = new Set(['k', 'n', 'm', 'j', 'l']);

/** a + p·T in one integer parameter p with a period T that is a rational multiple of π. */
function family(n: Node): { p: string; a: ReturnType<typeof precise>; T: ReturnType<typeof precise> } | null {
  const vs = [...freeVars(n)];
  if (vs.length !== 1 || !PARAMETERS.has(vs[0]!)) return null;
  const p = vs[0]!;
  const at = (k: number) => precise(n, new Map([[p, decimal(k)]]));
  const [f0, f1, f2, fm] = [at(0), at(1), at(2), at(-3)];
  if (!f0 || !f1 || !f2 || !fm) return null;
  const T = { v: f1.v.minus(f0.v), e: f1.e.plus(f0.e), lost: f0.lost || f1.lost };
  const lin = (f: NonNullable<typeof f0>, k: number) =>
    compare(f, { v: f0.v.plus(T.v.times(k)), e: f0.e.plus(T.e.times(Math.abs(k))), lost: T.lost }) === 'equal';
  if (!lin(f2, 2) || !lin(fm, -3) || T.v.isZero()) return null;
  // The period must be a rational multiple of π with a small denominator (trigonometric families).
  const r = T.v.div(precise({ t: 'const', name: 'pi' })!.v);
  const q = [1, 2, 3, 4, 5, 6, 8, 10, 12].find((d) => r.times(d).minus(r.times(d).round()).abs().lt('1e-20'));
  if (q === undefined) return null;
  return { p, a: f0, T };
}

/**
 * Two solution families a + kT and b + nS (k, n integers) are the same set when |T| = |S| and
 * (a - b)/T is an integer: a shifted representative or a renamed index. Null: not families.
 */
function familiesEqual(x: Node, y: Node): boolean | null {
  const f = family(x);
  const g = family(y);
  if (!f || !g) return null;
  const Tf = { ...f.T!, v: f.T!.v.abs() };
  const Tg = { ...g.T!, v: g.T!.v.abs() };
  if (compare(Tf, Tg) !== 'equal') return false;
  const q = f.a!.v.minus(g.a!.v).div(Tf.v);
  const k = q.round();
  const err = f
    .a!.e.plus(g.a!.e)
    .div(Tf.v)
    .plus(q.abs().times(Tf.e.div(Tf.v)));
  return q.minus(k).abs().lte(err.times(4).plus('1e-30'));
}

// ------------------------------------------------------------------ relations

/** A name being defined rather than an expression: x, a_3, f(x), |AB|, NO/BO, A:B, (p,q). */
export function isLabel(n: Node): boolean {
  switch (n.t) {
    case 'sym':
      return true;
    case 'mul':
      return n.args.every((x) => x.t === 'sym' || (x.t === 'group' && x.items.every(isLabel)) || (x.t === 'const' && x.name !== 'pi'));
    case 'div':
      return isLabel(n.a) && isLabel(n.b);
    case 'ratio':
      return n.items.every(isLabel);
    case 'group':
      return n.open === '(' && n.items.length > 0 && n.items.every((x) => x.t === 'sym');
    case 'fn':
      return (n.name === 'abs' || n.name.startsWith('sub:')) && n.args.every((x) => isLabel(x) || (freeVars(x).size > 0 && !contains(x, (y) => y.t === 'pow')));
    default:
      return false;
  }
}

interface Eq {
  lhs: Node;
  rhs: Node;
  label: boolean;
}

/**
 * Chains: "x = 5+5+1 = 11" is the value 11; approximations (≈) are annotations and dropped
 * unless they are the only value ("x ≈ 11" is 11).
 */
function simplifyEquality(n: Node): Node | Eq {
  if (n.t !== 'rel' || !n.ops.every((o) => o === '=' || o === '~')) return n;
  let args = [n.args[0]!];
  let ops: string[] = [];
  n.ops.forEach((op, i) => {
    if (op === '=') {
      ops.push(op);
      args.push(n.args[i + 1]!);
    }
  });
  if (args.length === 1) {
    // Only approximations: an exact value annotated with its decimal ("\frac{\sqrt3}{3} ≈ 0.577")
    // is that value; a name "x ≈ 11" states 11.
    // The annotation must be near the value (1%): "5 ≈ 7" is a false statement, no answer.
    const [first, last] = [n.args[0]!, n.args[n.args.length - 1]!];
    if (freeVars(first).size === 0 && freeVars(last).size === 0 && !isStructureNode(first) && !isStructureNode(last)) {
      const [x, y] = [numeric(first, new Map()), numeric(last, new Map())];
      const close = Number.isFinite(x[0]) && Number.isFinite(y[0]) && Math.hypot(x[0] - y[0], x[1] - y[1]) <= 0.01 * Math.hypot(x[0], x[1]);
      return close ? first : FALSE_STATEMENT;
    }
    ops = ['='];
    args = [n.args[0]!, n.args[n.args.length - 1]!];
  }
  if (args.length === 1) return args[0]!;
  // A false step between two constants (2+2 = 5, x = 5+5+1 = 12) makes the whole statement
  // false, whatever value it ends in: it is no answer.
  for (let k = 0; k + 1 < args.length; k++) {
    const [l, r] = [args[k]!, args[k + 1]!];
    if (freeVars(l).size === 0 && freeVars(r).size === 0 && !isStructureNode(l) && !isStructureNode(r) && !nodesEqual(l, r)) return FALSE_STATEMENT;
  }
  if (args.length >= 3) return args[args.length - 1]!;
  // A computation "1/2 + 1/3 = 5/6" (no variables on either side) states its result.
  if (freeVars(args[0]!).size === 0 && freeVars(args[1]!).size === 0 && !isStructureNode(args[0]!)) return args[1]!;
  return { lhs: args[0]!, rhs: args[1]!, label: isLabel(args[0]!) };
}

const isEq = (x: Node | Eq): x is Eq => 'lhs' in x;

/** What a false statement states: nothing (a text no answer can equal). */
const FALSE_STATEMENT: Node = { t: 'text', s: '\u0000false statement' };

function diff(e: { lhs: Node; rhs: Node }): Node {
  return { t: 'add', args: [e.lhs, { t: 'neg', a: e.rhs }] };
}

/** f ≡ λ g at random points, λ constant (and λ > 0 when `positive`). */
function proportional(f: Node, g: Node, positive: boolean): boolean {
  const vars = [...new Set([...freeVars(f), ...freeVars(g)])].sort();
  if (vars.length === 0) return false;
  const integer = needsIntegerPoints(f) || needsIntegerPoints(g);
  const zero = { v: decimal(0), e: decimal(0), lost: false };
  let ratio: ReturnType<typeof precise> = null;
  let valid = 0;
  for (let p = 0; p < POINTS; p++) {
    const { penv } = pointEnvs(vars, p, integer);
    const x = precise(f, penv);
    const y = precise(g, penv);
    if (!x || !y) continue; // not real here (40-digit reals only: doubles cannot certify a ratio)
    const zx = compare(x, zero);
    const zy = compare(y, zero);
    if (zx === 'unknown' || zy === 'unknown') return false;
    if (zx === 'equal' && zy === 'equal') continue;
    if (zx !== zy) return false;
    const r = x.v.div(y.v);
    const er = x.e.plus(r.abs().times(y.e)).div(y.v.abs().minus(y.e)).plus(r.abs().times('1e-38'));
    const pr = { v: r, e: er, lost: x.lost || y.lost };
    if (ratio === null) ratio = pr;
    else if (compare(ratio, pr) !== 'equal') return false;
    valid++;
  }
  if (ratio === null || valid < 3) return false;
  return positive ? ratio.v.gt(0) : true;
}

/** f(x) (parsed as f·x or f_x): the function's name and its single variable, else null. */
function functionHead(n: Node): { f: string; v: string } | null {
  if (n.t === 'mul' && n.args.length === 2 && n.args[0]!.t === 'sym' && n.args[1]!.t === 'sym') return { f: n.args[0]!.name, v: n.args[1]!.name };
  return null;
}

/** n with every free occurrence of variable `from` renamed to `to`. */
export function renameVar(n: Node, from: string, to: string): Node {
  if (n.t === 'sym') return n.name === from ? { t: 'sym', name: to } : n;
  const kids = children(n);
  if (kids.length === 0) return n;
  return rebuild(
    n,
    kids.map((k) => renameVar(k, from, to)),
  );
}

function equationsEqual(a: Eq, b: Eq): boolean {
  if (a.label && b.label && nodesEqual(a.rhs, b.rhs)) return true;
  // f(x) = x^2 and f(t) = t^2 define the same function: rename the argument.
  const fa = functionHead(a.lhs);
  const fb = functionHead(b.lhs);
  if (fa && fb && fa.f === fb.f && fa.v !== fb.v && !freeVars(b.rhs).has(fa.v)) return nodesEqual(a.rhs, renameVar(b.rhs, fb.v, fa.v));
  return proportional(diff(a), diff(b), false);
}

const FLIP: Record<string, string> = { '>': '<', '>=': '<=' };

function inequalitiesEqual(a: Node, b: Node): boolean {
  if (a.t !== 'rel' || b.t !== 'rel' || a.ops.length !== 1 || b.ops.length !== 1) return false;
  const norm = (r: { ops: string[]; args: Node[] }) => {
    const op = r.ops[0]!;
    return FLIP[op] ? { op: FLIP[op]!, d: diff({ lhs: r.args[1]!, rhs: r.args[0]! }) } : { op, d: diff({ lhs: r.args[0]!, rhs: r.args[1]! }) };
  };
  const x = norm(a);
  const y = norm(b);
  if (x.op !== y.op) return false;
  return proportional(x.d, y.d, x.op !== '!=');
}

// ------------------------------------------------------------------ structures

function sameBrackets(a: Node & { t: 'group' }, b: Node & { t: 'group' }): boolean {
  // A LaTeX brace group {1,3} is a plain list; it matches any bracket kind.
  if (a.open === '{' || b.open === '{') return true;
  return a.open === b.open && a.close === b.close;
}

/** A canonical key for an item whose value is an exact rational (or a text), else null. */
function itemKey(x: Node | Answer): string | null {
  if ('k' in x) {
    if (x.k === 'text') return x.base === undefined ? 't:' + x.s : null;
    if (x.k === 'node') return itemKey(x.node);
    return null;
  }
  if (x.t === 'group' || x.t === 'matrix' || x.t === 'rel' || x.t === 'union' || x.t === 'ratio' || x.t === 'in' || x.t === 'text') return null;
  if (decimalLiteral(x)) return null; // decimals follow the decimal policy, not exact keys
  const v = exact(x);
  return v ? 'q:' + R.ratToString(v) : null;
}

/** Pairwise matching is quadratic: beyond this many unkeyed items a list cannot be decided. */
const MAX_PAIRWISE = 200;

/**
 * Set equality: every member of each side is in the other (duplicates do not count when the
 * lengths differ; a bijection when they agree). Items with exact values are compared by sorted
 * canonical keys (no size cap, n log n); only the rest are matched pairwise.
 */
function multisetEqual<T extends Node | Answer>(xs: T[], ys: T[], eq: (x: T, y: T) => boolean): boolean {
  if (xs.length === 0 || ys.length === 0) return xs.length === ys.length;
  const kx = xs.map(itemKey);
  const ky = ys.map(itemKey);
  const restX = xs.filter((_, i) => kx[i] === null);
  const restY = ys.filter((_, i) => ky[i] === null);
  if (restX.length + restY.length < xs.length + ys.length) {
    const keysX = kx.filter((k): k is string => k !== null);
    const keysY = ky.filter((k): k is string => k !== null);
    const sameLength = xs.length === ys.length;
    if (sameLength) {
      keysX.sort();
      keysY.sort();
      if (keysX.length === keysY.length && keysX.every((k, i) => k === keysY[i])) return multisetPairwise(restX, restY, eq, true);
    } else {
      const a = new Set(keysX);
      const b = new Set(keysY);
      if (a.size === b.size && [...a].every((k) => b.has(k))) return multisetPairwise(restX, restY, eq, false);
    }
    // Keys differ: an unkeyed item may still equal a keyed one (1/2 vs 0.5): pairwise when small.
  }
  return multisetPairwise(xs, ys, eq, xs.length === ys.length);
}

function multisetPairwise<T>(xs: T[], ys: T[], eq: (x: T, y: T) => boolean, bijection: boolean): boolean {
  if (xs.length === 0 || ys.length === 0) return xs.length === ys.length;
  if (xs.length > MAX_PAIRWISE || ys.length > MAX_PAIRWISE) return false; // cannot decide: 0
  if (!bijection) return xs.every((x) => ys.some((y) => eq(x, y))) && ys.every((y) => xs.some((x) => eq(x, y)));
  const used = new Array<boolean>(ys.length).fill(false);
  outer: for (const x of xs) {
    for (let j = 0; j < ys.length; j++) {
      if (!used[j] && eq(x, ys[j]!)) {
        used[j] = true;
        continue outer;
      }
    }
    return false;
  }
  return true;
}

function orderedEqual<T>(xs: T[], ys: T[], eq: (x: T, y: T) => boolean): boolean {
  return xs.length === ys.length && xs.every((x, i) => eq(x, ys[i]!));
}

export function nodesEqual(a: Node, b: Node): boolean {
  if (canon(a) === canon(b)) return true;
  // ℝ \ {1} is (-∞, 1) ∪ (1, ∞).
  const ra = resolveSetminus(a);
  const rb = resolveSetminus(b);
  if (ra !== a || rb !== b) return nodesEqual(ra, rb);
  // x ∈ S is S.
  if (a.t === 'in' && isLabel(a.a)) return nodesEqual(a.b, b);
  if (b.t === 'in' && isLabel(b.a)) return nodesEqual(a, b.b);
  const sa = simplifyEquality(a);
  const sb = simplifyEquality(b);
  if (isEq(sa) || isEq(sb)) {
    if (isEq(sa) && isEq(sb)) return equationsEqual(sa, sb);
    if (isEq(sa)) return sa.label && (nodesEqual(sa.rhs, sb as Node) || renamedEqual(sa, sb as Node));
    return (sb as Eq).label && (nodesEqual(sa as Node, (sb as Eq).rhs) || renamedEqual(sb as Eq, sa as Node));
  }
  if (sa !== a || sb !== b) return nodesEqual(sa, sb);
  if (a.t === 'rel' || b.t === 'rel') return relationsEqual(a, b);
  if (a.t === 'group' && b.t === 'group') {
    const setA = a.open === '\\{';
    const setB = b.open === '\\{';
    // A bare brace group {1, 3} is a plain list (README): unordered against another one.
    if (setA || setB || (a.open === '{' && b.open === '{')) return multisetEqual(a.items.flatMap(expandPm), b.items.flatMap(expandPm), nodesEqual);
    return sameBrackets(a, b) && orderedEqual(a.items, b.items, nodesEqual);
  }
  if (a.t === 'union' || b.t === 'union') {
    const ia = a.t === 'union' ? a.items : [a];
    const ib = b.t === 'union' ? b.items : [b];
    return multisetEqual(ia, ib, nodesEqual);
  }
  if (a.t === 'matrix' && b.t === 'matrix') {
    return a.rows.length === b.rows.length && a.rows.every((r, i) => orderedEqual(r, b.rows[i]!, nodesEqual));
  }
  if (a.t === 'matrix' || b.t === 'matrix') {
    // A vector in any layout: a one-column or one-row matrix against a tuple, in order.
    const [m, t] = a.t === 'matrix' ? [a, b] : [b, a as Node];
    if (m.t === 'matrix' && t.t === 'group' && (t.open === '(' || t.open === '[' || t.open === '\\langle') && t.items.length >= 2) {
      const entries = m.rows.every((r) => r.length === 1) ? m.rows.map((r) => r[0]!) : m.rows.length === 1 ? m.rows[0]! : null;
      if (entries && entries.length === t.items.length) return orderedEqual(entries, t.items, nodesEqual);
    }
    return matrixExpressionsEqual(a, b);
  }
  if (a.t === 'ratio' && b.t === 'ratio') return orderedEqual(a.items, b.items, nodesEqual);
  if (a.t === 'text' || b.t === 'text') return a.t === 'text' && b.t === 'text' && canonText(a.s) === canonText(b.s);
  return scalarEqual(a, b);
}

/** f(t) = t^2 against a bare x^2: the definition's variable renamed to the other's single one. */
function renamedEqual(e: Eq, bare: Node): boolean {
  const h = functionHead(e.lhs);
  if (!h) return false;
  const vs = [...freeVars(bare)];
  if (vs.length !== 1 || vs[0] === h.v || freeVars(e.rhs).has(vs[0]!)) return false;
  return nodesEqual(renameVar(e.rhs, h.v, vs[0]!), bare);
}

function relationsEqual(a: Node, b: Node): boolean {
  // Inequalities in one variable are sets of numbers: compare them as intervals.
  const ia = a.t === 'rel' ? intervalsOf(a) : null;
  const ib = b.t === 'rel' ? intervalsOf(b) : null;
  if ((ia || a.t !== 'rel') && (ib || b.t !== 'rel')) {
    const x = ia ?? a;
    const y = ib ?? b;
    if (x !== a || y !== b) return nodesEqual(x, y);
  }
  if (a.t === 'rel' && b.t === 'rel') return inequalitiesEqual(a, b);
  return false;
}

// ------------------------------------------------------------------ answers

type Item = Answer & { k: 'node' | 'text' };

function itemsOf(a: Answer): { items: Answer[]; set: boolean } {
  if (a.k === 'list') return { items: a.items, set: a.set };
  if (a.k === 'node' && a.node.t === 'group' && (a.node.open === '{' || a.node.open === '\\{')) {
    return { items: a.node.items.flatMap(expandPm).map((n) => ({ k: 'node', node: n, src: '' })), set: a.node.open === '\\{' };
  }
  return { items: [a], set: false };
}

function labelOf(a: Answer): { label: string; rhs: Answer } | null {
  if (a.k !== 'node') return null;
  const s = simplifyEquality(a.node);
  if (!isEq(s) || !s.label) return null;
  return { label: canon(s.lhs), rhs: { k: 'node', node: s.rhs, src: '' } };
}

const baseName = (label: string) => label.replace(/_.*$/, '');

function isPointList(items: Answer[]): boolean {
  return items.length > 1 && items.every((x) => x.k === 'node' && x.node.t === 'group' && x.node.open === '(' && x.node.items.length >= 2);
}

/** Compares lists: labelled maps, then sets or ordered tuples. */
function listsEqual(g: Answer, p: Answer): boolean {
  let G = itemsOf(g);
  let P = itemsOf(p);
  // A single tuple against a plain list: (1,3) vs 1,3. The tuple keeps its order.
  let tuple = false;
  if (G.items.length === 1 && P.items.length > 1) {
    const t = tupleItems(G.items[0]!);
    if (t) [G, tuple] = [t, !t.set];
  }
  if (P.items.length === 1 && G.items.length > 1) {
    const t = tupleItems(P.items[0]!);
    if (t) [P, tuple] = [t, !t.set];
  }
  const lg = G.items.map(labelOf);
  const lp = P.items.map(labelOf);
  const allLabelled = (ls: ReturnType<typeof labelOf>[]) => ls.every((x) => x !== null);
  const distinct = (ls: ReturnType<typeof labelOf>[]) => new Set(ls.map((x) => x!.label)).size === ls.length;
  if (G.items.length > 1 && allLabelled(lg) && allLabelled(lp) && distinct(lg) && distinct(lp)) {
    // a_3 = 2, a_37 = 19 vs a_37 = 19, a_3 = 2: compare by name.
    const byName = new Map(lp.map((x) => [x!.label, x!.rhs]));
    if (lg.every((x) => byName.has(x!.label))) return lg.every((x) => answersEqual(x!.rhs, byName.get(x!.label)!));
  }
  const repeatedName = (ls: ReturnType<typeof labelOf>[]) => {
    const names = ls.filter((x) => x !== null).map((x) => baseName(x!.label));
    return names.length > 1 && new Set(names).size === 1;
  };
  const asSet =
    (!tuple && (G.set || P.set)) ||
    isPointList(G.items) ||
    isPointList(P.items) ||
    repeatedName(lg) ||
    repeatedName(lp) ||
    (lg[0] !== null && lg.slice(1).every((x) => x === null) && G.items.length > 1);
  const gi = G.items.map((x, i) => lg[i]?.rhs ?? x);
  const pi = P.items.map((x, i) => lp[i]?.rhs ?? x);
  return asSet ? multisetEqual(gi, pi, answersEqual) : orderedEqual(gi, pi, answersEqual);
}

function tupleItems(a: Answer): { items: Answer[]; set: boolean } | null {
  if (a.k !== 'node') return null;
  let n = a.node;
  const s = simplifyEquality(n);
  if (isEq(s) && s.label) n = s.rhs;
  if (n.t === 'in') n = n.b;
  if (n.t !== 'group') return null;
  return { items: n.items.map((x) => ({ k: 'node', node: x, src: '' })), set: n.open === '\\{' };
}

export function answersEqual(g: Answer, p: Answer): boolean {
  if (g.k === 'list' || p.k === 'list') {
    if (g.k === 'list' && g.items.length === 1) return answersEqual(g.items[0]!, p);
    if (p.k === 'list' && p.items.length === 1) return answersEqual(g, p.items[0]!);
    return listsEqual(g, p);
  }
  const a = g as Item;
  const b = p as Item;
  if (a.src && squash(a.src) === squash(b.src)) return true;
  if (a.k === 'text' || b.k === 'text') {
    // The same digits in two different explicit bases are different numbers.
    if (a.k === 'text' && b.k === 'text' && a.base !== undefined && b.base !== undefined && a.base !== b.base) return false;
    const ta = a.k === 'text' ? a.s : canonText(a.src);
    const tb = b.k === 'text' ? b.s : canonText(b.src);
    return ta !== '' && ta === tb;
  }
  // A set or list inside one item against a list item: {1,2} vs 1,2.
  if ((a.node.t === 'group' && a.node.open === '{') || (b.node.t === 'group' && b.node.open === '{')) {
    if (a.node.t !== b.node.t || (a.node.t === 'group' && b.node.t === 'group' && a.node.open !== b.node.open)) return listsEqual(a, b);
  }
  return nodesEqual(a.node, b.node);
}

/** Decimal comma: "1000,99" vs "1000.99" (only against a number written with a point). */
function decimalCommaVariant(a: string, b: string): string | null {
  if (/^[+-]?\d+,\d+$/.test(a) && /^[+-]?\d*\.\d+$/.test(b)) return a.replace(',', '.');
  return null;
}

/** Equivalence of two normalised answer strings. */
export function equivalent(goldNorm: string, predNorm: string): boolean {
  if (goldNorm === '' || predNorm === '') return false;
  if (squash(goldNorm) === squash(predNorm)) return true;
  if (answersEqual(buildAnswer(goldNorm), buildAnswer(predNorm))) return true;
  const g2 = decimalCommaVariant(goldNorm, predNorm);
  if (g2) return answersEqual(buildAnswer(g2), buildAnswer(predNorm));
  const p2 = decimalCommaVariant(predNorm, goldNorm);
  if (p2) return answersEqual(buildAnswer(goldNorm), buildAnswer(p2));
  return false;
}

// ------------------------------------------------------------------ matrix arithmetic

type Mat = R.Rat[][];

/** Exact value of a matrix expression (sums, products, scalar multiples), or null. */
function matrixValue(n: Node): Mat | null {
  switch (n.t) {
    case 'matrix': {
      const rows = n.rows.map((r) => r.map(exact));
      if (rows.some((r) => r.some((x) => x === null) || r.length !== rows[0]!.length)) return null;
      return rows as Mat;
    }
    case 'neg': {
      const m = matrixValue(n.a);
      return m && m.map((r) => r.map(R.neg));
    }
    case 'add': {
      const ms = n.args.map(matrixValue);
      if (ms.some((m) => !m)) return null;
      return ms.reduce((acc, m) => (acc && m && sameShape(acc, m) ? acc.map((r, i) => r.map((x, j) => R.add(x, m[i]![j]!) ?? R.ZERO)) : null));
    }
    case 'mul': {
      let acc: Mat | R.Rat | null = R.ONE;
      for (const f of n.args) {
        const m = f.t === 'matrix' || f.t === 'add' || f.t === 'mul' || f.t === 'neg' ? matrixValue(f) : null;
        const v: Mat | R.Rat | null = m ?? exact(f);
        if (!v || !acc) return null;
        acc = mulValues(acc, v);
      }
      return acc && Array.isArray(acc) ? acc : null;
    }
    default:
      return null;
  }
}

function sameShape(a: Mat, b: Mat): boolean {
  return a.length === b.length && a[0]!.length === b[0]!.length;
}

function mulValues(a: Mat | R.Rat, b: Mat | R.Rat): Mat | R.Rat | null {
  if (!Array.isArray(a) && !Array.isArray(b)) return R.mul(a, b);
  if (!Array.isArray(a)) return (b as Mat).map((r) => r.map((x) => R.mul(a, x) ?? R.ZERO));
  if (!Array.isArray(b)) return a.map((r) => r.map((x) => R.mul(x, b) ?? R.ZERO));
  if (a[0]!.length !== b.length) return null;
  return a.map((r) => b[0]!.map((_, j) => r.reduce<R.Rat>((s, x, k) => R.add(s, R.mul(x, b[k]![j]!) ?? R.ZERO) ?? R.ZERO, R.ZERO)));
}

export function matrixExpressionsEqual(a: Node, b: Node): boolean {
  const x = matrixValue(a);
  const y = matrixValue(b);
  return !!x && !!y && sameShape(x, y) && x.every((r, i) => r.every((v, j) => R.eq(v, y[i]![j]!)));
}
