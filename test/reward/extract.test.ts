import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extractAnswer, extractGold, lastBoxGroup } from '../../src/tasks/math/verifier/extract.js';
import { findBoxes } from '../../src/tasks/math/verifier/latex.js';

test('boxes: brace matching, nesting, \\fbox, brace-less, unclosed', () => {
  assert.deepEqual(
    findBoxes('a \\boxed{\\frac{1}{2}} b \\fbox{3}').map((b) => b.content),
    ['\\frac{1}{2}', '3'],
  );
  assert.equal(lastBoxGroup('\\boxed{\\left\\{ 1, \\{2\\} \\right\\}}'), '\\left\\{ 1, \\{2\\} \\right\\}');
  assert.equal(lastBoxGroup('so \\boxed 5.'), '5');
  assert.equal(lastBoxGroup('truncated \\boxed{\\frac{1}{2'), '\\frac{1}{2');
});

test('reward mode: the last box group; no box is no answer', () => {
  assert.equal(extractAnswer('first \\boxed{1}. Wait, no: \\boxed{2}', { mode: 'reward' }), '2');
  assert.equal(extractAnswer('\\boxed{-2} \\quad \\text{and} \\quad \\boxed{1}.', { mode: 'reward' }), '-2 and 1');
  assert.equal(extractAnswer('\\boxed{1} no no no no no \\boxed{2}', { mode: 'reward' }), '2');
  assert.equal(extractAnswer('The answer is 12.8', { mode: 'reward' }), null);
  assert.equal(extractAnswer('12.8', { mode: 'reward', bare: true }), '12.8');
  assert.equal(extractAnswer('$12.8$', { mode: 'reward', bare: true }), null);
});

test('</think>: only the text after it counts; unfinished thinking is no answer', () => {
  assert.equal(extractAnswer('<think>maybe \\boxed{3}</think> so \\boxed{4}', { mode: 'reward' }), '4');
  assert.equal(extractAnswer('<think>maybe \\boxed{3}', { mode: 'reward' }), null);
  assert.equal(extractAnswer('<think>maybe \\boxed{3}</think> the answer is 5', { mode: 'eval' }), '5');
});

test('eval mode: final answer phrase, answer is, math segment, last number', () => {
  assert.equal(extractAnswer('... \\boxed{200} ... Final Answer: The final answer is $10,455$. I hope it is correct.', { mode: 'eval' }), '10,455');
  assert.equal(extractAnswer('Final Answer: The largest $n$ is 34.', { mode: 'eval' }), '34');
  assert.equal(extractAnswer('Therefore $x \\geq 5$ is the solution.', { mode: 'eval' }), 'x \\geq 5');
  assert.equal(extractAnswer('so $d=3$ and there are 12 ways. <|im_start|>user 99', { mode: 'eval' }), '12');
  assert.equal(extractAnswer('the code AZYUK2A', { mode: 'eval' }), null);
});

test('gold: last box group of a worked solution, else the bare answer', () => {
  assert.equal(extractGold('so $\\boxed{14{,}916}$ is our answer.'), '14{,}916');
  assert.equal(extractGold('$\\frac{1}{2}$'), '\\frac{1}{2}');
  assert.equal(extractGold('\\\\boxed{004}'), '004');
});
