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
// evaluator on the same normalised strings, and pylatexenc's LaTeX-to-text by `latexToText`
// below (the macros answers use). Known consequences are listed in docs/PAPER.md.
import { parseLatex, type Node } from './parse.js';
import { contains, exact, freeVars, numeric, type C } from './expression.js';
import type { VerifyResult } from './verifier.js';

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

// ------------------------------------------------------------------ LaTeX → plain text (pylatexenc's output, for answers)

const SYMBOLS: Record<string, string> = {
  cdot: '·', times: '×', div: '÷', pm: '±', mp: '∓', le: '≤', leq: '≤', ge: '≥', geq: '≥', ne: '≠', neq: '≠',
  infty: '∞', cup: '∪', cap: '∩', in: '∈', emptyset: '∅', varnothing: '∅', circ: '∘', angle: '∠', approx: '≈',
  to: '→', rightarrow: '→', dots: '…', ldots: '…', cdots: '⋯', prime: '′', degree: '°',
  pi: 'π', alpha: 'α', beta: 'β', gamma: 'γ', delta: 'δ', epsilon: 'ϵ', varepsilon: 'ε', theta: 'θ', lambda: 'λ',
  mu: 'μ', sigma: 'σ', phi: 'ϕ', varphi: 'φ', omega: 'ω', tau: 'τ', rho: 'ρ', Delta: 'Δ', Omega: 'Ω', Gamma: 'Γ',
  Sigma: 'Σ', Pi: 'Π', Theta: 'Θ',
};
const SPACES: Record<string, string> = { quad: '  ', qquad: '   ' };
// Macros that print nothing at all, arguments included.
const DROP_WITH_ARG = new Set(['mbox', 'hbox', 'makebox']);
// Sizing/style macros that print nothing (their argument, if any, prints as a plain group).
const SILENT = new Set(['left', 'right', 'displaystyle', 'textstyle', 'big', 'Big', 'bigl', 'bigr', 'Bigl', 'Bigr', 'bigg', 'Bigg', 'begin', 'end', 'limits']);

/**
 * pylatexenc's LaTeX-to-text for the notation answers use: `\frac{a}{b}` → `a/b` (no brackets:
 * `\frac{x+1}{2}` → `x+1/2`), `\sqrt[n]{x}` → `√(x)`, symbols to Unicode, `\text{}` and unknown
 * macros to their arguments, `\mbox{}` to nothing, braces and `$` dropped, spaces after a macro
 * name eaten (`\ln 2` → `ln2`).
 */
export function latexToText(s: string): string {
  let i = 0;
  const n = s.length;
  // One argument: a {group} or a single character (after spaces).
  const arg = (): string => {
    while (i < n && s[i] === ' ') i++;
    if (i >= n) return '';
    if (s[i] === '{') {
      let depth = 0;
      const start = i;
      for (; i < n; i++) {
        if (s[i] === '\\') {
          i++;
          continue;
        }
        if (s[i] === '{') depth++;
        else if (s[i] === '}' && --depth === 0) break;
      }
      const inner = s.slice(start + 1, i);
      i++;
      return latexToText(inner);
    }
    if (s[i] === '\\') {
      const m = /^\\([a-zA-Z]+|.)/.exec(s.slice(i));
      i += m ? m[0].length : 1;
      return latexToText(m ? m[0] : '\\');
    }
    return s[i++]!;
  };
  let out = '';
  while (i < n) {
    const c = s[i]!;
    if (c === '\\') {
      const m = /^\\([a-zA-Z]+)\s*/.exec(s.slice(i));
      if (!m) {
        const ch = s[i + 1] ?? '';
        i += 2;
        if (ch === '\\') out += '\n';
        else if (ch === ',' || ch === ';' || ch === ':' || ch === ' ') out += ' ';
        else if (ch === '!') out += '';
        else out += ch; // \% \$ \{ \} \_ \& \#
        continue;
      }
      const name = m[1]!;
      i += m[0].length;
      if (name === 'frac' || name === 'dfrac' || name === 'tfrac') {
        const a = arg();
        const b = arg();
        out += `${a}/${b}`;
      } else if (name === 'sqrt') {
        if (s[i] === '[') {
          const close = s.indexOf(']', i);
          i = close < 0 ? n : close + 1;
        }
        out += `√(${arg()})`;
      } else if (DROP_WITH_ARG.has(name)) {
        arg();
      } else if (SYMBOLS[name] !== undefined) {
        out += SYMBOLS[name];
      } else if (SPACES[name] !== undefined) {
        out += SPACES[name];
      } else if (SILENT.has(name)) {
        if (name === 'begin' || name === 'end') arg();
      } else if (/^(?:sin|cos|tan|sec|csc|cot|arcsin|arccos|arctan|sinh|cosh|tanh|log|ln|exp|lim|max|min|det|gcd|lcm|deg|mod)$/.test(name)) {
        out += name;
      }
      // Any other macro prints nothing; its braced arguments print as groups.
      continue;
    }
    if (c === '{' || c === '}' || c === '$') {
      i++;
      continue;
    }
    if (c === '~') {
      out += '\u00a0';
      i++;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

// ------------------------------------------------------------------ the "sympy" normalisation and check

const UNIT_RES = ['degree', 'cm', 'centimeter', 'meter', 'mile', 'second', 'minute', 'hour', 'day', 'week', 'month', 'year', 'foot', 'feet', 'inch', 'yard']
  .map((u) => new RegExp(`${u}(es)?(s)? *(\\^[0-9]+)?`, 'g'));

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
    const t = latexToText(e.replaceAll('\\tfrac', '\\frac').replaceAll('\\dfrac', '\\frac').replaceAll('\\frac', ' \\frac'));
    e = t.replaceAll('√', 'sqrt').replaceAll('π', 'pi').replaceAll('∞', 'inf').replaceAll('∪', 'U').replaceAll('·', '*').replaceAll('×', '*').trim();
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

/**
 * Stand-in for `sympy.simplify(gold - given) == 0` on the normalised strings: exact when both
 * sides are rational. Otherwise sympy's symbols are complex, so an identity must hold at complex
 * points too (`sqrt(1/n)` is not `1/sqrt(n)`); and a decimal literal makes sympy compute in
 * floats, whose difference with an irrational value is never exactly zero (`4.123105625617661`
 * is not `sqrt(17)`).
 */
export function differenceIsZero(a: string, b: string): boolean {
  if (!shouldAllowEval(`(${a})-(${b})`)) return false;
  const x = parseLatex(a);
  const y = parseLatex(b);
  if (!x || !y || !isScalar(x) || !isScalar(y)) return false;
  const ex = exact(x);
  const ey = exact(y);
  if (ex && ey) return ex.n * ey.d === ey.n * ex.d;
  if ((/\d\.\d/.test(a) || /\d\.\d/.test(b)) && (irrational(x) || irrational(y))) return false;
  const vars = [...new Set([...freeVars(x), ...freeVars(y)])].sort();
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
const POINTS: C[] = [[0.731, 0], [1.37, 0], [-0.613, 0], [-1.91, 0], [0.42, 0.83], [-0.77, -0.29], [1.13, -1.61]];

/** Whether a value may be irrational: a function, π/e, or a non-integer power. */
const irrational = (n: Node) => contains(n, (m) => m.t === 'fn' || (m.t === 'const' && m.name !== 'i') || (m.t === 'pow' && !(exact(m.b)?.d === 1n)));

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
