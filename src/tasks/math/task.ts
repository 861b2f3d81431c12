// The math task (the paper's): competition problems with a numeric or symbolic gold answer.
// Training rewards 1 when the math verifier (./verifier/) finds the response's answer equal to
// the gold, in its reward mode (the last \boxed{}), the paper grader's (./paper/) or its
// evaluation mode (any format); evaluation scores with the verifier's evaluation mode (or the
// Qwen2.5-Math grader, ./graders.ts) on the Qwen2.5-Math prompt (./prompts.ts).
import type { Task, TaskRewardContext, TaskScore, TaskScoreContext } from '../task.js';
import type { Rewards } from '../reward.js';
import { mathReward } from './reward.js';
import { VerifierPool } from './verifier/pool.js';
import { verifyWithDeadline } from './verifier/deadline.js';
import { extractAnswer } from './verifier/extract.js';
import { mathEvalMessages } from './prompts.js';
import { rewardModeCorrect, scoreResponse } from './score.js';

export interface MathTaskOptions {
  /**
   * Training reward: ours (the verifier's reward mode: last box group, value equivalence), paper
   * (the fork's DeepScaleR grader) or any (the verifier's evaluation mode). Default ours.
   */
  reward?: 'ours' | 'paper' | 'any';
  /**
   * How score() judges: eval (the verifier's evaluation mode, any format; the default) or reward
   * (the training reward, as the paper's code scored validation).
   */
  scoring?: 'eval' | 'reward';
}

/** The verifier mode of a `reward` setting. */
export function mathRewardMode(reward: MathTaskOptions['reward']): 'reward' | 'paper' | 'eval' {
  return reward === 'paper' ? 'paper' : reward === 'any' ? 'eval' : 'reward';
}

/** A math task; `mathTask` (registered as 'math') is the default one. */
export function createMathTask(opts: MathTaskOptions = {}): Task {
  const mode = mathRewardMode(opts.reward);
  const pools: VerifierPool[] = [];
  return {
    name: 'math',
    description: "math problems with a \\boxed{} answer checked by the math verifier (the paper's task)",
    binaryReward: true,
    evalMessages: mathEvalMessages,
    rewards(ctx: TaskRewardContext = {}): Rewards {
      // Each call opens its own pool (closed by close()): checks run in worker threads with a deadline.
      const pool = new VerifierPool({ size: ctx.workers ?? 2 });
      pools.push(pool);
      return mathReward(pool, { mode });
    },
    score(gold: string, response: string, ctx: TaskScoreContext): TaskScore {
      if (opts.scoring === 'reward') {
        const s = verifyWithDeadline(gold, response, { mode, truncated: ctx.truncated });
        return { correct: s.correct, extracted: s.extractedPred, reason: s.reason };
      }
      return scoreResponse(gold, response, ctx);
    },
    extract: (response) => extractAnswer(response, { mode: 'reward' }),
    rewardCorrect: (gold, response, ctx) => rewardModeCorrect(gold, response, ctx.truncated),
    async close() {
      await Promise.all(pools.splice(0).map((p) => p.close()));
    },
  };
}

/** The math task with its defaults: the registry's 'math'. */
export const mathTask: Task = createMathTask();
