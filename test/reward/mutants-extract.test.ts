// Tests written to kill surviving mutants of npm run mutate:verdicts in src/tasks/math/verifier/extract.ts (issue 21
// item 7): the reward-mode extraction rules of src/tasks/math/verifier/README.md, each at its boundary (which
// </think> counts, which end token cuts, when two boxes are one answer, the 64-box cap, the bare
// 200-character cap, the gold's own extraction). Every case below decides what is graded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answerRegion, extractAnswer, extractGold } from '../../src/tasks/math/verifier/extract.js';
import { rewardFn } from '../../src/tasks/math/verifier/verifier.js';

const R = (s: string, bare?: boolean): string | null => extractAnswer(s, { mode: 'reward', bare });

test('answer region: after the LAST </think>, before a reopened <think>, before any end token', () => {
  assert.equal(R('a</think>\\boxed{9}</think> \\boxed{2}'), '2');
  assert.equal(R('</think> \\boxed{1} <think> \\boxed{2}'), '1');
  assert.equal(R('<think> \\boxed{2}'), null);
  for (const t of ['<|im_start|>', '<|im_end|>', '<|endoftext|>', '<|eot_id|>', '</s>']) {
    assert.equal(R(`\\boxed{1}${t}\\boxed{2}`), '1', `${t} ends the answer`);
  }
  // a leading <|im_start|> (an echoed header, repeated) opens the message; any other leading token ends it
  assert.equal(R('  <|im_start|><|im_start|>assistant \\boxed{3}'), '3');
  assert.equal(R('<|eot_id|>\\boxed{2}'), null);
  assert.equal(R('\\\\boxed{5}'), '5', 'doubled backslashes (JSON-escaped text) are collapsed');
  assert.equal(answerRegion('no tags here'), 'no tags here');
  assert.equal(rewardFn('1', '\\boxed{1}<|im_end|>\\boxed{2}'), 1);
  assert.equal(rewardFn('2', '\\boxed{1}<|im_end|>\\boxed{2}'), 0);
});

test('box groups: connectors join, punctuation and prose separate', () => {
  const joined = [
    '\\boxed{1}\\boxed{2}',
    '\\boxed{1}, \\boxed{2}',
    '\\boxed{1}\\text{ and }\\boxed{2}',
    '\\boxed{1} \\quad \\boxed{2}',
    '\\boxed{1}\\qquad\\boxed{2}',
    '\\boxed{1}\\,\\boxed{2}',
    '\\boxed{1}\\;\\boxed{2}',
    '\\boxed{1}\\:\\boxed{2}',
    '\\boxed{1}\\!\\boxed{2}',
    '\\boxed{1}\\ \\boxed{2}',
    '$\\boxed{1}$ and $\\boxed{2}$',
    '\\boxed{1} or \\boxed{2}',
    '\\boxed{1} \\text{or} \\boxed{2}',
    '\\boxed{1} for (a) and \\boxed{2}',
    '\\boxed{1} for (ii) and \\boxed{2}',
    '\\boxed{1} x y z and \\boxed{2}',
    '\\boxed{1}' + ' '.repeat(120) + '\\boxed{2}',
  ];
  for (const s of joined) assert.equal(R(s), '1 and 2', JSON.stringify(s));
  const separate = [
    '\\boxed{1}; \\boxed{2}',
    '\\boxed{1}: \\boxed{2}',
    '\\boxed{1}! \\boxed{2}',
    '\\boxed{1}? \\boxed{2}',
    '\\boxed{1}. \\boxed{2}',
    '\\boxed{1} then \\boxed{2}',
    '\\boxed{1} andy \\boxed{2}',
    '\\boxed{1} w x y z and \\boxed{2}',
    '\\boxed{1} \\text{(a)} \\boxed{2}',
    '\\boxed{1}' + ' '.repeat(121) + '\\boxed{2}',
  ];
  for (const s of separate) assert.equal(R(s), '2', JSON.stringify(s));
  assert.equal(R('\\boxed{ 5 }'), '5');
  // verdicts: a joined pair is a set answer, a corrected one is its last box
  assert.equal(rewardFn('1, 2', '\\boxed{2} or \\boxed{1}'), 1);
  assert.equal(rewardFn('2', '\\boxed{1}. Wait: \\boxed{2}'), 1);
  assert.equal(rewardFn('2', '\\boxed{1}, \\boxed{2}'), 0);
});

