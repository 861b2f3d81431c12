// Adversarial inputs for the verifier: the shapes that once hung a check (compute-engine
// backtracking on unbalanced brackets and punctuation runs, the unit regex on `1 mmm…mX`, the
// last-number regex on an unclosed `$` before many lines), deep nesting to 10k, 1 MB responses,
// and random LaTeX-ish token soup. Deterministic (seeded), so a failure reproduces.
import { mulberry32 } from '../../src/data/rng.js';

export interface FuzzInput {
  name: string;
  gold: string;
  response: string;
}

const rng = mulberry32;

const TOKENS = [
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  '\\{',
  '\\}',
  '\\left(',
  '\\right)',
  '\\left[',
  '\\right]',
  '.',
  '-',
  '+',
  '|',
  ',',
  ';',
  ':',
  '1',
  '2',
  '0',
  '3.5',
  '1e5',
  'x',
  'a',
  'm',
  'cm',
  ' ',
  '  ',
  '\n',
  '$',
  '$$',
  '\\(',
  '\\)',
  '\\[',
  '\\]',
  '^',
  '_',
  '^{',
  '_{',
  '\\frac',
  '\\frac{',
  '\\sqrt',
  '\\sqrt[',
  '\\boxed{',
  '\\boxed',
  '\\text{',
  '\\pi',
  '\\infty',
  '\\cup',
  '\\cap',
  '\\le',
  '\\pm',
  '\\circ',
  '^\\circ',
  '\\%',
  '\\overline{',
  '\\mathbb{R}',
  '\\setminus',
  '\\emptyset',
  '\\begin{pmatrix}',
  '\\end{pmatrix}',
  '&',
  '\\\\',
  '\\over',
  '\\sin',
  '\\log',
  '!',
  '=',
  '<',
  '>',
  '\\approx',
  '\\to',
  'or',
  'and',
  'the answer is ',
  'final answer is ',
  'Answer: ',
  '\\dots',
  '\\,',
  '\\!',
  '~',
  '\\quad',
  'e',
  'i',
  '\u00b1',
  '\u00b0',
  '<think>',
  '</think>',
  '<|im_end|>',
  'units',
  'miles',
  'percent',
  '(A)',
  'B',
  '0.\\overline{3}',
  '110_2',
  '_{16}',
  '3.2e4',
];

/** The shapes from the issue (and their neighbours), at several sizes. */
function knownShapes(): FuzzInput[] {
  const out: FuzzInput[] = [];
  const box = (s: string) => `\\boxed{${s}}`;
  for (const n of [5, 10, 13, 17, 25, 40, 100, 1000, 10_000]) {
    out.push({ name: `open-paren-${n}`, gold: '1', response: box('('.repeat(n) + '1') });
    out.push({ name: `open-bracket-${n}`, gold: '1', response: box('['.repeat(n) + ']') });
    out.push({ name: `left-paren-${n}`, gold: '1', response: box('\\left('.repeat(n) + '1') });
    out.push({ name: `dots-${n}`, gold: '1', response: box('.'.repeat(n)) });
    out.push({ name: `dashes-${n}`, gold: '1', response: box('-'.repeat(n)) });
    out.push({ name: `bars-${n}`, gold: '1', response: box('|'.repeat(n) + '1') });
    out.push({ name: `unit-m-${n}`, gold: '1', response: box('1 ' + 'm'.repeat(n) + 'X') });
    out.push({ name: `unit-cm-${n}`, gold: '1', response: box('1 ' + 'cm '.repeat(n) + 'X') });
    out.push({ name: `nested-paren-${n}`, gold: '1', response: box('('.repeat(n) + '1' + ')'.repeat(n)) });
    out.push({ name: `nested-frac-${n}`, gold: '1', response: box('\\frac{1}{'.repeat(n) + '2' + '}'.repeat(n)) });
    out.push({ name: `nested-sqrt-${n}`, gold: '1', response: box('\\sqrt{'.repeat(n) + '2' + '}'.repeat(n)) });
    out.push({ name: `nested-box-${n}`, gold: '1', response: '\\boxed{'.repeat(n) + '1' + '}'.repeat(n) });
    out.push({ name: `power-tower-${n}`, gold: '1', response: box('2^{'.repeat(n) + '2' + '}'.repeat(n)) });
    out.push({ name: `unclosed-dollar-lines-${n}`, gold: '1', response: '$' + 'x = 1\n'.repeat(n * 10) });
    out.push({ name: `unclosed-display-${n}`, gold: '1', response: '\\['.repeat(n * 10) + '1' });
    out.push({ name: `unclosed-inline-${n}`, gold: '1', response: '\\('.repeat(n * 10) + '1' });
    out.push({ name: `dollars-${n}`, gold: '1', response: '$$ $'.repeat(n * 10) + '1' });
    out.push({ name: `answer-is-${n}`, gold: '1', response: 'the answer is '.repeat(n) + '1' });
    out.push({ name: `final-answer-spaces-${n}`, gold: '1', response: 'The final answer is 1' + ' .'.repeat(n * 10) + 'x' });
    out.push({ name: `pm-${n}`, gold: '1', response: box('1 \\pm '.repeat(Math.min(n, 2000)) + '1') });
    out.push({ name: `list-${n}`, gold: '1', response: box('1, '.repeat(n) + '2') });
    out.push({ name: `overline-${n}`, gold: '1', response: box('0.\\overline{' + '9'.repeat(n) + '}') });
    out.push({ name: `base-${n}`, gold: '1', response: box('1'.repeat(Math.min(n, 4000)) + '_{2}') });
  }
  return out;
}

