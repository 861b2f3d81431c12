// The countdown task's arithmetic: the value of an expression of non-negative integers with
// + - * / and parentheses, and the numbers it used, by a small recursive-descent parser (no
// eval(): the text is model output).

/** The value of an expression of integers, + - * / and parentheses, or null when it is not one. */
export function evaluateExpression(text: string): { value: number; numbers: number[] } | null {
  const tokens = text.match(/\d+|[-+*/()]|\S/g) ?? [];
  const numbers: number[] = [];
  let i = 0;
  // Deep nesting is not an expression anyone means; it also bounds the recursion on model output.
  let depth = 0;
  const peek = () => tokens[i];
  // expr := term (('+'|'-') term)* ; term := factor (('*'|'/') factor)* ; factor := number | '(' expr ')'
  const factor = (): number => {
    const t = tokens[i++];
    if (t === '(') {
      if (++depth > 100) throw new Error('too deep');
      const v = expr();
      if (tokens[i++] !== ')') throw new Error('unbalanced');
      depth--;
      return v;
    }
    if (t !== undefined && /^\d+$/.test(t)) {
      numbers.push(Number(t));
      return Number(t);
    }
    throw new Error(`unexpected ${t}`);
  };
  const term = (): number => {
    let v = factor();
    while (peek() === '*' || peek() === '/') v = tokens[i++] === '*' ? v * factor() : v / factor();
    return v;
  };
  const expr = (): number => {
    let v = term();
    while (peek() === '+' || peek() === '-') v = tokens[i++] === '+' ? v + term() : v - term();
    return v;
  };
  try {
    const value = expr();
    return i === tokens.length && Number.isFinite(value) ? { value, numbers } : null;
  } catch {
    return null;
  }
}

/**
 * Whether `used` takes its numbers from `given`, each at most once (a multiset inclusion); with
 * `all`, every given number exactly once.
 */
export function usesNumbers(used: readonly number[], given: readonly number[], all: boolean): boolean {
  const pool = [...given];
  for (const n of used) {
    const k = pool.indexOf(n);
    if (k < 0) return false; // a number not given, or used twice
    pool.splice(k, 1);
  }
  return !all || pool.length === 0;
}
