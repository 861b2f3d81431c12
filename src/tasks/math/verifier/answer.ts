// The top-level shape of a normalised answer: a single expression, a text answer, or a list of
// answers. Lists are split at the top level on `,` `;` and the words "and"/"or"; a `±` expands
// into two answers. Each part is parsed by parse.ts (or by the compute-engine fallback).
import { parseLatex, type Node } from './parse.js';
import { children, freeVars } from './expression.js';
import { parseWithComputeEngine } from './ce.js';
import { intersectSets, intervalsOf } from './intervals.js';

export type Answer =
  | { k: 'list'; items: Answer[]; set: boolean; pm?: boolean }
  | { k: 'node'; node: Node; src: string }
  | { k: 'text'; s: string; src: string; base?: number };

/** Splits at depth 0 on commas, semicolons, and the connector words "and"/"or". */
export function splitTopLevel(s: string): { parts: string[]; connector: boolean; semicolon: boolean } {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  let connector = false;
  let semicolon = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\') {
      if (s[i + 1] === '{' || s[i + 1] === '(' || s[i + 1] === '[') depth++;
      else if (s[i + 1] === '}' || s[i + 1] === ')' || s[i + 1] === ']') depth--;
      else if (depth === 0 && /^\\text\{\s*(?:and|or)\s*\}/.test(s.slice(i, i + 16))) {
        const m = /^\\text\{\s*(?:and|or)\s*\}/.exec(s.slice(i, i + 16))!;
        parts.push(s.slice(start, i));
        i += m[0].length - 1;
        start = i + 1;
        connector = true;
        continue;
      }
      i++;
      continue;
    }
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (depth === 0 && (c === ',' || c === ';')) {
      parts.push(s.slice(start, i));
      start = i + 1;
      if (c === ';') semicolon = true;
    } else if (depth === 0 && (c === 'a' || c === 'o')) {
      // "and"/"or" as whole words, or glued between values: (11,7)or(7,11), 1orW(x).
      const w = c === 'a' ? 'and' : 'or';
      if (s.startsWith(w, i)) {
        const before = s[i - 1] ?? ' ';
        const after = s[i + w.length] ?? ' ';
        const wordBefore = /[A-Za-z]/.test(before);
        const wordAfter = /[A-Za-z]/.test(after);
        const glued = /[\d)\]}]/.test(before) && !/[a-z]/.test(after);
        if ((!wordBefore && !wordAfter && /\s/.test(before) && /\s/.test(after)) || glued) {
          parts.push(s.slice(start, i));
          i += w.length - 1;
          start = i + 1;
          connector = true;
        }
      }
    }
  }
  parts.push(s.slice(start));
  return { parts: parts.map((p) => p.trim()).filter((p) => p.length > 0), connector, semicolon };
}

const THOUSANDS = /^[+-]?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?$/;
const SPACE_THOUSANDS = /^[+-]?[1-9]\d{0,2}(?: \d{3})+(?:\.\d+)?$/;

// Words that are math, not prose, when they appear in an answer.
const MATH_WORDS = /\\[a-zA-Z]+|\b(?:sqrt|sin|cos|tan|sec|csc|cot|log|ln|exp|pi|infty|inf|arcsin|arccos|arctan|sinh|cosh|tanh)\b/g;

/** A text answer: a word of three or more letters that is not math ("odd", "Evelyn", "4:30 pm" is not). */
function isText(s: string): boolean {
  const t = s
    .replace(/\\(?:begin|end)\s*\{[^{}]*\}/g, ' ')
    .replace(/_\{[^{}]*\}/g, ' ')
    .replace(/\\text\{[^{}]*\}/g, (m) => (/^\\text\{[a-zA-Z]?\}$/.test(m) ? '' : ' WORD '))
    .replace(MATH_WORDS, ' ');
  return /[A-Za-z]{3,}/.test(t);
}

export function canonText(s: string): string {
  return s
    .replace(/\\text\s*\{([^{}]*)\}/g, '$1')
    .replace(/\s+/g, '')
    .replace(/[.]+$/, '')
    .toLowerCase();
}

