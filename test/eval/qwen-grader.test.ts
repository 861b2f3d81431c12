// `--grader qwen`: the Qwen2.5-Math evaluator's extraction and math_equal. The 800 stored Qwen2.5-Math
// responses (with that evaluator's own predictions and verdicts) are the reference.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  qwenExtractAnswer,
  qwenGold,
  qwenMathEqual,
  qwenPrediction,
  qwenResponseText,
  qwenScore,
  qwenStripString,
} from '../../src/tasks/math/qwen/qwen-grader.js';
import { repoRoot, sharedData } from '../helpers/paths.js';

const STORED = path.join(sharedData, 'eval', 'qwen_math_outputs', 'math_cot_100.jsonl');

interface QwenRow {
  idx: number;
  gt: string;
  gt_cot: string;
  code: string[];
  pred: string[];
  score: boolean[];
}

test('qwen grader: all 800 stored responses: same gold, same prediction, same verdict as the evaluator', {
  skip: !fs.existsSync(STORED) && 'no stored Qwen outputs',
}, () => {
  const rows = fs
    .readFileSync(STORED, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as QwenRow);
  let n = 0;
  for (const r of rows) {
    assert.equal(qwenGold(r.gt_cot, 'math'), r.gt, `gold of ${r.idx}`);
    r.code.forEach((response, i) => {
      n++;
      assert.equal(qwenPrediction(qwenResponseText(response), 'math'), r.pred[i], `prediction ${r.idx}/${i}`);
      assert.equal(qwenMathEqual(r.pred[i]!, r.gt), r.score[i], `math_equal ${r.idx}/${i}: ${r.pred[i]} vs ${r.gt}`);
      assert.equal(qwenScore(r.gt_cot, response).correct, r.score[i], `end to end ${r.idx}/${i}`);
    });
  }
  assert.equal(n, 800);
});

test('qwen grader: extraction order, tolerance, percent, strip_string', () => {
  // The last box comes before "final answer is" (ours reads "final answer is" first) ...
  assert.equal(qwenExtractAnswer('The final answer is 3. Check: \\boxed{4}'), '4');
  // ... except Minerva's "final answer is $X$. I hope it is correct." template.
  assert.equal(qwenExtractAnswer('\\boxed{4} ... Final Answer: The final answer is $5$. I hope it is correct.'), '5');
  assert.equal(qwenExtractAnswer('so the answer is 7.'), '7');
  assert.equal(qwenExtractAnswer('we get 3 and then 12,000 apples'), '12000');
  assert.equal(qwenMathEqual('1.3333', '\\frac{4}{3}'), true, 'numbers at relative 1e-4 (through the symbolic check)');
  assert.equal(qwenMathEqual('1.333', '\\frac{4}{3}'), false, 'relative error 2.5e-4');
  assert.equal(qwenMathEqual('100.005', '100'), true, 'rel 5e-5');
  assert.equal(qwenMathEqual('0.25', '25'), true, 'percent rescaling: gold / 100');
  assert.equal(qwenMathEqual('2500', '25'), true, 'percent rescaling: gold · 100');
  assert.equal(qwenMathEqual('(1,2)', '[1,2]'), true, 'tuples compare element-wise: the bracket kinds are not compared');
  assert.equal(qwenMathEqual('(1,3)', '[1,2]'), false);
  assert.equal(qwenMathEqual('x=5', '5'), true);
  assert.equal(qwenStripString('12.8 \\text{ mph}'), '12.8');
  assert.equal(qwenStripString('5.0'), '5');
  assert.equal(qwenStripString('\\dfrac12'), '\\frac{1}{2}');
  assert.equal(qwenStripString('5 cm'), '5', 'unit words go (the MathQA list)');
  assert.equal(qwenStripString('5 cm', true), '5cm', 'minerva keeps units');
  // The prompt is removed when the output repeats it, and the text is cut at a stop word.
  assert.equal(qwenResponseText('Q? \\boxed{1}<|im_end|>more \\boxed{2}', 'Q?'), '\\boxed{1}');
});

test('rlvr eval --rescore DIR --grader qwen agrees with all 800 stored verdicts; bad input is one line', {
  skip: !fs.existsSync(STORED) && 'no stored Qwen outputs',
}, () => {
  const cli = path.join(repoRoot, 'dist/src/cli/main.js');
  const r = spawnSync(process.execPath, [cli, 'eval', '--rescore', path.dirname(STORED), '--grader', 'qwen', '--json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const last = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  assert.equal(last.files[0].responses, 800);
  assert.equal(last.files[0].agree, 800);
  const bad = spawnSync(process.execPath, [cli, 'eval', '--rescore', path.dirname(STORED), '--grader', 'sympy'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--grader must be ours or qwen/);
  const missing = spawnSync(process.execPath, [cli, 'eval', '--rescore', '/nonexistent/dir'], { encoding: 'utf8' });
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /no such folder or file/);
});
