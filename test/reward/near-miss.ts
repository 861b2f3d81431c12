// Self-attack (issue 24): near-misses generated against correct golds, each different from the
// gold by construction, so that a verifier that accepts one has a false positive. Families:
//  - digit: one digit of a number literal changed (outside sub/superscripts), kept only when the
//    gold and the mutant both have exact rational values and these differ;
//  - sign: -(G) for a gold with a nonzero exact value, or one with variables (-(G) ≡ G only for 0);
//  - offset: G + 1, G + 10^{-30}, G·(1 + 10^{-40}) for scalar golds (never equal for finite G);
//  - range: G + 10^{-7000}, G·(1 + 2^{-30000}), 10^{-10^{10}} for a gold of 0, 2^{-30000} (values
//    a double loses);
//  - rounding: a decimal gold rounded to one decimal fewer (when the dropped digit is not 0); an
//    irrational gold written as a decimal of 6 to 30 digits (a decimal is not the exact value);
//  - candidates: the gold boxed together with a wrong mutant (hedging: "\boxed{G} or \boxed{W}"),
//    or listed beside an extra value;
//  - structure: a tuple with two different entries swapped, an interval's bracket flipped, a list
//    with one member dropped (when all members differ) or an extra member added.
// Deterministic (seeded). Responses are full sentences with the mutant in a box.
import { parseLatex } from '../../src/tasks/math/verifier/parse.js';
import { exact } from '../../src/tasks/math/verifier/expression.js';
import { precise } from '../../src/tasks/math/verifier/precise.js';
import { normalizeAnswer } from '../../src/tasks/math/verifier/normalize.js';
import { extractGold } from '../../src/tasks/math/verifier/extract.js';
import { splitTopLevel } from '../../src/tasks/math/verifier/answer.js';
import * as R from '../../src/tasks/math/verifier/rational.js';
import { mulberry32 } from '../../src/data/rng.js';

export interface NearMiss {
  gold: string;
  response: string;
  family: string;
  mutant: string;
}

/** The project's seeded PRNG (src/data/rng.ts), under the name the fuzz tests use. */
export const rng = mulberry32;

function exactOf(s: string): R.Rat | null {
  const n = parseLatex(normalizeAnswer(s));
  return n ? exact(n) : null;
}

/** Positions of digits of number literals outside ^, _ scripts and \text / \begin{..} names. */
function literalDigits(s: string): number[] {
  const out: number[] = [];
  let script = 0; // depth inside ^{..} / _{..}
  const stack: boolean[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\') {
      const m = /^\\([a-zA-Z]+)/.exec(s.slice(i, i + 20));
      if (m) {
        if (m[1] === 'text' || m[1] === 'begin' || m[1] === 'end' || m[1] === 'mathrm' || m[1] === 'operatorname') {
          const close = s.indexOf('}', i);
          if (close > 0) i = close;
          continue;
        }
        i += m[0].length - 1;
      } else i++;
      continue;
    }
    if ((c === '^' || c === '_') && s[i + 1] === '{') {
      stack.push(true);
      script++;
      i++;
      continue;
    }
    if ((c === '^' || c === '_') && /[0-9]/.test(s[i + 1] ?? '')) {
      i++;
      continue;
    }
    if (c === '{') stack.push(false);
    else if (c === '}') {
      if (stack.pop()) script--;
    } else if (/[0-9]/.test(c) && script === 0) out.push(i);
  }
  return out;
}

const isStructured = (g: string) =>
  /\\cup|\\cap|\\in\b|\\begin|\\text|[,;=<>]|\\le|\\ge|\\ne|\\infty|\\pm|\\mp|\\%|\\circ|:|\\emptyset|\\mathbb/.test(g) || /^[[(].*[\])]$/.test(g);

