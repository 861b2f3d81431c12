// String normalisation of an extracted answer, before parsing. Each step removes notation that
// does not change the value: spacing macros, \left/\right, fraction variants, text wrappers,
// units, degrees, percent, currency, thousands separators. Values are never rescaled here
// (25% stays 25, never 0.25: see README, "percent").
import { collapseDoubleBackslashes, trimEndOf, unwrapCommand } from './latex.js';
import { stripMathDelimiters } from './extract.js';
import { baseInWords, verbalSet, wordsToNumber } from './words.js';

// Unit words removed after a value ("15 cm^2", "125 miles", "10\text{ units}").
const UNIT_WORDS =
  'units?|square|sq|cubic|cm|mm|km|m|meters?|metres?|inch(?:es)?|in|feet|foot|ft|miles?|mi|yards?|yd|' +
  'dollars?|cents?|hours?|hrs?|h|minutes?|mins?|seconds?|secs?|s|days?|weeks?|months?|years?|kg|g|grams?|' +
  'pounds?|lbs?|oz|yuan|euros?|liters?|litres?|l|ml|mph|km/h|m/s|degrees?|deg|rad|radians|points?|people|' +
  'students?|ways?|times|apples?|marbles?|books?|cookies?|boxes|coins?|inches';
const UNIT_SET = new Set(expandAlternation(UNIT_WORDS));
// No leading \s*: at every position of a long run of spaces that would rescan the run (quadratic).
const PERCENT_WORDS = /(?:\\%|%|\\text\{\s*\\?%\s*\}|\bpercent(?:age)?\b|\bpct\b)/gi;

/** Tokens of the form `\text{...}` that only hold unit words or prose after a value are dropped. */
function dropTextUnits(s: string): string {
  // \text{ cm}^2 after something → drop; a lone \text{Evelyn} (nothing before) stays.
  // Greedy body then `}` (a lazy body before `\s*\}` backtracks quadratically on long runs).
  if (!s.includes('\\text')) return s;
  return s.replace(
    /(\S)(\s*\\text\{\s*)([A-Za-z][A-Za-z .]*(?:\/[A-Za-z]+(?:\^\{?-?\d\}?)?)*)\}(?:\^\{?-?[1-3]\}?|[²³])?/g,
    (all, before: string, space: string, words: string) => {
      const w = words.trim().toLowerCase();
      if (w === 'and' || w === 'or') return `${before} ${w} `;
      if (/^[ap]\.?\s?m\.?$/.test(w)) return `${before} ${w[0]}m`; // 4:30 p.m. keeps its half of the day
      // A single upright letter is a unit only after a number and a space (10\ \mathrm{m}); otherwise a symbol.
      if (/^[a-z]$/i.test(w) && !(/\s/.test(space) && /[\d}]/.test(before))) return all;
      return before;
    },
  );
}

const TRIG = /\\(?:sin|cos|tan|sec|csc|cot)(?![a-zA-Z])|(?<![a-zA-Z\\])(?:sin|cos|tan)(?![a-zA-Z])/;
const MAX_BOX_NESTING = 64;

