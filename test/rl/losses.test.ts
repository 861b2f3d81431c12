// GRPO loss and advantages against a PyTorch reference written from the definitions
// (verl's padded [B, T] + mask formulation), fp32 on CPU: loss and d loss / d logits ≤ 1e-6.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { tensor, tidy } from '../../src/engine/index.js';
import { Rng } from '../../src/data/rng.js';
import { groupAdvantages } from '../../src/algorithms/advantages.js';
import type { LossAggregation } from '../../src/rl/config.js';
import { aggregationWeights, grpoLoss, lowVarKL, tokenLogprobsAndEntropy } from '../../src/rl/losses.js';
import { repoRoot } from '../helpers/paths.js';
import { hasPythonModule, runPython } from '../helpers/python.js';

const B = 6,
  T = 9,
  V = 13;

interface Case {
  aggregation: LossAggregation;
  pg: boolean;
  klCoef: number;
  entCoef: number;
  normStd: boolean;
  temperature: number;
}

function runCase(c: Case, seed: number) {
  const rng = new Rng(seed);
  const logits = Array.from({ length: B * T * V }, () => rng.normal() * 2);
  const targets = Array.from({ length: B * T }, () => rng.int(V));
  // Ragged responses: lengths 1..T.
  const lengths = Array.from({ length: B }, (_, i) => (i === 0 ? 1 : 1 + rng.int(T)));
  const mask = Array.from({ length: B * T }, (_, k) => (k % T < lengths[Math.floor(k / T)]! ? 1 : 0));
  const oldLogp = Array.from({ length: B * T }, () => -Math.abs(rng.normal()) - 0.5);
  const refLogp = Array.from({ length: B * T }, () => -Math.abs(rng.normal()) - 0.5);
  const rewards = Array.from({ length: B }, () => (rng.float() < 0.5 ? 1 : 0));
  const groups = [0, 0, 0, 1, 1, 2]; // groups of 3, 2 and 1
  const coef = {
    clip: 0.2,
    kl_coef: c.klCoef,
    ent_coef: c.entCoef,
    temperature: c.temperature,
    aggregation: c.aggregation,
    max_len: T,
    norm_std: c.normStd,
    pg: c.pg,
  };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grpo-'));
  const file = path.join(dir, 'in.json');
  fs.writeFileSync(file, JSON.stringify({ B, T, V, logits, targets, mask, old_logp: oldLogp, ref_logp: refLogp, rewards, groups, coef }));
  const ref = JSON.parse(runPython(path.join(repoRoot, 'test/py/grpo_loss_ref.py'), [file])) as {
    loss: number;
    grad: number[];
    advantages: number[];
    clipfrac: number;
  };

  const adv = groupAdvantages(rewards, groups, { normalizeByStd: c.normStd });
  // Our formulation: only the response tokens, flat, with per-token aggregation weights.
  const rows: number[] = [];
  for (let k = 0; k < B * T; k++) if (mask[k]) rows.push(k);
  const weights = aggregationWeights(lengths, c.aggregation, T).flat();
  const ours = tidy(() => {
    const all = tensor(logits, [B * T, V]).requiresGrad_(true);
    const idx = tensor(rows, [rows.length], { dtype: 'int64' });
    const pick = (xs: number[]) =>
      tensor(
        rows.map((k) => xs[k]!),
        [rows.length],
      );
    const { logp, entropy } = tokenLogprobsAndEntropy(
      all.indexSelect(0, idx),
      tensor(
        rows.map((k) => targets[k]!),
        [rows.length],
        { dtype: 'int64' },
      ),
      c.temperature,
    );
    const out = grpoLoss(
      {
        logp,
        entropy,
        oldLogp: pick(oldLogp),
        refLogp: pick(refLogp),
        advantages: tensor(
          rows.map((k) => adv[Math.floor(k / T)]!),
          [rows.length],
        ),
        weights: tensor(weights, [rows.length]),
      },
      { clipRatio: 0.2, klCoef: c.klCoef, entropyCoef: c.entCoef, policyGradient: c.pg },
    );
    out.loss.backward();
    return { loss: out.loss.item(), grad: all.grad!.toNumbers(), clipFrac: out.clipFrac.item() };
  });
  return { ref, ours, adv };
}

