// A small recursive-descent parser for the LaTeX (and plain-text) math that answers are written
// in. It builds a tree that is evaluated exactly (rationals) or numerically (complex, at random
// points). It is deliberately forgiving (implicit multiplication, `\frac12`, `\sqrt2`,
// mismatched interval brackets) and bounded: depth is capped and any failure returns null.
import { parseDecimal, type Rat } from './rational.js';
import * as R from './rational.js';

export type Node =
  | { t: 'num'; v: Rat; dec: number } // dec: fractional digits as written, -1 for non-decimals
  | { t: 'sym'; name: string }
  | { t: 'const'; name: 'pi' | 'e' | 'i' | 'inf' | 'dots' }
  | { t: 'add'; args: Node[] }
  | { t: 'mul'; args: Node[] }
  | { t: 'neg'; a: Node }
  | { t: 'div'; a: Node; b: Node }
  | { t: 'pow'; a: Node; b: Node }
  | { t: 'fn'; name: string; args: Node[] }
  | { t: 'pm'; a: Node | null; b: Node; minusFirst?: boolean }
  | { t: 'group'; open: string; close: string; items: Node[] }
  | { t: 'matrix'; rows: Node[][] }
  | { t: 'rel'; ops: string[]; args: Node[] }
  | { t: 'ratio'; items: Node[] }
  | { t: 'union'; items: Node[] }
  | { t: 'in'; a: Node; b: Node }
  | { t: 'text'; s: string };

class ParseError extends Error {}

/** ℝ is the interval (-∞, ∞), so it equals that interval and unions that cover it. */
const REALS: Node = {
  t: 'group',
  open: '(',
  close: ')',
  items: [
    { t: 'neg', a: { t: 'const', name: 'inf' } },
    { t: 'const', name: 'inf' },
  ],
};

const MAX_DEPTH = 200;

const FUNCS = new Set(['sin', 'cos', 'tan', 'sec', 'csc', 'cot', 'arcsin', 'arccos', 'arctan', 'sinh', 'cosh', 'tanh', 'log', 'ln', 'exp', 'lg']);
const PLAIN_WORDS = [
  'arcsin',
  'arccos',
  'arctan',
  'sqrt',
  'sinh',
  'cosh',
  'tanh',
  'sin',
  'cos',
  'tan',
  'sec',
  'csc',
  'cot',
  'log',
  'exp',
  'ln',
  'pi',
  'infty',
  'inf',
];
const REL_CMDS: Record<string, string> = {
  le: '<=',
  leq: '<=',
  leqslant: '<=',
  ge: '>=',
  geq: '>=',
  geqslant: '>=',
  ne: '!=',
  neq: '!=',
  approx: '~',
  simeq: '~',
  equiv: '=',
  lt: '<',
  gt: '>',
};
const GREEK = new Set(
  'alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi rho sigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Sigma Phi Psi Omega'.split(
    ' ',
  ),
);

