// The demo's synthetic, verifiable math task family.
//
// Three problem families with exact integer answers:
//   add     "37+48=?"    → "37+48=85."
//   sub     "91-26=?"    → "91-26=65."
//   muladd  "6*7+15=?"   → "6*7=42, 42+15=57."
// The pretraining corpus writes the final answer INconsistently, with a family-dependent mix of
//   boxed  "... \boxed{85}"         (what the paper's reward accepts: the last \boxed{})
//   text   "... The answer is 85."
//   bare   "..."                    (the answer only as the result of the worked line)
// so the pretrained base model often gets the arithmetic right but boxes only some answers:
// the reward-mode verifier scores it low, and RLVR can raise it by teaching the format, one of
// the paper's own observations (Wang et al. 2025, section 4, "format correction").
import type { TrainExample } from '../data/examples.js';
import { Rng } from '../data/rng.js';

export type Family = 'add' | 'sub' | 'muladd';
export type AnswerFormat = 'boxed' | 'text' | 'bare';

export const FAMILIES: readonly Family[] = ['add', 'sub', 'muladd'];

/** Probability of each answer format in the pretraining corpus, per family: [boxed, text, bare]. */
export const FORMAT_MIX: Record<Family, [number, number, number]> = {
  add: [0.5, 0.3, 0.2],
  sub: [0.2, 0.5, 0.3],
  muladd: [0.2, 0.3, 0.5],
};

export interface Problem {
  family: Family;
  /** The user turn, e.g. "37+48=?". */
  question: string;
  /** The worked solution without a final answer statement, e.g. "37+48=85.". */
  work: string;
  answer: number;
}

function between(rng: Rng, lo: number, hi: number): number {
  return lo + rng.int(hi - lo + 1);
}

export function makeProblem(family: Family, rng: Rng): Problem {
  switch (family) {
    case 'add': {
      const a = between(rng, 10, 99), b = between(rng, 10, 99);
      return { family, question: `${a}+${b}=?`, work: `${a}+${b}=${a + b}.`, answer: a + b };
    }
    case 'sub': {
      const a = between(rng, 20, 99), b = between(rng, 10, a - 1);
      return { family, question: `${a}-${b}=?`, work: `${a}-${b}=${a - b}.`, answer: a - b };
    }
    case 'muladd': {
      const a = between(rng, 2, 9), b = between(rng, 2, 9), c = between(rng, 10, 99);
      const p = a * b;
      return { family, question: `${a}*${b}+${c}=?`, work: `${a}*${b}=${p}, ${p}+${c}=${p + c}.`, answer: p + c };
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

/** The assistant's answer text in a given format. */
export function solution(p: Problem, format: AnswerFormat): string {
  switch (format) {
    case 'boxed': return `${p.work} \\boxed{${p.answer}}`;
    case 'text': return `${p.work} The answer is ${p.answer}.`;
    case 'bare': return p.work;
  }
}

export function toExample(p: Problem, index: number): TrainExample {
  return { index, messages: [{ role: 'user', content: p.question }], groundTruth: String(p.answer), dataSource: `demo-${p.family}` };
}

export interface TaskSplit {
  /** Held-out evaluation problems (never in pretraining, never trained on). */
  test: Problem[];
  /** The RL pool the one training example is selected from (not in pretraining either). */
  pool: Problem[];
  /** Questions excluded from the pretraining stream. */
  reserved: Set<string>;
}

/** Distinct problems per family, drawn from the seed: `testPerFamily` held out, `poolPerFamily` for RL. */
export function makeSplit(seed: number, testPerFamily: number, poolPerFamily: number): TaskSplit {
  const rng = new Rng(seed ^ 0x5eed);
  const reserved = new Set<string>();
  const take = (family: Family, n: number): Problem[] => {
    const out: Problem[] = [];
    while (out.length < n) {
      const p = makeProblem(family, rng);
      if (reserved.has(p.question)) continue;
      reserved.add(p.question);
      out.push(p);
    }
    return out;
  };
  const test = FAMILIES.flatMap((f) => take(f, testPerFamily));
  const pool = FAMILIES.flatMap((f) => take(f, poolPerFamily));
  return { test, pool, reserved };
}

/**
 * An endless seeded stream of pretraining conversations (question, formatted solution),
 * skipping reserved (held-out and pool) questions.
 */
export class CorpusStream {
  private readonly rng: Rng;
  constructor(seed: number, private readonly reserved: ReadonlySet<string>) {
    this.rng = new Rng(seed ^ 0xc0de);
  }

  next(): { problem: Problem; format: AnswerFormat; response: string } {
    for (;;) {
      const problem = randomProblem(this.rng);
      const format = pickFormat(problem.family, this.rng);
      if (this.reserved.has(problem.question)) continue;
      return { problem, format, response: solution(problem, format) };
    }
  }
}
