// The paper's reward: the DeepScaleR grader that the 1-shot RLVR fork (verl 0.2) scored both
// training rollouts and in-training validation with (`--reward paper`). Re-implemented here from
// reading that grader's definitions; the verdicts it gives are the paper's facts, not ours:
//
//  - Extraction: only the LAST `\boxed` in the text (a `\fbox` only when there is no `\boxed` at
//    all), and only when its braces close and it is written `\boxed{` exactly. `\fbox{..}`,
//    `\boxed 5`, `\boxed {5}` and an unclosed `\boxed{12.8` (a truncated response) give no answer,
//    with no fall-back to an earlier box.
//  - Correct when the two answers are equal after Hendrycks' MATH string normalisation
//    (`mathd`), OR when the "sympy" check passes: a second normalisation (units words, \text,
//    LaTeX to plain text), then element-wise comparison where two plain fractions must be written
//    identically (`8/6` is not `4/3`), an integer must meet an integer, and anything else must
//    simplify to a zero difference (`64/5` = `12.8`, `12.80` = `12.8`; `1.333` ≠ `4/3`).
//    Units inside the box are not removed by the second check unless they are in its fixed word
//    list (degree, cm, meter, mile, hour, ...): `12.8 mph` has three unknown letters and is 0.
//
// Where this file cannot be the original: sympy is replaced by our exact-rational / numeric
// evaluator on the same normalised strings (with sympy's tokenisation made explicit: split
// symbols, Floats as doubles, `!=` as Python bools); pylatexenc's LaTeX-to-text is ported whole
// (src/tasks/math/paper/latex2text.ts). test/reward/paper-oracle.test.ts runs the Python original on
// 11,040 generated pairs and requires the same verdict on every one; docs/PAPER.md lists what is
// known to differ.
import { parseLatex, type Node } from '../verifier/parse.js';
import { contains, exact, freeVars, numeric, type C } from '../verifier/expression.js';
import * as R from '../verifier/rational.js';
import type { VerifyResult } from '../verifier/result.js';
import { Latex2TextError, latexToText, pyStrip } from './latex2text.js';

// ------------------------------------------------------------------ extraction

/**
 * The content of the last `\boxed{...}` of `text` as the fork's grader reads it, or null: no box,
 * a box whose braces never close, or a last box not written `\boxed{` (e.g. `\fbox{}`, `\boxed 5`).
 */
export function paperLastBoxed(text: string): string | null {
  let idx = text.lastIndexOf('\\boxed');
  if (idx < 0) idx = text.lastIndexOf('\\fbox');
  if (idx < 0) return null;
  // Brace scan from the command itself: the first `{` after it opens, its match closes.
  let depth = 0;
  let close = -1;
  for (let i = idx; i < text.length; i++) {
    const c = text[i];
    if (c === '{') depth++;
    else if (c === '}') {
      depth--;
      if (depth === 0) {
        close = i;
        break;
      }
    }
  }
  if (close < 0) return null;
  const whole = text.slice(idx, close + 1);
  if (!whole.startsWith('\\boxed{')) return null;
  return whole.slice('\\boxed{'.length, -1);
}

// ------------------------------------------------------------------ Python helpers