export function normalizeAnswer(input: string, depth = 0): string {
  let s = collapseDoubleBackslashes(input);
  // A box inside the box (\boxed{\boxed{5}}, x = \boxed{5}) is the same answer.
  for (let k = 0; k < MAX_BOX_NESTING && /\\(?:boxed|fbox)\s*\{/.test(s); k++) s = unwrapCommand(s, ['boxed', 'fbox']);
  s = s.replace(/[\u00a0\u2009\u202f]/g, ' ');
  s = neutraliseFormatting(s);
  if (/base|_\s*\{\s*(?:\\text\s*\{)?\s*[a-z]{3}/i.test(s) && s.length < 80) s = baseInWords(s.trim());
  s = stripMathDelimiters(s);
  // Thousands separators written the LaTeX way: 14{,}916, 11,\!111 (always grouping, never lists).
  s = s.replace(/(\d)\s*\{\s*,\s*\}\s*(?=\d)/g, '$1').replace(/(\d),\\!\s*(?=\d)/g, '$1');
  // Text wrappers: one canonical \text{}.
  s = s.replace(/\\(?:textbf|textnormal|textrm|textit|textup|mbox|hbox|mathrm|mathbf|mathit|mathsf|rm|bf)\b\s*(?=\{)/g, '\\text');
  s = s.replace(/\\(?:displaystyle|textstyle|left|right|bigl|bigr|Bigl|Bigr|big|Big|bigg|Bigg)(?![a-zA-Z])\.?/g, '');
  s = s
    .replace(/\\q?quad/g, ' ')
    .replace(/\*\*/g, ' ')
    .replace(/(?<!\\)\\[,;:! ]/g, ' ')
    .replace(/~/g, ' ');
  s = s.replace(/\\[dtc]frac(?![a-zA-Z])/g, '\\frac');
  s = binomialNotation(s);
  s = s.replace(/\\operatorname\s*\{([a-zA-Z]+)\}/g, '\\$1');
  s = s.replace(/\\(?:lt)(?![a-zA-Z])/g, '<').replace(/\\(?:gt)(?![a-zA-Z])/g, '>');
  // Degrees and percent: the sign is notation; the number stays as written.
  // Inside a trig function's argument a degree sign is a unit that changes the value
  // (\sin 30^\circ = 1/2): keep it as ^{\circ} for the parser, which reads it as ·π/180.
  if (TRIG.test(s)) s = s.replace(/\^\s*\{\s*\\circ\s*\}|\^\s*\\circ(?![a-zA-Z])|°|\\degree(?![a-zA-Z])/g, '^{\\circ}');
  else s = s.replace(/\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|\\circ|°|\\degree(?![a-zA-Z])/g, ' ');
  s = s.replace(PERCENT_WORDS, ' ');
  // Currency.
  s = s.replace(/\\\$|[€£¥]|\\(?:euro|pounds)(?![a-zA-Z])/g, ' ');
  // A quantity named in words before "=" (\text{speed} = 5, \text{Total cost}: 12) labels the value.
  s = s.replace(/^\s*\\text\s*\{\s*[A-Za-z][A-Za-z ']{1,40}\}\s*(?:=|:)\s*(?=\S)/, '');
  s = dropIntegerDeclaration(s);
  s = dropTextUnits(s);
  s = s.replace(/\\text\s*\{\s*\}/g, ' ');
  // Superscript digits typed as unicode.
  s = s.replace(/²/g, '^2').replace(/³/g, '^3');
  s = s.replace(/\b([ap])\.\s?m\.(?=\s|$)/gi, '$1m');
  s = mixedNumber(s);
  s = s.replace(/\s+/g, ' ').trim();
  s = timeOfDay(s);
  s = scientificDecimal(s);
  // An ellipsis as a list element ("1, 2, 3, ...") continues the list: it is \ldots, not a full stop.
  s = s.replace(/, ?(?:\.{3,}|…)/g, ', \\ldots');
  s = stripUnitTail(s);
  s = trimEndOf(dropTrailingBackslashes(trimEndOf(s, '.,;')), '.,;').replace(/^[\s,;]+/, '');
  // A whole-answer \text{...} is the answer itself: \text{13} is 13, \text{(C)} is C.
  const whole = /^\\text\s*\{([^{}]*)\}$/.exec(s);
  if (whole && depth === 0) return normalizeAnswer(whole[1]!, 1);
  // A number in words (\text{twenty-one}) is that number; a verbal set ("all real numbers",
  // "no solutions") is the set it names.
  if (/^[A-Za-z][A-Za-z ,-]*$/.test(s)) {
    const w = wordsToNumber(s);
    if (w !== null) return w.toString();
    const set = verbalSet(s);
    if (set !== null) return set;
  }
  const set = s.length < 40 && /[A-Za-z]{4}/.test(s) ? verbalSet(s) : null;
  if (set !== null) return set;
  const choice = /^\(([A-Za-z])\)$/.exec(s);
  if (choice) s = choice[1]!;
  return s;
}

// A mixed number written in plain text: whole part, one space (not a line break), a proper fraction.
const MIXED = /^\s*([+-]?)(\d{1,3}(?: \d{3})+|\d+)[ \t]+(\d+)\/(\d+)\s*$/;

/**
 * "4 4/9" is 40/9 and "-4 4/9" is -40/9 (as `4\frac{4}{9}` already is to the parser), never the
 * product 16/9. Only a whole answer, a proper fraction and an integer whole part ("1 000 4/9"
 * with grouped thousands); "11 7/6", "11.0 4/9" and "11\n5/6" are left as written.
 */
function mixedNumber(s: string): string {
  if (s.length > 64 || !s.includes('/')) return s;
  const m = MIXED.exec(s);
  if (!m) return s;
  const whole = BigInt(m[2]!.replace(/ /g, ''));
  const [num, den] = [BigInt(m[3]!), BigInt(m[4]!)];
  if (den === 0n || num >= den) return s;
  return `${m[1] === '-' ? '-' : ''}\\frac{${whole * den + num}}{${den}}`;
}

const TIME = /^(\d{1,2}):([0-5]\d)(?::(00))?(?: ?([ap])m)?$/i;

/**
 * A whole-answer time of day on one clock: zero seconds go (20:34:00 is 20:34) and a.m./p.m.
 * becomes the 24-hour hour (8:34 pm is 20:34, 12:15 am is 0:15). Other ratios are untouched.
 */
function timeOfDay(s: string): string {
  if (s.length > 16 || !s.includes(':')) return s;
  const m = TIME.exec(s);
  if (!m || (!m[3] && !m[4])) return s;
  let h = Number(m[1]);
  if (m[4]) {
    if (h < 1 || h > 12) return s;
    h = (h % 12) + (m[4].toLowerCase() === 'p' ? 12 : 0);
  }
  return `${h}:${m[2]}`;
}

// A decimal mantissa times a power of ten: 2.3148 \times 10^{-3}. The lookbehind keeps each
// start at the beginning of a number (linear on long digit runs).
const SCI = /(?<![\d.^_{])(\d+\.\d+) ?(?:\\times|\\cdot|×|\*) ?10 ?\^ ?(?:\{ ?([+-]?\d{1,4}) ?\}|([+-]?\d))(?![\d.])/g;

/** Scientific notation with a decimal mantissa is that decimal written in e-notation, so it keeps the
 * digits written (the decimal policy applies: 2.314814814815 × 10^{-3} stands for 1/432). */
function scientificDecimal(s: string): string {
  if (!s.includes('10') || !/\\times|\\cdot|×|\*/.test(s)) return s;
  return s.replace(SCI, (_all, mant: string, e1?: string, e2?: string) => `${mant}e${e1 ?? e2}`);
}

/** A backslash (or `\\` row break) ending the answer is a typing artefact: `185\` is 185. */
function dropTrailingBackslashes(s: string): string {
  let end = s.length;
  while (end > 0 && s[end - 1] === '\\') end--;
  return end === s.length ? s : s.slice(0, end).trimEnd();
}

/** Expands `units?|inch(?:es)?|mi` into every word it matches (the unit list is written as a regex). */
function expandAlternation(alts: string): string[] {
  return alts.split('|').flatMap((w) => {
    const opt = /^(.*?)(?:\(\?:([a-z]+)\)\?|([a-z])\?)$/.exec(w);
    if (!opt) return [w];
    const stem = opt[1]!;
    const suffix = opt[2] ?? opt[3]!;
    return [stem, stem + suffix];
  });
}

/**
 * Start of the trailing run of unit words ("15 cm^2", "3 feet", "60 km/h"), or -1. A linear scan
 * from the end, word by word (the regex `(?:(?:m|mm|...)\s*)+$` backtracked exponentially on
 * `1 mmmm…mX`): each word must be a whole unit word, optionally squared/cubed.
 */
function unitTailStart(s: string): number {
  let end = s.length;
  let start = -1;
  for (;;) {
    let j = end;
    while (j > 0 && s[j - 1] === ' ') j--;
    const power = /(?:\^\{?[23]\}?|[²³])$/.exec(s.slice(Math.max(0, j - 5), j));
    if (power) j -= power[0].length;
    let k = j;
    while (k > 0 && /[A-Za-z/]/.test(s[k - 1]!)) k--;
    if (k === j || !UNIT_SET.has(s.slice(k, j).toLowerCase())) break;
    end = start = k;
  }
  if (start <= 0) return -1;
  // The tail must follow a value: a digit, `}`, `)`, `.` or a space (then spaces are part of it).
  if (!/[\d}).\s]/.test(s[start - 1]!)) return -1;
  while (start > 0 && /\s/.test(s[start - 1]!)) start--;
  return start;
}

/** "125 miles", "1,000.99m^2", "35 cm" → the value. Never strips a lone letter answer. */
function stripUnitTail(s: string): string {
  const at = unitTailStart(s);
  if (at <= 0) return s;
  const tail = s.slice(at);
  const head = s.slice(0, at).trim();
  // Keep single-letter tails that are symbols of an expression ("2x+3m" is not a unit case).
  if (!/[\d})]\s*$/.test(head)) return s;
  if (/^[a-z]$/i.test(tail.trim()) && !/\d\s*$/.test(head)) return s;
  // "3 m" with a single-letter unit is only stripped after a plain number.
  if (/^[a-zA-Z]{1}$/.test(tail.trim()) && !/^[-+]?[\d.,]+$/.test(head)) return s;
  return head;
}

export { unwrapCommand };

// {}_nC_r, _nC_r, ^nC_r (combinations) and {}_nP_r (permutations): the binomial and n!/(n-r)!.
const NCR =
  /(?:\{\s*\}|(?<![A-Za-z0-9}\])]))\s*[_^]\s*(?:\{\s*([A-Za-z0-9+-]{1,12})\s*\}|([0-9A-Za-z]))\s*(?:\\(?:mathrm|text)\s*)?\{?\s*([CP])\s*\}?\s*_\s*(?:\{\s*([A-Za-z0-9+-]{1,12})\s*\}|([0-9A-Za-z]))/g;

function binomialNotation(s: string): string {
  if (!/[CP]\s*\}?\s*_/.test(s)) return s;
  return s.replace(NCR, (_all, n1?: string, n2?: string, kind?: string, r1?: string, r2?: string) => {
    const n = n1 ?? n2!;
    const r = r1 ?? r2!;
    return kind === 'C' ? `\\binom{${n}}{${r}}` : `\\frac{(${n})!}{(${n}-(${r}))!}`;
  });
}

