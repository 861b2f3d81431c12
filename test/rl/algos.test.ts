// PPO / DAPO / GSPO / RLOO pieces against a PyTorch reference written from their definitions
// (test/py/algos_ref.py; verl's padded [B, T] + mask form), fp32 on CPU, ≤ 1e-6.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { tensor, tidy } from '../../src/engine/index.js';
import { Rng } from '../../src/data/rng.js';
import { groupAdvantages } from '../../src/algorithms/advantages.js';
import { computeAdvantages } from '../../src/rl/algorithm.js';
import { PAPER_GRPO_CONFIG, LOSS_PRESETS, validateConfig, type GRPOConfig } from '../../src/rl/config.js';
import { informativeGroups } from '../../src/rl/dynamic-sampling.js';
import { gaeAdvantages } from '../../src/algorithms/gae.js';
import { sequenceLogRatios } from '../../src/algorithms/gspo-loss.js';
import { tokenLevelRewards } from '../../src/rl/kl-reward.js';
import { aggregationWeights, grpoLoss, tokenLogprobsAndEntropy } from '../../src/rl/losses.js';
import { shapeOverlongReward, softOverlongPenalty } from '../../src/rl/overlong.js';
import { rlooAdvantages } from '../../src/algorithms/rloo-advantages.js';
import { clippedValueLoss } from '../../src/rl/value-loss.js';
import { repoRoot } from '../helpers/paths.js';
import { hasPythonModule, runPython } from '../helpers/python.js';

const B = 6,
  T = 9,
  V = 11;

function ragged(seed: number) {
  const rng = new Rng(seed);
  const lengths = Array.from({ length: B }, (_, i) => (i === 0 ? 2 : 2 + rng.int(T - 1)));
  const mask = Array.from({ length: B * T }, (_, k) => (k % T < lengths[Math.floor(k / T)]! ? 1 : 0));
  return { rng, lengths, mask };
}

function reference(spec: object): any {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'algos-'));
  const file = path.join(dir, 'in.json');
  fs.writeFileSync(file, JSON.stringify(spec));
  return JSON.parse(runPython(path.join(repoRoot, 'test/py/algos_ref.py'), [file]));
}

/** Ragged rows → padded flat [B*T] (zeros past each end). */
function pad(rows: number[][]): number[] {
  return rows.flatMap((r) => [...r, ...new Array<number>(T - r.length).fill(0)]);
}
function unpad(flat: number[], lengths: number[]): number[][] {
  return lengths.map((len, i) => flat.slice(i * T, i * T + len));
}
function maxDiff(a: number[], b: number[]): number {
  assert.equal(a.length, b.length);
  return a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);
}

const torchMissing = !hasPythonModule('torch') && 'python torch is not installed';