// A numeral with a base subscript: 110_2, (3B)_{16}, 204_{5}. Its digits are the answer (the
// question asked for base-b digits), so it is compared as a digit string: 110_2 = 110 ≠ 6.
const BASE_NUMERAL = /^\(?([0-9A-Za-z]{1,200})\)?_\{?\(?(\d{1,2})\)?\}?$/;

function baseDigits(s: string): { digits: string; base: number } | null {
  const m = BASE_NUMERAL.exec(s);
  if (!m) return null;
  const base = Number(m[2]);
  const digits = m[1]!.toLowerCase();
  if (base < 2 || base > 36 || [...digits].some((d) => parseInt(d, 36) >= base)) return null;
  return { digits: digits.replace(/^0+(?=.)/, ''), base };
}

function parsePart(src: string): Answer {
  const s = src.trim();
  const based = s.includes('_') ? baseDigits(s.replace(/\\text\s*\{([^{}]*)\}/g, '$1').replace(/\s+/g, '')) : null;
  if (based !== null) return { k: 'text', s: based.digits, src: `${based.digits}_${based.base}`, base: based.base };
  if (THOUSANDS.test(s)) return parsePart(s.replace(/,/g, ''));
  if (SPACE_THOUSANDS.test(s)) return parsePart(s.replace(/ /g, ''));
  if (isText(s)) return { k: 'text', s: canonText(s), src: s };
  // Numbers separated only by space (`1 1 1`, `2\quad 3`) are several numbers, never a product.
  // (A digit of a sub/superscript or a command argument, as in \log_2 8x or \frac12 3, is not a number.)
  if (/(?<![_^\\\d.a-zA-Z{])\d+(?:\.\d+)?\s+\.?\d/.test(s)) return { k: 'text', s: s.replace(/\s+/g, ' '), src: s };
  // Our parser first; the compute engine's wider grammar for what it rejects; last, a lenient
  // pass in which unknown commands are opaque names.
  const node = parseLatex(s) ?? parseWithComputeEngine(s) ?? parseLatex(s, true);
  if (!node) return { k: 'text', s: canonText(s), src: s };
  // A chain of names ending in a value, a = b = c = 5, states each name's value: a=5, b=5, c=5.
  if (
    node.t === 'rel' &&
    node.args.length >= 3 &&
    node.ops.every((o) => o === '=') &&
    node.args.slice(0, -1).every((x) => x.t === 'sym') &&
    freeVars(node.args[node.args.length - 1]!).size === 0
  ) {
    const v = node.args[node.args.length - 1]!;
    return { k: 'list', items: node.args.slice(0, -1).map((x) => ({ k: 'node', node: { t: 'rel', ops: ['='], args: [x, v] }, src: '' })), set: false };
  }
  const variants = expandPm(node);
  if (variants.length > 1) return { k: 'list', items: variants.map((n) => ({ k: 'node', node: n, src: s })), set: true, pm: true };
  return { k: 'node', node, src: s };
}

/** Builds the answer structure of a normalised answer string. */
export function buildAnswer(norm: string, depth = 0): Answer {
  const s = norm.trim();
  if (THOUSANDS.test(s) || SPACE_THOUSANDS.test(s) || depth > 3) return parsePart(s);
  const { parts, connector, semicolon } = splitTopLevel(s);
  if (parts.length <= 1) return parsePart(parts[0] ?? s);
  if (semicolon) {
    // Semicolons separate whole answers ("p=5,q=2;p=7,q=2"); commas inside them are tuples.
    const groups = splitSemicolons(s);
    if (groups.length > 1) return { k: 'list', items: groups.map((g) => buildAnswer(g, depth + 1)), set: true };
  }
  // A top-level list is the list of all solutions: unordered (policy, verifier README), and a
  // `±` inside it adds both members (1 ± √2, 3 has three). Tuples in parentheses keep order.
  void connector;
  const items = parts.map(parsePart).flatMap((a) => (a.k === 'list' && a.pm ? a.items : [a]));
  // "x < -1 or x > 2": inequalities joined by "or" are the union of their solution sets.
  if (connector && /(?:^|[^a-z])or(?:[^a-z]|$)/.test(s) && !/(?:^|[^a-z])and(?:[^a-z]|$)/.test(s)) {
    const sets = items.map((a) => (a.k === 'node' && a.node.t === 'rel' && a.node.ops.length <= 2 ? intervalsOf(a.node) : null));
    if (sets.every((x) => x !== null)) return { k: 'node', node: { t: 'union', items: sets.flatMap((x) => (x!.t === 'union' ? x!.items : [x!])) }, src: s };
  }
  // "x < 3 and x ≠ 1": conditions on one variable joined by "and" are the intersection of their sets.
  if (connector && /(?:^|[^a-z])and(?:[^a-z]|$)/.test(s) && items.length > 1) {
    const rels = items.map((a) => (a.k === 'node' && a.node.t === 'rel' && a.node.ops.every((o) => o !== '=' && o !== '~') ? a.node : null));
    const vars = rels.map((r) => (r ? [...freeVars(r)].join(',') : null));
    if (rels.every((r) => r !== null) && vars.every((v) => v !== null && v === vars[0] && !v.includes(','))) {
      const sets = rels.map((r) => intervalsOf(r!));
      const meet = sets.every((x) => x !== null) ? intersectSets(sets as Node[]) : null;
      if (meet) return { k: 'node', node: meet, src: s };
    }
  }
  return { k: 'list', items, set: true };
}

function splitSemicolons(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\') {
      i++;
      continue;
    }
    if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth--;
    else if (c === ';' && depth === 0) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out.map((x) => x.trim()).filter(Boolean);
}

