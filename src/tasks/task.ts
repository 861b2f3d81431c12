// What a task is: the one place that knows what a problem looks like, how a response is rewarded
// in training and scored in evaluation, and what answer a response gave (for the logs).
//
// The trainer, evaluation and run assembly take a Task; nothing generic imports math code. Math
// (`tasks/math/`, the paper's task) is one Task, the demo's arithmetic another, countdown a third.
// A new task is one folder with one file that exports a Task and one line in `tasks/registry.ts`
// (or, from a library, `registerTask(task)`).
import type { ChatMessage } from '../tokenizer/chat.js';
import type { Rewards } from './reward.js';

/** One evaluation response's verdict. */
export interface TaskScore {
  /** Evaluation mode: any answer format the task accepts. */
  correct: boolean;
  /** Reward mode (what training rewards), when the task tells the two apart. */
  rewardCorrect?: boolean;
  /** The answer found in the response (null: none). */
  extracted: string | null;
  /** Why, in a word the logs can group by (e.g. 'equal', 'no-answer', 'timeout'). */
  reason: string;
}

export interface TaskScoreContext {
  /** The problem text. */
  problem: string;
  /** The response hit the token limit. */
  truncated: boolean;
  /** The full prompt the model saw (chat template applied), when known. */
  prompt?: string;
  /** The benchmark's name, for graders with per-dataset rules. */
  bench?: string;
}

/** What building a task's training reward may need (a verifier pool is opened lazily by the task). */
export interface TaskRewardContext {
  /** Worker threads for CPU-heavy checking (0: in the main thread). */
  workers?: number;
}

export interface Task {
  /** Registry name: `--task NAME`, `task` in the run file, `run_config.json`. */
  readonly name: string;
  /** One line for `--help` and the docs. */
  readonly description: string;
  /** The conversation for an evaluation problem (the training rows carry their own `messages`). */
  evalMessages(problem: string): ChatMessage[];
  /** The training reward: one function or several weighted ones (src/tasks/reward.ts). */
  rewards(ctx?: TaskRewardContext): Rewards;
  /** Scores one evaluation response against the gold answer. */
  score(gold: string, response: string, ctx: TaskScoreContext): TaskScore;
  /** The answer a response gave, for rollouts.jsonl and reports (null: none). */
  extract(response: string): string | null;
  /**
   * The training reward's verdict on one evaluation response, for a scorer that gives no
   * `rewardCorrect` (e.g. `--grader qwen`): evaluation reports both accuracies. Default: the
   * scorer's `correct`.
   */
  rewardCorrect?(gold: string, response: string, ctx: { truncated: boolean }): boolean;
  /**
   * Whether the reward is an accuracy in {0, 1}: then train accuracy and the accuracy history
   * (what historical-variance selection ranks) are the reward's mean. Otherwise they are the
   * share of rollouts whose score() is correct.
   */
  readonly binaryReward: boolean;
  /** Releases what the task opened (worker pools). Safe to call twice. */
  close?(): Promise<void>;
}
