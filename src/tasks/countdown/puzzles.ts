// Countdown puzzles: the prompt (TinyZero's Countdown wording, with <answer> tags), reading the
// numbers and target back from a prompt, and seeded puzzles built from a random expression over
// the numbers so that every puzzle has a known solution.
import { Rng } from '../../data/rng.js';

export interface CountdownPuzzle {
  numbers: number[];
  target: number;
}

/** The user turn of a puzzle. */
export function countdownPrompt(p: CountdownPuzzle): string {
  return (
    `Using the numbers [${p.numbers.join(', ')}], create an equation that equals ${p.target}. ` +
    'You can use basic arithmetic operations (+, -, *, /) and each number exactly once. ' +
    'Return the final equation in <answer> </answer> tags, for example <answer> (1 + 2) / 3 </answer>.'
  );
}

/** The numbers and target of a prompt written by countdownPrompt (or TinyZero's), or null. */
export function parseCountdownPrompt(text: string): CountdownPuzzle | null {
  const nums = /numbers\s*\[([\d,\s]+)\]/.exec(text);
  const target = /equals\s+(-?\d+)/.exec(text);
  if (!nums || !target) return null;
  const numbers = nums[1]!
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  return numbers.length ? { numbers, target: Number(target[1]) } : null;
}

/**
 * `count` puzzles of `size` numbers (1..maxNumber) each, from `seed`. Each target is the value of
 * a random expression using every number once (`solution`), kept when it is a positive integer
 * whose every division is exact.
 */
export function countdownPuzzles(seed: number, count: number, size = 4, maxNumber = 50): (CountdownPuzzle & { solution: string })[] {
  if (!(Number.isInteger(size) && size >= 2)) throw new Error(`countdownPuzzles: size must be an integer >= 2, got ${size}`);
  const rng = new Rng(seed);
  const out: (CountdownPuzzle & { solution: string })[] = [];
  while (out.length < count) {
    const numbers = Array.from({ length: size }, () => 1 + rng.int(maxNumber));
    // Combine random pairs until one term is left: [text, value].
    let terms: [string, number][] = numbers.map((n) => [String(n), n]);
    let ok = true;
    while (terms.length > 1) {
      const a = terms.splice(rng.int(terms.length), 1)[0]!;
      const b = terms.splice(rng.int(terms.length), 1)[0]!;
      const op = '+-*/'[rng.int(4)]!;
      const value = op === '+' ? a[1] + b[1] : op === '-' ? a[1] - b[1] : op === '*' ? a[1] * b[1] : a[1] / b[1];
      if (!Number.isInteger(value)) {
        ok = false;
        break;
      }
      terms = [...terms, [`(${a[0]} ${op} ${b[0]})`, value]];
    }
    if (!ok) continue;
    const [text, target] = terms[0]!;
    if (target <= 0) continue;
    out.push({ numbers, target, solution: text.slice(1, -1) });
  }
  return out;
}
