// Tests written to kill surviving mutants of npm run mutate:verdicts in src/tasks/math/paper/paper.ts (issue 21
// item 7): hand-picked (gold, response) pairs at the edges of the paper grader's extraction and
// grading (\fbox fallback, unclosed and brace-less boxes, tuples and their brackets, unreduced
// fractions, integers against decimals, empty and over-long answers, golds with and without a box),
// each scored by the DeepScaleR grader itself (test/py/deepscaler_grader.py, the fork's Python) and
// by verifyPaper; every verdict must agree, and the set holds both verdicts so it cannot pass empty.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { repoRoot } from '../helpers/paths.js';
import { hasPythonModule, runPython } from '../helpers/python.js';
import { paperLastBoxed, verifyPaper } from '../../src/tasks/math/paper/paper.js';

const ORACLE = path.join(repoRoot, 'test/py/deepscaler_grader.py');
const missing = !hasPythonModule('sympy') || !hasPythonModule('pylatexenc') ? 'python3 sympy/pylatexenc missing (scripts/setup.sh --test)' : false;

const PAIRS: [string, string][] = [
  ['5', 'so \\boxed{5}'],
  ['5', 'so \\fbox{5}'],
  ['5', '\\fbox{4} then \\boxed{5}'],
  ['5', '\\boxed{5} then \\fbox{4}'],
  ['5', '\\boxed 5'],
  ['5', '\\boxed{5'],
  ['5', '\\boxed{\\frac{10}{2}}'],
  ['5', 'no box 5'],
  ['5', '\\boxed{}'],
  ['\\frac{1}{2}', '\\boxed{{1}/{2}}'],
  ['\\frac{1}{2}', '\\boxed{0.5}'],
  ['\\frac12', '\\boxed{\\frac{1}{2}}'],
  ['1/2', '\\boxed{2/4}'],
  ['2/4', '\\boxed{2/4}'],
  ['2/4', '\\boxed{1/2}'],
  ['2', '\\boxed{2.0}'],
  ['2', '\\boxed{2.5}'],
  ['2.5', '\\boxed{5/2}'],
  ['3', '\\boxed{3.00}'],
  ['(1,2)', '\\boxed{(1,2)}'],
  ['(1,2)', '\\boxed{[1,2]}'],
  ['(1,2)', '\\boxed{(2,1)}'],
  ['(1,2)', '\\boxed{(1,2,3)}'],
  ['(1,2)', '\\boxed{(1, 2)}'],
  ['(1,2)', '\\boxed{(1,3)}'],
  ['(1,2,3)', '\\boxed{(1,2,4)}'],
  ['(1,2)', '\\boxed{(1,2]}'],
  ['1,2', '\\boxed{1,2}'],
  ['1,2', '\\boxed{2,1}'],
  ['(1,\\frac{1}{2})', '\\boxed{(1,0.5)}'],
  ['x+1', '\\boxed{1+x}'],
  ['x^2-1', '\\boxed{(x-1)(x+1)}'],
  ['2x', '\\boxed{x+x}'],
  ['\\sqrt{8}', '\\boxed{2\\sqrt{2}}'],
  ['10', '\\boxed{10\\%}'],
  ['10', '\\boxed{\\text{10}}'],
  ['90^\\circ', '\\boxed{90}'],
  ['\\boxed{7}', 'so \\boxed{7}'],
  ['so \\boxed{7', '\\boxed{7}'],
  ['the gold \\fbox{7}', '\\boxed{7}'],
  ['7', `\\boxed{${'7'.repeat(5001)}}`],
  ['7', `\\boxed{7${' '.repeat(4999)}}`],
];

test('paper reward = the DeepScaleR grader on hand-picked edge pairs', { skip: missing }, () => {
  const py = JSON.parse(runPython(ORACLE, ['5'], JSON.stringify(PAIRS))) as { score: 0 | 1; timeout: boolean }[];
  assert.equal(py.length, PAIRS.length);
  const bad: string[] = [];
  let ones = 0;
  PAIRS.forEach(([g, r], i) => {
    assert.ok(!py[i]!.timeout, `the oracle timed out on ${JSON.stringify([g, r])}`);
    ones += py[i]!.score;
    const ours = verifyPaper(g, r).correct ? 1 : 0;
    if (ours !== py[i]!.score) bad.push(`${JSON.stringify([g, r.slice(0, 40)])}: ours ${ours}, grader ${py[i]!.score}`);
  });
  assert.deepEqual(bad, []);
  assert.ok(ones > 5 && ones < PAIRS.length - 5, `both verdicts present (${ones} of ${PAIRS.length} correct)`);
});

test('the paper extraction: last \\boxed, else last \\fbox (which it then refuses), brace-matched', () => {
  assert.equal(paperLastBoxed('a \\boxed{1} b \\boxed{\\frac{2}{3}} c'), '\\frac{2}{3}');
  assert.equal(paperLastBoxed('\\boxed{{a}{b}}'), '{a}{b}');
  assert.equal(paperLastBoxed('\\fbox{3}'), null);
  assert.equal(paperLastBoxed('\\boxed{3'), null);
  assert.equal(paperLastBoxed('\\boxed 3'), null);
  assert.equal(paperLastBoxed('nothing'), null);
  assert.equal(paperLastBoxed('\\boxed{}'), '');
  assert.deepEqual(verifyPaper('so \\boxed{7', '\\boxed{7}').reason, 'no_gold');
  assert.deepEqual(verifyPaper('7', 'none').reason, 'no_answer');
  const long = verifyPaper('7', `\\boxed{${'7'.repeat(5001)}}`);
  assert.deepEqual([long.reason, long.extractedPred!.length], ['too_long', 200]);
  assert.equal(verifyPaper('7', `\\boxed{${'7'.repeat(5000)}}`).reason, 'not_equal');
});
