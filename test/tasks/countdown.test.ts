// The countdown task (src/tasks/countdown/): its reward on hand-made good and bad equations, its
// prompt read back, and properties over seeded puzzles: each puzzle's own solution earns 1, and a
// wrong target, a number used twice, a number left out or a number not given earns 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RewardInput, WeightedReward } from '../../src/tasks/reward.js';
import { countdownPrompt, countdownPuzzles, parseCountdownPrompt, type CountdownPuzzle } from '../../src/tasks/countdown/puzzles.js';
import { countdownTask, createCountdownTask, judgeCountdown } from '../../src/tasks/countdown/task.js';
import { evaluateExpression } from '../../src/tasks/countdown/expression.js';

const item = (completion: string, p: CountdownPuzzle, columns = true): RewardInput => ({
  prompt: '',
  completion,
  completionIds: [],
  truncated: false,
  step: 1,
  example: {
    index: 0,
    messages: [{ role: 'user', content: countdownPrompt(p) }],
    groundTruth: String(p.target),
    dataSource: 'countdown',
    ...(columns ? { columns: { ...p } } : {}),
  },
});

async function reward(task: typeof countdownTask, completions: string[], p: CountdownPuzzle, columns = true): Promise<number[]> {
  const list = task.rewards() as WeightedReward[];
  assert.equal(list[0]!.name, 'countdown');
  return list[0]!.fn(completions.map((c) => item(c, p, columns)));
}

test('countdown reward on hand-made equations (numbers 3, 5, 2; target 16)', async () => {
  const p = { numbers: [3, 5, 2], target: 16 };
  const cases: [string, number][] = [
    ['<answer>(3+5)*2</answer>', 1],
    ['<think>8 times 2</think> <answer> 2 * (5 + 3) </answer>', 1],
    ['<answer>(5+3)*2</answer> then <answer>3*5</answer>', 0], // the last answer counts: 15
    ['<answer>8*2</answer>', 0], // 8 is not given
    ['<answer>(3+5)*2*1</answer>', 0], // 1 is not given
    ['<answer>(5+5)+3*2</answer>', 0], // 5 used twice
    ['<answer>5*3+2</answer>', 0], // 17
    ['<answer>(3+5)*2 = 16</answer>', 0], // not an expression
    ['<answer>16</answer>', 0], // 16 is not given
    ['(3+5)*2', 0], // no answer tags
    ['<answer>((3+5)*2</answer>', 0], // unbalanced
  ];
  assert.deepEqual(
    await reward(
      countdownTask,
      cases.map((c) => c[0]),
      p,
    ),
    cases.map((c) => c[1]),
  );
  // Without columns the puzzle is read from the prompt: same verdicts.
  assert.deepEqual(
    await reward(
      countdownTask,
      cases.map((c) => c[0]),
      p,
      false,
    ),
    cases.map((c) => c[1]),
  );
});

test('every number exactly once by default; at most once with useAllNumbers false', async () => {
  const p = { numbers: [4, 4, 7], target: 11 };
  assert.deepEqual(await reward(countdownTask, ['<answer>4+7</answer>', '<answer>4+7+4-4</answer>', '<answer>4*4-7+2</answer>'], p), [0, 0, 0]);
  assert.deepEqual(await reward(countdownTask, ['<answer>(4+4)/4*7</answer>', '<answer>4/4+7+3</answer>'], { numbers: [4, 4, 7], target: 14 }), [0, 0]);
  const loose = createCountdownTask({ useAllNumbers: false });
  assert.deepEqual(await reward(loose, ['<answer>4+7</answer>', '<answer>4+4+7-4</answer>'], p), [1, 0]);
  assert.equal(judgeCountdown('4 + 7', p, false), 'equal');
  assert.equal(judgeCountdown('4 + 7', p, true), 'wrong_numbers');
  assert.equal(judgeCountdown('(4 + 7) * 4 / 4', p, true), 'wrong_numbers'); // 4 three times
  assert.equal(judgeCountdown('4 * 4 - 7', p, true), 'not_equal'); // 9
  assert.equal(judgeCountdown(null, p), 'no_answer');
});

