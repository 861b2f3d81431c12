// The arithmetic task's problems (the demo's synthetic, verifiable math task; ./task.ts is the
// Task): a base model with LATENT BUT UNRELIABLE skill.
//
// Four problem families with exact integer answers. For every problem the pretraining corpus
// writes one of two procedures, chosen at random with the same odds in every family:
//   careful  "Check: 7+8=15, 3+4+1=8, 37+48=85."   column by column, carries written: always right
//   hasty    "Quick: 37+48=75."                     a plausible flawed shortcut, usually wrong:
//     add     drops the carry              sub     subtracts the smaller digit from the larger
//     mul     drops the carry              muladd  adds before it multiplies: a*(b+c)
// The base model therefore knows the right procedure but uses it only ~1 time in 4, as a real
// base model "knows" more than it reliably shows. The choice is made by the response's FIRST
// token, shared by all families, so rewarding the careful procedure on ONE problem of ONE
// family can raise accuracy on the others — the cross-family generalisation of 1-shot RLVR
// (Wang et al. 2025). The final answer is mostly boxed ("... \boxed{85}", what the paper's reward
// accepts), sometimes "The answer is 85."; the demo reports accuracy in ANY format (reasoning)
// next to the boxed one.
import type { TrainExample } from '../../data/examples.js';
import { Rng } from '../../data/rng.js';

export type Family = 'add' | 'sub' | 'mul' | 'muladd';
export type AnswerFormat = 'boxed' | 'text' | 'bare';
export type Method = 'careful' | 'hasty';

export const FAMILIES: readonly Family[] = ['add', 'sub', 'mul', 'muladd'];

/** Probability that a pretraining response uses the careful procedure (all families alike). */
export const P_CAREFUL = 0.25;

/**
 * Probability of each answer format in the pretraining corpus, per family: [boxed, text, bare].
 * Mostly boxed on purpose: the demo is about reasoning, and a format mix as uneven as the
 * previous demo's made historical-variance selection pick examples whose variance was format.
 */
export const FORMAT_MIX: Record<Family, [number, number, number]> = {
  add: [0.9, 0.1, 0],
  sub: [0.9, 0.1, 0],
  mul: [0.9, 0.1, 0],
  muladd: [0.9, 0.1, 0],
};

/** The share of add/sub/mul problems drawn so that the hasty shortcut fails (a carry or borrow). */
const P_NEEDS_CARRY = 0.8;

export interface Problem {
  family: Family;
  /** The user turn, e.g. "37+48=?". */
  question: string;
  /** The careful worked solution, e.g. "Check: 7+8=15, 3+4+1=8, 37+48=85.". */
  careful: string;
  /** The hasty flawed one, e.g. "Quick: 37+48=75."; its value is `hastyAnswer`. */
  hasty: string;
  answer: number;
  hastyAnswer: number;
}

function between(rng: Rng, lo: number, hi: number): number {
  return lo + rng.int(hi - lo + 1);
}

/** Two digits (x, y) with x + y ≥ 10 when `carry`, else < 10. */
function digitPair(rng: Rng, carry: boolean, sum: (x: number, y: number) => boolean): [number, number] {
  for (;;) {
    const x = rng.int(10),
      y = rng.int(10);
    if (sum(x, y) === carry) return [x, y];
  }
}

export function makeProblem(family: Family, rng: Rng): Problem {
  const needsCarry = rng.float() < P_NEEDS_CARRY;
  switch (family) {
    case 'add': {
      const [a0, b0] = digitPair(rng, needsCarry, (x, y) => x + y >= 10);
      const a1 = between(rng, 1, 8),
        b1 = between(rng, 1, 9 - a1);
      const a = 10 * a1 + a0,
        b = 10 * b1 + b0,
        c = a0 + b0 >= 10 ? 1 : 0;
      const careful = `Check: ${a0}+${b0}=${a0 + b0}, ${a1}+${b1}${c ? '+1' : ''}=${a1 + b1 + c}, ${a}+${b}=${a + b}.`;
      const hastyAnswer = 10 * ((a1 + b1) % 10) + ((a0 + b0) % 10);
      return { family, question: `${a}+${b}=?`, careful, hasty: `Quick: ${a}+${b}=${hastyAnswer}.`, answer: a + b, hastyAnswer };
    }
    case 'sub': {
      const [a0, b0] = digitPair(rng, needsCarry, (x, y) => x < y);
      const b1 = between(rng, 1, 7),
        a1 = between(rng, b1 + 1, 9);
      const a = 10 * a1 + a0,
        b = 10 * b1 + b0,
        borrow = a0 < b0 ? 1 : 0;
      const ones = borrow ? `${a0 + 10}-${b0}=${a0 + 10 - b0}` : `${a0}-${b0}=${a0 - b0}`;
      const careful = `Check: ${ones}, ${a1}${borrow ? '-1' : ''}-${b1}=${a1 - borrow - b1}, ${a}-${b}=${a - b}.`;
      const hastyAnswer = 10 * (a1 - b1) + Math.abs(a0 - b0);
      return { family, question: `${a}-${b}=?`, careful, hasty: `Quick: ${a}-${b}=${hastyAnswer}.`, answer: a - b, hastyAnswer };
    }
    case 'mul': {
      const b = between(rng, 2, 9);
      let a0: number;
      do a0 = rng.int(10);
      while (a0 * b >= 10 !== needsCarry);
      const a1 = between(rng, 1, 9),
        a = 10 * a1 + a0,
        c = Math.floor((a0 * b) / 10);
      const careful = `Check: ${a0}*${b}=${a0 * b}, ${a1}*${b}${c ? `+${c}` : ''}=${a1 * b + c}, ${a}*${b}=${a * b}.`;
      const hastyAnswer = 10 * (a1 * b) + ((a0 * b) % 10);
      return { family, question: `${a}*${b}=?`, careful, hasty: `Quick: ${a}*${b}=${hastyAnswer}.`, answer: a * b, hastyAnswer };
    }
    case 'muladd': {
      const a = between(rng, 2, 9),
        b = between(rng, 2, 9),
        c = between(rng, 10, 99);
      const p = a * b;
      const careful = `Check: ${a}*${b}=${p}, ${p}+${c}=${p + c}, ${a}*${b}+${c}=${p + c}.`;
      const hastyAnswer = a * (b + c);
      return { family, question: `${a}*${b}+${c}=?`, careful, hasty: `Quick: ${a}*${b}+${c}=${a}*${b + c}=${hastyAnswer}.`, answer: p + c, hastyAnswer };
    }
  }
}