/** Near-misses of one extracted gold. */
export function nearMisses(goldRaw: string, rand: () => number): { mutant: string; family: string }[] {
  const g = extractGold(goldRaw).trim();
  const out: { mutant: string; family: string }[] = [];
  if (!g || g.length > 300) return out;
  const ge = exactOf(g);
  const node = parseLatex(normalizeAnswer(g));
  const scalar = !!node && !isStructured(g) && !/[A-Za-z]{3,}/.test(g.replace(/\\[a-zA-Z]+/g, ''));
  // digit changes: every literal digit (up to 10 positions), every other digit
  const digits = literalDigits(g).slice(-10);
  for (const at of digits) {
    const d = Number(g[at]);
    for (let k = 1; k <= 9; k++) {
      const nd = (d + k) % 10;
      const m = g.slice(0, at) + nd + g.slice(at + 1);
      const me = exactOf(m);
      if (ge && me && !R.eq(ge, me)) out.push({ mutant: m, family: 'digit' });
    }
  }
  if (scalar && node) {
    const nonzero = ge ? ge.n !== 0n : true;
    if (nonzero) out.push({ mutant: `-\\left(${g}\\right)`, family: 'sign' });
    for (const c of ['1', '2', '-1', '\\frac{1}{2}', '10^{-12}']) out.push({ mutant: `\\left(${g}\\right)+${c}`, family: 'offset' });
    out.push({ mutant: `${g}+1`, family: 'offset' });
    if (nonzero) for (const c of ['2', '\\frac{1}{2}', '\\left(1-10^{-35}\\right)']) out.push({ mutant: `${c}\\left(${g}\\right)`, family: 'offset' });
    out.push({ mutant: `\\left(${g}\\right)+10^{-30}`, family: 'offset' });
    if (nonzero) out.push({ mutant: `\\left(${g}\\right)\\cdot\\left(1+10^{-40}\\right)`, family: 'offset' });
    out.push({ mutant: `\\left(${g}\\right)+10^{-7000}`, family: 'range' });
    if (nonzero) out.push({ mutant: `\\left(${g}\\right)\\left(1+2^{-30000}\\right)`, family: 'range' });
    out.push({ mutant: `\\left(${g}\\right)+10^{-10^{10}}`, family: 'range' });
    out.push({ mutant: `\\left(${g}\\right)-2^{-30000}`, family: 'range' });
    out.push({ mutant: `\\left(${g}\\right)+\\frac{1}{10^{400}}`, family: 'range' });
    if (nonzero) out.push({ mutant: `\\left(${g}\\right)\\cdot 10^{400}\\cdot 10^{-399}`, family: 'range' });
    if (ge && ge.n === 0n) {
      out.push({ mutant: '10^{-7000}', family: 'range' });
      out.push({ mutant: '2^{-30000}', family: 'range' });
      out.push({ mutant: '\\frac{1}{10^{10^{10}}}', family: 'range' });
    }
    // an irrational gold (no exact value, a real constant) as a decimal
    if (!ge && node) {
      const v = precise(node);
      if (v && !v.lost && !v.v.isZero()) {
        for (const sd of [6, 10, 16, 30]) out.push({ mutant: v.v.toSignificantDigits(sd).toFixed(), family: 'rounding' });
      }
    }
    // hedging: the gold and a wrong value
    out.push({ mutant: `${g} \\text{ or } ${g}+1`, family: 'candidates' });
    out.push({ mutant: `${g}, ${g}+2`, family: 'candidates' });
    out.push({ mutant: `${g} \\text{ and } -\\left(${g}\\right)+3`, family: 'candidates' });
  }
  // a decimal gold rounded
  const dec = /^-?\d+\.(\d+)$/.exec(g);
  if (dec && dec[1]!.length >= 2 && !g.endsWith('0')) {
    const places = dec[1]!.length - 1;
    const r = Number(g).toFixed(places);
    if (r !== g && exactOf(r) && ge && !R.eq(exactOf(r)!, ge)) out.push({ mutant: r, family: 'rounding' });
  }
  // structures
  const tuple = /^\(([^()]*)\)$/.exec(g);
  if (tuple) {
    const parts = splitTopLevel(tuple[1]!).parts;
    if (parts.length === 2) {
      const [a, b] = [exactOf(parts[0]!), exactOf(parts[1]!)];
      if (a && b && !R.eq(a, b)) out.push({ mutant: `(${parts[1]}, ${parts[0]})`, family: 'structure' });
    }
  }
  const interval = /^([[(])([^,()[\]]+),([^,()[\]]+)([\])])$/.exec(g);
  if (interval && !/infty/.test(interval[2]!)) {
    out.push({ mutant: `${interval[1] === '[' ? '(' : '['}${interval[2]},${interval[3]}${interval[4]}`, family: 'structure' });
  }
  if (!/[()[\]{}]/.test(g) && g.includes(',')) {
    const parts = splitTopLevel(g).parts;
    const vals = parts.map(exactOf);
    if (parts.length >= 2 && vals.every((v) => v) && new Set(vals.map((v) => R.ratToString(v!))).size === parts.length) {
      out.push({ mutant: parts.slice(0, -1).join(', '), family: 'structure' });
      const extra = vals.reduce<R.Rat>((m, v) => (R.cmp(v!, m) > 0 ? v! : m), vals[0]!);
      out.push({ mutant: `${g}, ${R.ratToString(R.add(extra, R.ONE)!).replace(/^(-?\d+)\/(\d+)$/, '\\frac{$1}{$2}')}`, family: 'structure' });
    }
  }
  return out;
}

const TEMPLATES = [
  (m: string) => `Putting it together, the answer is $\\boxed{${m}}$.`,
  (m: string) => `**Final answer:** \\boxed{${m}}`,
  (m: string) => `Let us compute carefully.\n\nTherefore, the final answer is $\\boxed{${m}}$.`,
  (m: string) => `<think>\nWorking through the problem.\n</think>\nThe answer is \\boxed{${m}}.`,
  (m: string) => `We find the value.\n\n$$\\boxed{${m}}$$`,
];

/**
 * `count` distinct (gold, mutant, template) near-misses over the golds, in a seeded shuffle (all of
 * them when fewer exist).
 */
export function generateNearMisses(golds: string[], count: number, seed = 24): NearMiss[] {
  const rand = rng(seed);
  const seen = new Set<string>();
  const all: NearMiss[] = [];
  for (const gold of golds) {
    for (const m of nearMisses(gold, rand)) {
      TEMPLATES.forEach((t, k) => {
        const key = `${extractGold(gold)}\u0000${m.mutant}\u0000${k}`;
        if (seen.has(key)) return;
        seen.add(key);
        all.push({ gold, response: t(m.mutant), family: m.family, mutant: m.mutant });
      });
    }
  }
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, count);
}

/** The golds of the labelled-equal rows of a verifier cases file (JSON lines). */
export function goldsOf(jsonl: string): string[] {
  const rows = jsonl
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { gold: string; equal: boolean });
  return [...new Set(rows.filter((r) => r.equal).map((r) => r.gold))];
}