// Each case builds its inputs and a check; the PyTorch reference runs once for all of them (one
// interpreter start instead of one per case).
interface Case {
  name: string;
  spec: object;
  check: (r: Record<string, any>) => void;
}
const cases: Case[] = [];
function parity(name: string, build: () => { spec: object; check: (r: Record<string, any>) => void }): void {
  cases.push({ name, ...build() });
}
{
  for (const [gamma, lam] of [
    [1, 1],
    [0.99, 0.95],
  ] as const) {
    parity(`GAE advantages (whitened) and returns, γ=${gamma} λ=${lam}, KL in the reward`, () => {
      const { rng, lengths, mask } = ragged(7 + gamma * 10);
      const scores = lengths.map(() => (rng.float() < 0.5 ? 1 : 0));
      const old = lengths.map((l) => Array.from({ length: l }, () => -Math.abs(rng.normal())));
      const ref = lengths.map((l) => Array.from({ length: l }, () => -Math.abs(rng.normal())));
      const values = lengths.map((l) => Array.from({ length: l }, () => rng.normal() * 0.5));
      const tokenRewards = tokenLevelRewards(scores, old, ref, 0.05);
      return {
        spec: { B, T, mask, gae: { token_rewards: pad(tokenRewards), values: pad(values), gamma, lam } },
        check: (r) => {
          const ours = gaeAdvantages(tokenRewards, values, gamma, lam);
          assert.ok(maxDiff(ours.advantages.flat(), unpad(r.gae.advantages, lengths).flat()) <= 1e-6);
          assert.ok(maxDiff(ours.returns.flat(), unpad(r.gae.returns, lengths).flat()) <= 1e-6);
          // The trainer's path (computeAdvantages with 'gae' and the KL in the reward) gives the same numbers.
          const cfg: GRPOConfig = { ...PAPER_GRPO_CONFIG, ...LOSS_PRESETS.ppo, gamma, lam, klRewardCoef: 0.05 };
          const viaAlgo = computeAdvantages(cfg, { scores, groups: lengths.map((_, i) => i), oldLogp: old, refLogp: ref, values });
          assert.ok(maxDiff((viaAlgo.advantages as number[][]).flat(), unpad(r.gae.advantages, lengths).flat()) <= 1e-6);
        },
      };
    });
  }

  parity('clipped value loss and its gradient', () => {
    const { rng, lengths, mask } = ragged(21);
    const vpreds = Array.from({ length: B * T }, () => rng.normal());
    const old = vpreds.map((v) => v + rng.normal() * 0.6); // some beyond the 0.5 clip, some not
    const returns = Array.from({ length: B * T }, () => rng.normal());
    return {
      spec: { B, T, mask, value: { vpreds, old, returns, clip: 0.5 } },
      check: (r) => {
        const rows = mask.flatMap((m, k) => (m ? [k] : []));
        const weights = aggregationWeights(lengths, 'token-mean', T).flat();
        const ours = tidy(() => {
          const v = tensor(
            rows.map((k) => vpreds[k]!),
            [rows.length],
          ).requiresGrad_(true);
          const { loss, clipped } = clippedValueLoss(
            v,
            tensor(
              rows.map((k) => returns[k]!),
              [rows.length],
            ),
            tensor(
              rows.map((k) => old[k]!),
              [rows.length],
            ),
            0.5,
          );
          const w = tensor(weights, [rows.length]);
          const total = loss.mul(w).sum();
          total.backward();
          return { loss: total.item(), grad: v.grad!.toNumbers(), clipFrac: clipped.float().mul(w).sum().item() };
        });
        assert.ok(Math.abs(ours.loss - r.value.loss) <= 1e-6, `${ours.loss} vs ${r.value.loss}`);
        assert.ok(
          maxDiff(
            ours.grad,
            rows.map((k) => r.value.grad[k]!),
          ) <= 1e-6,
        );
        assert.ok(Math.abs(ours.clipFrac - r.value.clipfrac) <= 1e-6);
        assert.ok(r.value.clipfrac > 0 && r.value.clipfrac < 1, 'the case exercises both branches');
      },
    };
  });

  parity('RLOO leave-one-out advantages', () => {
    const rewards = [1, 0, 1, 1, 0, 0.5, 1, 0, 0.25];
    const groups = [0, 0, 0, 0, 1, 1, 1, 2, 3].map((g) => `p${g}`); // groups of 4, 3, 1, 1
    return {
      spec: { B, T, mask: new Array(B * T).fill(1), rloo: { rewards, groups } },
      check: (r) => {
        assert.ok(maxDiff(rlooAdvantages(rewards, groups), r.rloo) <= 1e-6);
      },
    };
  });

  const policyCases = [
    { name: 'DAPO clip-higher (0.2 / 0.28), token-level loss', mode: 'vanilla' as const, lo: 0.2, hi: 0.28, agg: 'token-mean' as const },
    {
      name: 'GSPO sequence-level ratio and clip (0.2 / 0.28 to exercise clipping)',
      mode: 'gspo' as const,
      lo: 0.2,
      hi: 0.28,
      agg: 'seq-mean-token-mean' as const,
    },
    { name: "GSPO with the paper's 3e-4 / 4e-4", mode: 'gspo' as const, lo: 3e-4, hi: 4e-4, agg: 'seq-mean-token-mean' as const },
  ];
  policyCases.forEach((c, ci) => {
    parity(`policy loss: ${c.name}`, () => {
      const { rng, lengths, mask } = ragged(40 + ci);
      const temperature = 0.6;
      const logits = Array.from({ length: B * T * V }, () => rng.normal() * 2);
      const targets = Array.from({ length: B * T }, () => rng.int(V));
      const rows = mask.flatMap((m, k) => (m ? [k] : []));
      // old log-probs near the current ones so that some ratios fall inside the clip range and some outside
      const cur = tidy(() => tokenLogprobsAndEntropy(tensor(logits, [B * T, V]), tensor(targets, [B * T], { dtype: 'int64' }), temperature).logp.toNumbers());
      // GSPO: per-sequence offsets put some sequence ratios beyond the clip range and some inside.
      const offsets = [-3, -0.5, 0.5, 3, 3, -3].map((x) => x * c.hi);
      // Per-token noise on top, so that token ratios differ from the sequence ratio (a per-token loss
      // in place of GSPO's would otherwise give the same numbers).
      const oldLogp = c.mode === 'gspo' ? cur.map((x, k) => x + offsets[Math.floor(k / T)]! + rng.normal() * c.hi) : cur.map((x) => x + rng.normal() * 0.25);
      const seqAdv = c.mode === 'gspo' ? [1, 0.5, -0.7, -1, 0.8, 1.2] : lengths.map(() => rng.normal());
      const advantages = Array.from({ length: B * T }, (_, k) => seqAdv[Math.floor(k / T)]!);
      return {
        spec: { B, T, mask, policy: { V, logits, targets, old_logp: oldLogp, advantages, clip_low: c.lo, clip_high: c.hi, temperature, mode: c.mode } },
        check: (r) => {
          const pick = (xs: number[]) =>
            tensor(
              rows.map((k) => xs[k]!),
              [rows.length],
            );
          const seqLogRatio = sequenceLogRatios(unpad(cur, lengths), unpad(oldLogp, lengths)).flat();
          const ours = tidy(() => {
            const all = tensor(logits, [B * T, V]).requiresGrad_(true);
            const { logp, entropy } = tokenLogprobsAndEntropy(
              all.indexSelect(0, tensor(rows, [rows.length], { dtype: 'int64' })),
              pick(targets.map(Number)).long(),
              temperature,
            );
            const out = grpoLoss(
              {
                logp,
                entropy,
                oldLogp: pick(oldLogp),
                refLogp: null,
                advantages: pick(advantages),
                weights: tensor(aggregationWeights(lengths, c.agg, T).flat(), [rows.length]),
                seqLogRatio: tensor(seqLogRatio, [rows.length]),
              },
              { clipRatio: c.lo, clipRatioHigh: c.hi, policyLoss: c.mode, klCoef: 0, entropyCoef: 0, policyGradient: true },
            );
            out.loss.backward();
            return { loss: out.loss.item(), grad: all.grad!.toNumbers(), clipFrac: out.clipFrac.item() };
          });
          assert.ok(Math.abs(ours.loss - r.policy.loss) <= 1e-6, `loss ${ours.loss} vs ${r.policy.loss}`);
          const d = maxDiff(ours.grad, r.policy.grad);
          assert.ok(d <= 1e-6, `max |dlogits| diff ${d}`);
          assert.ok(Math.abs(ours.clipFrac - r.policy.clipfrac) <= 1e-6, `clipfrac ${ours.clipFrac} vs ${r.policy.clipfrac}`);
          assert.ok(r.policy.clipfrac > 0 && r.policy.clipfrac < 1, `the case exercises both branches (clipfrac ${r.policy.clipfrac})`);
        },
      };
    });
  });

  parity('DAPO soft overlong penalty (eq. 13)', () => {
    const lengths = [0, 10, 12, 13, 15, 19, 20, 21, 40];
    return {
      spec: { B, T, mask: new Array(B * T).fill(1), overlong: { lengths, max: 20, buffer: 8 } },
      check: (r) => {
        assert.ok(
          maxDiff(
            lengths.map((l) => softOverlongPenalty(l, 20, 8)),
            r.overlong,
          ) <= 1e-12,
        );
      },
    };
  });
}