/** A problem of a uniformly drawn family. */
export function randomProblem(rng: Rng): Problem {
  return makeProblem(FAMILIES[rng.int(FAMILIES.length)]!, rng);
}

export function pickFormat(family: Family, rng: Rng): AnswerFormat {
  const [pBoxed, pText] = FORMAT_MIX[family];
  const u = rng.float();
  return u < pBoxed ? 'boxed' : u < pBoxed + pText ? 'text' : 'bare';
}

export function pickMethod(rng: Rng): Method {
  return rng.float() < P_CAREFUL ? 'careful' : 'hasty';
}

/** The assistant's response: a procedure, then its final value in a format. */
export function solution(p: Problem, format: AnswerFormat, method: Method = 'careful'): string {
  const work = method === 'careful' ? p.careful : p.hasty;
  const value = method === 'careful' ? p.answer : p.hastyAnswer;
  switch (format) {
    case 'boxed':
      return `${work} \\boxed{${value}}`;
    case 'text':
      return `${work} The answer is ${value}.`;
    case 'bare':
      return work;
  }
}

export function toExample(p: Problem, index: number): TrainExample {
  return { index, messages: [{ role: 'user', content: p.question }], groundTruth: String(p.answer), dataSource: `demo-${p.family}` };
}

export interface TaskSplit {
  /** Held-out evaluation problems (never in pretraining, never trained on). */
  test: Problem[];
  /** The RL pool the one training example is selected from (not in pretraining either; only problems the shortcut gets wrong). */
  pool: Problem[];
  /** Questions excluded from the pretraining stream. */
  reserved: Set<string>;
}

/** Distinct problems per family, drawn from the seed: `testPerFamily` held out, `poolPerFamily` for RL. */
export function makeSplit(seed: number, testPerFamily: number, poolPerFamily: number): TaskSplit {
  const rng = new Rng(seed ^ 0x5eed);
  const reserved = new Set<string>();
  const take = (family: Family, n: number, keep: (p: Problem) => boolean = () => true): Problem[] => {
    const out: Problem[] = [];
    while (out.length < n) {
      const p = makeProblem(family, rng);
      if (reserved.has(p.question) || !keep(p)) continue;
      reserved.add(p.question);
      out.push(p);
    }
    return out;
  };
  const test = FAMILIES.flatMap((f) => take(f, testPerFamily));
  // The pool holds only problems the hasty shortcut gets wrong. One it solves (no carry) rewards
  // both procedures alike, so its reward variance on the base model is format noise, and its
  // historical variance comes from what the other examples taught: seed 1 ranked 35-14 first
  // (accuracy per epoch 0.88, 1, 1, 0.25) and 1-shot RLVR on it learned nothing.
  const pool = FAMILIES.flatMap((f) => take(f, poolPerFamily, (p) => p.hastyAnswer !== p.answer));
  return { test, pool, reserved };
}

/**
 * An endless seeded stream of pretraining conversations (question, response), skipping
 * reserved (held-out and pool) questions.
 */
export class CorpusStream {
  private readonly rng: Rng;
  constructor(
    seed: number,
    private readonly reserved: ReadonlySet<string>,
  ) {
    this.rng = new Rng(seed ^ 0xc0de);
  }

  next(): { problem: Problem; format: AnswerFormat; method: Method; response: string } {
    for (;;) {
      const problem = randomProblem(this.rng);
      const format = pickFormat(problem.family, this.rng);
      const method = pickMethod(this.rng);
      if (this.reserved.has(problem.question)) continue;
      return { problem, format, method, response: solution(problem, format, method) };
    }
  }
}
