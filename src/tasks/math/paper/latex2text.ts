// pylatexenc 2.10's `LatexNodes2Text().latex_to_text(s)` with its default settings (tolerant
// parsing, math_mode 'text', strict_latex_spaces False), ported for the paper reward: the
// DeepScaleR grader turns a LaTeX answer into text with it before sympy reads it
// (src/tasks/math/paper/paper.ts `sympyNormalize`). Sources: pylatexenc/latexwalker/__init__.py
// (get_token, get_latex_nodes, get_latex_expression, get_latex_maybe_optional_arg,
// get_latex_environment), macrospec/_argparsers.py (MacroStandardArgsParser), latex2text/__init__.py
// (nodelist_to_text and the *_to_text methods, apply_simplify_repl, fmt_matrix_environment_node,
// fmt_math_text_style) and latex2text/_defaultspecs.py (make_accented_char); the macro,
// environment and specials tables are generated from the installed package
// (src/tasks/math/paper/latex2text-table.ts). test/reward/paper-oracle.test.ts compares the whole grader with
// the Python original.
//
// Not ported (rendered as their arguments' text instead): the formatters of \section-like
// macros, \item, \href, \input/\include, \title/\maketitle, \texorpdfstring and \verb.
import { ENV_ARGS, ENV_MATH, ENV_TEXT, MACRO_ARGS, MACRO_TEXT, SPECIALS, SPECIALS_TEXT } from './latex2text-table.js';

/** Where the Python raises out of latex_to_text (the grader then keeps its input). */
export class Latex2TextError extends Error {}

type Node =
  | { t: 'chars'; chars: string }
  | { t: 'group'; nodes: Node[] }
  | { t: 'macro'; name: string; postSpace: string; args: (Node | null)[] | null; bare: boolean }
  | { t: 'env'; name: string; nodes: Node[] }
  | { t: 'specials'; chars: string }
  | { t: 'math'; display: boolean; nodes: Node[] }
  | { t: 'comment'; postSpace: string };

type Token =
  | { tok: 'char'; arg: string; pos: number; len: number; pre: string }
  | { tok: 'macro'; arg: string; pos: number; len: number; pre: string; post: string }
  | { tok: 'math'; arg: string; pos: number; len: number; pre: string }
  | { tok: 'begin' | 'end'; arg: string; pos: number; len: number; pre: string }
  | { tok: 'open' | 'close'; arg: string; pos: number; len: number; pre: string }
  | { tok: 'specials'; arg: string; pos: number; len: number; pre: string }
  | { tok: 'comment'; arg: string; pos: number; len: number; pre: string; post: string };

class EndOfStream {
  constructor(readonly finalSpace = '') {}
}
class ParseError {}

// Python's str.isspace / str.isalpha.
const WS = '\\t\\n\\v\\f\\r \\x1c-\\x1f\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const SPACE = new RegExp(`^[${WS}]$`);
const STRIP = new RegExp(`^[${WS}]+|[${WS}]+$`, 'g');
const isSpace = (c: string | undefined) => c !== undefined && SPACE.test(c);
const isAlpha = (c: string | undefined) => c !== undefined && /^\p{L}$/u.test(c);
/** Python's str.strip(). */
export const pyStrip = (s: string) => s.replace(STRIP, '');
const pyLen = (s: string) => [...s].length;

const MACRO_ARG_SPECS = MACRO_ARGS as Record<string, string>;
const ENV_ARG_SPECS = ENV_ARGS as Record<string, string>;
const MACRO_TEXTS = MACRO_TEXT as Record<string, { repl?: string; args?: true; accent?: string; style?: string; call?: true; today?: true }>;

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
/** pylatexenc's _latex_today: '{dt:%B} {dt.day}, {dt.year}' of the local date (it reads the clock at import; we read it per call). */
export function latexToday(now: Date = new Date()): string {
  return `${MONTHS[now.getMonth()]} ${now.getDate()}, ${now.getFullYear()}`;
}
const ENV_TEXTS = ENV_TEXT as Record<string, { repl?: string; call?: string }>;
const SPECIALS_TEXTS = SPECIALS_TEXT as Record<string, { repl: string }>;

class Walker {
  constructor(readonly s: string) {}

