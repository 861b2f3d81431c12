// Fallback parser on @cortex-js/compute-engine (pinned 0.30.2). Our own parser handles the
// answers we see in practice; when it gives up, the compute engine's much larger LaTeX grammar
// gets a try, and its MathJSON is converted into our tree so that the same exact/random-point
// comparison applies. Loaded lazily (synchronously, via its UMD build) so that the common path
// never pays its start-up cost.
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Node } from './parse.js';
import { parseDecimal } from './rational.js';

type MathJson = number | string | { num: string } | { sym: string } | { str: string } | MathJson[];
interface CE {
  parse(latex: string): { json: MathJson };
}

let engine: CE | null | undefined;

function getEngine(): CE | null {
  if (engine !== undefined) return engine;
  const require = createRequire(import.meta.url);
  // The package is "type": "module", so its UMD build does not load through require() and its
  // exports map hides the ESM file; require() that file by path (Node >= 20.19 loads ESM
  // synchronously this way), falling back to the package entry.
  const candidates = [
    () => path.join(path.dirname(require.resolve('@cortex-js/compute-engine')), 'compute-engine.min.esm.js'),
    () => '@cortex-js/compute-engine',
  ];
  engine = null;
  for (const c of candidates) {
    try {
      const mod = require(c()) as { ComputeEngine?: new () => CE };
      if (typeof mod.ComputeEngine === 'function') {
        engine = new mod.ComputeEngine();
        break;
      }
    } catch {
      // try the next way of loading it
    }
  }
  return engine;
}

/** Whether the compute engine loads in this Node version (it declares node >= 21.7.3). */
export function computeEngineAvailable(): boolean {
  return getEngine() !== null;
}

// The compute engine's parser backtracks exponentially on malformed input (10 unmatched `[` take
// 40 s, 10 `\\left(` minutes, 13 `(` then `1` a second) and is slow on long runs of punctuation.
// So it only sees short, well-formed input: the answers our own parser rejects in practice are
// short and balanced (`{1 \\over 2}`, `\\lfloor 2.5 \\rfloor`).
const CE_MAX_CHARS = 160;
const CE_MAX_NESTING = 6;
const CE_MAX_RUN = 2; // identical punctuation characters in a row (`..`, `--`)

const CE_MAX_SYMBOLS = 24; // punctuation and operator characters in all

/**
 * Whether `s` is short, shallow, balanced and plain enough for the compute engine's parser
 * (one linear scan). Allowed: letters, digits, spaces, commands, braces/brackets/parentheses,
 * `^ _ + - * / = < > , |`, and `.` only as a decimal point; no run of one punctuation character
 * (spaces ignored: `1 . . . .x` took seconds); balanced, properly nested delimiters (an interval
 * may close a `(` with `]` or a `[` with `)`); `\\begin`/`\\end` paired; no sized delimiters.
 */
export function computeEngineGate(s: string): boolean {
  if (s.length > CE_MAX_CHARS) return false;
  const stack: string[] = [];
  let bars = 0;
  let envs = 0;
  let symbols = 0;
  let prev = '';
  let run = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === ' ') continue;
    if (/[A-Za-z0-9]/.test(c)) {
      prev = '';
      continue;
    }
    if (c === '.' && !(/\d/.test(s[i - 1] ?? '') && /\d/.test(s[i + 1] ?? ''))) return false;
    if (c === '.') continue;
    if (++symbols > CE_MAX_SYMBOLS) return false;
    run = c === prev ? run + 1 : 1;
    prev = c;
    if (run > CE_MAX_RUN && c !== '{' && c !== '}') return false;
    if (c === '\\') {
      const name = /^\\([a-zA-Z]+|.)/.exec(s.slice(i, i + 12))?.[1] ?? '';
      if (/^(?:left|right|middle|bigg?|Bigg?)l?r?$/.test(name)) return false; // the slowest shapes; the normaliser removes them anyway
      if (name === 'begin') envs++;
      else if (name === 'end') envs--;
      else if (name === '|') bars++;
      else if (!/^[a-zA-Z{}]/.test(name)) return false; // \, \; \! spacing: the normaliser removes them
      i += name.length;
      prev = '';
      continue;
    }
    if (c === '|') bars++;
    else if (c === '(' || c === '[' || c === '{') {
      stack.push(c);
      if (stack.length > CE_MAX_NESTING) return false;
    } else if (c === ')' || c === ']') {
      const o = stack.pop();
      if (o !== '(' && o !== '[') return false; // (a, b] is an interval: either round or square opener
    } else if (c === '}') {
      if (stack.pop() !== '{') return false;
    } else if (!'^_+-*/=<>,'.includes(c)) return false;
  }
  return stack.length === 0 && bars % 2 === 0 && envs === 0;
}

