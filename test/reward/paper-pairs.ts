// (gold, response) pairs for comparing the paper reward (src/tasks/math/paper/paper.ts) with the original
// DeepScaleR grader run in Python (test/py/deepscaler_grader.py). Golds come from the shared data
// (DSR-sub's ground truths, the evaluation benchmarks' answers, the verifier corpus); each gold is
// rewritten systematically into equivalent forms, formatting variants, near misses, extraction
// edge cases and random character edits. Real model responses (Qwen2.5-Math outputs) and the
// verifier corpus's own (gold, pred) rows are added as they are. Everything is drawn from one seed.
import fs from 'node:fs';
import path from 'node:path';
import { Rng } from '../../src/data/rng.js';
import { loadExamples } from '../../src/data/examples.js';
import { loadBenchmark } from '../../src/data/benchmarks.js';

export interface Pair {
  gold: string;
  response: string;
  /** Which rewriting made it (`family:variant`), for grouping disagreements. */
  kind: string;
}

type Rewrite = (g: string, rng: Rng) => string | null;

const box = (s: string) => `Therefore, the final answer is $\\boxed{${s}}$.`;

/** Top-level split of `s` at `sep` (outside (), [], {}). */
function splitTop(s: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth--;
    else if (depth === 0 && s.startsWith(sep, i) && i > 0) {
      out.push(s.slice(start, i));
      start = i + sep.length;
    }
  }
  out.push(s.slice(start));
  return out;
}

const INT = /^-?\d+$/;
const DEC = /^-?\d*\.\d+$/;
const FRAC = /^(-?)\\[dt]?frac\{(\d+)\}\{(\d+)\}$/;

function gcd(a: bigint, b: bigint): bigint {
  while (b) [a, b] = [b, a % b];
  return a < 0n ? -a : a;
}

/** Exact decimal of n/d when it terminates (within 12 digits), else null. */
function terminating(n: bigint, d: bigint): string | null {
  const g = gcd(n, d);
  let dd = d / g;
  let twos = 0;
  let fives = 0;
  while (dd % 2n === 0n) {
    dd /= 2n;
    twos++;
  }
  while (dd % 5n === 0n) {
    dd /= 5n;
    fives++;
  }
  if (dd !== 1n) return null;
  const k = Math.max(twos, fives);
  if (k > 12) return null;
  const scaled = (n * 10n ** BigInt(k)) / d;
  const s = scaled.toString().padStart(k + 1, '0');
  return k === 0 ? s : `${s.slice(0, -k)}.${s.slice(-k)}`;
}

const withThousands = (digits: string, sep: string) => digits.replace(/\B(?=(\d{3})+(?!\d))/g, sep);

// ---------------------------------------------------------------- rewritings

