// Answer extraction: which part of a model response is "the answer".
//  - reward mode (the paper's training reward): the last \boxed{}/\fbox{} group; no box, no answer.
//  - eval mode (the Qwen2.5-Math evaluator's conventions, widened): "final answer is", the last box
//    group, "the answer is", a bare answer, the last math segment, the last number.
// `</think>`: only the text after the last `</think>` is the answer part; an unclosed `<think>`
// means the model never answered.
import { collapseDoubleBackslashes, findBoxes, NextIndex, trimEndOf, type Span } from './latex.js';

export type Mode = 'reward' | 'eval';

/** Chat-template tokens end the generation: anything after them is not the model's answer. */
const END_TOKENS = ['<|im_start|>', '<|im_end|>', '<|endoftext|>', '<|eot_id|>', '</s>'];

export function answerRegion(response: string): string {
  let s = response;
  const think = s.lastIndexOf('</think>');
  if (think >= 0) s = s.slice(think + '</think>'.length);
  else if (s.includes('<think>')) return ''; // thinking never finished
  // A <think> reopened after the last </think> never closes: what follows it is thinking.
  const reopened = s.indexOf('<think>');
  if (reopened >= 0) s = s.slice(0, reopened);
  // `<|im_start|>` before any text opens the message (a decoder that echoes its header): it is
  // not an end. Any other token there still ends the answer before it began.
  for (let lead = s.trimStart(); lead.startsWith('<|im_start|>'); lead = s.trimStart()) s = lead.slice('<|im_start|>'.length);
  for (const t of END_TOKENS) {
    const i = s.indexOf(t);
    if (i >= 0) s = s.slice(0, i);
  }
  return collapseDoubleBackslashes(s);
}

/**
 * Text between two boxes that still reads as one answer: "\boxed{1} and \boxed{2}",
 * "\boxed{(2,2)} \text{ for part (a) and } \boxed{(1,1)}", ", ". A sentence break or more prose
 * ("\boxed{3}. Wait, no: \boxed{9}") separates them; then only the last box counts.
 */
function isConnectorGap(gap: string): boolean {
  if (gap.length > 120) return false;
  const g = gap
    .replace(/\\text\s*\{([^{}]*)\}/g, ' $1 ')
    .replace(/\\(?:quad|qquad|[,;:! ]|\(|\)|\[|\])/g, ' ')
    .replace(/\$/g, ' ');
  if (/[.!?:;]/.test(g.replace(/\((?:[a-z]|i+)\)/g, ''))) return false;
  const words = g.match(/[A-Za-z]+/g) ?? [];
  if (words.length === 0) return true;
  return words.length <= 4 && words.some((w) => w === 'and' || w === 'or');
}

const MAX_GROUP = 64;

/** The last box and the boxes joined to it by connector gaps, as one comma list. */
export function lastBoxGroup(s: string): string | null {
  const boxes: Span[] = findBoxes(s);
  if (boxes.length === 0) return null;
  let first = boxes.length - 1;
  // A group of more than MAX_GROUP boxes is not an answer either; stop looking (it scores as too long).
  const stop = Math.max(0, boxes.length - MAX_GROUP);
  while (first > stop && isConnectorGap(s.slice(boxes[first - 1]!.end, boxes[first]!.start))) first--;
  const group = boxes.slice(first).map((b) => b.content.trim());
  return group.length === 1 ? group[0]! : group.join(' and ');
}

/** Removes `$`, `\(`, `\)`, `\[`, `\]` math delimiters (keeps escaped `\$`). */
export function stripMathDelimiters(s: string): string {
  return s
    .replace(/\\[()[\]]/g, ' ')
    .replace(/(^|[^\\])\$+/g, '$1 ')
    .replace(/(^|[^\\])\$+/g, '$1 ')
    .trim();
}

// Words that may appear in a bare answer without making it prose.
const ANSWER_WORDS = new Set(
  (
    'and or percent pct percentage degree degrees deg unit units square cubic sq cm mm km inches inch feet foot ' +
    'ft miles mile meters meter metres yards yard dollars dollar cents cent hours hour hrs minutes minute min ' +
    'seconds second sec days day weeks years kg grams gram pounds lbs yuan euros liters litres ml mph kmh ' +
    'sqrt frac pi infty inf text cdot times sin cos tan sec csc cot log exp arcsin arccos arctan sinh cosh tanh'
  ).split(' '),
);

const OTHER_SCRIPT = /[^\P{L}\p{Script=Latin}\p{Script=Greek}\p{Script=Common}]/u;

