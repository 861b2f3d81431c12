// The Qwen2.5-Math evaluator's grading (`rlvr eval --grader qwen`), re-implemented from reading
// its parser (extract_answer, strip_string) and grader (math_equal), so that accuracies compare
// with published tables. Our own grader (`--grader ours`, the default) is stricter: see
// docs/PAPER.md for where they differ.
//
//  - Extraction order: a Minerva-style "final answer is $X$. I hope", else the text after the
//    LAST "boxed" (brace-matched, or up to a `$`), else after the last "he answer is", else
//    after the last "final answer is", else the last number. The prediction is then normalised
//    twice by strip_string (as the evaluator does), the gold once.
//  - math_equal: equal strings; numbers equal at relative tolerance 1e-4 against gold, gold/100
//    and gold·100 (percent rescaling); brackets stripped; tuples and matrices element-wise;
//    `x = v` against v; then a symbolic check. sympy/latex2sympy are replaced by our expression
//    evaluator (exact, then numeric at 1e-4 for constants, random points for expressions).
import { parseLatex, type Node } from '../verifier/parse.js';
import { exact, freeVars, numeric, canon, type C } from '../verifier/expression.js';

// ------------------------------------------------------------------ strip_string

// Unit words of the evaluator's list (MathQA units), each also with a plural "s". Several contain
// regex wildcards ("q .", "p . m") and single letters ("a", "t", "m"), as the original does.
const UNIT_TEXTS_BASE = [
  'east',
  'degree',
  'mph',
  'kmph',
  'ft',
  'm sqaure',
  ' m east',
  'sq m',
  'deg',
  'mile',
  'q .',
  'monkey',
  'prime',
  'ratio',
  'profit of rs',
  'rd',
  'o',
  'gm',
  'p . m',
  'lb',
  'tile',
  'per',
  'dm',
  'lt',
  'gain',
  'ab',
  'way',
  'west',
  'a .',
  'b .',
  'c .',
  'd .',
  'e .',
  'f .',
  'g .',
  'h .',
  't',
  'a',
  'h',
  'no change',
  'men',
  'soldier',
  'pie',
  'bc',
  'excess',
  'st',
  'inches',
  'noon',
  'percent',
  'by',
  'gal',
  'kmh',
  'c',
  'acre',
  'rise',
  'a . m',
  'th',
  'π r 2',
  'sq',
  'mark',
  'l',
  'toy',
  'coin',
  'sq . m',
  'gallon',
  '° f',
  'profit',
  'minw',
  'yr',
  'women',
  'feet',
  'am',
  'pm',
  'hr',
  'cu cm',
  'square',
  'v â € ™',
  'are',
  'rupee',
  'rounds',
  'cubic',
  'cc',
  'mtr',
  's',
  'ohm',
  'number',
  'kmph',
  'day',
  'hour',
  'minute',
  'min',
  'second',
  'man',
  'woman',
  'sec',
  'cube',
  'mt',
  'sq inch',
  'mp',
  '∏ cm ³',
  'hectare',
  'more',
  'sec',
  'unit',
  'cu . m',
  'cm 2',
  'rs .',
  'rs',
  'kg',
  'g',
  'month',
  'km',
  'm',
  'cm',
  'mm',
  'apple',
  'liter',
  'loss',
  'yard',
  'pure',
  'year',
  'increase',
  'decrease',
  'd',
  'less',
  'Surface',
  'litre',
  'pi sq m',
  's .',
  'metre',
  'meter',
  'inch',
];
// Python's \W on str: not a Unicode letter, digit or underscore.
const NON_WORD = '[^\\p{L}\\p{N}_]';
const UNIT_RES = [...UNIT_TEXTS_BASE, ...UNIT_TEXTS_BASE.map((t) => t + 's')].map((t) => new RegExp(`(^|${NON_WORD})${t}($|${NON_WORD})`, 'gu'));

const NUMBER_WORDS: Record<string, number> = {
  zero: 0,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
  twenty: 20,
  thirty: 30,
  forty: 40,
  fifty: 50,
  sixty: 60,
  seventy: 70,
  eighty: 80,
  ninety: 90,
};