// ------------------------------------------------------------------ ± expansion

const MAX_VARIANTS = 8;

/** a ± b → [a + b, a - b], through the whole tree (at most 8 variants). */
export function expandPm(n: Node): Node[] {
  if (n.t === 'pm') {
    const as = n.a ? expandPm(n.a) : [null];
    const bs = expandPm(n.b);
    const out: Node[] = [];
    for (const a of as)
      for (const b of bs) {
        const plus: Node = a ? { t: 'add', args: [a, b] } : b;
        const minus: Node = a ? { t: 'add', args: [a, { t: 'neg', a: b }] } : { t: 'neg', a: b };
        out.push(...(n.minusFirst ? [minus, plus] : [plus, minus]));
      }
    return out.slice(0, MAX_VARIANTS);
  }
  if (n.t === 'group' && n.open === '\\{') {
    // Inside a set, ± adds members: {1 ± √5, -2} has three.
    return [{ ...n, items: n.items.flatMap(expandPm) }];
  }
  const kids = children(n);
  if (kids.length === 0 || !kids.some(hasPm)) return [n];
  let variants: Node[][] = [[]];
  for (const k of kids) {
    const ks = expandPm(k);
    variants = variants.flatMap((v) => ks.map((x) => [...v, x])).slice(0, MAX_VARIANTS);
  }
  return variants.map((v) => rebuild(n, v));
}

function hasPm(n: Node): boolean {
  return n.t === 'pm' || children(n).some(hasPm);
}

/** The same node with new children (in the order children() returns them). */
export function rebuild(n: Node, k: Node[]): Node {
  switch (n.t) {
    case 'add':
    case 'mul':
    case 'fn':
      return { ...n, args: k };
    case 'neg':
      return { t: 'neg', a: k[0]! };
    case 'div':
    case 'pow':
    case 'in':
      return { ...n, a: k[0]!, b: k[1]! };
    case 'pm':
      return n.a ? { ...n, a: k[0]!, b: k[1]! } : { ...n, b: k[0]! };
    case 'group':
    case 'ratio':
    case 'union':
      return { ...n, items: k };
    case 'rel':
      return { ...n, args: k };
    case 'matrix': {
      let i = 0;
      return { t: 'matrix', rows: n.rows.map((r) => r.map(() => k[i++]!)) };
    }
    default:
      return n;
  }
}
