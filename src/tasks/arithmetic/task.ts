// The arithmetic task (the demo's, ./problems.ts): two-digit sums, differences and products with
// an exact integer answer. The question is the only user turn (no system prompt, the demo's
// tokenizer has a small vocabulary); the reward is the math verifier's reward mode (a correct
// \boxed{} answer) in a worker pool, and evaluation scores the same way, under the verifier's
// deadline: the number the demo reports.
import type { Task, TaskRewardContext, TaskScore, TaskScoreContext } from '../task.js';
import type { ChatMessage } from '../../tokenizer/chat.js';
import type { Rewards } from '../reward.js';
import { mathReward } from '../math/reward.js';
import { VerifierPool } from '../math/verifier/pool.js';
import { verifyWithDeadline } from '../math/verifier/deadline.js';
import { extractAnswer } from '../math/verifier/extract.js';

/** The conversation of one problem: its question (e.g. "37+48=?") as the user turn. */
export function arithmeticMessages(question: string): ChatMessage[] {
  return [{ role: 'user', content: question }];
}

/** An arithmetic task; each instance owns the verifier pools its rewards() opened (close() ends them). */
export function createArithmeticTask(): Task {
  const pools: VerifierPool[] = [];
  const verdict = (gold: string, response: string): TaskScore => {
    // Bounded: 1 s, then incorrect ('timeout').
    const r = verifyWithDeadline(gold, response, { mode: 'reward' });
    return { correct: r.correct, rewardCorrect: r.correct, extracted: r.extractedPred, reason: r.reason };
  };
  return {
    name: 'arithmetic',
    description: "the demo's two-digit arithmetic (add, sub, mul, muladd); a correct \\boxed{} answer earns 1",
    binaryReward: true,
    evalMessages: arithmeticMessages,
    rewards(ctx: TaskRewardContext = {}): Rewards {
      const pool = new VerifierPool({ size: ctx.workers ?? 1 });
      pools.push(pool);
      return mathReward(pool);
    },
    score: (gold: string, response: string, _ctx: TaskScoreContext) => verdict(gold, response),
    extract: (response) => extractAnswer(response, { mode: 'reward' }),
    rewardCorrect: (gold, response) => verdict(gold, response).correct,
    async close() {
      await Promise.all(pools.splice(0).map((p) => p.close()));
    },
  };
}

/** The registry's 'arithmetic'. */
export const arithmeticTask: Task = createArithmeticTask();