/** word2number's word_to_num for the cases answers meet: digit strings and one number word. */
function convertWordNumber(text: string): string {
  const t = text.replaceAll('-', ' ').toLowerCase();
  if (/^\d+$/.test(t)) return String(BigInt(t));
  const words = t
    .trim()
    .split(/\s+/)
    .filter((w) => w in NUMBER_WORDS || ['hundred', 'thousand', 'million', 'billion', 'point'].includes(w));
  if (words.length === 1 && words[0]! in NUMBER_WORDS) return String(NUMBER_WORDS[words[0]!]);
  return text; // no number word (the original raises and keeps the text); longer phrases: kept (rare)
}

/** strip_string of the Qwen2.5-Math evaluator. */
export function qwenStripString(input: string, skipUnit = false): string {
  let s = String(input).trim().replaceAll('\n', '');
  s = s.replace(/\.+$/, '');
  s = s.replaceAll('\\!', '');
  s = s
    .replace(/\\begin\{array\}\{.*?\}/g, '\\begin{pmatrix}')
    .replace(/\\end\{array\}/g, '\\end{pmatrix}')
    .replaceAll('bmatrix', 'pmatrix');
  s = s.replaceAll('tfrac', 'frac').replaceAll('dfrac', 'frac');
  s = s.replaceAll('\\neq', '\\ne').replaceAll('\\leq', '\\le').replaceAll('\\geq', '\\ge');
  s = s.replaceAll('\\left', '').replaceAll('\\right', '').replaceAll('\\{', '{').replaceAll('\\}', '}');
  // A trailing \text{...} (from the first \text{ on) is a unit, unless it is everything.
  const noText = s.replace(/\\text\{.*?\}$/, '').trim();
  if (noText !== '' && noText !== s) s = noText;
  if (!skipUnit) {
    for (let pass = 0; pass < 2; pass++) {
      for (const re of UNIT_RES) {
        const t = s.replace(re, '$1$2');
        if (t !== '') s = t;
      }
    }
  }
  s = s.replaceAll('^{\\circ}', '').replaceAll('^\\circ', '');
  s = s.replaceAll('\\$', '').replaceAll('$', '').replaceAll('\\(', '').replaceAll('\\)', '');
  s = convertWordNumber(s);
  s = s.replace(/\\text\{(.*?)\}/g, '$1');
  for (const key of ['x=', 'y=', 'z=', 'x\\in', 'y\\in', 'z\\in', 'x\\to', 'y\\to', 'z\\to']) s = s.replaceAll(key, '');
  s = s.replaceAll('\\emptyset', '{}').replaceAll('(-\\infty,\\infty)', '\\mathbb{R}');
  s = s.replaceAll('\\%', '').replaceAll('%', '');
  s = s.replaceAll(' .', ' 0.').replaceAll('{.', '{0.');
  s = s.replaceAll('infinity', '\\infty');
  if (!s.includes('\\infty')) s = s.replaceAll('inf', '\\infty');
  s = s.replaceAll('+\\inity', '\\infty');
  s = s.replaceAll('and', '').replaceAll('\\mathbf', '');
  s = s.replace(/\\mbox\{.*?\}/g, '');
  if (s.includes('j') && !s.includes('i')) s = s.replaceAll('j', 'i');
  s = s.replace(/(\d+)\.0*([^\d])/g, '$1$2').replace(/(\d+)\.0*$/, '$1');
  if (s.length === 0) return s;
  if (s[0] === '.') s = '0' + s;
  const eq = s.split('=');
  if (eq.length === 2 && eq[0]!.length <= 2) s = eq[1]!;
  s = s.replace(/\\sqrt([\p{L}\p{N}_]+)/gu, '\\sqrt{$1}');
  s = s.replaceAll(' ', '');
  s = fixFracs(s);
  return fixSlash(s);
}

function fixFracs(s: string): string {
  const parts = s.split('\\frac');
  let out = parts[0]!;
  for (const p of parts.slice(1)) {
    out += '\\frac';
    if (p.length > 0 && p[0] === '{') {
      out += p;
      continue;
    }
    if (p.length < 2) return s;
    out += p[1] !== '{' ? `{${p[0]}}{${p[1]}}${p.slice(2)}` : `{${p[0]}}${p[1]}${p.slice(2)}`;
  }
  return out;
}

