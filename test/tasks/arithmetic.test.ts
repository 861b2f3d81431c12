// The arithmetic task (src/tasks/arithmetic/, the demo's): the question is the only turn, and
// its reward and score are the verifier's reward mode (what the demo reported before it was a
// task), checked on the demo's own corpus responses: careful and hasty procedures in every format.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createArithmeticTask } from '../../src/tasks/arithmetic/task.js';
import { CorpusStream } from '../../src/tasks/arithmetic/problems.js';
import { verify } from '../../src/tasks/math/verifier/verifier.js';
import type { RewardFunction } from '../../src/tasks/reward.js';

test('arithmetic task: prompt, reward and score agree with the reward-mode verifier on 200 corpus responses', async () => {
  const task = createArithmeticTask();
  const stream = new CorpusStream(3, new Set());
  const items = Array.from({ length: 200 }, () => stream.next());
  const expected = items.map(({ problem, response }) => verify(String(problem.answer), response, { mode: 'reward' }).correct);
  assert.ok(expected.some(Boolean) && !expected.every(Boolean), 'both verdicts occur');
  for (const [i, { problem, response }] of items.entries()) {
    const s = task.score(String(problem.answer), response, { problem: problem.question, truncated: false });
    assert.equal(s.correct, expected[i], response);
    assert.equal(s.rewardCorrect, expected[i]);
  }
  const fn = task.rewards({ workers: 1 }) as RewardFunction;
  try {
    const rewards = await fn(
      items.map(({ problem, response }, index) => ({
        prompt: '',
        completion: response,
        completionIds: [],
        truncated: false,
        step: 1,
        example: { index, messages: task.evalMessages(problem.question), groundTruth: String(problem.answer), dataSource: 'demo' },
      })),
    );
    assert.deepEqual(
      rewards,
      expected.map((c) => (c ? 1 : 0)),
    );
  } finally {
    await task.close!();
  }
  assert.deepEqual(task.evalMessages('37+48=?'), [{ role: 'user', content: '37+48=?' }]);
  assert.equal(task.extract('Check: 7+8=15. \\boxed{85}'), '85');
  assert.equal(task.binaryReward, true);
});