describe('PPO / DAPO / GSPO / RLOO vs PyTorch reference', { skip: torchMissing }, () => {
  let results: Record<string, any>[] = [];
  before(() => {
    results = reference(cases.map((c) => c.spec)) as unknown as Record<string, any>[];
  });
  cases.forEach((c, i) => test(c.name, () => c.check(results[i]!)));
});

describe('algorithm pieces', () => {
  test('dynamic sampling keeps groups whose rewards differ, and singletons (verl)', () => {
    assert.deepEqual(informativeGroups([1, 1, 0, 1, 0, 0, 1], ['a', 'a', 'b', 'b', 'c', 'c', 'd']), ['b', 'd']);
    assert.deepEqual(informativeGroups([1, 1, 1, 1], [0, 0, 1, 1]), []);
  });

  test('KL in the reward: score on the last token, −β(old − ref) on every token; GRPO/RLOO use the sum', () => {
    const r = tokenLevelRewards([1], [[-1, -2, -3]], [[-1.5, -2, -2]], 0.1);
    assert.deepEqual(
      r[0]!.map((x) => +x.toFixed(12)),
      [-0.05, 0, 1.1],
    );
    const cfg: GRPOConfig = { ...PAPER_GRPO_CONFIG, ...LOSS_PRESETS.rloo, klRewardCoef: 0.1 };
    const a = computeAdvantages(cfg, { scores: [1, 0], groups: [0, 0], oldLogp: [[-1], [-1]], refLogp: [[-2], [-1]], values: null });
    // sequence rewards 1 − 0.1 = 0.9 and 0 → RLOO 0.9 and −0.9
    assert.ok(Math.abs((a.advantages[0] as number) - 0.9) < 1e-12 && Math.abs((a.advantages[1] as number) + 0.9) < 1e-12);
  });

  test('GRPO through computeAdvantages: (r - group mean) / (unbiased std + 1e-6), or mean-centred only (Dr. GRPO); not RLOO', () => {
    const scores = [1, 0, 0, 1, 1, 1, 0.5, 0];
    const groups = [0, 0, 0, 0, 1, 1, 2, 2];
    const x = { scores, groups, oldLogp: scores.map(() => [-1, -2]), refLogp: null, values: null };
    const grpo: GRPOConfig = { ...PAPER_GRPO_CONFIG, advantageEstimator: 'grpo', normalizeAdvantageByStd: true, klRewardCoef: 0 };
    // group 0: mean 0.5, unbiased std sqrt(1/3); group 1: all equal; group 2: mean 0.25, std sqrt(1/8)
    const s0 = Math.sqrt(1 / 3) + 1e-6,
      s2 = Math.sqrt(1 / 8) + 1e-6;
    const want = [0.5 / s0, -0.5 / s0, -0.5 / s0, 0.5 / s0, 0, 0, 0.25 / s2, -0.25 / s2];
    assert.ok(maxDiff(computeAdvantages(grpo, x).advantages as number[], want) <= 1e-12);
    const dr = computeAdvantages({ ...grpo, normalizeAdvantageByStd: false }, x).advantages as number[];
    assert.ok(maxDiff(dr, [0.5, -0.5, -0.5, 0.5, 0, 0, 0.25, -0.25]) <= 1e-12);
    const rloo = computeAdvantages({ ...grpo, advantageEstimator: 'rloo' }, x).advantages as number[];
    assert.ok(maxDiff(rloo, want) > 0.1);
    assert.throws(() => groupAdvantages([1], [0, 0]), /1 rewards but 2 group ids/);
    assert.throws(() => computeAdvantages({ ...grpo, advantageEstimator: 'gae' }, x), /needs critic values/);
  });

  test('overlong modes: zero for truncated, soft adds the ramp, off leaves the reward', () => {
    const o = { maxLength: 100, buffer: 20 };
    assert.equal(shapeOverlongReward(1, 100, true, { ...o, mode: 'zero' }), 0);
    assert.equal(shapeOverlongReward(1, 90, false, { ...o, mode: 'soft' }), 0.5);
    assert.equal(shapeOverlongReward(1, 100, true, { ...o, mode: 'off' }), 1);
  });

  test('overlong filtering: a filtered sequence weighs 0 and leaves the token count', () => {
    const w = aggregationWeights([2, 3, 4], 'token-mean', 10, [true, false, true]);
    assert.deepEqual(w[1], [0, 0, 0]);
    assert.equal(w[0]![0], 1 / 6);
    const s = aggregationWeights([2, 3], 'seq-mean-token-mean', 10, [false, true]);
    assert.equal(s[1]![0], 1 / 3);
  });

  test('presets validate and say what they are', () => {
    for (const name of ['grpo', 'ppo', 'dapo', 'gspo', 'rloo']) {
      const cfg = { ...PAPER_GRPO_CONFIG, ...LOSS_PRESETS[name] } as GRPOConfig;
      validateConfig(cfg);
    }
    assert.equal(LOSS_PRESETS.dapo!.clipRatioHigh, 0.28);
    assert.equal(LOSS_PRESETS.ppo!.advantageEstimator, 'gae');
    assert.throws(() => validateConfig({ ...PAPER_GRPO_CONFIG, advantageEstimator: 'ppo' as never }), /advantageEstimator/);
  });
});