/** "a/b" with canonical integers (or a side containing sqrt) → \frac{a}{b}. */
function fixSlash(s: string): string {
  const parts = s.split('/');
  if (parts.length !== 2) return s;
  const ok = (x: string) => x.includes('sqrt') || /^(?:0|-?[1-9]\d*)$/.test(x);
  return ok(parts[0]!) && ok(parts[1]!) ? `\\frac{${parts[0]}}{${parts[1]}}` : s;
}

// ------------------------------------------------------------------ extraction

/** Datasets whose answers keep their units (the evaluator's STRIP_EXCEPTIONS). */
export const QWEN_KEEP_UNITS = new Set(['minerva_math', 'carp_en']);

/** extract_answer of the evaluator (one strip_string pass included). */
export function qwenExtractAnswer(text: string, dataName = 'math'): string {
  const s = text.replaceAll('\u043a\u0438', '');
  let pred: string;
  const hope = s.indexOf('final answer is $');
  if (hope >= 0 && s.includes('$. I hope')) {
    const tail = s.slice(hope + 'final answer is $'.length);
    pred = tail.split('$. I hope')[0]!.trim();
  } else if (s.includes('boxed')) {
    const ans = s.slice(s.lastIndexOf('boxed') + 'boxed'.length);
    if (ans.length === 0) return '';
    if (ans[0] === '{') {
      let depth = 1;
      let a = '';
      for (const c of ans.slice(1)) {
        if (c === '{') depth++;
        else if (c === '}' && --depth === 0) break;
        a += c;
      }
      pred = a;
    } else {
      pred = ans.split('$')[0]!.trim();
    }
  } else if (s.includes('he answer is')) {
    pred = s.slice(s.lastIndexOf('he answer is') + 'he answer is'.length).trim();
  } else if (s.includes('final answer is')) {
    pred = s.slice(s.lastIndexOf('final answer is') + 'final answer is'.length).trim();
  } else if (s.includes('答案是')) {
    pred = s.split('答案是')[1]!.trim().split('\n\n')[0]!.trim();
  } else {
    const nums = s.replaceAll(',', '').match(/-?\d*\.?\d+/g);
    pred = nums ? nums[nums.length - 1]! : '';
  }
  pred = pred.replace(/\n\s*/g, '');
  if (pred.startsWith(':')) pred = pred.slice(1);
  if (pred.endsWith('.')) pred = pred.slice(0, -1);
  if (pred.endsWith('/')) pred = pred.slice(0, -1);
  return qwenStripString(pred, QWEN_KEEP_UNITS.has(dataName));
}

/** The evaluator's prediction for a response: extract_answer, then strip_string once more (run_execute). */
export function qwenPrediction(response: string, dataName = 'math'): string {
  return qwenStripString(qwenExtractAnswer(response, dataName), QWEN_KEEP_UNITS.has(dataName));
}

/**
 * The generated text as the evaluator scores it: the prompt removed (everything up to its last
 * occurrence), cut at the first stop word, trimmed.
 */
export function qwenResponseText(response: string, prompt?: string): string {
  let s = prompt ? response.split(prompt).at(-1)! : response;
  s = s.trim();
  for (const stop of ['</s>', '<|im_end|>', '<|endoftext|>']) {
    const i = s.indexOf(stop);
    if (i >= 0) s = s.slice(0, i).trim();
  }
  return s;
}

/** The evaluator's gold: the last boxed answer of a worked solution, else the answer normalised. */
export function qwenGold(gold: string, dataName = 'math'): string {
  const g = dataName === 'olympiadbench' ? gold.replace(/^\$+|\$+$/g, '') : gold;
  if (g.includes('boxed')) return qwenExtractAnswer(g, dataName);
  return QWEN_KEEP_UNITS.has(dataName) ? g.replaceAll('\\neq', '\\ne').replaceAll('\\leq', '\\le').replaceAll('\\geq', '\\ge') : qwenStripString(g);
}

// ------------------------------------------------------------------ math_equal