  getToken(pos: number, braces: [string, string][] = [], environments = true, inDollarMath = false): Token {
    const s = this.s;
    let space = '';
    while (pos < s.length && isSpace(s[pos])) {
      space += s[pos];
      pos++;
      if (space.endsWith('\n\n')) return { tok: 'char', arg: '\n\n', pos: pos - 2, len: 2, pre: space.slice(0, -2) };
    }
    if (pos >= s.length) throw new EndOfStream(space);
    if (s[pos] === '\\') {
      if (pos + 1 >= s.length) throw new EndOfStream();
      let macro = s[pos + 1]!;
      let i = 2;
      const alpha = isAlpha(macro);
      if (alpha) while (pos + i < s.length && isAlpha(s[pos + i])) macro += s[pos + i++];
      if (macro === '[' || macro === ']' || macro === '(' || macro === ')') return { tok: 'math', arg: '\\' + macro, pos, len: i, pre: space };
      if (environments && (macro === 'begin' || macro === 'end')) {
        const m = /^\s*\{([\p{L}\p{N}_* .-]+)\}/u.exec(s.slice(pos + i));
        if (!m) return { tok: 'char', arg: '\\' + macro, pos, len: i, pre: space }; // tolerant placeholder
        return { tok: macro, arg: m[1]!, pos, len: i + m[0].length, pre: space };
      }
      let post = '';
      if (alpha) {
        while (pos + i < s.length && isSpace(s[pos + i])) {
          post += s[pos + i++];
          if (post.endsWith('\n\n')) {
            post = post.slice(0, -2);
            i -= 2;
            break;
          }
        }
      }
      return { tok: 'macro', arg: macro, pos, len: i, pre: space, post };
    }
    if (s[pos] === '%') {
      const m = /(\n|\r|\n\r)(\s*)/.exec(s.slice(pos));
      if (!m) return { tok: 'comment', arg: s.slice(pos + 1), pos, len: s.length - pos, pre: space, post: '' };
      if (/^(\n|\r)/.test(m[2]!)) return { tok: 'comment', arg: s.slice(pos + 1, pos + m.index), pos, len: m.index, pre: space, post: '' };
      return { tok: 'comment', arg: s.slice(pos + 1, pos + m.index), pos, len: m.index + m[0].length, pre: space, post: m[0] };
    }
    const all: [string, string][] = [['{', '}'], ...braces];
    if (all.some(([o]) => o === s[pos])) return { tok: 'open', arg: s[pos]!, pos, len: 1, pre: space };
    if (all.some(([, c]) => c === s[pos])) return { tok: 'close', arg: s[pos]!, pos, len: 1, pre: space };
    if (s.startsWith('$$', pos) && !inDollarMath) return { tok: 'math', arg: '$$', pos, len: 2, pre: space };
    if (s[pos] === '$') return { tok: 'math', arg: '$', pos, len: 1, pre: space };
    let best = '';
    for (const sp of SPECIALS) if (sp.length > best.length && s.startsWith(sp, pos)) best = sp;
    if (best) return { tok: 'specials', arg: best, pos, len: best.length, pre: space };
    return { tok: 'char', arg: s[pos]!, pos, len: 1, pre: space };
  }

  /** get_latex_expression: one TeX token or a braced group, as a node, with where it ends. */
  expression(pos: number, dollar: boolean): [Node, number] {
    const tok = this.getToken(pos, [], false, dollar);
    switch (tok.tok) {
      case 'macro':
        if (tok.arg === 'end') return [{ t: 'chars', chars: '' }, tok.pos];
        return [{ t: 'macro', name: tok.arg, postSpace: tok.post, args: null, bare: true }, tok.pos + tok.len];
      case 'specials':
        return [{ t: 'specials', chars: tok.arg }, tok.pos + tok.len];
      case 'comment':
        return this.expression(tok.pos + tok.len, dollar);
      case 'open':
        return this.group(tok.pos, '{', '}', dollar);
      case 'close':
        return [{ t: 'chars', chars: '' }, tok.pos];
      case 'char':
        return [{ t: 'chars', chars: tok.arg }, tok.pos + tok.len];
      case 'math':
        if (tok.arg.startsWith('\\')) return [{ t: 'macro', name: tok.arg, postSpace: '', args: null, bare: true }, tok.pos + tok.len];
        return [{ t: 'chars', chars: tok.arg }, tok.pos + tok.len];
      default:
        throw new ParseError();
    }
  }