test('a group holds at most 64 boxes: the last 64 of a longer run', () => {
  const boxes = (n: number) => Array.from({ length: n }, (_, i) => `\\boxed{${i}}`).join(', ');
  const g65 = R(boxes(65))!.split(' and ');
  assert.equal(g65.length, 64);
  assert.equal(g65[0], '1');
  const g64 = R(boxes(64))!.split(' and ');
  assert.deepEqual([g64.length, g64[0], g64[63]], [64, '0', '63']);
});

test('bare answers (verl pred convention): up to 200 characters, no math delimiters, not blank', () => {
  assert.equal(R('1'.repeat(200), true), '1'.repeat(200));
  assert.equal(R('1'.repeat(201), true), null);
  assert.equal(R(' 5 ', true), '5');
  for (const s of ['\\(5\\)', '\\[5\\]', '$5$', '   ']) assert.equal(R(s, true), null, JSON.stringify(s));
  assert.equal(R('5'), null);
  assert.equal(R('5', false), null);
});

test('the gold: its last box, a short answer without delimiters, or the eval extraction of a worked solution', () => {
  assert.equal(extractGold('$\\frac{1}{2}$'), '\\frac{1}{2}');
  assert.equal(extractGold('\\\\frac{1}{2}'), '\\frac{1}{2}');
  assert.equal(extractGold('sol \\boxed{4} yes'), '4');
  assert.equal(extractGold('We compute carefully the whole thing step by step and so the answer is 7.'), '7');
});

test('second round (survivors of the first mutation run): a <think> right after </think>, echoed headers with spaces, \\text gaps, eval fallbacks, the gold length cut', () => {
  assert.equal(R('</think><think> \\boxed{2}'), null, 'a <think> reopened at once: still thinking');
  assert.equal(R('<|im_start|> <|im_start|>assistant \\boxed{3}'), '3');
  // \\text{…} (with or without a space before the brace) reads as its words: 4 words with "and" join
  assert.equal(R('\\boxed{1}\\text{ for part a and }\\boxed{2}'), '1 and 2');
  assert.equal(R('\\boxed{1}\\text { for part a and }\\boxed{2}'), '1 and 2');
  assert.equal(R('\\boxed{1} a\\text{or}\\boxed{2}'), '1 and 2', '\\text{or} is the word "or", not glued to "a"');
  assert.equal(R('\\boxed{1} a\\,or \\boxed{2}'), '1 and 2', 'a thin space separates words');
  assert.equal(R('\\boxed{1} (.) \\boxed{2}'), '2', 'only part labels like (a), (ii) are not punctuation');
  const E = (s: string) => extractAnswer(s, { mode: 'eval' });
  assert.equal(E('\\boxed{3} and so the final answer is'), '3', 'an empty final-answer phrase falls back to the box');
  assert.equal(E('We get \\boxed{3} so 4 apples'), '3', 'eval mode: the box before the last number');
  assert.equal(E('Answer:7 since 8 - 1 = 6'), '7');
  assert.equal(E('Final answer  : 7 since 8 - 1 = 6'), '7');
  assert.equal(E('Answer : 7 since 8 - 1 = 6'), '7', 'spaces before the colon');
  assert.equal(E('the answer is: see below. 42'), '42');
  // a gold under 60 characters is the answer as written; from 60 on it is a worked solution
  assert.equal(extractGold('2 apples and 3 pears'), '2 apples and 3 pears');
  const g60 = 'Tom has 2 apples and 3 pears in the basket, so he has 5 frui';
  assert.equal(g60.length, 60);
  assert.equal(extractGold(g60.slice(0, 59)), g60.slice(0, 59));
  assert.notEqual(extractGold(g60), g60);
});