class Parser {
  i = 0;
  depth = 0;
  constructor(
    readonly s: string,
    readonly lenient = false,
  ) {}

  ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i]!)) this.i++;
  }
  peek(): string {
    this.ws();
    return this.s[this.i] ?? '';
  }
  at(str: string): boolean {
    this.ws();
    return this.s.startsWith(str, this.i);
  }
  eat(str: string): boolean {
    if (this.at(str)) {
      this.i += str.length;
      return true;
    }
    return false;
  }
  /** Name of the command at the cursor (`\frac` → 'frac'), without consuming it. */
  cmdAt(): string | null {
    this.ws();
    if (this.s[this.i] !== '\\') return null;
    const m = /^\\([a-zA-Z]+|.)/.exec(this.s.slice(this.i, this.i + 30));
    return m ? m[1]! : null;
  }
  eatCmd(name: string): boolean {
    if (this.cmdAt() === name) {
      this.i += 1 + name.length;
      return true;
    }
    return false;
  }
  enter(): void {
    if (++this.depth > MAX_DEPTH) throw new ParseError('too deep');
  }
  leave(): void {
    this.depth--;
  }

  parseTop(): Node {
    const n = this.parseIn();
    this.ws();
    if (this.i < this.s.length) throw new ParseError(`trailing input at ${this.i}`);
    return n;
  }

  parseIn(): Node {
    const a = this.parseRel();
    if (this.eatCmd('in')) return { t: 'in', a, b: this.parseRel() };
    return a;
  }

  relOp(): string | null {
    this.ws();
    const c = this.s.slice(this.i, this.i + 2);
    for (const op of ['<=', '>=', '!=', '==', '=<', '=>']) {
      if (c === op) {
        this.i += 2;
        return op === '==' ? '=' : op === '=<' ? '<=' : op === '=>' ? '>=' : op;
      }
    }
    const ch = this.s[this.i];
    if (ch === '=' || ch === '<' || ch === '>') {
      this.i++;
      return ch;
    }
    if (ch === '≤' || ch === '≥' || ch === '≠' || ch === '≈') {
      this.i++;
      return { '≤': '<=', '≥': '>=', '≠': '!=', '≈': '~' }[ch]!;
    }
    const cmd = this.cmdAt();
    if (cmd && REL_CMDS[cmd]) {
      this.i += 1 + cmd.length;
      return REL_CMDS[cmd]!;
    }
    return null;
  }

  parseRel(): Node {
    const first = this.parseRatio();
    const ops: string[] = [];
    const args = [first];
    for (;;) {
      const op = this.relOp();
      if (!op) break;
      ops.push(op);
      args.push(this.parseRatio());
    }
    return ops.length ? { t: 'rel', ops, args } : first;
  }

  parseRatio(): Node {
    const first = this.parseUnion();
    const items = [first];
    while (this.peek() === ':') {
      this.i++;
      items.push(this.parseUnion());
    }
    return items.length > 1 ? { t: 'ratio', items } : first;
  }

  parseUnion(): Node {
    const first = this.parseMinus();
    const items = [first];
    while (this.eatCmd('cup') || this.eat('∪')) items.push(this.parseMinus());
    return items.length > 1 ? { t: 'union', items } : first;
  }

  /** A \setminus B (set difference), as fn 'setminus' resolved by the equivalence (intervals.ts). */
  parseMinus(): Node {
    let a = this.parseAdd();
    while (this.eatCmd('setminus') || this.eat('∖')) a = { t: 'fn', name: 'setminus', args: [a, this.parseAdd()] };
    return a;
  }

  parseAdd(): Node {
    this.enter();
    const terms: Node[] = [];
    let pm: Node | null = null;
    let minusFirst = false;
    // Leading sign.
    if (this.eatCmd('pm') || this.eat('±')) pm = this.parseTerm();
    else if (this.eatCmd('mp') || this.eat('∓')) {
      pm = this.parseTerm();
      minusFirst = true;
    } else terms.push(this.parseTerm());
    for (;;) {
      if (this.at('+')) {
        this.i++;
        terms.push(this.parseTerm());
      } else if (this.at('-') || this.at('−')) {
        this.i++;
        terms.push({ t: 'neg', a: this.parseTerm() });
      } else if (this.eatCmd('pm') || this.eat('±')) {
        if (pm) throw new ParseError('two ± in one sum');
        pm = this.parseTerm();
      } else if (this.eatCmd('mp') || this.eat('∓')) {
        if (pm) throw new ParseError('two ∓ in one sum');
        pm = this.parseTerm();
        minusFirst = true;
      } else break;
    }
    this.leave();
    const sum: Node | null = terms.length === 0 ? null : terms.length === 1 ? terms[0]! : { t: 'add', args: terms };
    if (pm) return { t: 'pm', a: sum, b: pm, minusFirst };
    return sum!;
  }

  parseTerm(): Node {
    this.enter();
    if (this.at('+')) {
      this.i++;
      const r = this.parseTerm();
      this.leave();
      return r;
    }
    if (this.at('-') || this.at('−')) {
      this.i++;
      const r: Node = { t: 'neg', a: this.parseTerm() };
      this.leave();
      return r;
    }
    let acc = this.parsePower();
    const factors: Node[] = [acc];
    for (;;) {
      const c = this.peek();
      if (c === '*' || c === '×' || c === '·' || this.cmdAt() === 'cdot' || this.cmdAt() === 'times' || this.cmdAt() === 'ast') {
        if (c === '\\') this.i += 1 + this.cmdAt()!.length;
        else this.i++;
        factors.push(this.parseFactorAfterOp());
      } else if (c === '/' || c === '÷' || this.cmdAt() === 'div') {
        if (c === '\\') this.i += 4;
        else this.i++;
        const den = this.parseFactorAfterOp();
        const num: Node = factors.length === 1 ? factors[0]! : { t: 'mul', args: factors.splice(0) };
        factors.length = 0;
        factors.push({ t: 'div', a: num, b: den });
      } else if (this.startsPrimary()) {
        const save = this.i;
        const next = this.parsePower();
        const prev = factors[factors.length - 1]!;
        // Mixed number: 1\frac{8}{91} is 1 + 8/91 (MATH convention).
        if (isIntLiteral(prev) && next.t === 'div' && isIntLiteral(next.a) && isIntLiteral(next.b) && /^\s*\\frac/.test(this.s.slice(save))) {
          factors[factors.length - 1] = { t: 'add', args: [prev, next] };
        } else factors.push(next);
      } else break;
    }
    this.leave();
    acc = factors.length === 1 ? factors[0]! : { t: 'mul', args: factors };
    return acc;
  }

  parseFactorAfterOp(): Node {
    if (this.at('-') || this.at('−')) {
      this.i++;
      return { t: 'neg', a: this.parseFactorAfterOp() };
    }
    if (this.at('+')) {
      this.i++;
    }
    return this.parsePower();
  }

  /** Inside a function's unparenthesised argument: the next token is a letter, Greek or π. */
  argContinues(): boolean {
    const c = this.peek();
    if (/[a-zA-Z]/.test(c)) {
      const rest = this.s.slice(this.i, this.i + 8);
      return !PLAIN_WORDS.some((w) => rest.startsWith(w) && w !== 'pi');
    }
    if (c === '\\') {
      const cmd = this.cmdAt();
      return cmd !== null && (GREEK.has(cmd) || cmd === 'pi');
    }
    return false;
  }

  /** Whether the next token can begin an implicitly multiplied factor. */
  startsPrimary(): boolean {
    const c = this.peek();
    if (!c) return false;
    if (/[0-9.a-zA-Z(πθ√∞]/.test(c)) return true;
    if (c === '{') return true;
    if (c === '\\') {
      const cmd = this.cmdAt();
      if (!cmd) return false;
      if (cmd === '{') return false;
      if (
        REL_CMDS[cmd] ||
        [
          'cdot',
          'times',
          'div',
          'pm',
          'mp',
          'cup',
          'in',
          'ast',
          'quad',
          'qquad',
          'end',
          'right',
          'mid',
          'cap',
          'setminus',
          'to',
          'rightarrow',
          'Rightarrow',
          'implies',
        ].includes(cmd)
      )
        return false;
      return /^[a-zA-Z]+$/.test(cmd) || cmd === '|';
    }
    return false;
  }

  parsePower(): Node {
    this.enter();
    let base = this.parsePostfix();
    const deg = /^\^\s*(?:\{\s*\\circ\s*\}|\\circ(?![a-zA-Z]))/.exec(this.s.slice(this.i, this.i + 16));
    if (this.at('^') && deg) {
      // An angle in degrees (kept by the normaliser only where a trig function reads it): x·π/180.
      this.i += deg[0].length;
      base = { t: 'mul', args: [base, { t: 'div', a: { t: 'const', name: 'pi' }, b: { t: 'num', v: { n: 180n, d: 1n }, dec: -1 } }] };
    } else if (this.at('^') || this.at('**')) {
      this.i += this.s[this.i] === '^' ? 1 : 2;
      const exp = this.parseScriptArg(true);
      base = { t: 'pow', a: base, b: exp };
      // Postfix after a power: (x^2)' is not supported, but n^2! is rare; keep simple.
    }
    this.leave();
    return base;
  }

  parsePostfix(): Node {
    let n = this.parsePrimary();
    for (;;) {
      if (this.s[this.i] === '!' && this.s[this.i + 1] !== '=') {
        this.i++;
        n = { t: 'fn', name: 'fact', args: [n] };
      } else if (this.s[this.i] === '_' && (n.t === 'sym' || n.t === 'fn')) {
        this.i++;
        const sub = this.parseScriptArg(false);
        n = subscript(n, sub);
      } else break;
    }
    return n;
  }

  /** Argument of ^ or _: a braced group, or one token (digit, letter, command). */
  parseScriptArg(allowSign: boolean): Node {
    this.ws();
    if (this.s[this.i] === '{') return this.parseBraced();
    if (allowSign && (this.s[this.i] === '-' || this.s[this.i] === '+')) {
      const neg = this.s[this.i] === '-';
      this.i++;
      const a = this.parseScriptArg(false);
      return neg ? { t: 'neg', a } : a;
    }
    const c = this.s[this.i];
    if (c && /[0-9]/.test(c)) {
      this.i++;
      return { t: 'num', v: { n: BigInt(c), d: 1n }, dec: -1 };
    }
    if (c && /[a-zA-Z]/.test(c)) {
      this.i++;
      return symbolFor(c);
    }
    return this.parsePrimary();
  }

  parseBraced(): Node {
    if (!this.eat('{')) throw new ParseError('expected {');
    this.enter();
    if (this.peek() === '}') throw new ParseError('empty group');
    const items = [this.parseIn()];
    while (this.peek() === ',') {
      this.i++;
      items.push(this.parseIn());
    }
    if (!this.eat('}')) throw new ParseError('expected }');
    this.leave();
    return items.length === 1 ? items[0]! : { t: 'group', open: '{', close: '}', items };
  }

  /** A single-token argument (`\frac12`, `\sqrt3`) or a braced group. */
  parseCmdArg(): Node {
    this.ws();
    const c = this.s[this.i];
    if (c === '{') return this.parseBraced();
    if (c && /[0-9]/.test(c)) {
      this.i++;
      return { t: 'num', v: { n: BigInt(c), d: 1n }, dec: -1 };
    }
    if (c && /[a-zA-Z]/.test(c)) {
      this.i++;
      return symbolFor(c);
    }
    return this.parsePrimary();
  }

  parseGroup(open: string): Node {
    this.enter();
    const items: Node[] = [];
    const closers = open === '\\{' ? ['\\}'] : [')', ']'];
    if (!closers.some((c) => this.at(c))) {
      items.push(this.parseIn());
      while (this.peek() === ',' || this.peek() === ';') {
        this.i++;
        items.push(this.parseIn());
      }
    }
    const close = closers.find((c) => this.at(c));
    if (!close) throw new ParseError(`unclosed ${open}`);
    this.i += close.length;
    this.leave();
    if (items.length === 1 && ((open === '(' && close === ')') || (open === '[' && close === ']'))) {
      const only = items[0]!;
      // [ matrix ] from \left[\begin{array}..\end{array}\right] is the matrix itself.
      return only;
    }
    return { t: 'group', open, close, items };
  }

  parseNumber(): Node {
    const m = /^(\d+(?:\.\d*)?|\.\d+|\.(?=\s*\\(?:overline|dot)))/.exec(this.s.slice(this.i, this.i + 5000));
    if (!m) throw new ParseError('number');
    this.i += m[0].length;
    const text = m[0];
    // Repeating decimal: 0.\overline{45} = 45/99, 0.1\overline{6} = 1/6, 0.\dot{3} = 1/3 (exact).
    const rep = text.includes('.') ? /^\s*\\(?:overline|dot)\s*\{\s*(\d{1,300})\s*\}/.exec(this.s.slice(this.i, this.i + 320)) : null;
    if (rep) {
      this.i += rep[0].length;
      const [int, frac] = text.split('.') as [string, string];
      const r = rep[1]!;
      const nines = 10n ** BigInt(r.length) - 1n;
      const a = BigInt((int || '0') + frac);
      const v = R.rat(a * nines + BigInt(r), 10n ** BigInt(frac.length) * nines);
      if (!v) throw new ParseError('repeating decimal too large');
      return { t: 'num', v, dec: -1 };
    }
    // E-notation: 3.2e4, 1.5E-3 (digits right after the e; `2e` alone is 2·e).
    const e = this.s[this.i];
    const exp = e === 'e' || e === 'E' ? /^[eE]([+-]?\d{1,4})(?![\d.a-zA-Z])/.exec(this.s.slice(this.i, this.i + 8)) : null;
    if (exp && !text.startsWith('.')) {
      const v = parseDecimal(text + 'e' + exp[1]);
      if (v) {
        this.i += exp[0].length;
        const dot = text.indexOf('.');
        return { t: 'num', v, dec: Math.max(0, (dot >= 0 ? text.length - dot - 1 : 0) - Number(exp[1])) };
      }
    }
    const v = parseDecimal(text);
    if (!v) throw new ParseError('number too large');
    const dot = text.indexOf('.');
    return { t: 'num', v, dec: dot >= 0 ? text.length - dot - 1 : -1 };
  }

  parsePrimary(): Node {
    this.enter();
    try {
      return this.parsePrimaryInner();
    } finally {
      this.leave();
    }
  }

  parsePrimaryInner(): Node {
    const c = this.peek();
    if (!c) throw new ParseError('unexpected end');
    if (/[0-9.]/.test(c)) return this.parseNumber();
    if (c === '(' || c === '[') {
      this.i++;
      return this.parseGroup(c);
    }
    if (c === '{') return this.parseBraced();
    if (c === '|') {
      this.i++;
      const inner = this.parseAdd();
      if (!this.eat('|')) throw new ParseError('unclosed |');
      return { t: 'fn', name: 'abs', args: [inner] };
    }
    if (c === 'π') {
      this.i++;
      return { t: 'const', name: 'pi' };
    }
    if (c === '∞') {
      this.i++;
      return { t: 'const', name: 'inf' };
    }
    if (c === '√') {
      this.i++;
      return { t: 'fn', name: 'sqrt', args: [this.parsePower()] };
    }
    if (/[a-zA-Z]/.test(c)) return this.parseWord();
    if (c === '\\') return this.parseCommand();
    throw new ParseError(`unexpected '${c}'`);
  }

  /** Letters: a known plain-text function name (sqrt, sin, pi, exp) or a one-letter symbol. */
  parseWord(): Node {
    const rest = this.s.slice(this.i, this.i + 8);
    for (const w of PLAIN_WORDS) {
      if (rest.startsWith(w) && !(w === 'inf' && rest.startsWith('infty'))) {
        const after = this.s[this.i + w.length] ?? '';
        if (w === 'pi' || w === 'infty' || w === 'inf') {
          if (/[a-zA-Z]/.test(after)) continue;
          this.i += w.length;
          return { t: 'const', name: w === 'pi' ? 'pi' : 'inf' };
        }
        this.i += w.length;
        return this.parseFunctionRest(w === 'sqrt' ? 'sqrt' : w);
      }
    }
    const ch = this.s[this.i]!;
    this.i++;
    return symbolFor(ch);
  }

  /** After a function name: optional ^power / _base, then the argument. */
  parseFunctionRest(name: string): Node {
    let power: Node | null = null;
    let base: Node | null = null;
    for (let k = 0; k < 2; k++) {
      if (this.at('^')) {
        this.i++;
        power = this.parseScriptArg(true);
      } else if (this.at('_')) {
        this.i++;
        base = this.parseScriptArg(false);
      }
    }
    let arg = this.peek() === '(' ? this.parsePrimary() : this.parsePower();
    if (arg.t !== 'group') {
      // Without parentheses the argument runs over a product of letters: \sin 2x is sin(2x),
      // \cos 2\theta is cos(2θ); it stops at another function (\sin x \cos x) or an operator.
      const factors: Node[] = [arg];
      while (this.argContinues()) factors.push(this.parsePower());
      if (factors.length > 1) arg = { t: 'mul', args: factors };
    }
    let f: Node = { t: 'fn', name: name === 'lg' ? 'log10' : name, args: base ? [arg, base] : [arg] };
    if (name === 'log' && !base) f = { t: 'fn', name: 'ln', args: [arg] }; // log x is natural log (SymPy's convention)
    if (power) {
      if (power.t === 'neg' && isOne(power.a)) f = { t: 'fn', name: 'a' + name, args: [arg] };
      else f = { t: 'pow', a: f, b: power };
    }
    return f;
  }

  parseCommand(): Node {
    const cmd = this.cmdAt();
    if (!cmd) throw new ParseError('bad command');
    this.i += 1 + cmd.length;
    switch (cmd) {
      case 'frac': {
        const a = this.parseCmdArg();
        const b = this.parseCmdArg();
        return { t: 'div', a, b };
      }
      case 'sqrt': {
        let index: Node | null = null;
        if (this.at('[')) {
          this.i++;
          index = this.parseAdd();
          if (!this.eat(']')) throw new ParseError('sqrt index');
        }
        const arg = this.peek() === '(' ? this.parsePrimary() : this.parseCmdArg();
        return index ? { t: 'fn', name: 'root', args: [arg, index] } : { t: 'fn', name: 'sqrt', args: [arg] };
      }
      case 'pi':
        return { t: 'const', name: 'pi' };
      case 'infty':
      case 'infin':
        return { t: 'const', name: 'inf' };
      case 'ldots':
      case 'cdots':
      case 'dots':
        return { t: 'const', name: 'dots' };
      case 'text': {
        this.ws();
        if (this.s[this.i] !== '{') throw new ParseError('text');
        const close = findClose(this.s, this.i);
        const inner = this.s.slice(this.i + 1, close).trim();
        this.i = close + 1;
        if (/^\d+(\.\d+)?$/.test(inner)) return { t: 'num', v: parseDecimal(inner)!, dec: inner.includes('.') ? inner.length - inner.indexOf('.') - 1 : -1 };
        if (/^[a-zA-Z]$/.test(inner)) return symbolFor(inner);
        return { t: 'text', s: inner };
      }
      case '{':
        return this.parseGroup('\\{');
      case '|':
      case 'lvert':
      case 'vert': {
        const inner = this.parseAdd();
        if (!(this.eatCmd('|') || this.eatCmd('rvert') || this.eatCmd('vert') || this.eat('|'))) throw new ParseError('unclosed |');
        return { t: 'fn', name: 'abs', args: [inner] };
      }
      case 'begin':
        return this.parseEnvironment();
      case 'sum':
      case 'prod':
        return this.parseBigOperator(cmd);
      case 'binom':
      case 'dbinom':
      case 'tbinom': {
        const n = this.parseCmdArg();
        const k = this.parseCmdArg();
        return { t: 'fn', name: 'binom', args: [n, k] };
      }
      case 'overline':
      case 'bar':
      case 'vec':
      case 'hat':
      case 'mathbb':
      case 'mathcal':
      case 'widehat': {
        // Decorated symbols (\overline{AB}) are names.
        this.ws();
        if (this.s[this.i] === '{') {
          const close = findClose(this.s, this.i);
          const inner = this.s.slice(this.i + 1, close).replace(/\s+/g, '');
          this.i = close + 1;
          if (cmd === 'mathbb' && inner === 'R') return REALS;
          return { t: 'sym', name: `${cmd}(${inner})` };
        }
        if (cmd === 'mathbb' && this.s[this.i] === 'R') {
          this.i++;
          return REALS;
        }
        return this.parseCmdArg();
      }
      case 'R':
      case 'Reals':
        return REALS;
      case 'angle':
      case 'triangle':
      case 'emptyset':
      case 'varnothing':
        return cmd === 'emptyset' || cmd === 'varnothing' ? { t: 'group', open: '\\{', close: '\\}', items: [] } : { t: 'sym', name: '\\' + cmd };
      default:
        if (FUNCS.has(cmd)) return this.parseFunctionRest(cmd);
        if (GREEK.has(cmd)) return { t: 'sym', name: cmd };
        // In lenient mode any other command is an opaque name (\zzz): equal only to itself.
        if (this.lenient && /^[a-zA-Z]+$/.test(cmd)) return { t: 'sym', name: '\\' + cmd };
        throw new ParseError(`unknown command \\${cmd}`);
    }
  }

  parseBigOperator(cmd: string): Node {
    let lower: Node | null = null;
    let upper: Node | null = null;
    for (let k = 0; k < 2; k++) {
      if (this.at('_')) {
        this.i++;
        lower = this.parseScriptArg(false);
      } else if (this.at('^')) {
        this.i++;
        upper = this.parseScriptArg(false);
      }
    }
    const body = this.parseTerm();
    if (!lower || !upper || lower.t !== 'rel' || lower.ops[0] !== '=' || lower.args[0]!.t !== 'sym') throw new ParseError('sum bounds');
    return { t: 'fn', name: cmd, args: [lower.args[0]!, lower.args[1]!, upper, body] };
  }

  parseEnvironment(): Node {
    const m = /^\s*\{([a-zA-Z*]+)\}/.exec(this.s.slice(this.i, this.i + 40));
    if (!m) throw new ParseError('begin');
    const env = m[1]!;
    this.i += m[0].length;
    if (env === 'array') {
      // Column spec {cc} or {c|c}.
      const spec = /^\s*\{[^{}]*\}/.exec(this.s.slice(this.i, this.i + 100));
      if (spec) this.i += spec[0].length;
    }
    const endTag = `\\end{${env}}`;
    const end = this.s.indexOf(endTag, this.i);
    if (end < 0) throw new ParseError('unclosed environment');
    const body = this.s.slice(this.i, end);
    this.i = end + endTag.length;
    const rows = body
      .split(/\\\\|\\cr\b/)
      .map((r) => r.trim())
      .filter((r) => r.length > 0)
      .map((r) => r.split('&').map((cell) => parseLatex(cell.trim(), this.lenient) ?? fail()));
    if (rows.length === 0) throw new ParseError('empty matrix');
    if (env === 'vmatrix') throw new ParseError('determinant');
    return { t: 'matrix', rows };
  }
}

