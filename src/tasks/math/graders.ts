// The evaluation graders of `rlvr eval --grader`: ours (the verifier's evaluation mode, the
// default) or qwen (the Qwen2.5-Math evaluator's extraction and math_equal, qwen/qwen-grader.ts).
import type { Task } from '../task.js';
import { scoreResponse } from './score.js';
import { qwenScoreWithDeadline } from './qwen/qwen-deadline.js';

export const GRADERS = ['ours', 'qwen'] as const;
export type GraderName = (typeof GRADERS)[number];

/** The Qwen evaluator's dataset name for one of our benchmarks (its per-dataset rules). */
export function qwenDataName(bench: string | undefined): string {
  if (!bench || bench === 'math500' || bench === 'validation') return 'math';
  return bench;
}

/** A grader as a scorer (the shape of Task.score; evaluate()'s `scorer` option). */
export function scorerFor(grader: GraderName): Task['score'] {
  if (grader === 'ours') return scoreResponse;
  return (gold, response, ctx) => {
    // Bounded like our verifier's checks: a check past the deadline scores wrong ('timeout').
    const r = qwenScoreWithDeadline(gold, response, { dataName: qwenDataName(ctx.bench), prompt: ctx.prompt });
    return { correct: r.correct, extracted: r.extracted, reason: r.failure ?? (r.correct ? 'equal' : r.extracted === '' ? 'no_answer' : 'not_equal') };
  };
}
