// Accuracy floors on the shared verifier corpus and on real Qwen2.5-Math responses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sharedData } from '../helpers/paths.js';
import { verify, type Mode } from '../../src/tasks/math/verifier/verifier.js';

interface Case {
  id: string;
  gold: string;
  pred: string;
  equal: boolean;
  policy?: string;
  source: string;
}

const cases: Case[] = readFileSync(path.join(sharedData, 'verifier/cases.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as Case);

const MV_TESTS = /^(?:derived:)?huggingface\/Math-Verify:/;

function measure(mode: Mode, keep: (c: Case) => boolean = () => true) {
  let n = 0;
  let ok = 0;
  let fp = 0;
  let fn = 0;
  for (const c of cases) {
    if (!keep(c)) continue;
    n++;
    const r = verify(c.gold, c.pred, { mode, bare: true }).correct;
    if (r === c.equal) ok++;
    else if (r) fp++;
    else fn++;
  }
  return { n, accuracy: ok / n, fp, fn };
}

test('cases.jsonl, eval mode: accuracy floors and at most 3 false positives', () => {
  const all = measure('eval');
  assert.equal(all.n, 541);
  // Measured 0.985 (FP 1, FN 7): c0306 (a 16-digit decimal for √17) is now wrong by issue 24's policy. The misses are rows whose labels contradict the stated policies
  // (README of the corpus, issue 12): c0127/c0133 accept 2-decimal roundings of 1/3 and 8/3
  // (float_rounding=2; c0294, the same pair, is labelled false), c0271 orders a list of solutions
  // (c0264 was relabelled unordered), and c0032/c0094/c0096/c0109 reward a false equation chain
  // ending in the right value ("x = 5+5+1 = 7 = 11"), which the reward must not do.
  assert.ok(all.accuracy >= 0.98, `accuracy ${all.accuracy}`);
  assert.ok(all.fp <= 3, `fp ${all.fp}`);
  const noPolicy = measure('eval', (c) => c.policy === undefined);
  assert.ok(noPolicy.accuracy >= 0.985, `no-policy accuracy ${noPolicy.accuracy}`);
  const notMv = measure('eval', (c) => c.policy === undefined && !MV_TESTS.test(c.source));
  assert.equal(notMv.n, 100);
  assert.ok(notMv.accuracy >= 0.98, `not-Math-Verify accuracy ${notMv.accuracy}`);
  assert.ok(notMv.fp <= 1);
});

test('cases.jsonl, reward mode: no false positives (unboxed $..$ answers score 0 by design)', () => {
  const all = measure('reward');
  assert.ok(all.fp <= 3, `fp ${all.fp}`);
  assert.ok(all.accuracy >= 0.74, `accuracy ${all.accuracy}`); // measured 0.7616
  const notMv = measure('reward', (c) => c.policy === undefined && !MV_TESTS.test(c.source));
  assert.ok(notMv.accuracy >= 0.95, `not-Math-Verify accuracy ${notMv.accuracy}`); // measured 0.96
});

test('real Qwen2.5-Math responses: agrees with the Qwen grader except its known false negatives', () => {
  const rows = readFileSync(path.join(sharedData, 'eval/qwen_math_outputs/math_cot_100.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { answer: string; code: string[]; score: boolean[] });
  let n = 0;
  let agree = 0;
  for (const r of rows)
    r.code.forEach((resp, i) => {
      n++;
      if (verify(r.answer, resp, { mode: 'reward' }).correct === r.score[i]) agree++;
    });
  assert.equal(n, 800);
  // Measured 791/800; all 9 disagreements are Qwen false negatives (4:30 p.m. ×8, 10{,}000).
  assert.ok(agree >= 785, `agree ${agree}/800`);
});