function fail(): never {
  throw new ParseError('cell');
}

function findClose(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    if (s[i] === '\\') {
      i++;
      continue;
    }
    if (s[i] === '{') depth++;
    else if (s[i] === '}' && --depth === 0) return i;
  }
  throw new ParseError('unclosed {');
}

function isIntLiteral(n: Node): boolean {
  return n.t === 'num' && n.dec < 0 && n.v.d === 1n;
}
function isOne(n: Node): boolean {
  return n.t === 'num' && n.v.n === 1n && n.v.d === 1n;
}

/** e is Euler's number and i the imaginary unit; every other letter is a variable. */
function symbolFor(ch: string): Node {
  if (ch === 'e') return { t: 'const', name: 'e' };
  if (ch === 'i') return { t: 'const', name: 'i' };
  if (ch === 'π') return { t: 'const', name: 'pi' };
  return { t: 'sym', name: ch };
}

/** x_1, a_{37}, S_{MBCN} are names; F_{n-k-1} is an unknown function F applied to n-k-1. */
function subscript(base: Node, sub: Node): Node {
  const baseName = base.t === 'sym' ? base.name : base.t === 'const' ? base.name : null;
  const flat = flatName(sub);
  if (baseName !== null && flat !== null) return { t: 'sym', name: `${baseName}_${flat}` };
  if (base.t === 'fn' && (base.name === 'log' || base.name === 'ln') && base.args.length === 1) return { t: 'fn', name: 'log', args: [base.args[0]!, sub] };
  if (baseName !== null) return { t: 'fn', name: `sub:${baseName}`, args: [sub] };
  throw new ParseError('subscript');
}