/**
 * Formatting that does not change the answer: \color{red}{5} / {\color{red}5} / \textcolor{red}{5},
 * \underbrace{5}_{note} / \overbrace{5}^{note}, \underset{note}{5} / \overset{note}{5},
 * \phantom{..} / \hphantom / \vphantom (invisible), and LaTeX comments (`%` to the end of the line,
 * when it holds words: `5 % checked`; a `%` after a number alone is percent).
 */
const FORMATTING = /%|\\(?:h|v)?phantom|\\(?:text)?color|\\(?:under|over)(?:set|brace)|\\stackrel/;

function neutraliseFormatting(input: string): string {
  let s = input;
  if (!FORMATTING.test(s)) return s;
  // A comment: `%` not right after a number (100% is percent) or a backslash, words after it.
  if (s.includes('%')) s = s.replace(/(?<![\\\d])%(?=[^\n]*[A-Za-z]{2})[^\n]*/g, ' ');
  if (!s.includes('\\')) return s;
  s = unwrapCommand(s, ['phantom', 'hphantom', 'vphantom'], () => ' ');
  s = s.replace(/\\textcolor\s*\{[^{}]*\}\s*(?=\{)/g, '\\textcolorbody').replace(/\\color\s*\{[^{}]*\}/g, ' ');
  s = unwrapCommand(s, ['textcolorbody']);
  // \underset{a}{b}, \overset{a}{b}, \stackrel{a}{b}: the second argument is the content.
  for (let k = 0; k < 8 && /\\(?:underset|overset|stackrel)\s*\{/.test(s); k++) {
    s = s.replace(/\\(?:underset|overset|stackrel)\s*\{[^{}]*\}\s*(?=\{)/, '\\setbody');
    s = unwrapCommand(s, ['setbody']);
  }
  // \underbrace{x}_{note}: keep x, drop the note.
  for (let k = 0; k < 8 && /\\(?:underbrace|overbrace)\s*\{/.test(s); k++) {
    const before = s;
    s = unwrapCommand(s, ['underbrace', 'overbrace'], (inner) => `${inner}\u0001`);
    s = s.replace(/\u0001\s*[_^]\s*(?:\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}|\\?[A-Za-z0-9]+)/g, '').replace(/\u0001/g, '');
    if (s === before) break;
  }
  return s;
}

// "…, k ∈ ℤ", "\text{ where } k \text{ is an integer}", "\text{for any integer } n", "(k \in \mathbb{Z})":
// the declaration of a solution family's integer parameter, after the family itself.
const INT_SET = String.raw`(?:\\mathbb\s*\{\s*Z\s*\}|\\mathbb\s*Z|\\Z(?![a-zA-Z])|ℤ|\\text\s*\{\s*integers?\s*\})`;
const DECL = new RegExp(
  String.raw`(?:[,;]|\\text\s*\{\s*(?:,?\s*(?:where|for|with))?\s*\}|\s)\s*\(?\s*(?:\\text\s*\{\s*(?:where|for|with)\s*(?:all|any|some|every)?\s*\}\s*)?` +
    String.raw`(?:[a-z]\s*\\in\s*${INT_SET}|[a-z]\s*\\text\s*\{\s*(?:is|are)\s+(?:an?\s+)?(?:arbitrary\s+|any\s+)?integers?\s*\}|\\text\s*\{\s*(?:where|for)\s+(?:all|any|every|some)?\s*(?:integers?)\s*\}\s*[a-z]|[a-z]\s*=\s*0\s*,\s*\\pm\s*1\s*,\s*\\pm\s*2\s*,?\s*\\[lc]?dots)\s*\)?\s*\.?\s*$`,
);

function dropIntegerDeclaration(s: string): string {
  if (s.length > 400 || !/mathbb|\\Z|ℤ|integer|\\pm\s*1/.test(s)) return s;
  const m = DECL.exec(s);
  if (!m || m.index === 0) return s;
  // Only after a trigonometric family in that parameter (x = π/4 + kπ): "x > 0, x ∈ ℤ" keeps its condition.
  const head = s.slice(0, m.index);
  const name = /([a-z])\s*(?:\\in|\\text|=)/.exec(m[0]) ?? /([a-z])\s*$/.exec(m[0]);
  return /\\pi|π/.test(head) && name && new RegExp(`(?<![a-zA-Z\\\\])${name[1]}(?![a-zA-Z])`).test(head) ? head : s;
}
