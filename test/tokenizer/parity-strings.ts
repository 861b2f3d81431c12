// The seeded 10,000-string parity set the tokenizer tests compare against HF tokenizers: LaTeX,
// CJK and other scripts, emoji (ZWJ sequences, flags, skin tones), combining marks, whitespace runs
// (including U+0085, U+FEFF, U+3000), digit runs, code, and the model's special-token text.
import { mulberry32 } from '../../src/data/rng.js';

/** Seeded floats in [0, 1) (the project's mulberry32). */
const rng = mulberry32;

const WORDS = [
  'the',
  'The',
  'THE',
  'of',
  'and',
  'a',
  'to',
  'in',
  'is',
  'you',
  'that',
  'it',
  'he',
  'was',
  'for',
  'on',
  'are',
  'Hello',
  'world',
  'tokenizer',
  'reinforcement',
  'learning',
  'verifiable',
  'rewards',
  'Qwen',
  'Llama',
  "don't",
  "IT'S",
  "we'll",
  "they're",
  "I've",
  "I'm",
  "she'd",
  "it'ſ",
  "'S",
  "'LL",
  'naïve',
  'café',
  'Straße',
  'mathematics',
  'triangle',
  'hypotenuse',
  'polynomial',
  'coefficient',
  'x',
  'y',
  'z',
  'n',
  'k',
];
const LATEX = [
  '\\frac{1}{2}',
  '$x^2 + y^2 = z^2$',
  '\\boxed{12.8}',
  '\\sqrt[3]{x}',
  '\\begin{align*} a &= b \\\\ c &= d \\end{align*}',
  '$$\\sum_{i=1}^{n} i = \\frac{n(n+1)}{2}$$',
  '\\left( \\dfrac{4}{3} \\right)',
  '\\mathbb{R}',
  '\\alpha\\beta\\gamma',
  '\\int_0^\\infty e^{-x^2}\\,dx',
  "f'(x)",
  '\\{1, 2, 3\\}',
  '\\text{if } x > 0',
  '\\pi r^2',
  '10^{-6}',
];
const CODE = [
  'def f(x):\n    return x**2\n',
  'for (int i = 0; i < n; i++) {\n\tsum += a[i];\n}',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: JavaScript source as tokenizer input, not a template
  'console.log(`${a}`);',
  'if __name__ == "__main__":\n    main()',
  '#include <stdio.h>',
  'x = [1, 2, 3]  # comment',
  '    ',
  '\t\t',
  'fn main() -> Result<(), Box<dyn Error>> {}',
  'SELECT * FROM t WHERE id = 42;',
  '<div class="a">b</div>',
];
/** Special-token text (and near misses) of Qwen and Llama-3: the default `specials`. */
export const SPECIAL = [
  '<|im_start|>',
  '<|im_end|>',
  '<|endoftext|>',
  '<think>',
  '</think>',
  '<tool_call>',
  '<|im_start',
  '<|im_end|',
  '|>',
  '<|',
  '<|im_start|>user\n',
  '<|im_start|>assistant\n',
  '<|begin_of_text|>',
  '<|eot_id|>',
];
const WHITESPACE = [
  ' ',
  '  ',
  '   ',
  '        ',
  '\t',
  '\n',
  '\n\n',
  '\n\n\n',
  '\r\n',
  ' \n',
  '\n ',
  ' \n \n',
  '\u00a0',
  '\u3000',
  '\u0085',
  '\ufeff',
  '\u2028',
  '\u200b',
  '\u2009',
  '\v',
  '\f',
  '\r',
  ' \t ',
  '                                ',
];
const EMOJI = ['😀', '👍🏽', '👨‍👩‍👧‍👦', '🇺🇸', '🇯🇵', '❤️', '✅', '🤖', '🧮', '1️⃣', '🏳️‍🌈', '😂😂😂'];
const COMBINING = ['e\u0301', 'a\u0308', 'o\u0302\u0323', 'n\u0303', '\u1100\u1161\u11a8', 'A\u030a', 'Å', 'ﬁ', 'ｶ\u3099', '\u0915\u094d\u0937'];
const RANGES: Array<[number, number]> = [
  [0x20, 0x7e],
  [0xa0, 0xff],
  [0x100, 0x24f],
  [0x370, 0x3ff],
  [0x400, 0x4ff],
  [0x590, 0x5ff],
  [0x600, 0x6ff],
  [0x900, 0x97f],
  [0xe00, 0xe7f],
  [0x2000, 0x206f],
  [0x2070, 0x209f],
  [0x2150, 0x218f],
  [0x2200, 0x22ff],
  [0x3040, 0x30ff],
  [0x4e00, 0x9fff],
  [0xac00, 0xd7a3],
  [0xff00, 0xffef],
  [0x1f300, 0x1f6ff],
  [0x1d400, 0x1d7ff],
  [0x20000, 0x2a6df],
  [0x0300, 0x036f],
  [0x0660, 0x0669],
  [0x00b2, 0x00b3],
];

/**
 * `count` seeded strings mixing words, LaTeX, digits, whitespace runs, random code points from many
 * scripts, emoji, combining marks, code and special-token text. `specials` replaces the special-token
 * fragments (default: Qwen's and Llama-3's); the default set is what the Qwen parity test has always used.
 */
export function generateStrings(count: number, seed: number, specials: readonly string[] = SPECIAL): string[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const digits = (n: number) => Array.from({ length: n }, () => String(int(0, 9))).join('');
  const randomChars = (n: number) => {
    let s = '';
    for (let i = 0; i < n; i++) {
      const [lo, hi] = pick(RANGES);
      s += String.fromCodePoint(int(lo, hi));
    }
    return s;
  };
  const fragment = (): string => {
    switch (int(0, 11)) {
      case 0:
      case 1:
        return Array.from({ length: int(1, 8) }, () => pick(WORDS)).join(pick([' ', ' ', ', ', '. ', '-', '']));
      case 2:
        return pick(LATEX);
      case 3:
        return pick([digits(int(1, 30)), `${digits(int(1, 4))}.${digits(int(1, 6))}`, '1,000,000', `-${digits(3)}`, '３２１', '٣٤٥']);
      case 4:
        return pick(WHITESPACE);
      case 5:
        return randomChars(int(1, 12));
      case 6:
        return pick(EMOJI);
      case 7:
        return pick(COMBINING);
      case 8:
        return pick(CODE);
      case 9:
        return pick(specials);
      case 10:
        return String.fromCharCode(...Array.from({ length: int(1, 20) }, () => int(0x20, 0x7e)));
      default:
        return Array.from({ length: int(1, 6) }, () => pick(WHITESPACE)).join('');
    }
  };
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    // Mostly short strings, some long documents.
    const n = r() < 0.02 ? int(100, 400) : int(1, 12);
    let s = '';
    for (let j = 0; j < n; j++) s += fragment() + pick(['', '', ' ', '\n']);
    out.push(s);
  }
  return out;
}