/** Equivalent (or meant-to-be equivalent) forms and notation variants of the gold. */
const EQUIVALENT: Record<string, Rewrite> = {
  exact: (g) => box(g),
  bare: (g) => `\\boxed{${g}}`,
  padded: (g) => `\\boxed{ ${g} }`,
  nospace: (g) => (g.includes(' ') ? box(g.replaceAll(' ', '')) : null),
  spaced: (g) => box(g.replace(/([+\-=,])/g, ' $1 ')),
  text: (g) => box(`\\text{${g}}`),
  mathrm: (g) => box(`\\mathrm{${g}}`),
  displaystyle: (g) => box(`\\displaystyle ${g}`),
  braces: (g) => box(`{${g}}`),
  eqShort: (g) => box(`x = ${g}`),
  eqLong: (g) => box(`ans = ${g}`),
  unitText: (g) => box(`${g} \\text{ cm}`),
  unitTextNoSpace: (g) => box(`${g}\\text{cm}`),
  unitWord: (g, r) => box(`${g} ${['cm', 'meters', 'miles', 'hours', 'degrees', 'feet', 'inches', 'years'][r.int(8)]}`),
  unitUnknown: (g, r) => box(`${g} ${['mph', 'kg', 'units', 'dollars', 'm/s'][r.int(5)]}`),
  degree: (g) => box(`${g}^\\circ`),
  degreeBraced: (g) => box(`${g}^{\\circ}`),
  percent: (g) => box(`${g}\\%`),
  dollar: (g) => box(`\\$${g}`),
  leftRight: (g) => (/[()[\]]/.test(g) ? box(g.replace(/([([])/g, '\\left$1').replace(/([)\]])/g, '\\right$1')) : null),
  dfrac: (g) => (g.includes('\\frac') ? box(g.replaceAll('\\frac', '\\dfrac')) : null),
  tfrac: (g) => (g.includes('\\frac') ? box(g.replaceAll('\\frac', '\\tfrac')) : null),
  undfrac: (g) => (/\\[dt]frac/.test(g) ? box(g.replace(/\\[dt]frac/g, '\\frac')) : null),
  fracShort: (g) => {
    const m = /\\[dt]?frac\{(\w)\}\{(\w)\}/.exec(g);
    return m ? box(g.replace(m[0], `\\frac${m[1]}${m[2]}`)) : null;
  },
  fracSlash: (g) => {
    const m = FRAC.exec(g);
    return m ? box(`${m[1]}${m[2]}/${m[3]}`) : null;
  },
  fracSlashParen: (g) => {
    const m = /^(-?)\\[dt]?frac\{([^{}]+)\}\{([^{}]+)\}$/.exec(g);
    return m ? box(`${m[1]}(${m[2]})/(${m[3]})`) : null;
  },
  fracDecimal: (g) => {
    const m = FRAC.exec(g);
    const t = m ? terminating(BigInt(m[2]!), BigInt(m[3]!)) : null;
    return t === null ? null : box(`${m![1]}${t}`);
  },
  fracRounded: (g) => {
    const m = FRAC.exec(g);
    return m ? box(`${m[1]}${(Number(m[2]) / Number(m[3])).toFixed(4)}`) : null;
  },
  fracUnreduced: (g, r) => {
    const m = FRAC.exec(g);
    const k = 2 + r.int(3);
    return m ? box(`${m[1]}\\frac{${Number(m[2]) * k}}{${Number(m[3]) * k}}`) : null;
  },
  fracMixed: (g) => {
    const m = FRAC.exec(g);
    if (!m) return null;
    const n = Number(m[2]);
    const d = Number(m[3]);
    return n > d ? box(`${m[1]}${Math.floor(n / d)} ${n % d}/${d}`) : null;
  },
  intDecimal: (g, r) => (INT.test(g) ? box(`${g}.${'0'.repeat(1 + r.int(2))}`) : null),
  intAsFrac: (g) => (INT.test(g) ? box(`\\frac{${2 * Number(g)}}{2}`) : null),
  intThousands: (g, r) => (/^-?\d{4,}$/.test(g) ? box(withThousands(g, [',', '{,}', '\\,', '\\!', ' '][r.int(5)]!)) : null),
  intPlus: (g) => (/^\d+$/.test(g) ? box(`+${g}`) : null),
  intSci: (g) => (/^[1-9]\d*000$/.test(g) ? box(`${g.replace(/0+$/, '')}e${g.length - g.replace(/0+$/, '').length}`) : null),
  decTrailing: (g) => (DEC.test(g) ? box(`${g}0`) : null),
  decLeading: (g) => (/^-?0\.\d+$/.test(g) ? box(g.replace('0.', '.')) : null),
  decAsFrac: (g) => {
    if (!DEC.test(g)) return null;
    const neg = g.startsWith('-');
    const [a, b] = g.replace('-', '').split('.');
    const n = BigInt((a || '0') + b);
    const d = 10n ** BigInt(b!.length);
    const k = gcd(n, d) || 1n;
    return box(`${neg ? '-' : ''}\\frac{${n / k}}{${d / k}}`);
  },
  negSpace: (g) => (g.startsWith('-') ? box(`- ${g.slice(1)}`) : null),
  upper: (g) => (/[a-z]/.test(g.replace(/\\[a-zA-Z]+/g, '')) ? box(g.replace(/(^|[^\\a-zA-Z])([a-z]+)/g, (_, p, w: string) => p + w.toUpperCase())) : null),
  commuteSum: (g) => {
    const parts = splitTop(g, '+');
    return parts.length === 2 ? box(`${parts[1]!.trim()}+${parts[0]!.trim()}`) : null;
  },
  commuteProduct: (g) => {
    const m = /^(\d+)\\sqrt\{(\w+)\}$/.exec(g);
    return m ? box(`\\sqrt{${m[2]}} \\cdot ${m[1]}`) : null;
  },
  sqrtShort: (g) => (/\\sqrt\{\w\}/.test(g) ? box(g.replace(/\\sqrt\{(\w)\}/g, '\\sqrt$1')) : null),
  sqrtSpace: (g) => (/\\sqrt\{\w+\}/.test(g) ? box(g.replace(/\\sqrt\{(\w+)\}/g, '\\sqrt $1')) : null),
  sqrtPow: (g) => (/\\sqrt\{\w+\}/.test(g) ? box(g.replace(/\\sqrt\{(\w+)\}/g, '$1^{1/2}')) : null),
  piWord: (g) => (g.includes('\\pi') ? box(g.replaceAll('\\pi', 'pi')) : null),
  piUnicode: (g) => (g.includes('\\pi') ? box(g.replaceAll('\\pi', 'π')) : null),
  timesToCdot: (g) => (g.includes('\\times') ? box(g.replaceAll('\\times', '\\cdot')) : null),
  cdotToStar: (g) => (g.includes('\\cdot') ? box(g.replaceAll('\\cdot', '*')) : null),
  tupleSpace: (g) => (/^[([].*,.*[)\]]$/.test(g) ? box(g.replace(/,\s*/g, ', ')) : null),
  listAnd: (g) => {
    const parts = splitTop(g, ',');
    return parts.length === 2 ? box(`${parts[0]!.trim()} and ${parts[1]!.trim()}`) : null;
  },
  listSwap: (g) => {
    const parts = splitTop(g, ',');
    return parts.length >= 2 ? box([parts[1], parts[0], ...parts.slice(2)].map((p) => p!.trim()).join(', ')) : null;
  },
  goldBoxed: (g) => `\\boxed{${g}}`, // paired with a boxed gold below
};