/** parse_digits: a float after removing commas, or a percentage / 100; null otherwise. */
function parseDigits(x: string): number | null {
  const n = x.replaceAll(',', '');
  const f = pyFloat(n);
  if (f !== null) return f;
  if (n.endsWith('%')) {
    let m = n.slice(0, -1);
    if (m.endsWith('\\')) m = m.slice(0, -1);
    const g = pyFloat(m);
    if (g !== null) return g / 100;
  }
  return null;
}

function pyFloat(s: string): number | null {
  const t = s.trim();
  if (/^[+-]?(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?$/.test(t)) return Number(t.replace(/_/g, ''));
  const m = /^([+-]?)(inf|infinity|nan)$/i.exec(t);
  if (m) return m[2]!.toLowerCase() === 'nan' ? NaN : m[1] === '-' ? -Infinity : Infinity;
  return null;
}

/** math.isclose(reference, prediction, rel_tol=1e-4): an infinity is close only to itself (a 400-digit answer overflows to one). */
const isClose = (a: number, b: number) => a === b || (Number.isFinite(a) && Number.isFinite(b) && Math.abs(a - b) <= 1e-4 * Math.max(Math.abs(a), Math.abs(b)));

/** choice_answer_clean of the grader. */
function choiceAnswerClean(pred: string): string {
  let p = pred
    .replace(/^\n+|\n+$/g, '')
    .replace(/\.+$/, '')
    .replace(/\/+$/, '')
    .replace(/^ +| +$/g, '')
    .replace(/^:+/, '');
  const letters = p.toUpperCase().match(/\b(A|B|C|D|E)\b/g);
  p = letters ? letters[letters.length - 1]! : p.trim().replace(/^\.+|\.+$/g, '');
  return p.replace(/\.+$/, '').replace(/\/+$/, '');
}

/** math_equal(prediction, reference) of the grader, with our evaluator standing in for sympy. */
export function qwenMathEqual(prediction: string, reference: string, depth = 0): boolean {
  if (depth > 20) return false;
  if (prediction.trim().toLowerCase() === reference.trim().toLowerCase()) return true;
  if (['A', 'B', 'C', 'D', 'E'].includes(reference) && choiceAnswerClean(prediction) === reference) return true;
  const pd = parseDigits(prediction);
  const rd = parseDigits(reference);
  if (pd !== null && rd !== null) {
    // Percent rescaling: the gold, gold/100 and gold·100 all count.
    return [rd / 100, rd, rd * 100].some((r) => isClose(r, pd));
  }
  if (!prediction) return false;
  let ref = reference.trim();
  const pred = prediction.trim();
  if (pred.includes('pmatrix') && !ref.includes('pmatrix')) ref = strToPmatrix(ref);
  let predStr = pred;
  let refStr = ref;
  if ((pred.startsWith('[') && pred.endsWith(']') && !ref.startsWith('(')) || (pred.startsWith('(') && pred.endsWith(')') && !ref.startsWith('['))) {
    predStr = predStr.replace(/^[[\]()]+|[[\]()]+$/g, '');
    refStr = refStr.replace(/^[[\]()]+|[[\]()]+$/g, '');
  }
  for (const c of ['{', '}', '(', ')']) {
    refStr = refStr.replaceAll(c, '');
    predStr = predStr.replaceAll(c, '');
  }
  if (predStr.toLowerCase() === refStr.toLowerCase()) return true;
  // [a, b] vs [c, d]: element-wise.
  if (/^[([].+[)\]]/.test(pred) && /^[([].+[)\]]/.test(ref)) {
    const pp = pred.slice(1, -1).split(',');
    const rp = ref.slice(1, -1).split(',');
    if (pp.length === rp.length && pp.every((x, i) => qwenMathEqual(x, rp[i]!, depth + 1))) return true;
  }
  const isMat = (x: string) =>
    (x.startsWith('\\begin{pmatrix}') || x.startsWith('\\begin{bmatrix}')) && (x.endsWith('\\end{pmatrix}') || x.endsWith('\\end{bmatrix}'));
  if (isMat(pred) && isMat(ref)) {
    const rows = (x: string) =>
      x
        .slice('\\begin{pmatrix}'.length, -'\\end{pmatrix}'.length)
        .split('\\\\')
        .map((l) => l.trim())
        .filter(Boolean);
    const pr = rows(pred);
    const rr = rows(ref);
    if (
      pr.length === rr.length &&
      pr.every((line, i) => {
        const a = line.split('&');
        const b = rr[i]!.split('&');
        return a.length === b.length && a.every((x, k) => qwenMathEqual(x, b[k]!, depth + 1));
      })
    )
      return true;
  }
  const count = (x: string) => x.split('=').length - 1;
  if (count(pred) === 1 && count(ref) === 1) {
    const [pl, pr] = pred.split('=');
    const [rl, rr] = ref.split('=');
    const p = `${pl!.trim()} - (${pr!.trim()})`;
    const r = `${rl!.trim()} - (${rr!.trim()})`;
    if (symbolicEqual(p, r) || symbolicEqual(`-(${p})`, r)) return true;
  } else if (count(pred) === 1 && pred.split('=')[0]!.trim().length <= 2 && !ref.includes('=')) {
    if (qwenMathEqual(pred.split('=')[1]!, ref, depth + 1)) return true;
  } else if (count(ref) === 1 && ref.split('=')[0]!.trim().length <= 2 && !pred.includes('=')) {
    if (qwenMathEqual(pred, ref.split('=')[1]!, depth + 1)) return true;
  }
  return symbolicEqual(pred, ref);
}

function strToPmatrix(s: string): string {
  const found = s.trim().match(/\{.*,.*\}/g) ?? [];
  return found.map((m) => `\\begin{pmatrix}${m.replace(/^\{+|\}+$/g, '').replaceAll(',', '\\')}\\end{pmatrix}`).join(', ');
}

const POINTS: C[] = [
  [0.731, 0],
  [1.37, 0],
  [-0.613, 0],
  [2.19, 0],
  [0.42, 0.83],
];
const isScalar = (n: Node) => !['group', 'matrix', 'rel', 'union', 'ratio', 'in', 'text', 'pm'].includes(n.t);

/**
 * Stand-in for symbolic_equal (parse_latex / parse_expr / latex2sympy, then equality, simplify,
 * and float(N(a)) ≈ float(N(b)) at relative 1e-4).
 */
export function symbolicEqual(a: string, b: string): boolean {
  const x = parseLatex(a.replaceAll('\\\\', '\\')) ?? parseLatex(a);
  const y = parseLatex(b.replaceAll('\\\\', '\\')) ?? parseLatex(b);
  if (!x || !y) return false;
  if (canon(x) === canon(y)) return true;
  if (!isScalar(x) || !isScalar(y)) return false;
  const ex = exact(x);
  const ey = exact(y);
  if (ex && ey && ex.n * ey.d === ey.n * ex.d) return true;
  const vars = [...new Set([...freeVars(x), ...freeVars(y)])].sort();
  if (vars.length === 0) {
    const u = numeric(x, new Map());
    const w = numeric(y, new Map());
    return u[1] === 0 && w[1] === 0 && Number.isFinite(u[0]) && Number.isFinite(w[0]) && isClose(u[0], w[0]);
  }
  let valid = 0;
  for (let p = 0; p < POINTS.length; p++) {
    const env = new Map<string, C>(vars.map((v, k) => [v, POINTS[(p + k) % POINTS.length]!]));
    const u = numeric(x, env);
    const w = numeric(y, env);
    if (![...u, ...w].every(Number.isFinite)) continue;
    if (Math.hypot(u[0] - w[0], u[1] - w[1]) > 1e-8 * Math.max(1, Math.hypot(...u), Math.hypot(...w))) return false;
    valid++;
  }
  return valid > 0;
}

/** One response under the Qwen evaluator: its prediction and verdict against a raw gold answer. */
export function qwenScore(
  gold: string,
  response: string,
  opts: { dataName?: string; prompt?: string } = {},
): { correct: boolean; extracted: string; gold: string } {
  const dataName = opts.dataName ?? 'math';
  const pred = qwenPrediction(qwenResponseText(response, opts.prompt), dataName);
  const gt = qwenGold(gold, dataName);
  let correct = false;
  try {
    correct = qwenMathEqual(pred, gt);
  } catch {
    correct = false; // the evaluator scores a grader failure as wrong
  }
  return { correct, extracted: pred, gold: gt };
}
