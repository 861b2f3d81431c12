// Inequalities in one variable as interval sets, so that "-2 <= x <= 7", "x ∈ [-2, 7]" and
// "[-2, 7]" compare equal and "x > 5" never equals "x < 5".
//  - a < v < b (v a name: x, f(x), |z|) → (a, b); with |z| and a ≥ 0 → [-b,-a] ∪ [a,b]
//  - v op c, c op v → a half-line; v ≠ c → (-∞, c) ∪ (c, ∞)
//  - linear L op R in one variable (-x > -1) → solved exactly when the coefficients are rational
import type { Node } from './parse.js';
import { exact, freeVars, numeric } from './expression.js';
import * as R from './rational.js';

const INF: Node = { t: 'const', name: 'inf' };
const NEG_INF: Node = { t: 'neg', a: INF };

function interval(lo: Node, hi: Node, loClosed: boolean, hiClosed: boolean): Node {
  return { t: 'group', open: loClosed ? '[' : '(', close: hiClosed ? ']' : ')', items: [lo, hi] };
}

const LESS = new Set(['<', '<=']);
const GREATER = new Set(['>', '>=']);

function isVariableLike(n: Node): boolean {
  if (n.t === 'sym') return true;
  if (n.t === 'fn' && n.name === 'abs') return isVariableLike(n.args[0]!);
  if (n.t === 'mul') return n.args.length === 2 && n.args[0]!.t === 'sym' && (n.args[1]!.t === 'sym' || n.args[1]!.t === 'group'); // f(x)
  return false;
}

const isConstant = (n: Node) => freeVars(n).size === 0;

function rationalNode(r: R.Rat): Node {
  const abs: Node =
    r.d === 1n
      ? { t: 'num', v: { n: r.n < 0n ? -r.n : r.n, d: 1n }, dec: -1 }
      : { t: 'div', a: { t: 'num', v: { n: r.n < 0n ? -r.n : r.n, d: 1n }, dec: -1 }, b: { t: 'num', v: { n: r.d, d: 1n }, dec: -1 } };
  return r.n < 0n ? { t: 'neg', a: abs } : abs;
}

/** Half-line for v op c. */
function halfLine(op: string, c: Node): Node {
  switch (op) {
    case '<':
      return interval(NEG_INF, c, false, false);
    case '<=':
      return interval(NEG_INF, c, false, true);
    case '>':
      return interval(c, INF, false, false);
    case '>=':
      return interval(c, INF, true, false);
    default:
      return { t: 'union', items: [interval(NEG_INF, c, false, false), interval(c, INF, false, false)] };
  }
}

const REVERSE: Record<string, string> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=', '!=': '!=' };

export function intervalsOf(r: Node & { t: 'rel' }): Node | null {
  if (r.ops.some((o) => o === '=' || o === '~')) return null;
  if (r.ops.length === 2) return chain(r);
  if (r.ops.length !== 1) return null;
  const [l, rr] = r.args as [Node, Node];
  const op = r.ops[0]!;
  // |L| op c with L linear in one variable: |x| < 3, |2x - 1| >= 5.
  if (l.t === 'fn' && l.name === 'abs' && isConstant(rr)) return absolute(op, l.args[0]!, rr);
  if (rr.t === 'fn' && rr.name === 'abs' && isConstant(l)) return absolute(REVERSE[op]!, rr.args[0]!, l);
  if (isVariableLike(l) && isConstant(rr)) return l.t === 'fn' ? null : halfLine(op, rr);
  if (isVariableLike(rr) && isConstant(l)) return rr.t === 'fn' ? null : halfLine(REVERSE[op]!, l);
  return linear(op, l, rr);
}

function chain(r: Node & { t: 'rel' }): Node | null {
  let [a, v, b] = r.args as [Node, Node, Node];
  let [o1, o2] = r.ops as [string, string];
  if (GREATER.has(o1) && GREATER.has(o2)) {
    [a, b] = [b, a];
    [o1, o2] = [REVERSE[o2]!, REVERSE[o1]!];
  }
  if (!LESS.has(o1) || !LESS.has(o2) || !isVariableLike(v) || !isConstant(a) || !isConstant(b)) return null;
  if (v.t === 'fn' && v.name === 'abs') {
    // a ≤ |z| ≤ b with a ≥ 0: two symmetric intervals.
    const ea = exact(a);
    if (!ea || ea.n < 0n) return null;
    return {
      t: 'union',
      items: [interval({ t: 'neg', a: b }, { t: 'neg', a }, o2 === '<=', o1 === '<='), interval(a, b, o1 === '<=', o2 === '<=')],
    };
  }
  return interval(a, b, o1 === '<=', o2 === '<=');
}