  group(pos: number, open: string, close: string, dollar: boolean): [Node, number] {
    const tok = this.getToken(pos, open === '{' ? [] : [[open, close]], true, dollar);
    if (tok.tok !== 'open' || tok.arg !== open) throw new ParseError();
    const [nodes, end] = this.nodes(tok.pos + tok.len, { close: [open, close] }, dollar);
    return [{ t: 'group', nodes }, end];
  }

  /** MacroStandardArgsParser.parse_args; throws (EndOfStream / ParseError) as the Python does. */
  args(spec: string, pos: number, dollar: boolean): [(Node | null)[], number] {
    const noSpace = spec.endsWith('!');
    const out: (Node | null)[] = [];
    let p = pos;
    for (const a of noSpace ? spec.slice(0, -1) : spec) {
      if (a === '{') {
        const [node, end] = this.expression(p, dollar);
        out.push(node);
        p = end;
      } else if (a === '[') {
        if (noSpace && p < this.s.length && isSpace(this.s[p])) {
          out.push(null);
          continue;
        }
        let tok: Token;
        try {
          tok = this.getToken(p, [['[', ']']], false, dollar);
        } catch (e) {
          if (e instanceof EndOfStream) {
            out.push(null);
            continue;
          }
          throw e;
        }
        if (tok.tok === 'open' && tok.arg === '[') {
          const [node, end] = this.group(p, '[', ']', dollar);
          out.push(node);
          p = end;
        } else out.push(null);
      } else {
        const tok = this.getToken(p, [], true, dollar);
        if (tok.tok === 'char' && tok.arg.startsWith('*')) {
          out.push({ t: 'chars', chars: '*' });
          p = tok.pos + 1;
        } else out.push(null);
      }
    }
    return [out, p];
  }

  /** get_latex_nodes (tolerant): the nodes up to the given stop, and the position after it. */
  nodes(pos: number, stop: { close?: [string, string]; env?: string; math?: string }, dollar: boolean): [Node[], number] {
    const out: Node[] = [];
    const braces: [string, string][] = stop.close && stop.close[1] !== '}' ? [stop.close] : [];
    let p = pos;
    let last = '';
    const flush = () => {
      if (last) out.push({ t: 'chars', chars: last });
      last = '';
    };
    for (;;) {
      let tok: Token;
      try {
        tok = this.getToken(p, braces, true, dollar);
      } catch (e) {
        if (!(e instanceof EndOfStream)) throw e;
        last += e.finalSpace;
        flush();
        return [out, this.s.length];
      }
      p = tok.pos + tok.len;
      if (tok.tok === 'char') {
        last += tok.pre + tok.arg;
        continue;
      }
      if (last) {
        last += tok.pre;
        flush();
      } else if (tok.pre) out.push({ t: 'chars', chars: tok.pre });
      // Parse errors are reported and skipped: the token is dropped and reading goes on.
      if (tok.tok === 'close') {
        if (stop.close && tok.arg === stop.close[1]) return [out, p];
        continue;
      }
      if (tok.tok === 'end') {
        if (stop.env !== undefined && tok.arg === stop.env) return [out, p];
        continue;
      }
      if (tok.tok === 'math') {
        if (stop.math !== undefined) {
          if (tok.arg === stop.math) return [out, p];
          if (tok.arg === '\\)' || tok.arg === '\\]') continue;
        } else if (tok.arg === '\\)' || tok.arg === '\\]') continue;
        const closing = tok.arg === '\\(' ? '\\)' : tok.arg === '\\[' ? '\\]' : tok.arg;
        const [inner, end] = this.nodes(p, { math: closing }, tok.arg === '$');
        p = end;
        out.push({ t: 'math', display: !(tok.arg === '\\(' || tok.arg === '$'), nodes: inner });
        continue;
      }
      if (tok.tok === 'comment') {
        out.push({ t: 'comment', postSpace: tok.post }); // keep_comments False: only its post space is output
        continue;
      }
      if (tok.tok === 'open') {
        const [g, end] = this.group(tok.pos, tok.arg, tok.arg === '{' ? '}' : ']', dollar);
        p = end;
        out.push(g);
        continue;
      }
      if (tok.tok === 'begin') {
        const name = tok.arg;
        let start = p;
        const spec = ENV_ARG_SPECS[name];
        if (spec) {
          try {
            start = this.args(spec, p, dollar)[1];
          } catch (e) {
            if (!(e instanceof EndOfStream || e instanceof ParseError)) throw e;
          }
        }
        const [inner, end] = this.nodes(start, { env: name }, (ENV_MATH as readonly string[]).includes(name) ? false : dollar);
        p = end;
        out.push({ t: 'env', name, nodes: inner });
        continue;
      }
      if (tok.tok === 'macro') {
        const spec = MACRO_ARG_SPECS[tok.arg] ?? '';
        let args: (Node | null)[] | null = [];
        let end = p;
        if (spec) {
          try {
            [args, end] = this.args(spec, p, dollar);
          } catch (e) {
            if (!(e instanceof EndOfStream || e instanceof ParseError)) throw e;
            args = null;
          }
        }
        p = end;
        // legacy nodeoptarg/nodeargs: a macro is "bare" when it has neither.
        const core = spec.replace(/^\*+/, '').replace('!', '');
        const nskip = spec.length - spec.replace(/^\*+/, '').length;
        const legacy = core.startsWith('[') && [...core.slice(1)].every((c) => c === '{');
        const bare = args === null || (legacy ? args[nskip] === null && args.length - nskip - 1 === 0 : args.length === 0);
        out.push({ t: 'macro', name: tok.arg, postSpace: tok.post, args, bare });
        continue;
      }
      if (tok.tok === 'specials') {
        out.push({ t: 'specials', chars: tok.arg });
        continue;
      }
    }
  }
}