describe('GRPO loss vs PyTorch reference', { skip: !hasPythonModule('torch') && 'python torch is not installed' }, () => {
  const cases: Case[] = [
    { aggregation: 'token-mean', pg: true, klCoef: 0.001, entCoef: 0.001, normStd: true, temperature: 0.6 },
    { aggregation: 'token-mean', pg: true, klCoef: 0.5, entCoef: 0.3, normStd: true, temperature: 1 },
    { aggregation: 'seq-mean-token-mean', pg: true, klCoef: 0.001, entCoef: 0.001, normStd: true, temperature: 0.6 },
    { aggregation: 'seq-mean-token-sum-norm', pg: true, klCoef: 0, entCoef: 0, normStd: false, temperature: 0.6 },
    { aggregation: 'token-mean', pg: false, klCoef: 0, entCoef: 0.001, normStd: true, temperature: 0.6 },
  ];
  cases.forEach((c, i) => {
    test(`${c.aggregation}, pg=${c.pg}, kl=${c.klCoef}, entropy=${c.entCoef}, std-norm=${c.normStd}, T=${c.temperature}`, () => {
      const { ref, ours, adv } = runCase(c, 100 + i);
      adv.forEach((a, j) => assert.ok(Math.abs(a - ref.advantages[j]!) <= 1e-5, `advantage ${j}: ${a} vs ${ref.advantages[j]}`));
      assert.ok(Math.abs(ours.loss - ref.loss) <= 1e-6, `loss ${ours.loss} vs ${ref.loss}`);
      let maxDiff = 0;
      ref.grad.forEach((g, j) => {
        maxDiff = Math.max(maxDiff, Math.abs(g - ours.grad[j]!));
      });
      assert.ok(maxDiff <= 1e-6, `max |dlogits| diff ${maxDiff}`);
      assert.ok(Math.abs(ours.clipFrac - ref.clipfrac) <= 1e-6);
    });
  });
});

describe('GRPO pieces', () => {
  test('advantages: all-equal group gives 0, singleton group gives r, unbiased std', () => {
    const a = groupAdvantages([1, 1, 1, 1, 0, 1, 0], ['a', 'a', 'a', 'b', 'b', 'b', 'c']);
    assert.deepEqual(a.slice(0, 3), [0, 0, 0]);
    // group b: [1, 0, 1], mean 2/3, unbiased std sqrt(1/3)
    const std = Math.sqrt(((1 / 3) ** 2 * 2 + (2 / 3) ** 2) / 2);
    assert.ok(Math.abs(a[3]! - 1 / 3 / (std + 1e-6)) < 1e-12);
    assert.equal(a[6], 0); // (0 - 0) / (1 + eps)
    const noStd = groupAdvantages([1, 0], [0, 0], { normalizeByStd: false });
    assert.deepEqual(noStd, [0.5, -0.5]);
  });

  test('low_var_kl is 0 at equality, positive otherwise, clamped at 10', () => {
    const v = tidy(() => lowVarKL(tensor([-1, -1, -30]), tensor([-1, -2, -1])).toNumbers());
    assert.equal(v[0], 0);
    assert.ok(v[1]! > 0 && Math.abs(v[1]! - (Math.exp(-1) + 1 - 1)) < 1e-6);
    assert.equal(v[2], 10);
  });

  test('the gspo policy loss refuses to run without the sequence log-ratios', () => {
    tidy(() => {
      const t = tensor([-1, -2]);
      assert.throws(
        () =>
          grpoLoss(
            { logp: t, oldLogp: t, refLogp: null, entropy: t, advantages: t, weights: t },
            { clipRatio: 0.2, klCoef: 0, entropyCoef: 0, policyGradient: true, policyLoss: 'gspo' },
          ),
        /gspo policy loss needs seqLogRatio/,
      );
    });
  });

  test('aggregation weights sum as the modes promise', () => {
    const w = aggregationWeights([2, 3], 'token-mean', 10).flat();
    assert.ok(Math.abs(w.reduce((a, b) => a + b) - 1) < 1e-12);
    const s = aggregationWeights([2, 3], 'seq-mean-token-mean', 10);
    assert.ok(Math.abs(s[0]!.reduce((a, b) => a + b) - 0.5) < 1e-12);
    const d = aggregationWeights([2, 3], 'seq-mean-token-sum-norm', 10);
    assert.equal(d[1]![0], 1 / 20);
  });
});