/** A bare answer: no prose words outside LaTeX commands and \text{}. */
export function looksLikeAnswer(s: string): boolean {
  if (s.length > 20000) return false;
  // Letters of a script other than Latin, Greek (π, θ) and Common (ℝ) are prose: Chinese,
  // Cyrillic, ... sentences are not an answer, whatever their Latin word count.
  if (OTHER_SCRIPT.test(s)) return false;
  const t = stripMathDelimiters(s)
    .replace(/\\(?:begin|end)\s*\{[^{}]*\}/g, ' ')
    .replace(/_\{[^{}]*\}/g, ' ')
    .replace(/(?<=[\d)\]}])(?:and|or)(?=[^a-z])/g, ' or ')
    .replace(/\\(?:text|textbf|mbox|mathrm|textnormal|operatorname)\s*\{[^{}]*\}/g, ' ')
    .replace(/\\[a-zA-Z]+/g, ' ');
  const words = t.match(/[A-Za-z]{3,}/g) ?? [];
  const prose = words.filter((w) => !ANSWER_WORDS.has(w.toLowerCase()));
  if (prose.length === 0) return true;
  // A single word is a text answer ("odd", "Evelyn").
  return words.length === 1 && /^[\s$]*[A-Za-z]+[\s$.]*$/.test(s);
}

/** Content of the last math segment ($$..$$, \[..\], $..$, \(..\)); inline math never spans lines. */
export function lastMathSegment(s: string): string | null {
  return lastMath(s)?.content ?? null;
}

/**
 * The math segments of `s`, left to right, in one linear scan (a regex with lazy `[\s\S]+?`
 * bodies rescans to the end for every unclosed opener: quadratic on 1 MB of `\[`).
 * At each position: `$$..$$`, `\[..\]`, `$..$` (not after a backslash; `\$` inside is a
 * dollar; no newline), `\(..\)` (no newline); bodies are at least one character.
 */
function lastMath(s: string): { content: string; end: number } | null {
  let last: { content: string; end: number } | null = null;
  const next = new NextIndex(s);
  const take = (from: number, to: number, end: number): void => {
    const c = s.slice(from, to).trim();
    if (c) last = { content: c, end };
  };
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === '$') {
      if (s[i + 1] === '$') {
        const j = next.of('$$', i + 3);
        if (j >= 0) {
          take(i + 2, j, j + 2);
          i = j + 2;
          continue;
        }
      } else if (s[i - 1] !== '\\') {
        let j = i + 1;
        while (j < s.length && s[j] !== '$' && s[j] !== '\n') j += s[j] === '\\' && s[j + 1] === '$' ? 2 : 1;
        if (j < s.length && s[j] === '$' && j > i + 1) {
          take(i + 1, j, j + 1);
          i = j + 1;
          continue;
        }
      }
    } else if (c === '\\' && s[i + 1] === '[') {
      const j = next.of('\\]', i + 3);
      if (j >= 0) {
        take(i + 2, j, j + 2);
        i = j + 2;
        continue;
      }
    } else if (c === '\\' && s[i + 1] === '(') {
      const j = next.of('\\)', i + 3);
      const nl = next.of('\n', i + 2);
      if (j >= 0 && (nl < 0 || nl > j)) {
        take(i + 2, j, j + 2);
        i = j + 2;
        continue;
      }
    }
    i++;
  }
  return last;
}

/** The last math segment, unless a plain number is written after it ("... there are 12 ways."). */
export function lastMathOrNumber(s: string): string | null {
  const m = lastMath(s);
  if (!m) return lastNumber(s);
  return lastNumber(s.slice(m.end)) ?? m.content;
}

// Numbers in prose: grouped thousands, decimals (point or comma), simple fractions.
// E-notation (1e5, 2.5E-3) is one number: "1e5" is never the number 1.
const NUMBER_RE = /(?<![A-Za-z_^\d.,])[-+]?(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:[.,]\d+)?(?:[eE][-+]?\d+(?![A-Za-z\d]))?(?:\/\d+)?|\.\d+)/g;

export function lastNumber(s: string): string | null {
  const all = withoutMultilineInlineMath(s).match(NUMBER_RE);
  return all ? all[all.length - 1]! : null;
}

/**
 * Inline math that spans lines is not valid math; a number inside it is not a stated answer.
 * Blanks `$..\n..$` (a single `$` not after a backslash, to the next `$`) and `\(..\n..\)`,
 * in one linear scan (the regex for this was quadratic on an unclosed `$` before many lines).
 */
