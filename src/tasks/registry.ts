// STUB, REPLACED AT MERGE: the task registry of branch w4-run (run layer), with only 'math'.
// The real registry (tasks math, arithmetic and countdown, one folder each) comes from the tasks
// branch and replaces this file whole; the run layer uses only `getTask` and `TASK_NAMES`.
//
// 'math' here is built from the code the trainer and `rlvr eval` use today: the verifier's
// reward (mathReward in a verifier pool), its answer extraction and evaluation scoring. Kept
// light at import (no engine): the run-file schema (src/run/run-config.ts) checks names against it.
import { UserError } from '../errors.js';
import { mathEvalMessages } from '../data/prompts.js';
import { extractAnswer } from '../reward/extract.js';
import { VerifierPool } from '../reward/pool.js';
import { verifyWithDeadline } from '../reward/deadline.js';
import { mathReward } from '../rl/rewards.js';
import type { Task } from './task.js';

function mathTask(): Task {
  let pool: VerifierPool | null = null;
  return {
    name: 'math',
    description: "competition math with a final \\boxed{} answer, checked by the verifier (the paper's task)",
    evalMessages: mathEvalMessages,
    rewards: (ctx) => {
      pool ??= new VerifierPool({ size: ctx?.workers ?? 2 });
      return mathReward(pool, { mode: 'reward' });
    },
    // As scoreResponse (src/eval/evaluate.ts): any format for `correct`, the last \\boxed{} for `rewardCorrect`.
    score: (gold, response, ctx) => {
      const r = verifyWithDeadline(gold, response, { mode: 'eval' });
      const boxed = verifyWithDeadline(gold, response, { mode: 'reward', truncated: ctx.truncated });
      return { correct: r.correct, rewardCorrect: boxed.correct, extracted: r.extractedPred, reason: r.reason };
    },
    extract: (response) => extractAnswer(response, { mode: 'reward' }),
    binaryReward: true,
    close: async () => {
      await pool?.close();
      pool = null;
    },
  };
}

const TASKS: Record<string, () => Task> = { math: mathTask };

/** Every task `--task` and the run file's `task` accept. */
export const TASK_NAMES: readonly string[] = Object.keys(TASKS);

/** A new instance of the task `name`; an unknown name is one line listing the known ones. */
export function getTask(name: string): Task {
  const make = TASKS[name];
  if (!make) throw new UserError(`unknown task '${name}'; known: ${TASK_NAMES.join(', ')}`);
  return make();
}
