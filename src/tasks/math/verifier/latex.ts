// Low-level LaTeX string helpers: brace matching and \boxed{} location. No regex backtracking
// over user text: every scan here is linear so a 1 MB response stays cheap.

/** Index of the `}` matching the `{` at `open`, or -1 when unbalanced. Skips escaped braces `\{`. */
export function matchBrace(s: string, open: number, openCh = '{', closeCh = '}'): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === openCh) depth++;
    else if (c === closeCh) {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

export interface Span {
  start: number; // index of the backslash of \boxed
  end: number; // index just past the closing brace
  content: string;
}

const BOX_RE = /\\(?:boxed|fbox)\b/g;

/** Every \boxed{..} / \fbox{..} (and the brace-less `\boxed 5`) in order of appearance. */
export function findBoxes(s: string): Span[] {
  const out: Span[] = [];
  BOX_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = BOX_RE.exec(s))) {
    let i = m.index + m[0].length;
    while (i < s.length && s[i] === ' ') i++;
    if (s[i] === '{') {
      const close = matchBrace(s, i);
      if (close < 0) {
        // Truncated response: the box never closes. Take what is there (it is the model's answer).
        out.push({ start: m.index, end: s.length, content: s.slice(i + 1) });
        break;
      }
      out.push({ start: m.index, end: close + 1, content: s.slice(i + 1, close) });
      BOX_RE.lastIndex = close + 1;
    } else if (i > m.index + m[0].length) {
      // `\boxed 5`: the argument is the next token.
      const t = /^[^\s$.,;]+/.exec(s.slice(i, i + 200));
      if (t) out.push({ start: m.index, end: i + t[0].length, content: t[0] });
    }
  }
  return out;
}

/**
 * Raw-string sources double every backslash (`\\frac`). A double backslash directly followed by
 * a command name is collapsed; `\\` before a digit, space or `&` stays a LaTeX row break.
 */
const COMMANDS = new Set(
  (
    'frac dfrac tfrac cfrac sqrt left right boxed fbox pi le ge leq geq lt gt neq ne text textbf mathrm ' +
    'mathbf cdot times div infty pm mp in cup cap sin cos tan sec csc cot log ln exp arcsin arccos arctan ' +
    'circ begin end quad qquad approx theta alpha beta gamma sqrt mbox textnormal operatorname overline ' +
    'dots ldots cdots sum prod int lim to mid angle triangle degree percent displaystyle emptyset varnothing'
  ).split(' '),
);

export function collapseDoubleBackslashes(s: string): string {
  if (!s.includes('\\\\')) return s;
  return s.replace(/(?<!\\)\\\\([a-zA-Z]+)/g, (all, name: string) => (COMMANDS.has(name) ? '\\' + name : all));
}

/** Removes a wrapper command's braces: `\text{abc}` → `abc` for every listed command. */
export function unwrapCommand(s: string, names: string[], replace: (inner: string) => string = (x) => x): string {
  const re = new RegExp(`\\\\(?:${names.join('|')})\\s*\\{`, 'g');
  let out = '';
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s))) {
    const open = m.index + m[0].length - 1;
    const close = matchBrace(s, open);
    if (close < 0) break;
    out += s.slice(last, m.index) + replace(s.slice(open + 1, close));
    last = close + 1;
    re.lastIndex = close + 1;
  }
  return out + s.slice(last);
}

/** `s` without trailing characters of `chars` (a linear scan; `/[\s.]+$/` is quadratic on long runs). */
export function trimEndOf(s: string, chars: string, whitespace = true): string {
  let j = s.length;
  while (j > 0 && (chars.includes(s[j - 1]!) || (whitespace && /\s/.test(s[j - 1]!)))) j--;
  return s.slice(0, j);
}

/**
 * `indexOf(token, from)` with a memo of the last answer, so that many openers searching for the
 * same closer cost O(n) in total instead of O(n) each (an unclosed `\[` repeated 500,000 times).
 * Calls must come with non-decreasing `from` (a left-to-right scan).
 */
export class NextIndex {
  private readonly memo = new Map<string, number>();
  constructor(private readonly s: string) {}
  of(token: string, from: number): number {
    const m = this.memo.get(token);
    if (m !== undefined && (m === -1 || m >= from)) return m;
    const r = this.s.indexOf(token, from);
    this.memo.set(token, r);
    return r;
  }
}
