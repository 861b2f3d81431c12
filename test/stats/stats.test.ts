// src/stats against scipy / statsmodels (test/py/stats_ref.py): Wilson intervals, McNemar's exact
// test, the binomial tail, pass@k, the paired bootstrap; and avg@k / maj@k on hand-checked cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  avgAtK,
  binomialHalfCdf,
  majAtK,
  majorityCorrect,
  mcnemarExact,
  pairedDifference,
  passAtK,
  passAtKCurve,
  wilson,
  formatDifference,
} from '../../src/stats/index.js';
import { repoRoot } from '../helpers/paths.js';
import { hasPythonModule, runPython } from '../helpers/python.js';

const oracle = path.join(repoRoot, 'test', 'py', 'stats_ref.py');
const skip = !(hasPythonModule('scipy') && hasPythonModule('statsmodels')) && 'scipy/statsmodels not installed (scripts/setup.sh --test)';

const close = (a: number, b: number, rel = 1e-12, abs = 1e-15) => assert.ok(Math.abs(a - b) <= Math.max(abs, rel * Math.abs(b)), `${a} vs ${b}`);

// A fixed pair of outcome lists: 120 problems, A right on 30, B on 70 (50 up, 10 down).
const bootA = Array.from({ length: 120 }, (_, i) => (i < 30 ? 1 : 0));
const bootB = Array.from({ length: 120 }, (_, i) => ((i >= 10 && i < 30) || (i >= 30 && i < 80) ? 1 : 0));

test('statistics match scipy and statsmodels', { skip }, () => {
  const wilsonCases = [
    [0, 10],
    [1, 10],
    [5, 10],
    [10, 10],
    [14, 120],
    [90, 120],
    [1, 1],
    [0, 1],
    [3, 20],
    [517, 1000],
  ];
  const mcnemarCases = [
    [0, 0],
    [1, 0],
    [0, 5],
    [3, 7],
    [10, 50],
    [9, 1],
    [40, 60],
    [250, 310],
    [0, 1200],
  ];
  const binomCases = [
    [2, 12],
    [400, 1000],
    [0, 30],
    [15, 30],
    [0, 1100],
    [549, 1100],
    [6, 5],
  ];
  const passCases = [
    [1, 0, 1],
    [1, 1, 1],
    [8, 3, 1],
    [8, 3, 4],
    [8, 3, 6],
    [8, 3, 8],
    [16, 1, 5],
    [200, 7, 50],
    [100, 0, 10],
    [100, 100, 3],
  ];
  const ref = JSON.parse(
    runPython(oracle, [], JSON.stringify({ wilson: wilsonCases, mcnemar: mcnemarCases, binom: binomCases, passk: passCases, bootstrap: [bootA, bootB] })),
  );
  wilsonCases.forEach(([k, n], i) => {
    const w = wilson(k!, n!);
    close(w.lo, ref.wilson[i][0], 1e-12, 1e-15);
    close(w.hi, ref.wilson[i][1], 1e-12, 1e-15);
    const w90 = wilson(k!, n!, 0.9);
    close(w90.lo, ref.wilson90[i][0], 1e-12, 1e-15);
    close(w90.hi, ref.wilson90[i][1], 1e-12, 1e-15);
  });
  mcnemarCases.forEach(([a, b], i) => {
    close(mcnemarExact(a!, b!).p, ref.mcnemar[i], 1e-11, 1e-300);
    close(mcnemarExact(a!, b!).p, ref.binomtest[i], 1e-11, 1e-300);
  });
  binomCases.forEach(([m, n], i) => close(binomialHalfCdf(m!, n!), ref.binom[i], 1e-11, 1e-300));
  passCases.forEach(([n, c, k], i) => close(passAtK(n!, c!, k!), ref.passk[i], 1e-12, 1e-15));
  // The bootstrap: another RNG than numpy's, so the interval agrees to resampling noise only.
  const d = pairedDifference(bootA, bootB, { resamples: 20000, seed: 1 });
  assert.equal(d.diff, 40 / 120);
  assert.ok(Math.abs(d.lo - ref.bootstrap[0]) < 0.01 && Math.abs(d.hi - ref.bootstrap[1]) < 0.01, `[${d.lo}, ${d.hi}] vs scipy [${ref.bootstrap}]`);
});

test('pairedDifference: counts, seeding, refusal of unequal problem sets', () => {
  const d = pairedDifference(bootA, bootB, { seed: 3 });
  assert.deepEqual([d.mcnemar.onlyA, d.mcnemar.onlyB, d.n], [10, 50, 120]);
  assert.ok(d.lo < d.diff && d.diff < d.hi);
  assert.deepEqual(pairedDifference(bootA, bootB, { seed: 3 }), d); // seeded: identical
  assert.notDeepEqual(pairedDifference(bootA, bootB, { seed: 4 }).lo, undefined);
  assert.match(formatDifference(d), /^\+33\.3 points \[\d+\.\d, \d+\.\d\], McNemar p = .* \(50 up, 10 down\)$/);
  assert.throws(() => pairedDifference([1, 0], [1]), /2 outcomes against 1; the problems must be the same/);
  // Nothing differs: p = 1, a zero-width interval.
  const same = pairedDifference([1, 0, 1], [1, 0, 1]);
  assert.deepEqual([same.diff, same.lo, same.hi, same.mcnemar.p], [0, 0, 0, 1]);
});

test('avg@k with its spread, pass@k curve, maj@k', () => {
  // 3 problems x 4 samples.
  const c = [
    [true, false, true, true],
    [false, false, false, true],
    [true, true, true, true],
  ];
  const a = avgAtK(c);
  assert.deepEqual(a.perSample, [2 / 3, 1 / 3, 2 / 3, 1]);
  close(a.mean, 8 / 12);
  close(a.std, Math.sqrt(((2 / 3 - 2 / 3) ** 2 + (1 / 3 - 2 / 3) ** 2 + 0 + (1 - 2 / 3) ** 2) / 3));
  const curve = passAtKCurve(c);
  assert.equal(curve.length, 4);
  close(curve[0]!, a.mean); // pass@1 = avg@k
  close(curve[3]!, 1); // every problem solved at least once
  assert.ok(curve.every((v, i) => i === 0 || v >= curve[i - 1]!));
  // maj@k: answers with their verdicts; ties go to the answer reached first; null never votes.
  assert.equal(majorityCorrect(['5', '7', '7', '5'], [true, false, false, true]), true);
  assert.equal(majorityCorrect(['7', '5', '5', null, null], [false, true, true, false, false]), true);
  assert.equal(majorityCorrect(['7', '5', '5'], [false, true, true], 1), false);
  assert.equal(majorityCorrect([null, null], [false, false]), false);
  assert.equal(
    majAtK([
      { answers: ['1', '1', '2'], correct: [true, true, false] },
      { answers: ['3', '4', '4'], correct: [true, false, false] },
    ]),
    0.5,
  );
  assert.throws(() => passAtK(4, 5, 1), /0 <= c <= n/);
  assert.throws(() => wilson(11, 10), /successes must be in/);
});