/** Near misses: a different value, usually. */
const NEAR: Record<string, Rewrite> = {
  digit: (g, r) => {
    const at = [...g].map((c, i) => (/\d/.test(c) ? i : -1)).filter((i) => i >= 0);
    if (at.length === 0) return null;
    const i = at[r.int(at.length)]!;
    const d = (Number(g[i]) + 1 + r.int(9)) % 10;
    return box(g.slice(0, i) + d + g.slice(i + 1));
  },
  plusOne: (g) => (INT.test(g) ? box(String(BigInt(g) + 1n)) : null),
  negate: (g) => box(g.startsWith('-') ? g.slice(1) : `-${g}`),
  negateParen: (g) => box(`-(${g})`),
  dropLast: (g) => (g.length > 1 ? box(g.slice(0, -1)) : null),
  dropFirst: (g) => (g.length > 1 ? box(g.slice(1)) : null),
  double: (g) => box(`2${g}`),
  doubleCdot: (g) => box(`2\\cdot ${g}`),
  appendZero: (g) => (/\d$/.test(g) ? box(`${g}0`) : null),
  swapChars: (g, r) => {
    if (g.length < 2) return null;
    const i = r.int(g.length - 1);
    return box(g.slice(0, i) + g[i + 1] + g[i] + g.slice(i + 2));
  },
  reciprocal: (g) => {
    const m = FRAC.exec(g);
    return m ? box(`${m[1]}\\frac{${m[3]}}{${m[2]}}`) : null;
  },
  tupleDrop: (g) => {
    const parts = splitTop(g, ',');
    return parts.length >= 2 ? box(parts.slice(0, -1).join(',')) : null;
  },
  wrongWord: () => box('\\text{no solution}'),
  empty: () => box(''),
  variable: () => box('x'),
};

/** Where the answer is, or whether there is one. */
const EXTRACTION: Record<string, Rewrite> = {
  noBox: (g) => `The answer is ${g}.`,
  fbox: (g) => `The answer is \\fbox{${g}}.`,
  spaceBrace: (g) => `The answer is \\boxed {${g}}.`,
  braceless: (g) => (/^\w+$/.test(g) ? `The answer is \\boxed ${g}.` : null),
  unclosed: (g) => `The answer is \\boxed{${g}`,
  rightThenUnclosed: (g) => `First \\boxed{${g}}, then \\boxed{${g}`,
  rightThenWrong: (g) => `First \\boxed{${g}}, then \\boxed{${g}1}.`,
  wrongThenRight: (g) => `First \\boxed{${g}1}, then \\boxed{${g}}.`,
  chatTail: (g) => `\\boxed{${g}}<|im_end|>\n<|im_start|>user\nAnd \\boxed{0}?`,
  eos: (g) => `So \\boxed{${g}}<|endoftext|>`,
  nested: (g) => `\\boxed{\\boxed{${g}}}`,
  think: (g) => `<think>\\boxed{0}</think> so \\boxed{${g}}`,
  promptBox: (g) => `Put the final answer within \\boxed{}. The answer is ${g}.`,
  escapedBrace: (g) => `\\boxed{\\{${g}\\}}`,
  newline: (g) => `\\boxed{\n${g}\n}`,
  doubledBackslash: (g) => (g.includes('\\') ? box(g.replaceAll('\\', '\\\\')) : null),
};

