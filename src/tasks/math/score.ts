// How the math task scores one evaluation response: the verifier's evaluation mode (any answer
// format, the Qwen2.5-Math evaluator's conventions) and its reward mode (the last \boxed{} only,
// what training rewards), each under the verifier's 1 s deadline.
import { verifyWithDeadline } from './verifier/deadline.js';
import type { TaskScore } from '../task.js';

/**
 * Scores one response against the gold answer in the verifier's evaluation mode and in its reward
 * mode, each under the verifier's 1 s deadline (a check that runs out is incorrect, 'timeout').
 */
export function scoreResponse(gold: string, response: string, ctx?: { truncated?: boolean }): TaskScore {
  const r = verifyWithDeadline(gold, response, { mode: 'eval' });
  const boxed = verifyWithDeadline(gold, response, { mode: 'reward', truncated: ctx?.truncated });
  return { correct: r.correct, rewardCorrect: boxed.correct, extracted: r.extractedPred, reason: r.reason };
}

/** The reward mode's verdict alone (evaluation's boxed accuracy for scorers that give none). */
export function rewardModeCorrect(gold: string, response: string, truncated: boolean): boolean {
  return verifyWithDeadline(gold, response, { mode: 'reward', truncated }).correct;
}