/** Python's float(): null when it would raise. */
export function pyFloat(s: string): number | null {
  const t = s.trim();
  if (/^[+-]?(?:(?:\d(?:_?\d)*)(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?$/.test(t)) return Number(t.replace(/_/g, ''));
  const m = /^([+-]?)(inf|infinity|nan)$/i.exec(t);
  if (m) return m[2]!.toLowerCase() === 'nan' ? NaN : m[1] === '-' ? -Infinity : Infinity;
  return null;
}

/** Python's round() (half to even) on a finite double. */
function pyRound(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** str(int(x)) for a finite double (exact digits, as Python prints big integers). */
function pyIntString(x: number): string {
  return BigInt(Math.trunc(x)).toString();
}

const isAlpha = (ch: string) => /\p{L}/u.test(ch);

// ------------------------------------------------------------------ mathd (Hendrycks) normalisation

class PyError extends Error {}

/** Hendrycks' MATH `_strip_string`; throws PyError where the Python raises. */
export function hendrycksStrip(input: string): string {
  let s = input.replaceAll('\n', '').replaceAll('\\!', '').replaceAll('\\\\', '\\');
  s = s.replaceAll('tfrac', 'frac').replaceAll('dfrac', 'frac');
  s = s.replaceAll('\\left', '').replaceAll('\\right', '');
  s = s.replaceAll('^{\\circ}', '').replaceAll('^\\circ', '');
  s = s.replaceAll('\\$', '');
  // Units on the right: everything from "\text{ " on (exactly one allowed).
  if (s.includes('\\text{ ')) {
    const parts = s.split('\\text{ ');
    if (parts.length !== 2) throw new PyError('two \\text{ units');
    s = parts[0]!;
  }
  s = s.replaceAll('\\%', '');
  s = s.replaceAll(' .', ' 0.').replaceAll('{.', '{0.');
  if (s.length === 0) return s;
  if (s[0] === '.') s = '0' + s;
  // "k = 5" → "5" when the left side is at most two characters.
  const eq = s.split('=');
  if (eq.length === 2 && eq[0]!.length <= 2) s = eq[1]!;
  s = fixSqrt(s);
  s = s.replaceAll(' ', '');
  s = fixFracs(s);
  if (s === '0.5') s = '\\frac{1}{2}';
  return fixSlash(s);
}

/** \sqrt3 → \sqrt{3}. */
function fixSqrt(s: string): string {
  if (!s.includes('\\sqrt')) return s;
  const parts = s.split('\\sqrt');
  let out = parts[0]!;
  for (const p of parts.slice(1)) {
    if (p.length === 0) throw new PyError('\\sqrt at the end');
    out += p[0] !== '{' ? `\\sqrt{${p[0]}}${p.slice(1)}` : '\\sqrt' + p;
  }
  return out;
}

/** \frac12 → \frac{1}{2}, \frac1{72} → \frac{1}{72}. */
function fixFracs(s: string): string {
  const parts = s.split('\\frac');
  let out = parts[0]!;
  for (const p of parts.slice(1)) {
    out += '\\frac';
    if (p.length === 0) throw new PyError('\\frac at the end');
    if (p[0] === '{') {
      out += p;
      continue;
    }
    if (p.length < 2) return s;
    const a = p[0]!;
    const b = p[1]!;
    out += b !== '{' ? `{${a}}{${b}}${p.slice(2)}` : `{${a}}${b}${p.slice(2)}`;
  }
  return out;
}

/** "3/4" (canonical integers only) → \frac{3}{4}. */
function fixSlash(s: string): string {
  const parts = s.split('/');
  if (parts.length !== 2) return s;
  const int = /^(?:0|-?[1-9]\d*)$/;
  return int.test(parts[0]!) && int.test(parts[1]!) ? `\\frac{${parts[0]}}{${parts[1]}}` : s;
}

const WHOLE_TEXT = /^\\text\{(.+?)\}$/;

/** mathd_normalize_answer: strip, unwrap a whole `\text{}`, Hendrycks' normalisation (input kept when it raises). */
export function mathdNormalize(answer: string): string {
  let a = answer.trim();
  const m = WHOLE_TEXT.exec(a);
  if (m) a = m[1]!.trim();
  try {
    return hendrycksStrip(a);
  } catch (e) {
    if (e instanceof PyError) return a;
    throw e;
  }
}

// ------------------------------------------------------------------ LaTeX → plain text

// pylatexenc's LatexNodes2Text().latex_to_text, ported in src/tasks/math/paper/latex2text.ts.
export { latexToText };

// ------------------------------------------------------------------ the "sympy" normalisation and check

const UNIT_RES = [
  'degree',
  'cm',
  'centimeter',
  'meter',
  'mile',
  'second',
  'minute',
  'hour',
  'day',
  'week',
  'month',
  'year',
  'foot',
  'feet',
  'inch',
  'yard',
].map((u) => new RegExp(`${u}(es)?(s)? *(\\^[0-9]+)?`, 'g'));

function stripFormattedCommas(expr: string): string {
  let e = expr;
  for (;;) {
    const next = e.replace(/(\d)(,)(\d\d\d)($|\D)/g, '$1$3$4');
    if (next === e) return next;
    e = next;
  }
}

function strIsInt(x: string): boolean {
  const f = pyFloat(stripFormattedCommas(x));
  return f !== null && Number.isFinite(f) && Math.abs(f - pyRound(f)) <= 1e-7;
}

/** The second normalisation (`_normalize` of the grader). */
export function sympyNormalize(input: string): string {
  let e = input;
  const m = WHOLE_TEXT.exec(e);
  if (m) e = m[1]!;
  e = e.replaceAll('\\%', '%').replaceAll('\\$', '$').replaceAll('$', '').replaceAll('%', '');
  e = e.replaceAll(' or ', ' , ').replaceAll(' and ', ' , ');
  e = e.replaceAll('million', '*10^6').replaceAll('billion', '*10^9').replaceAll('trillion', '*10^12');
  for (const re of UNIT_RES) e = e.replace(re, '');
  e = e.replace(/\^ *\\circ/g, '');
  if (e.length > 0 && e[0] === '{' && e[e.length - 1] === '}') e = e.slice(1, -1);
  e = e.replace(/,\\! */g, '');
  const f = pyFloat(e);
  if (f !== null && Number.isFinite(f) && Math.abs(f - pyRound(f)) <= 1e-7) e = pyIntString(pyRound(f));
  if (e.includes('\\')) {
    // _parse_latex; where pylatexenc raises (e.g. `\sqrt` with no argument) the grader keeps e.
    try {
      const t = latexToText(e.replaceAll('\\tfrac', '\\frac').replaceAll('\\dfrac', '\\frac').replaceAll('\\frac', ' \\frac'));
      e = pyStrip(t.replaceAll('√', 'sqrt').replaceAll('π', 'pi').replaceAll('∞', 'inf').replaceAll('∪', 'U').replaceAll('·', '*').replaceAll('×', '*'));
    } catch (err) {
      if (!(err instanceof Latex2TextError)) throw err;
    }
  }
  e = e.replace(/- */g, '-');
  e = e.replace(/([0-9]) +([0-9])/g, '$1+$2'); // mixed numbers: 7 3/4 → 7+3/4
  e = e.replaceAll(' ', '').replaceAll('{', '').replaceAll('}', '');
  e = e.toLowerCase();
  if (strIsInt(e)) e = pyIntString(pyFloat(e.replaceAll(',', ''))!);
  return e;
}

const TUPLE_CHARS = '()[]';

function splitTuple(expr: string): string[] {
  const e = stripFormattedCommas(expr);
  if (e.length === 0) return [];
  const inner = e.slice(1, -1);
  if (e.length > 2 && TUPLE_CHARS.includes(e[0]!) && TUPLE_CHARS.includes(e[e.length - 1]!) && ![...TUPLE_CHARS].some((c) => inner.includes(c))) {
    return inner.split(',').map((x) => x.trim());
  }
  return [e];
}

const isFrac = (e: string) => /^-?[0-9]+.?\/0*[1-9][0-9]*.?$/.test(e);

/** The grader's guard before calling sympy: at most two distinct letters, no `^{`/`^(`, no exponent of 2+ digits. */
function shouldAllowEval(expr: string): boolean {
  const letters = new Set([...expr.replaceAll('sqrt', '').replaceAll('frac', '')].filter(isAlpha));
  if (letters.size > 2) return false;
  if (expr.includes('^{') || expr.includes('^(')) return false;
  return !/\^[0-9]+\^/.test(expr) && !/\^[0-9][0-9]+/.test(expr);
}

function factorial(k: number): bigint {
  let f = 1n;
  for (let i = 2n; i <= BigInt(k); i++) f *= i;
  return f;
}

/**
 * How sympy's parser tokenises the grader's strings, made explicit for ours. A Python name holding
 * a digit is no known function or constant, so `split_symbols` (part of
 * implicit_multiplication_application) splits it into one-letter symbols and numbers: `pi1` is
 * p·i·1 (not π), `sqrt59` is s·q·r·t·59 (not √59), `x2` is 2x (a number's exponent, `1e5`, stays).
 * A name with `_` (`e_1`, `x_2`) is one opaque symbol: each becomes a letter that neither string
 * uses. `015` is 0·15 (Python's tokenizer reads `0`, then `15`); `5!` is factorial(5)
 * (factorial_notation). A line break between two operands, or a character Python does not
 * tokenise, is a syntax error: null.
 */
function sympyNames(a: string, b: string): [string, string] | null {
  if ([a, b].some((e) => /[a-z0-9_)\].]\n+[a-z0-9_(.]/.test(e))) return null;
  // Characters Python's tokenizer rejects (an en dash from `--`, `≤`, a backslash left by LaTeX
  // that did not convert, `$`, `?`): a syntax error.
  if ([a, b].some((e) => /[^\x00-\x7f\p{L}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]|[\\$?`]/u.test(e))) return null;
  const split = (e: string) =>
    e
      .replaceAll('\n', '')
      .replace(/(?<![\w.])(\d{1,3})!(?![!=])/g, (m, k: string) => (Number(k) <= 200 ? `(${factorial(Number(k))})` : m))
      .replace(/(?<![\d.])(0+)([1-9]\d*)(?![\d.]|[eE][-+]?\d)/g, '$1*$2')
      .replace(/(\d?)([a-z_][a-z0-9_]*)/g, (m, d: string, name: string) => {
        if (!/\d/.test(name) || name.includes('_') || (d && /^e\d+$/.test(name))) return m;
        return d + name.match(/[a-z]|\d+/g)!.join('*');
      });
  let x = split(a);
  let y = split(b);
  const names = [...new Set([...`${x} ${y}`.matchAll(/[a-z_][a-z0-9_]*/g)].map((m) => m[0]).filter((n) => n.includes('_')))];
  if (names.length > 0) {
    const free = [...'zyxwvutsrqponmlkjhgfdcba'].filter((c) => !`${x}${y}`.includes(c));
    if (free.length < names.length) return null;
    const map = new Map(names.map((n, k) => [n, free[k]!]));
    const rename = (e: string) => e.replace(/[a-z_][a-z0-9_]*/g, (n) => map.get(n) ?? n);
    x = rename(x);
    y = rename(y);
  }
  return [x, y];
}

/**
 * Stand-in for `sympy.simplify(gold - given) == 0` on the normalised strings: exact when both
 * sides are rational. A decimal literal is a sympy Float: constant expressions with one compare
 * as doubles (`0.1+0.2` is not `0.3`), and a Float never equals an exact irrational
 * (`4.123105625617661` is not `sqrt(17)`; `sqrt(6.1)` is a Float, not irrational). sympy's
 * symbols are complex, so an identity must hold at complex points too (`sqrt(1/n)` is not
 * `1/sqrt(n)`).
 */
export function differenceIsZero(a: string, b: string): boolean {
  if (!shouldAllowEval(`(${a})-(${b})`)) return false;
  // `A != B` and `A == B` are Python comparisons of sympy expressions: bools (structural
  // (in)equality, approximated here by the text), so two of them subtract to 0 when they agree.
  // With a comma it is a tuple, which does not subtract (TypeError: false).
  const cmp = (e: string) => {
    if (!/!=|==/.test(e)) return null;
    const m = /^([^=!<>,]*)(!=|==)([^=!<>,]*)$/.exec(e);
    if (!m || !sympyNames(m[1]!, m[3]!) || !parseLatex(m[1]!) || !parseLatex(m[3]!)) return undefined;
    return (m[1] === m[3]) === (m[2] === '==');
  };
  const [ca, cb] = [cmp(a), cmp(b)];
  if (ca !== null || cb !== null) return ca !== undefined && ca === cb;
  const names = sympyNames(a, b);
  if (!names) return false;
  const x = parseLatex(names[0]);
  const y = parseLatex(names[1]);
  if (!x || !y || !isScalar(x) || !isScalar(y)) return false;
  const decimals = /\d\.|\.\d/.test(`${a} ${b}`); // a Python float literal: 12.5, 29., .5
  const vars = [...new Set([...freeVars(x), ...freeVars(y)])].sort();
  // A decimal literal is a sympy Float: 53-bit binary arithmetic when it has at most 15
  // significant digits, so constant expressions compare as doubles (0.1+0.2 is not 0.3).
  if (decimals && (irrational(x) || irrational(y))) return false;
  if (decimals && vars.length === 0 && maxSignificantDigits(`${a} ${b}`) <= 15) {
    const u = float(x);
    const w = float(y);
    if (u !== null && w !== null) return Number.isFinite(u) && u === w;
  }
  // One literal against another with more digits: each is a Float at its own precision
  // (mpmath rounds the written decimal to dps_to_prec(max(15, digits)) bits).
  if (decimals && vars.length === 0) {
    const fx = floatLiteral(x, a);
    const fy = floatLiteral(y, b);
    if (fx && fy) return fx.n * fy.d === fy.n * fx.d;
  }
  const ex = exact(x);
  const ey = exact(y);
  if (ex && ey) return ex.n * ey.d === ey.n * ex.d;
  const points = vars.length === 0 ? 1 : POINTS.length;
  let valid = 0;
  for (let p = 0; p < points; p++) {
    const env = new Map<string, C>(vars.map((v, k) => [v, POINTS[(p + k) % POINTS.length]!]));
    const u = numeric(x, env);
    const w = numeric(y, env);
    if (![...u, ...w].every(Number.isFinite)) continue;
    const d = Math.hypot(u[0] - w[0], u[1] - w[1]);
    if (d > 1e-12 * Math.max(1, Math.hypot(...u), Math.hypot(...w))) return false;
    valid++;
  }
  return valid > 0;
}

// Points for the variables: positive, negative and complex (sympy's symbols are complex).
const POINTS: C[] = [
  [0.731, 0],
  [1.37, 0],
  [-0.613, 0],
  [-1.91, 0],
  [0.42, 0.83],
  [-0.77, -0.29],
  [1.13, -1.61],
];

/** Whether a value may be irrational: π/e, or a function or non-integer power of exact values that is not rational (of a decimal, sympy gives a Float). */
const irrational = (n: Node) =>
  contains(n, (m) => (m.t === 'const' && m.name !== 'i') || ((m.t === 'fn' || (m.t === 'pow' && !(exact(m.b)?.d === 1n))) && !hasDecimal(m) && !exact(m)));
const hasDecimal = (n: Node) => contains(n, (m) => m.t === 'num' && m.dec >= 0);

/**
 * The value sympy gives a lone number literal: an integer exactly, a decimal rounded (to nearest,
 * ties to even) to mpmath's dps_to_prec(max(15, significant digits)) bits; null for anything else.
 */
function floatLiteral(n: Node, text: string): R.Rat | null {
  const neg = n.t === 'neg';
  const lit = neg ? n.a : n;
  if (lit.t !== 'num') return null;
  if (lit.dec < 0) return lit.v;
  const dps = Math.max(15, maxSignificantDigits(text));
  const prec = Math.max(1, Math.round((dps + 1) * 3.3219280948873626));
  const bits = (x: bigint) => x.toString(2).length;
  let num = lit.v.n < 0n ? -lit.v.n : lit.v.n;
  const den = lit.v.d;
  if (num === 0n) return lit.v;
  // m = num/den · 2^s with 2^(prec-1) <= m < 2^prec, rounded half to even.
  let sh = prec - (bits(num) - bits(den)) - 1;
  const scaled = (k: number) => (k >= 0 ? [num << BigInt(k), den] : [num, den << BigInt(-k)]) as [bigint, bigint];
  let [a, b] = scaled(sh);
  if (a / b >= 1n << BigInt(prec)) [a, b] = scaled(--sh);
  else if (a / b < 1n << BigInt(prec - 1)) [a, b] = scaled(++sh);
  let m = a / b;
  const r = a - m * b;
  if (2n * r > b || (2n * r === b && m % 2n === 1n)) m += 1n;
  num = sh >= 0 ? m : m << BigInt(-sh);
  const d = sh >= 0 ? 1n << BigInt(sh) : 1n;
  const sign = lit.v.n < 0n !== neg ? -1n : 1n;
  return { n: sign * num, d };
}

/** The most significant digits of a decimal literal in the text. */
function maxSignificantDigits(s: string): number {
  return Math.max(0, ...[...s.matchAll(/\d*\.\d*/g)].map((m) => m[0].replace('.', '').replace(/^0+/, '').length));
}

/**
 * A constant expression's value in IEEE double arithmetic, evaluated as sympy evaluates Floats
 * (each operation rounded to 53 bits; rationals converted when they meet a Float); null when it
 * holds anything but numbers, + - * /, integer powers and square roots.
 */
function float(n: Node): number | null {
  switch (n.t) {
    case 'num':
      return R.toNumber(n.v);
    case 'neg': {
      const a = float(n.a);
      return a === null ? null : -a;
    }
    case 'add':
    case 'mul': {
      let acc: number | null = n.t === 'add' ? 0 : 1;
      for (const x of n.args) {
        const v = float(x);
        if (v === null || acc === null) return null;
        acc = n.t === 'add' ? acc + v : acc * v;
      }
      return acc;
    }
    case 'div': {
      const a = float(n.a);
      const b = float(n.b);
      return a === null || b === null ? null : a / b;
    }
    case 'pow': {
      const e = exact(n.b);
      const a = float(n.a);
      if (a === null || !e) return null;
      if (e.d === 1n) return Math.pow(a, Number(e.n));
      return e.n === 1n && e.d === 2n ? Math.sqrt(a) : null;
    }
    case 'fn':
      if ((n.name === 'sqrt' || n.name === 'root') && n.args.length === 1) {
        const a = float(n.args[0]!);
        return a === null ? null : Math.sqrt(a);
      }
      return null;
    default:
      return null;
  }
}

const isScalar = (n: Node) => !['group', 'matrix', 'rel', 'union', 'ratio', 'in', 'text', 'pm'].includes(n.t);

/** grade_answer_sympy. */
export function gradeSympy(given: string, gold: string): boolean {
  const g = sympyNormalize(gold);
  const p = sympyNormalize(given);
  if (g === p) return true;
  if (p.length === 0) return false;
  const ge = splitTuple(g);
  const pe = splitTuple(p);
  if (ge.length > 1 && (g[0] !== p[0] || g[g.length - 1] !== p[p.length - 1])) return false;
  if (ge.length !== pe.length) return false;
  return ge.every((x, k) => {
    const y = pe[k]!;
    // Unreduced fractions must be written as the gold is; integers must meet integers exactly.
    if (isFrac(x) && isFrac(y)) return x === y;
    if (strIsInt(x) !== strIsInt(y)) return false;
    return differenceIsZero(x, y);
  });
}

/** grade_answer_mathd. */
export function gradeMathd(given: string, gold: string): boolean {
  return mathdNormalize(gold) === mathdNormalize(given);
}

/**
 * The paper's reward on one response: 1 when the last closed `\boxed{}` matches the gold under
 * mathd normalisation or the sympy check, else 0. `response` is the decoded text as the fork
 * scored it (up to and including the EOS token; chat tokens are not cut).
 */
export function verifyPaper(gold: string, response: string): VerifyResult {
  let extractedGold: string | null = null;
  let extractedPred: string | null = null;
  try {
    const g = String(gold);
    extractedGold = g.includes('\\boxed') ? paperLastBoxed(g) : g;
    if (extractedGold === null) return { correct: false, extractedPred, extractedGold, reason: 'no_gold' };
    extractedPred = paperLastBoxed(String(response));
    if (extractedPred === null) return { correct: false, extractedPred, extractedGold, reason: 'no_answer' };
    if (extractedPred.length > 5000) return { correct: false, extractedPred: extractedPred.slice(0, 200), extractedGold, reason: 'too_long' };
    const correct = gradeMathd(extractedPred, extractedGold) || gradeSympy(extractedPred, extractedGold);
    return { correct, extractedPred, extractedGold, reason: correct ? 'equal' : 'not_equal' };
  } catch {
    return { correct: false, extractedPred, extractedGold, reason: 'error' };
  }
}