/** 1 MB responses of the kinds a runaway generation produces. */
function megabyteShapes(): FuzzInput[] {
  const MB = 1 << 20;
  const fill = (unit: string, tail = '') => unit.repeat(Math.ceil(MB / unit.length)) + tail;
  return [
    { name: 'mb-spaces', gold: '1', response: fill(' ', 'x') },
    { name: 'mb-newlines-dollar', gold: '1', response: '$' + fill('1\n') },
    { name: 'mb-open-display', gold: '1', response: fill('\\[') },
    { name: 'mb-open-inline', gold: '1', response: fill('\\( ') },
    { name: 'mb-digits', gold: '1', response: fill('1') },
    { name: 'mb-grouped', gold: '1', response: fill('1,000,') },
    { name: 'mb-boxes', gold: '1', response: fill('\\boxed{1} ') },
    { name: 'mb-open-boxes', gold: '1', response: fill('\\boxed{') },
    { name: 'mb-final-answer', gold: '1', response: 'The final answer is ' + fill('1 . ') + 'x' },
    { name: 'mb-answer-is', gold: '1', response: fill('the answer is 1. ') },
    { name: 'mb-prose', gold: '1', response: fill('We compute the value of $x^2 + 1$ step by step, so 3 + 4 = 7. ') + '\\boxed{1}' },
    { name: 'mb-think', gold: '1', response: '<think>' + fill('hmm ') },
    { name: 'mb-box-content', gold: '1', response: '\\boxed{' + fill('1+') + '1}' },
    { name: 'mb-gold', gold: fill('1'), response: '\\boxed{1}' },
  ];
}

/** `n` random token strings, boxed or bare, with random golds. */
function soup(n: number, seed: number): FuzzInput[] {
  const r = rng(seed);
  const out: FuzzInput[] = [];
  const pick = () => TOKENS[Math.floor(r() * TOKENS.length)]!;
  for (let k = 0; k < n; k++) {
    const len = 1 + Math.floor(r() * (r() < 0.1 ? 400 : 40));
    let s = '';
    for (let j = 0; j < len; j++) s += pick();
    const g = r() < 0.5 ? '1' : Array.from({ length: 1 + Math.floor(r() * 6) }, pick).join('');
    out.push({ name: `soup-${k}`, gold: g, response: r() < 0.6 ? `\\boxed{${s}}` : s });
  }
  return out;
}

/** Every input of the fuzz suite: the known shapes, 1 MB responses, and `soupCount` random ones. */
export function fuzzInputs(soupCount = 4500, seed = 12): FuzzInput[] {
  return [...knownShapes(), ...megabyteShapes(), ...soup(soupCount, seed)];
}