function flatName(n: Node): string | null {
  switch (n.t) {
    case 'num':
      return n.dec < 0 && n.v.d === 1n ? n.v.n.toString() : null;
    case 'sym':
      return n.name;
    case 'const':
      return n.name === 'e' || n.name === 'i' ? n.name : null;
    case 'mul': {
      const parts = n.args.map(flatName);
      return parts.every((p) => p !== null) ? parts.join('') : null;
    }
    default:
      return null;
  }
}

const GREEK_CHARS: Record<string, string> = Object.fromEntries(
  (
    'α alpha β beta γ gamma δ delta ε epsilon ζ zeta η eta θ theta ι iota κ kappa λ lambda μ mu ν nu ξ xi ρ rho ' +
    'σ sigma τ tau υ upsilon φ phi χ chi ψ psi ω omega Γ Gamma Δ Delta Θ Theta Λ Lambda Ξ Xi Σ Sigma Φ Phi Ψ Psi Ω Omega'
  )
    .split(' ')
    // biome-ignore lint/performance/noAccumulatingSpread: 31 pairs, built once at load
    .reduce<[string, string][]>((acc, w, i, all) => (i % 2 === 0 ? [...acc, [w, all[i + 1]!]] : acc), []),
);

const UNICODE: [RegExp, string | ((ch: string) => string)][] = [
  [/π/g, '\\pi '],
  [/ℝ/g, '\\mathbb{R}'],
  [/∞/g, '\\infty '],
  [/√/g, '\\sqrt '],
  [/[−–]/g, '-'],
  [/×/g, '\\times '],
  [/·/g, '\\cdot '],
  [/÷/g, '\\div '],
  // Greek letters typed as characters are the same symbols as their commands (θ = \theta).
  [/[α-ωΓΔΘΛΞΣΦΨΩ]/g, (ch: string) => (GREEK_CHARS[ch] ? `\\${GREEK_CHARS[ch]} ` : ch)],
];

/** Parses one expression; null when it is not math this parser understands. */
export function parseLatex(input: string, lenient = false): Node | null {
  let s = input;
  for (const [re, r] of UNICODE) s = s.replace(re, r as string);
  if (!s.trim() || s.length > 100_000) return null;
  try {
    const n = new Parser(s, lenient).parseTop();
    // A whole answer in one pair of square brackets ([5], [[[1]]]) is a one-element list, not 5;
    // \left[\begin{array}…\right] is its matrix.
    if (wholeBracket(s) && n.t !== 'matrix' && n.t !== 'group') return { t: 'group', open: '[', close: ']', items: [n] };
    return n;
  } catch (e) {
    if (e instanceof ParseError || e instanceof RangeError || e instanceof SyntaxError) return null;
    throw e;
  }
}

/** The string is one [ … ] whose first bracket closes at its end. */
function wholeBracket(input: string): boolean {
  const s = input.trim();
  if (s[0] !== '[' || s[s.length - 1] !== ']') return false;
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '[') depth++;
    else if (s[i] === ']' && --depth === 0) return i === s.length - 1;
  }
  return false;
}
