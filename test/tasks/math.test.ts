// The math task (src/tasks/math/task.ts): what it delegates to the verifier (reward mode in a
// pool, evaluation scoring in both modes, reward-mode extraction), and evaluate() over a task:
// the countdown task's prompt and scoring through evaluate() with a scripted sampler.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMathTask, mathTask } from '../../src/tasks/math/task.js';
import { scoreResponse } from '../../src/eval/evaluate.js';
import { evaluate, taskPromptBuilder } from '../../src/eval/evaluate.js';
import { countdownTask } from '../../src/tasks/countdown/task.js';
import { countdownPrompt } from '../../src/tasks/countdown/puzzles.js';
import { MATH_EVAL_SYSTEM_PROMPT } from '../../src/tasks/math/prompts.js';
import type { RewardFunction, RewardInput } from '../../src/tasks/reward.js';
import type { CausalLM } from '../../src/model/transformer.js';
import type { Tokenizer } from '../../src/tokenizer/index.js';
import type { Sample, SamplingOptions } from '../../src/rollout/types.js';

const input = (completion: string, gold: string): RewardInput => ({
  prompt: '',
  completion,
  completionIds: [],
  truncated: false,
  step: 1,
  example: { index: 0, messages: [], groundTruth: gold, dataSource: 'math' },
});

test('math task: reward mode in a verifier pool, closed by close()', async () => {
  const task = createMathTask();
  const fn = task.rewards({ workers: 1 }) as RewardFunction;
  assert.deepEqual(await fn([input('so \\boxed{\\frac{1}{2}}', '0.5'), input('the answer is 0.5', '0.5'), input('\\boxed{3}', '0.5')]), [1, 0, 0]);
  const any = createMathTask({ reward: 'any' });
  const fnAny = any.rewards({ workers: 1 }) as RewardFunction;
  assert.deepEqual(await fnAny([input('the answer is 0.5', '0.5')]), [1]);
  await task.close!();
  await any.close!();
  await task.close!(); // twice is safe
});

test('math task: score is scoreResponse (both modes), extract is the reward-mode answer', () => {
  const ctx = { problem: 'p', truncated: false };
  for (const [gold, resp] of [
    ['0.5', 'so \\boxed{\\frac12}'],
    ['2', 'The answer is 2.'],
    ['2', '\\boxed{3}'],
  ] as const) {
    assert.deepEqual(mathTask.score(gold, resp, ctx), scoreResponse(gold, resp, ctx));
  }
  assert.deepEqual(mathTask.score('2', 'The answer is 2.', ctx), { correct: true, rewardCorrect: false, extracted: '2', reason: 'equal' });
  assert.equal(createMathTask({ scoring: 'reward' }).score('2', 'The answer is 2.', ctx).correct, false);
  assert.equal(mathTask.extract('x \\boxed{1} then \\boxed{7}'), '7');
  assert.equal(mathTask.extract('no box: 7'), null);
  assert.deepEqual(mathTask.evalMessages('1+1?'), [
    { role: 'system', content: MATH_EVAL_SYSTEM_PROMPT },
    { role: 'user', content: '1+1?' },
  ]);
  assert.equal(mathTask.binaryReward, true);
});

test('evaluate() over the countdown task: its prompt and its score', () => {
  // A character "tokenizer" is enough: the sampler below answers from the prompt text.
  const tokenizer = {
    encode: (s: string) => [...s].map((c) => c.codePointAt(0)!),
    decode: (ids: number[]) => String.fromCodePoint(...ids),
    tokenToId: () => undefined,
  } as unknown as Tokenizer;
  const seen: string[] = [];
  const sampler = (_m: unknown, prompts: number[][], opts: SamplingOptions): Sample[] =>
    prompts.flatMap((p, pi) => {
      const text = tokenizer.decode(p);
      seen.push(text);
      const answer = text.includes('[3, 5, 2]') ? '(3 + 5) * 2' : '1 + 1';
      const tokens = tokenizer.encode(`<answer>${answer}</answer>`);
      return Array.from({ length: opts.n ?? 1 }, (_, si) => ({
        promptIndex: pi,
        sampleIndex: si,
        tokens,
        logprobs: tokens.map(() => -1),
        finishReason: 'stop' as const,
      }));
    });
  const problems = [
    { numbers: [3, 5, 2], target: 16 },
    { numbers: [4, 6, 1], target: 25 },
  ].map((p) => ({ problem: countdownPrompt(p), answer: String(p.target) }));
  const model = { config: { eosTokenId: 0 } } as unknown as CausalLM;
  const r = evaluate(model, tokenizer, [{ name: 'countdown', problems, decoding: { greedy: true } }], { task: countdownTask, sampler, stopTokenIds: [0] });
  assert.equal(r.benchmarks['countdown']!.accuracy, 0.5);
  assert.equal(r.benchmarks['countdown']!.rewardAccuracy, 0.5);
  assert.deepEqual(
    r.records['countdown']!.map((x) => [x.extracted, x.reason]),
    [
      ['(3 + 5) * 2', 'equal'],
      ['1 + 1', 'wrong_numbers'],
    ],
  );
  // The prompt is the countdown task's conversation through the (default Qwen2.5) chat template.
  assert.equal(seen[0], taskPromptBuilder(countdownTask)(problems[0]!.problem));
  assert.match(seen[0]!, /<\|im_start\|>user\nUsing the numbers \[3, 5, 2\]/);
});