function withoutMultilineInlineMath(s: string): string {
  const next = new NextIndex(s);
  let out = '';
  let last = 0;
  let i = 0;
  while (i < s.length) {
    let close = -1;
    let width = 0;
    if (s[i] === '$' && s[i + 1] !== '$' && s[i - 1] !== '\\') {
      close = next.of('$', i + 1);
      width = 1;
    } else if (s[i] === '\\' && s[i + 1] === '(') {
      close = next.of('\\)', i + 2);
      width = 2;
    }
    if (close >= 0) {
      const nl = next.of('\n', i + 1);
      if (nl >= 0 && nl < close) {
        out += s.slice(last, i) + ' ';
        i = last = close + width;
        continue;
      }
    }
    i++;
  }
  return last === 0 ? s : out + s.slice(last);
}

/**
 * The first sentence of `s`: up to a newline or a period that ends a sentence (followed by a
 * space or the end; not a decimal point), skipping over `$..$` math. Linear.
 */
function firstSentence(s: string): string {
  let inMath = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '$') inMath = !inMath;
    else if (c === '\n' && !inMath) return s.slice(0, i);
    else if (c === '.' && !inMath && (i + 1 >= s.length || /\s/.test(s[i + 1]!))) return s.slice(0, i);
  }
  return s;
}

/** Content of a math segment that starts `s` ($..$, $$..$$, \(..\), \[..\]), else null. */
function leadingMath(s: string): string | null {
  const pairs: [string, string][] = [
    ['$$', '$$'],
    ['\\[', '\\]'],
    ['\\(', '\\)'],
    ['$', '$'],
  ];
  for (const [open, close] of pairs) {
    if (!s.startsWith(open)) continue;
    const j = s.indexOf(close, open.length);
    if (j > open.length) return s.slice(open.length, j).trim() || null;
  }
  return null;
}

/**
 * "The final answer is $X$. I hope it is correct." → X. Only X: the math segment the phrase is
 * followed by, or a box or bare answer in the sentence after it; never what a later sentence says
 * ("the answer is 5. Checking, 7 works too" is 5).
 */
function answerFromSnippet(snippet: string, depth = 0): string | null {
  let s = snippet.slice(0, 5000); // X is near the phrase; longer answers score too_long anyway
  const hope = s.search(/\bI hope\b/);
  if (hope >= 0) s = s.slice(0, hope);
  s = s.replace(/^[\s:*]+/, '').replace(/\\?["“”]/g, '');
  s = trimEndOf(firstSentence(s), '.*');
  if (!s) return null;
  const box = lastBoxGroup(s);
  if (box !== null) return box;
  if (looksLikeAnswer(s)) return stripMathDelimiters(s);
  const lead = leadingMath(s);
  if (lead !== null) return lead;
  if (depth === 0) {
    const is = s.lastIndexOf(' is ');
    if (is >= 0) {
      const r = answerFromSnippet(s.slice(is + 4), 1);
      if (r !== null) return r;
    }
  }
  return firstMathOrNumber(s);
}

/** The first math segment or plain number of a sentence, whichever comes first. */
function firstMathOrNumber(s: string): string | null {
  const math = firstMath(s);
  NUMBER_RE.lastIndex = 0;
  const num = NUMBER_RE.exec(withoutMultilineInlineMath(s));
  NUMBER_RE.lastIndex = 0;
  if (num && (!math || num.index < math.start)) return num[0];
  return math?.content ?? null;
}

function firstMath(s: string): { content: string; start: number } | null {
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '$' && !(c === '\\' && (s[i + 1] === '(' || s[i + 1] === '['))) continue;
    const m = leadingMath(s.slice(i));
    if (m !== null) return { content: m, start: i };
  }
  return null;
}

/** Index just past the last match of `re` (global), or -1. */
function afterPhraseIndex(s: string, re: RegExp): number {
  let last = -1;
  let m: RegExpExecArray | null;
  re.lastIndex = 0;
  while ((m = re.exec(s))) last = m.index + m[0].length;
  return last;
}

function afterPhrase(s: string, re: RegExp): string | null {
  let last = -1;
  let m: RegExpExecArray | null;
  re.lastIndex = 0;
  while ((m = re.exec(s))) last = m.index + m[0].length;
  return last >= 0 ? s.slice(last) : null;
}

export interface ExtractOptions {
  mode: Mode;
  /**
   * The input is an already-extracted candidate answer, not a full response (verl's convention:
   * a short bare string without math delimiters counts as boxed, even in reward mode).
   */
  bare?: boolean;
}