/** L op R, linear in its single variable: solve for it. */
function linear(op: string, l: Node, r: Node): Node | null {
  const vars = [...new Set([...freeVars(l), ...freeVars(r)])];
  if (vars.length !== 1) return null;
  const v = vars[0]!;
  const f = (x: number) => {
    const env = new Map([[v, [x, 0] as [number, number]]]);
    const a = numeric(l, env);
    const b = numeric(r, env);
    return a[1] === 0 && b[1] === 0 ? a[0] - b[0] : NaN;
  };
  const f0 = f(0);
  const f1 = f(1);
  const f2 = f(2);
  const f3 = f(-3.5);
  const slope = f1 - f0;
  if (![f0, f1, f2, f3].every(Number.isFinite) || Math.abs(slope) < 1e-12) return null;
  if (Math.abs(f2 - (f0 + 2 * slope)) > 1e-9 * (1 + Math.abs(f2)) || Math.abs(f3 - (f0 - 3.5 * slope)) > 1e-9 * (1 + Math.abs(f3))) return null;
  // Root, exactly when both sides are rational at 0 and 1.
  const exactAt = (x: bigint) => {
    const sub = (n: Node): Node => substitute(n, v, { t: 'num', v: { n: x, d: 1n }, dec: -1 });
    const a = exact(sub(l));
    const b = exact(sub(r));
    return a && b ? R.sub(a, b) : null;
  };
  const e0 = exactAt(0n);
  const e1 = exactAt(1n);
  let root: Node;
  if (e0 && e1) {
    const s = R.sub(e1, e0);
    const q = s && R.div(R.neg(e0), s);
    if (!q) return null;
    root = rationalNode(q);
  } else {
    root = { t: 'num', v: R.parseDecimal(String(-f0 / slope)) ?? R.ZERO, dec: -1 };
  }
  // v op root when the slope is positive, reversed when negative.
  return halfLine(slope > 0 ? op : REVERSE[op]!, root);
}

function substitute(n: Node, v: string, by: Node): Node {
  if (n.t === 'sym') return n.name === v ? by : n;
  switch (n.t) {
    case 'add':
    case 'mul':
    case 'fn':
      return { ...n, args: n.args.map((a) => substitute(a, v, by)) };
    case 'neg':
      return { t: 'neg', a: substitute(n.a, v, by) };
    case 'div':
    case 'pow':
      return { ...n, a: substitute(n.a, v, by), b: substitute(n.b, v, by) };
    default:
      return n;
  }
}

const isInfinite = (n: Node) => (n.t === 'const' && n.name === 'inf') || (n.t === 'neg' && n.a.t === 'const' && n.a.name === 'inf');

/** |L| < c is -c < L < c (one interval); |L| > c is L < -c or L > c (two). c > 0. */
function absolute(op: string, inner: Node, c: Node): Node | null {
  const v = numeric(c, new Map());
  if (v[1] !== 0 || !(v[0] > 0) || !Number.isFinite(v[0])) return null;
  const negC: Node = { t: 'neg', a: c };
  if (op === '<' || op === '<=') {
    const a = linear(op === '<' ? '>' : '>=', inner, negC);
    const b = linear(op, inner, c);
    if (!a || !b || a.t !== 'group' || b.t !== 'group') return null;
    // The intersection of two half-lines: the finite end of each.
    const [lower, upper] = isInfinite(a.items[0]!) ? [b, a] : [a, b];
    if (isInfinite(lower.items[0]!) || isInfinite(upper.items[1]!)) return null;
    return { t: 'group', open: lower.open, close: upper.close, items: [lower.items[0]!, upper.items[1]!] };
  }
  if (op === '>' || op === '>=') {
    const a = linear(op === '>' ? '<' : '<=', inner, negC);
    const b = linear(op, inner, c);
    return a && b ? { t: 'union', items: [a, b] } : null;
  }
  return null;
}