// ------------------------------------------------------------------ nodes → text

const MATH_STYLE: Record<string, [number, number]> = {
  bold: [0x1d400, 0x1d41a],
  italic: [0x1d434, 0x1d44e],
  'bold-italic': [0x1d468, 0x1d482],
  script: [0x1d49c, 0x1d4b6],
  'bold-script': [0x1d4d0, 0x1d4ea],
  fraktur: [0x1d504, 0x1d51e],
  doublestruck: [0x1d538, 0x1d552],
  'bold-fraktur': [0x1d56c, 0x1d586],
  sans: [0x1d5a0, 0x1d5ba],
  'sans-bold': [0x1d5d4, 0x1d5ee],
  'sans-italic': [0x1d608, 0x1d622],
  'sans-bold-italic': [0x1d63c, 0x1d656],
  monospace: [0x1d670, 0x1d68a],
};
const MATH_STYLE_EXCEPTIONS: Record<string, Record<string, number>> = {
  italic: { h: 0x210e },
  script: { B: 0x212c, E: 0x2130, F: 0x2131, H: 0x210b, I: 0x2110, L: 0x2112, M: 0x2133, R: 0x211b, e: 0x212f, g: 0x210a, o: 0x2134 },
  fraktur: { C: 0x212d, H: 0x210c, I: 0x2111, R: 0x211c, Z: 0x2128 },
  doublestruck: { C: 0x2102, H: 0x210d, N: 0x2115, P: 0x2119, Q: 0x211a, R: 0x211d, Z: 0x2124 },
};

function mathStyle(text: string, style: string): string {
  const [up, lo] = MATH_STYLE[style]!;
  return [...text]
    .map((c) => {
      const ex = MATH_STYLE_EXCEPTIONS[style]?.[c];
      if (ex !== undefined) return String.fromCodePoint(ex);
      if (c >= 'A' && c <= 'Z') return String.fromCodePoint(up + c.charCodeAt(0) - 65);
      if (c >= 'a' && c <= 'z') return String.fromCodePoint(lo + c.charCodeAt(0) - 97);
      return c;
    })
    .join('');
}

class ToText {
  /** Inside an equation, strict_latex_spaces is 'based-on-source'. */
  private equation = false;

  list(nodes: Node[]): string {
    let s = '';
    let prev: Node | null = null;
    for (const node of nodes) {
      if (this.equation && prev?.t === 'macro' && prev.bare && node.t === 'chars') s += prev.postSpace;
      s += this.node(node);
      prev = node;
    }
    return s;
  }

