// `--grader qwen` under the verifier's per-check deadline (src/tasks/math/qwen/qwen-deadline.ts): same verdicts
// as the synchronous grader, and a pathological answer is a counted timeout, not a hung eval.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { qwenScore, qwenMathEqual } from '../../src/tasks/math/qwen/qwen-grader.js';
import { qwenDeadlineStats, qwenScoreWithDeadline } from '../../src/tasks/math/qwen/qwen-deadline.js';
import { scorerFor } from '../../src/tasks/math/graders.js';

test('qwenScoreWithDeadline: the same verdicts and predictions as qwenScore', () => {
  const cases: [string, string][] = [
    ['12.8', '\\boxed{\\frac{64}{5}}'],
    ['12.8', 'the answer is 12.7'],
    ['x^2+2x+1', 'so \\boxed{(x+1)^2}'],
    ['25', '\\boxed{0.25}'],
    ['3', 'no answer here'],
  ];
  for (const [g, p] of cases) {
    const r = qwenScoreWithDeadline(g, p, {}, 10_000);
    const s = qwenScore(g, p);
    assert.deepEqual({ correct: r.correct, extracted: r.extracted, gold: r.gold }, s, `${g} vs ${p}`);
    assert.equal(r.failure, undefined);
  }
});

test('qwenScoreWithDeadline: a pathological answer times out at the deadline, is counted, and the next check works', () => {
  // strip_string's (\d+)\.0*([^\d]) is quadratic: 60,000 digits take seconds (about 10 s here) synchronously.
  const huge = 'The answer is ' + '1'.repeat(60_000);
  const before = qwenDeadlineStats().timeouts;
  const t0 = performance.now();
  const r = qwenScoreWithDeadline('1', huge, {}, 300);
  const dt = performance.now() - t0;
  assert.equal(r.failure, 'timeout');
  assert.equal(r.correct, false);
  assert.ok(dt < 3000, `returned after ${dt.toFixed(0)} ms`);
  assert.equal(qwenDeadlineStats().timeouts, before + 1);
  // The eval scorer reports it as a timeout.
  const s = scorerFor('qwen')('1', huge, { problem: 'p', truncated: false, prompt: 'p', bench: 'math500' });
  assert.equal(s.reason, 'timeout');
  assert.equal(s.correct, false);
  assert.equal(qwenScoreWithDeadline('3', '\\boxed{3}').correct, true, 'a fresh worker took over');
});

test('qwen grader: an answer that overflows to infinity is not close to a finite gold (Python math.isclose)', () => {
  const big = '1'.repeat(400);
  const py = spawnSync('python3', ['-c', `import math,sys; print(any(math.isclose(r, float('${big}'), rel_tol=1e-4) for r in (1/100, 1, 1*100)))`], {
    encoding: 'utf8',
  });
  assert.equal(py.status, 0, py.stderr);
  assert.equal(py.stdout.trim(), 'False');
  assert.equal(qwenMathEqual(big, '1'), false);
  assert.equal(qwenMathEqual('inf', 'inf'), true);
});
