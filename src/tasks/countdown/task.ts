// The countdown task (TinyZero's Countdown): given numbers and a target, write an equation that
// uses the numbers and equals the target. Reward 1 when the last <answer>...</answer> holds an
// expression of + - * / and parentheses over the given numbers (each exactly once by default)
// whose value is the target, else 0; an optional format reward pays for the tags alone.
//
// The numbers and target come from the data row's columns (`numbers` or TinyZero's `nums`, and
// `target`), else from the prompt text (puzzles.ts); the gold answer is the target.
import type { Task, TaskRewardContext, TaskScore, TaskScoreContext } from '../task.js';
import type { RewardFunction, RewardInput, Rewards } from '../reward.js';
import { evaluateExpression, usesNumbers } from './expression.js';
import { parseCountdownPrompt, type CountdownPuzzle } from './puzzles.js';

export interface CountdownTaskOptions {
  /** Every given number must be used (exactly once; TinyZero's rule); false: each at most once. Default true. */
  useAllNumbers?: boolean;
  /** Weight of the format reward (the answer tags present; logged as 'format'); 0 leaves it out. Default 0. */
  formatWeight?: number;
}

/** The text inside the last <answer>...</answer>, or null. */
export function answerOf(completion: string): string | null {
  const all = [...completion.matchAll(/<answer>([\s\S]*?)<\/answer>/g)];
  return all.length ? all[all.length - 1]![1]!.trim() : null;
}

/** Why an answer to a puzzle is right or wrong (the reason a score reports). */
export function judgeCountdown(
  answer: string | null,
  puzzle: CountdownPuzzle | null,
  useAll = true,
): 'equal' | 'no_answer' | 'no_puzzle' | 'not_expression' | 'wrong_numbers' | 'not_equal' {
  if (puzzle === null) return 'no_puzzle';
  if (answer === null) return 'no_answer';
  const r = evaluateExpression(answer);
  if (!r) return 'not_expression';
  if (!usesNumbers(r.numbers, puzzle.numbers, useAll)) return 'wrong_numbers';
  return Math.abs(r.value - puzzle.target) <= 1e-9 ? 'equal' : 'not_equal';
}

/** The puzzle of a training item: its columns, else its prompt's last user turn. */
export function puzzleOf(item: Pick<RewardInput, 'example'>): CountdownPuzzle | null {
  const c = item.example.columns ?? {};
  const numbers = (c['numbers'] ?? c['nums']) as unknown;
  const target = c['target'] ?? item.example.groundTruth;
  if (Array.isArray(numbers) && numbers.every((n) => Number.isFinite(Number(n))) && Number.isFinite(Number(target))) {
    return { numbers: numbers.map(Number), target: Number(target) };
  }
  const user = [...item.example.messages].reverse().find((m) => m.role === 'user');
  return user ? parseCountdownPrompt(String(user.content)) : null;
}

/** The countdown reward: 1 for a correct equation in the last answer tags, else 0. */
export function countdownRewardFn(useAll = true): RewardFunction {
  return (batch) => batch.map((item) => (judgeCountdown(answerOf(item.completion), puzzleOf(item), useAll) === 'equal' ? 1 : 0));
}

/** A small shaping reward: 1 when the completion has an <answer>...</answer>. */
export const countdownFormatReward: RewardFunction = (batch) => batch.map(({ completion }) => (answerOf(completion) === null ? 0 : 1));

export function createCountdownTask(opts: CountdownTaskOptions = {}): Task {
  const useAll = opts.useAllNumbers ?? true;
  const formatWeight = opts.formatWeight ?? 0;
  const score = (gold: string, response: string, ctx: TaskScoreContext): TaskScore => {
    const parsed = parseCountdownPrompt(ctx.problem);
    const puzzle = parsed && { numbers: parsed.numbers, target: Number(gold) };
    const extracted = answerOf(response);
    const reason = judgeCountdown(extracted, puzzle, useAll);
    return { correct: reason === 'equal', rewardCorrect: reason === 'equal', extracted, reason };
  };
  return {
    name: 'countdown',
    description: 'Countdown (TinyZero): an equation over the given numbers that equals the target, in <answer> tags',
    binaryReward: formatWeight === 0,
    evalMessages: (problem) => [{ role: 'user', content: problem }],
    rewards(_ctx?: TaskRewardContext): Rewards {
      const countdown = { name: 'countdown', fn: countdownRewardFn(useAll) };
      return formatWeight === 0 ? [countdown] : [countdown, { name: 'format', fn: countdownFormatReward, weight: formatWeight }];
    },
    score,
    extract: answerOf,
  };
}

/** The registry's 'countdown' (every number exactly once, no format reward). */
export const countdownTask: Task = createCountdownTask();