  private groupContents(n: Node | null): string {
    if (n === null) return '';
    return n.t === 'group' ? this.list(n.nodes) : this.node(n);
  }

  node(n: Node): string {
    switch (n.t) {
      case 'chars':
        return this.equation && pyStrip(n.chars).length === 0 ? '' : n.chars;
      case 'group':
        return this.list(n.nodes);
      case 'macro':
        return this.macro(n);
      case 'env':
        return this.env(n);
      case 'specials':
        return SPECIALS_TEXTS[n.chars]?.repl ?? n.chars;
      case 'math':
        return this.math(n.nodes, n.display);
      case 'comment':
        return n.postSpace;
    }
  }

  private math(nodes: Node[], display: boolean): string {
    const saved = this.equation;
    this.equation = true;
    let content: string;
    try {
      content = pyStrip(this.list(nodes));
    } finally {
      this.equation = saved;
    }
    return display ? '\n    ' + content.replaceAll('\n', '\n    ') + '\n' : content;
  }

  private macro(n: Extract<Node, { t: 'macro' }>): string {
    const spec = MACRO_TEXTS[n.name];
    const args = n.args ?? [];
    if (spec === undefined) return '';
    if (spec.accent !== undefined) {
      const c = args.length > 0 ? pyStrip(this.list([args[0]!])) : ' ';
      return [...c]
        .map((ch) => (ch === 'ı' ? 'i' : ch === 'ȷ' ? 'j' : ch) + spec.accent)
        .join('')
        .normalize('NFC');
    }
    if (spec.style !== undefined) return mathStyle(args.length > 0 ? this.groupContents(args[0]!) : '', spec.style);
    if (n.name === '%') return '%';
    if (spec.today) return latexToday();
    if (spec.repl !== undefined) return spec.repl ? this.simplify(spec.repl, args) : '';
    return args.map((a) => this.groupContents(a)).join('');
  }

  /** apply_simplify_repl for a string replacement: Python's `repl % args`. */
  private simplify(repl: string, args: (Node | null)[]): string {
    if (!repl.includes('%') || repl.length === 1) return repl;
    const texts = args.map((a) => this.groupContents(a));
    if (/(^|[^%])(%%)*%s/.test(repl)) {
      const n = repl.split('%s').length - 1;
      if (n !== texts.length) return repl; // TypeError: the percent signs stay
      let k = 0;
      return repl.replace(/%s/g, () => texts[k++]!);
    }
    return repl.replace(/%\((\d+)\)s/g, (_, i: string) => {
      const v = texts[Number(i) - 1];
      if (v === undefined) throw new Latex2TextError(`KeyError: '${i}'`);
      return v;
    });
  }

  private env(n: Extract<Node, { t: 'env' }>): string {
    const spec = ENV_TEXTS[n.name];
    if (spec?.call === 'fmt_equation_environment') return this.math(n.nodes, true);
    if (spec?.call === 'fmt_matrix_environment_node') return this.matrix(n.nodes);
    if (spec?.repl !== undefined) return spec.repl ? spec.repl.replace('%s', this.list(n.nodes)) : '';
    return this.list(n.nodes);
  }

  private matrix(nodes: Node[]): string {
    const rows: string[][] = [];
    let row: string[] = [];
    let buffer: Node[] = [];
    const column = () => {
      if (buffer.length > 0) row.push(pyStrip(this.list(buffer)));
      buffer = [];
    };
    for (const n of nodes) {
      if (n.t === 'specials' && n.chars === '&') column();
      else if (n.t === 'macro' && n.name === '\\') {
        column();
        rows.push(row);
        row = [];
      } else buffer.push(n);
    }
    column();
    rows.push(row);
    const cells = rows.flat();
    if (cells.length === 0) throw new Latex2TextError('max() arg is an empty sequence');
    const width = Math.max(...cells.map(pyLen));
    return '[ ' + rows.map((r) => r.map((c) => ' '.repeat(width - pyLen(c)) + c).join(' ')).join('; ') + ' ]';
  }
}

/** LatexNodes2Text().latex_to_text(s); throws Latex2TextError where the Python raises. */
export function latexToText(s: string): string {
  const [nodes] = new Walker(s).nodes(0, {}, false);
  return new ToText().list(nodes);
}
