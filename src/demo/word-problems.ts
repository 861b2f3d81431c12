// Seeded one- and two-step arithmetic word problems with integer answers: a held-out set a
// 135M-parameter instruct model has a chance on (it solves ~25-30% of them greedily), and the
// candidate pool of the real-model demo (src/demo/real.ts). Every number and wording is drawn
// from a seeded Rng, so a seed always gives the same problems.
import { Rng } from '../data/rng.js';

export const WORD_KINDS = ['add', 'sub', 'mul', 'add-sub', 'mul-add'] as const;
export type WordKind = (typeof WORD_KINDS)[number];

export interface WordProblem {
  kind: WordKind;
  problem: string;
  /** The integer answer, as text (what the verifier compares against). */
  answer: string;
}

const NAMES = ['Tom', 'Anna', 'Sam', 'Lily', 'Ben', 'Mia', 'Omar', 'Zoe', 'Leo', 'Emma'];
const ITEMS = ['apples', 'books', 'pencils', 'marbles', 'stickers', 'cookies', 'cards', 'shells'];

/** One problem of `kind` (one step: add, sub, mul; two steps: add-sub, mul-add). */
export function wordProblem(rng: Rng, kind: WordKind): WordProblem {
  const n = NAMES[rng.int(NAMES.length)]!;
  const it = ITEMS[rng.int(ITEMS.length)]!;
  const between = (lo: number, hi: number) => lo + rng.int(hi - lo + 1);
  switch (kind) {
    case 'add': {
      const a = between(2, 30),
        b = between(2, 30);
      return { kind, problem: `${n} has ${a} ${it}. ${n} gets ${b} more. How many ${it} does ${n} have now?`, answer: String(a + b) };
    }
    case 'sub': {
      const b = between(2, 20),
        a = b + between(1, 20);
      return { kind, problem: `${n} has ${a} ${it} and gives away ${b} of them. How many ${it} does ${n} have left?`, answer: String(a - b) };
    }
    case 'mul': {
      const a = between(2, 9),
        b = between(2, 9);
      return { kind, problem: `${n} has ${a} bags with ${b} ${it} in each bag. How many ${it} does ${n} have in total?`, answer: String(a * b) };
    }
    case 'add-sub': {
      const a = between(5, 30),
        b = between(2, 20),
        c = between(1, a + b - 1);
      return {
        kind,
        problem: `${n} has ${a} ${it}, gets ${b} more and then gives ${c} to a friend. How many ${it} does ${n} have now?`,
        answer: String(a + b - c),
      };
    }
    case 'mul-add': {
      const a = between(2, 9),
        b = between(2, 9),
        c = between(1, 20);
      return {
        kind,
        problem: `${n} has ${a} bags with ${b} ${it} in each bag and ${c} loose ${it}. How many ${it} does ${n} have in total?`,
        answer: String(a * b + c),
      };
    }
  }
}

/**
 * `perKind` problems of every kind, interleaved (add, sub, mul, add-sub, mul-add, add, ...), with
 * no problem text twice and none in `exclude` (so a held-out set and a pool stay disjoint).
 */
export function wordProblems(seed: number, perKind: number, exclude: ReadonlySet<string> = new Set()): WordProblem[] {
  const rng = new Rng(seed);
  const seen = new Set(exclude);
  const out: WordProblem[] = [];
  for (let i = 0; i < perKind; i++) {
    for (const kind of WORD_KINDS) {
      for (let tries = 0; ; tries++) {
        const p = wordProblem(rng, kind);
        if (!seen.has(p.problem)) {
          seen.add(p.problem);
          out.push(p);
          break;
        }
        if (tries > 1000) throw new Error(`wordProblems: cannot draw ${perKind} distinct '${kind}' problems`);
      }
    }
  }
  return out;
}