// A section that quotes the problem or a reference after the model's answer.
const QUOTED_SECTION =
  /(?:^|\n|[.!?])[ \t>*#_]{0,8}(?:(?:the\s+)?(?:reference|original|restated|given)\s+(?:problem|question|solution|answer|text)|problem\s+statement|(?:problem|question)\s*(?:\(restated\))?\s*[:：]|(?:as\s+)?(?:the\s+)?(?:problem|question)\s+(?:says|said|states|asks|reads)\b)/gi;

/**
 * Boxes the model quotes rather than states: inside quotation marks, markdown block quotes, or a
 * section quoting the problem or a reference ("Reference solution: …", "Problem: …") that comes
 * after a box of the model's own. Those spans are blanked (same length), so the last box outside
 * them is the answer. Nothing changes when no box stands outside them.
 */
export function withoutQuotedBoxes(s: string): string {
  // A quoted box after the model's own needs two boxes (the common single-box response costs one scan).
  const boxAt = (from: number) => {
    const a = s.indexOf('\\boxed', from);
    const b = s.indexOf('\\fbox', from);
    return a < 0 ? b : b < 0 ? a : Math.min(a, b);
  };
  const first = boxAt(0);
  if (first < 0 || boxAt(first + 4) < 0) return s;
  const spans: [number, number][] = [];
  // Quotation marks: "…" and “…” within one paragraph.
  for (const re of [/"[^"\n]{0,2000}"/g, /“[^”\n]{0,2000}”/g]) {
    let m: RegExpExecArray | null;
    while ((m = re.exec(s)) && spans.length <= 200) spans.push([m.index, m.index + m[0].length]);
  }
  // Markdown block quotes.
  const bq = /^>[^\n]*/gm;
  let m: RegExpExecArray | null;
  while ((m = bq.exec(s)) && spans.length <= 200) spans.push([m.index, m.index + m[0].length]);
  QUOTED_SECTION.lastIndex = 0;
  while ((m = QUOTED_SECTION.exec(s))) {
    spans.push([m.index, s.length]);
    break;
  }
  if (spans.length === 0 || spans.length > 200) return s; // bounded work on adversarial input
  const inSpan = (i: number) => spans.some(([a, b]) => i >= a && i < b);
  const boxes = findBoxes(s);
  if (boxes.length > 1000) return s;
  const firstQuoted = Math.min(...spans.map(([a]) => a));
  if (!boxes.some((b) => !inSpan(b.start) && b.start < firstQuoted) || !boxes.some((b) => inSpan(b.start))) return s;
  const chars = s.split('');
  for (const [a, b] of spans) for (let i = a; i < b; i++) if (chars[i] !== '\n') chars[i] = ' ';
  return chars.join('');
}

export function extractAnswer(response: string, opts: ExtractOptions): string | null {
  return extractFromRegion(answerRegion(response), opts);
}

/** extractAnswer on a response already cut to its answer region (answerRegion). */
export function extractFromRegion(region: string, opts: ExtractOptions): string | null {
  const s = withoutQuotedBoxes(region);
  if (opts.mode === 'reward') {
    const box = lastBoxGroup(s);
    if (box !== null) return box;
    if (opts.bare && s.length <= 200 && !/\$|\\\(|\\\[/.test(s) && s.trim()) return s.trim();
    return null;
  }
  // The last box first (the Qwen evaluator's order), unless "final answer is X" comes after it.
  const boxes = findBoxes(s);
  const lastBoxEnd = boxes.length ? boxes[boxes.length - 1]!.end : -1;
  const finAt = afterPhraseIndex(s, /final answer is/gi);
  if (finAt > lastBoxEnd) {
    const a = answerFromSnippet(s.slice(finAt));
    if (a !== null) return a;
  }
  const box = lastBoxGroup(s);
  if (box !== null) return box;
  const ans = afterPhrase(s, /(?:the answer is|final answer\s*:|answer\s*:)/gi);
  if (ans !== null) {
    const a = answerFromSnippet(ans);
    if (a !== null) return a;
  }
  if (looksLikeAnswer(s)) return stripMathDelimiters(s) || null;
  return lastMathOrNumber(s);
}

/** The gold answer: its last box group when it is a worked solution, else the whole string. */
export function extractGold(gold: string): string {
  const s = collapseDoubleBackslashes(gold);
  const box = lastBoxGroup(s);
  if (box !== null) return box;
  if (looksLikeAnswer(s) || s.length < 60) return stripMathDelimiters(s);
  return extractAnswer(s, { mode: 'eval' }) ?? stripMathDelimiters(s);
}