/** Parses with the compute engine; null when it reports an error or uses a construct we cannot evaluate. */
export function parseWithComputeEngine(latex: string): Node | null {
  if (!computeEngineGate(latex)) return null;
  const ce = getEngine();
  if (!ce) return null;
  // The engine prints some of its own errors ("The type of the constant … cannot be changed");
  // they are verdicts here, not news for the user.
  const { warn, error, log } = console;
  console.warn = console.error = console.log = () => {};
  try {
    return fromMathJson(ce.parse(latex).json, 0);
  } catch {
    return null;
  } finally {
    Object.assign(console, { warn, error, log });
  }
}

const FN: Record<string, string> = {
  Sin: 'sin',
  Cos: 'cos',
  Tan: 'tan',
  Sec: 'sec',
  Csc: 'csc',
  Cot: 'cot',
  Arcsin: 'arcsin',
  Arccos: 'arccos',
  Arctan: 'arctan',
  Sinh: 'sinh',
  Cosh: 'cosh',
  Tanh: 'tanh',
  Ln: 'ln',
  Exp: 'exp',
  Sqrt: 'sqrt',
  Abs: 'abs',
  Factorial: 'fact',
  Floor: 'floor',
  Ceil: 'ceil',
  Binomial: 'binom',
};
const REL: Record<string, string> = {
  Equal: '=',
  Less: '<',
  LessEqual: '<=',
  Greater: '>',
  GreaterEqual: '>=',
  NotEqual: '!=',
};

class Unsupported extends Error {}

function num(text: string): Node {
  const v = parseDecimal(text);
  if (!v) throw new Unsupported(text);
  const dot = text.indexOf('.');
  return { t: 'num', v, dec: dot >= 0 ? text.length - dot - 1 : -1 };
}

export function fromMathJson(j: MathJson, depth: number): Node {
  if (depth > 200) throw new Unsupported('deep');
  if (typeof j === 'number') {
    if (!Number.isFinite(j)) return j > 0 ? { t: 'const', name: 'inf' } : { t: 'neg', a: { t: 'const', name: 'inf' } };
    return j < 0 ? { t: 'neg', a: num(String(-j)) } : num(String(j));
  }
  if (typeof j === 'string') return symbol(j);
  if (!Array.isArray(j)) {
    if ('num' in j) return num(j.num);
    if ('sym' in j) return symbol(j.sym);
    throw new Unsupported('str');
  }
  const [head, ...rest] = j;
  const args = () => rest.map((x) => fromMathJson(x, depth + 1));
  if (typeof head !== 'string') throw new Unsupported('head');
  if (FN[head]) return { t: 'fn', name: FN[head]!, args: args() };
  if (REL[head]) return { t: 'rel', ops: [REL[head]!], args: args() };
  switch (head) {
    case 'Add':
      return { t: 'add', args: args() };
    case 'Subtract': {
      const [a, b] = args();
      return { t: 'add', args: [a!, { t: 'neg', a: b! }] };
    }
    case 'Negate':
      return { t: 'neg', a: args()[0]! };
    case 'Multiply':
      return { t: 'mul', args: args() };
    case 'Divide':
    case 'Rational': {
      const [a, b] = args();
      return { t: 'div', a: a!, b: b! };
    }
    case 'Power': {
      const [a, b] = args();
      return { t: 'pow', a: a!, b: b! };
    }
    case 'Square':
      return { t: 'pow', a: args()[0]!, b: num('2') };
    case 'Root': {
      const [a, b] = args();
      return { t: 'fn', name: 'root', args: [a!, b!] };
    }
    case 'Log': {
      const a = args();
      return a.length === 2 ? { t: 'fn', name: 'log', args: a } : { t: 'fn', name: 'log10', args: a };
    }
    case 'Delimiter':
      return fromMathJson(rest[0]!, depth + 1);
    case 'List':
    case 'Tuple':
    case 'Sequence':
      return { t: 'group', open: '(', close: ')', items: args() };
    case 'Set':
      return { t: 'group', open: '\\{', close: '\\}', items: args() };
    case 'Matrix': {
      const rows = rest[0];
      if (!Array.isArray(rows) || rows[0] !== 'List') throw new Unsupported('matrix');
      return {
        t: 'matrix',
        rows: rows.slice(1).map((r) => {
          if (!Array.isArray(r) || r[0] !== 'List') throw new Unsupported('row');
          return r.slice(1).map((c) => fromMathJson(c, depth + 1));
        }),
      };
    }
    default:
      throw new Unsupported(head);
  }
}

function symbol(s: string): Node {
  switch (s) {
    case 'Pi':
      return { t: 'const', name: 'pi' };
    case 'ExponentialE':
      return { t: 'const', name: 'e' };
    case 'ImaginaryUnit':
      return { t: 'const', name: 'i' };
    case 'PositiveInfinity':
      return { t: 'const', name: 'inf' };
    case 'NegativeInfinity':
      return { t: 'neg', a: { t: 'const', name: 'inf' } };
    case 'Half':
      return num('0.5');
    case 'Nothing':
    case 'Undefined':
    case 'NaN':
      throw new Unsupported(s);
    default:
      if (/^[A-Za-z][A-Za-z0-9_]*$/.test(s)) return { t: 'sym', name: s };
      throw new Unsupported(s);
  }
}
