// Tests written to kill surviving mutants of npm run mutate:verdicts in src/tasks/math/verifier/equivalence.ts
// (issue 21 item 7): the entry point equivalent() on its documented policies, each with a case
// that flips when a branch does. Empty answers are never equal (not even to each other); spacing
// never matters; a decimal comma ("1,5") equals the same number written with a point, in either
// role, and nothing else; a list is unordered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { equivalent } from '../../src/tasks/math/verifier/equivalence.js';
import { verify } from '../../src/tasks/math/verifier/verifier.js';

test('equivalent(): empty, spacing, decimal comma both ways, unordered lists', () => {
  const yes: [string, string][] = [
    ['x + 1', 'x+1'],
    ['1000,99', '1000.99'],
    ['1000.99', '1000,99'],
    ['1,5', '1.5'],
    ['1.5', '1,5'],
    ['-1,5', '-1.5'],
    ['+1,5', '1.5'],
    ['1,5', '1.50'],
    ['1,50', '1.5'],
    ['0,5', '0.5'],
    ['1,2', '2,1'],
    ['1,5', '1,5'],
  ];
  const no: [string, string][] = [
    ['', ''],
    ['', '1'],
    ['1', ''],
    ['1,5', '1.6'],
    ['1.6', '1,5'],
    ['1,5', '15'],
    ['1,5', '.5'],
    ['2,5', '5/2'],
    ['1, 5', '1.5'],
  ];
  for (const [g, p] of yes) assert.equal(equivalent(g, p), true, `${g} = ${p}`);
  for (const [g, p] of no) assert.equal(equivalent(g, p), false, `${g} ≠ ${p}`);
});

test('the same policies as training rewards (reward mode, boxed)', () => {
  assert.equal(verify('1.5', '\\boxed{1,5}', { mode: 'reward' }).correct, true);
  assert.equal(verify('1,5', '\\boxed{1.5}', { mode: 'reward' }).correct, true);
  assert.equal(verify('1,5', '\\boxed{1.6}', { mode: 'reward' }).correct, false);
  assert.equal(verify('3, 4', '\\boxed{4, 3}', { mode: 'reward' }).correct, true);
  assert.equal(verify('3, 4', '\\boxed{4, 5}', { mode: 'reward' }).correct, false);
});