const isInterval = (n: Node): n is Node & { t: 'group' } =>
  n.t === 'group' && (n.open === '(' || n.open === '[') && (n.close === ')' || n.close === ']') && n.items.length === 2;

/**
 * A \setminus B for intervals A (ℝ, an interval or a union) and a finite set B of constants:
 * the intervals with those points removed (ℝ \ {2} = (-∞, 2) ∪ (2, ∞)). Anything else: as is.
 */
export function resolveSetminus(n: Node): Node {
  if (n.t !== 'fn' || n.name !== 'setminus') return n;
  const a = resolveSetminus(n.args[0]!);
  const b = n.args[1]!;
  const points = b.t === 'group' && (b.open === '\\{' || b.open === '{') ? b.items : isConstant(b) ? [b] : null;
  let parts = a.t === 'union' ? a.items : [a];
  if (!points || !parts.every(isInterval)) return n;
  for (const p of points) {
    const pv = numeric(p, new Map());
    if (pv[1] !== 0 || !Number.isFinite(pv[0])) return n;
    parts = parts.flatMap((iv) => {
      const g = iv as Node & { t: 'group' };
      const lo = numeric(g.items[0]!, new Map())[0];
      const hi = numeric(g.items[1]!, new Map())[0];
      if (pv[0] < lo || pv[0] > hi) return [g];
      const loClosed = g.open === '[';
      const hiClosed = g.close === ']';
      if (pv[0] === lo) return loClosed ? [interval(g.items[0]!, g.items[1]!, false, hiClosed)] : [g];
      if (pv[0] === hi) return hiClosed ? [interval(g.items[0]!, g.items[1]!, loClosed, false)] : [g];
      return [interval(g.items[0]!, p, loClosed, false), interval(p, g.items[1]!, false, hiClosed)];
    });
  }
  return parts.length === 1 ? parts[0]! : { t: 'union', items: parts };
}

interface Span {
  lo: Node;
  hi: Node;
  l: number;
  h: number;
  lc: boolean;
  hc: boolean;
}

function spansOf(n: Node): Span[] | null {
  const parts = n.t === 'union' ? n.items : [n];
  const out: Span[] = [];
  for (const p of parts) {
    if (!isInterval(p)) return null;
    const l = numeric(p.items[0]!, new Map());
    const h = numeric(p.items[1]!, new Map());
    if (l[1] !== 0 || h[1] !== 0 || Number.isNaN(l[0]) || Number.isNaN(h[0])) return null;
    out.push({ lo: p.items[0]!, hi: p.items[1]!, l: l[0], h: h[0], lc: p.open === '[', hc: p.close === ']' });
  }
  return out;
}

/**
 * The intersection of interval sets (conditions joined by "and": x < 3 and x ≠ 1 is
 * (-∞, 1) ∪ (1, 3)); null when an end is not a real constant or the result is empty.
 */
export function intersectSets(sets: Node[]): Node | null {
  let acc = spansOf(sets[0]!);
  for (const s of sets.slice(1)) {
    const b = spansOf(s);
    if (!acc || !b) return null;
    const next: Span[] = [];
    for (const x of acc)
      for (const y of b) {
        const [lo, l, lc] = x.l > y.l ? [x.lo, x.l, x.lc] : x.l < y.l ? [y.lo, y.l, y.lc] : [x.lo, x.l, x.lc && y.lc];
        const [hi, h, hc] = x.h < y.h ? [x.hi, x.h, x.hc] : x.h > y.h ? [y.hi, y.h, y.hc] : [x.hi, x.h, x.hc && y.hc];
        if (l < h || (l === h && lc && hc)) next.push({ lo, hi, l, h, lc, hc });
      }
    acc = next;
  }
  if (!acc || acc.length === 0) return null;
  acc.sort((a, b) => a.l - b.l);
  const items = acc.map((x) => interval(x.lo, x.hi, x.lc, x.hc));
  return items.length === 1 ? items[0]! : { t: 'union', items };
}