const EDIT_TOKENS = [
  ' ',
  '{',
  '}',
  '\\',
  ',',
  '.',
  '0',
  '1',
  '7',
  '-',
  '+',
  '/',
  '^',
  '=',
  'x',
  'e',
  '(',
  ')',
  '[',
  ']',
  '\\frac',
  '\\text{ ',
  '\\sqrt',
  '\\pi',
  '\\%',
  '$',
  '\\!',
  '\\,',
  ':',
  '*',
];

/** One to three random edits (insert, delete, replace) with LaTeX-ish tokens. */
function randomEdit(g: string, r: Rng): string {
  let s = g;
  const n = 1 + r.int(3);
  for (let k = 0; k < n; k++) {
    const i = r.int(s.length + 1);
    const op = r.int(3);
    const tok = EDIT_TOKENS[r.int(EDIT_TOKENS.length)]!;
    if (op === 0 || s.length === 0) s = s.slice(0, i) + tok + s.slice(i);
    else if (op === 1) s = s.slice(0, i) + s.slice(i + 1);
    else s = s.slice(0, i) + tok + s.slice(i + 1);
  }
  return box(s);
}

// ---------------------------------------------------------------- golds and pairs

export interface PairSources {
  /** Distinct golds, in a fixed order. */
  golds: string[];
  /** Rows taken as they are: real responses, the verifier corpus. */
  asIs: Pair[];
}

/** Reads the golds and the as-is rows from the shared data (null when it is missing). */
export async function loadPairSources(sharedData: string): Promise<PairSources | null> {
  const dsr = path.join(sharedData, 'train', 'dsr_sub.parquet');
  const evalDir = path.join(sharedData, 'eval');
  const corpus = path.join(sharedData, 'verifier', 'cases.jsonl');
  const qwen = path.join(evalDir, 'qwen_math_outputs', 'math_cot_100.jsonl');
  if (![dsr, evalDir, corpus, qwen].every((f) => fs.existsSync(f))) return null;
  const golds: string[] = [];
  for (const e of await loadExamples(dsr)) golds.push(e.groundTruth);
  for (const name of ['math500', 'olympiadbench', 'minerva_math', 'amc23', 'aime24', 'aime25']) {
    for (const p of loadBenchmark(evalDir, name).problems) golds.push(p.answer);
  }
  const asIs: Pair[] = [];
  for (const line of fs.readFileSync(corpus, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const row = JSON.parse(line) as { gold: string; pred: string };
    golds.push(row.gold);
    asIs.push({ gold: row.gold, response: `\\boxed{${row.pred}}`, kind: 'corpus:boxed' });
    asIs.push({ gold: row.gold, response: row.pred, kind: 'corpus:raw' });
  }
  for (const line of fs.readFileSync(qwen, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const row = JSON.parse(line) as { gt: string; code: string[] };
    for (const response of row.code) asIs.push({ gold: row.gt, response, kind: 'qwen:response' });
  }
  return { golds: [...new Set(golds.map((g) => g.trim()).filter((g) => g.length > 0))], asIs };
}

/**
 * The pairs: each distinct gold rewritten by `perGold` rewritings drawn from the three families
 * (the gold itself boxed is always one of them), plus one random edit; then the as-is rows.
 */
export function makePairs(src: PairSources, seed: number, perGold = 3): Pair[] {
  const r = new Rng(seed);
  const families: [string, Record<string, Rewrite>][] = [
    ['eq', EQUIVALENT],
    ['near', NEAR],
    ['extract', EXTRACTION],
  ];
  const pairs: Pair[] = [];
  for (const gold of src.golds) {
    pairs.push({ gold, response: box(gold), kind: 'eq:exact' });
    for (let k = 0; k < perGold; k++) {
      // Equivalent forms twice as often as the others: they reach the sympy check.
      const [fam, table] = families[[0, 0, 1, 2][r.int(4)]!]!;
      const names = Object.keys(table);
      // A few tries to find a rewriting that applies to this gold.
      for (let t = 0; t < 6; t++) {
        const name = names[r.int(names.length)]!;
        const response = table[name]!(gold, r);
        if (response === null) continue;
        const g = name === 'goldBoxed' ? `The solution gives $\\boxed{${gold}}$.` : gold;
        pairs.push({ gold: g, response, kind: `${fam}:${name}` });
        break;
      }
    }
    pairs.push({ gold, response: randomEdit(gold, r), kind: 'edit:random' });
  }
  return [...pairs, ...src.asIs];
}