test('the format reward is a second, weighted reward; binaryReward says whether the total is an accuracy', async () => {
  assert.equal(countdownTask.binaryReward, true);
  const shaped = createCountdownTask({ formatWeight: 0.1 });
  assert.equal(shaped.binaryReward, false);
  const list = shaped.rewards() as WeightedReward[];
  assert.deepEqual(
    list.map((r) => [r.name, r.weight ?? 1]),
    [
      ['countdown', 1],
      ['format', 0.1],
    ],
  );
  const p = { numbers: [3, 5, 2], target: 16 };
  assert.deepEqual(await list[1]!.fn(['<answer>1</answer>', 'no tags'].map((c) => item(c, p))), [1, 0]);
});

test('score() reads the numbers from the problem text and the target from the gold answer', () => {
  const p = { numbers: [3, 5, 2], target: 16 };
  const problem = countdownPrompt(p);
  assert.deepEqual(parseCountdownPrompt(problem), p);
  assert.deepEqual(parseCountdownPrompt('Using the numbers [19, 36, 55, 7], create an equation that equals 65.'), { numbers: [19, 36, 55, 7], target: 65 });
  assert.equal(parseCountdownPrompt('make 16 from 3 and 5'), null);
  assert.deepEqual(countdownTask.score('16', 'so <answer>(3+5)*2</answer>', { problem, truncated: false }), {
    correct: true,
    rewardCorrect: true,
    extracted: '(3+5)*2',
    reason: 'equal',
  });
  assert.equal(countdownTask.score('17', '<answer>(3+5)*2</answer>', { problem, truncated: false }).reason, 'not_equal');
  assert.equal(countdownTask.score('16', '<answer>(3+5)*2</answer>', { problem: 'no numbers here', truncated: false }).reason, 'no_puzzle');
  assert.equal(countdownTask.extract('a <answer> 1+2 </answer> b'), '1+2');
  assert.deepEqual(countdownTask.evalMessages(problem), [{ role: 'user', content: problem }]);
});

test('property: on 300 seeded puzzles the solution earns 1 and broken equations earn 0', async () => {
  const puzzles = [...countdownPuzzles(7, 150, 3, 20), ...countdownPuzzles(8, 150, 4, 50)];
  assert.equal(new Set(puzzles.map((p) => JSON.stringify(p))).size > 250, true, 'puzzles are varied');
  for (const p of puzzles) {
    const r = evaluateExpression(p.solution);
    assert.ok(r, p.solution);
    assert.equal(r.value, p.target, p.solution);
    assert.deepEqual(
      [...r.numbers].sort((a, b) => a - b),
      [...p.numbers].sort((a, b) => a - b),
      'the solution uses every number once',
    );
    assert.ok(Number.isInteger(p.target) && p.target > 0);
  }
  const fn = (countdownTask.rewards() as WeightedReward[])[0]!.fn;
  const score = async (p: CountdownPuzzle, answer: string) => (await fn([item(`<answer>${answer}</answer>`, p)]))[0];
  for (const p of puzzles) {
    assert.equal(await score(p, p.solution), 1, `solution ${p.solution} of ${JSON.stringify(p)}`);
    assert.equal(await score({ ...p, target: p.target + 1 }, p.solution), 0, 'wrong target');
    assert.equal(await score(p, `(${p.solution}) + ${p.numbers[0]} - ${p.numbers[0]}`), 0, 'a number used twice');
    assert.equal(await score({ ...p, numbers: [...p.numbers, 1000] }, p.solution), 0, 'a number left out');
    assert.equal(await score(p, `(${p.solution}) * 1000 / 1000`), 0, 'a number not given');
  }
  // Seeded: the same seed gives the same puzzles.
  assert.deepEqual(countdownPuzzles(7, 5, 3, 20), puzzles.slice(0, 5));
});
