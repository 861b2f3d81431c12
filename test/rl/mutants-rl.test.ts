// Tests written to kill surviving mutants of npm run mutate:rl (issue 21 item 7): each one pins a
// boundary, a branch or an error path of the RL pieces that shape rewards, advantages and loss
// weights, with numbers computed by hand from the papers' formulas (written next to each
// assertion), so a changed comparison, sign or branch changes a number here.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../../src/data/rng.js';
import { extraBatchIndices, informativeGroups } from '../../src/rl/dynamic-sampling.js';
import { gaeAdvantages, maskedWhiten } from '../../src/algorithms/gae.js';
import { sequenceLogRatios } from '../../src/algorithms/gspo-loss.js';
import { meanSequenceKL, tokenLevelRewards } from '../../src/rl/kl-reward.js';
import { shapeOverlongReward, softOverlongPenalty } from '../../src/rl/overlong.js';
import { rlooAdvantages } from '../../src/algorithms/rloo-advantages.js';
import { rewardList, scoreRewards, type RewardInput } from '../../src/tasks/reward.js';
import { forkLossWeights, karmarkarKarp } from '../../src/rl/fork-weights.js';
import * as path from 'node:path';
import { runPython } from '../helpers/python.js';
import { repoRoot } from '../helpers/paths.js';
import { accumulatePolicyGradient, microBatches, pack, paddingOf, responseLogprobs, splitPerSequence, type Sequence } from '../../src/rl/policy.js';
import { manualSeed, tidy } from '../../src/engine/index.js';
import { CausalLM } from '../../src/model/transformer.js';
import type { ModelConfig } from '../../src/model/config.js';

const close = (a: readonly number[], b: readonly number[], tol = 1e-12): void => {
  assert.equal(a.length, b.length, `length ${a.length} vs ${b.length}`);
  a.forEach((x, i) => assert.ok(Math.abs(x - b[i]!) <= tol, `[${i}] ${x} vs ${b[i]}`));
};

describe('dynamic sampling (DAPO)', () => {
  test('a group is informative when ANY two rewards differ, wherever the extreme sits', () => {
    // min and max must both be tracked: the first reward is the max in 'a', the min in 'b', the middle in 'c'
    assert.deepEqual(informativeGroups([1, 0, 1], ['a', 'a', 'a']), ['a']);
    assert.deepEqual(informativeGroups([0, 1, 0], ['b', 'b', 'b']), ['b']);
    assert.deepEqual(informativeGroups([0.5, 0.5, 1, 0], ['c', 'c', 'c', 'c']), ['c']);
    assert.deepEqual(informativeGroups([0.5, 0.5, 0.5], ['d', 'd', 'd']), []);
    // a singleton is kept (verl: std of one rollout is NaN, kept); a constant pair is not; first-seen order
    assert.deepEqual(informativeGroups([1, 0, 0, 0, 1], [9, 'z', 'z', 3, 3]), [9, 3]);
    assert.throws(() => informativeGroups([1, 0], [0]), /informativeGroups: 2 rewards but 1 group ids/);
  });

  test('extra batches: the seeded shuffle of the data from the rank offset, wrapping around', () => {
    const order = new Rng(17).shuffle([...Array(5).keys()]);
    assert.deepEqual(extraBatchIndices(5, 5, 17), order);
    assert.deepEqual(extraBatchIndices(5, 3, 17, 4), [order[4], order[0], order[1]]);
    assert.deepEqual(extraBatchIndices(5, 7, 17, 0), [...order, order[0], order[1]]);
    assert.deepEqual(extraBatchIndices(1, 3, 5), [0, 0, 0]);
    assert.deepEqual(extraBatchIndices(4, 0, 5), []);
    assert.throws(() => extraBatchIndices(0, 1, 1), /extraBatchIndices: no data/);
  });
});

describe('overlong shaping (DAPO eq. 13)', () => {
  test('the soft penalty at every boundary of the ramp', () => {
    // Lmax 20, Lcache 8: 0 up to 12, (12 − L)/8 on (12, 20], −1 past 20
    assert.equal(softOverlongPenalty(12, 20, 8), 0);
    assert.equal(softOverlongPenalty(13, 20, 8), -1 / 8);
    assert.equal(softOverlongPenalty(16, 20, 8), -0.5);
    assert.equal(softOverlongPenalty(20, 20, 8), -1);
    assert.equal(softOverlongPenalty(21, 20, 8), -1);
    assert.equal(softOverlongPenalty(1000, 20, 8), -1);
  });

  test('each mode on a truncated and a complete response', () => {
    const o = { maxLength: 20, buffer: 8 };
    assert.equal(shapeOverlongReward(1, 20, false, { ...o, mode: 'zero' }), 1, "'zero' keeps a complete response's reward");
    assert.equal(shapeOverlongReward(1, 20, true, { ...o, mode: 'zero' }), 0);
    assert.equal(shapeOverlongReward(1, 16, false, { ...o, mode: 'soft' }), 0.5, "'soft' applies by length, truncated or not");
    assert.equal(shapeOverlongReward(0, 30, true, { ...o, mode: 'soft' }), -1);
    assert.equal(shapeOverlongReward(0.25, 30, true, { ...o, mode: 'off' }), 0.25);
  });
});

describe('KL in the reward', () => {
  test('no reference or β = 0: the bare outcome on the last token; every token pays −β(old − ref)', () => {
    assert.deepEqual(tokenLevelRewards([2], [[-1, -2]], null, 0.5), [[0, 2]]);
    assert.deepEqual(tokenLevelRewards([2], [[-1, -2]], [[-3, -3]], 0), [[0, 2]]);
    // β 0.5: −0.5·(−1 + 3) = −1, −0.5·(−2 + 3) + 2 = 1.5
    assert.deepEqual(tokenLevelRewards([2], [[-1, -2]], [[-3, -3]], 0.5), [[-1, 1.5]]);
    assert.deepEqual(tokenLevelRewards([1, 3], [[], [-1]], null, 0.5), [[], [3]]);
  });

  test("verl's critic/kl: the mean over sequences of each sequence's mean token (old − ref)", () => {
    // sequence 0: mean(1 − 0, 3 − 0) = 2; sequence 1: mean(−1 − 1) = −2; an empty one counts as 0 → (2 − 2 + 0)/3
    assert.equal(meanSequenceKL([[1, 3], [-1], []], [[0, 0], [1], []]), 0);
    assert.equal(meanSequenceKL([[1, 3], [0]], [[0, 0], [-1]]), 1.5);
    assert.equal(meanSequenceKL([], []), 0);
  });
});

describe('GAE (verl compute_gae_advantage_return)', () => {
  test('returns from a hand-computed recursion; advantages whitened with the unbiased variance', () => {
    // γ 0.5, λ 0.5, rewards [1, 2], values [1, 1]:
    //   t=1: δ = 2 + 0.5·0 − 1 = 1,          A = 1
    //   t=0: δ = 1 + 0.5·1 − 1 = 0.5,        A = 0.5 + 0.25·1 = 0.75
    // returns A + V = [1.75, 2]; whitening [0.75, 1]: mean 0.875, unbiased var 0.03125
    const r = gaeAdvantages([[1, 2]], [[1, 1]], 0.5, 0.5);
    close(r.returns[0]!, [1.75, 2]);
    const s = 1 / Math.sqrt(0.03125 + 1e-8);
    close(r.advantages[0]!, [-0.125 * s, 0.125 * s]);
    assert.throws(() => gaeAdvantages([[1]], [], 1, 1), /gaeAdvantages: 1 reward rows but 0 value rows/);
    assert.throws(() => gaeAdvantages([[1, 2]], [[1]], 1, 1), /sequence 0 has 2 rewards but 1 values/);
  });

  test('masked whitening: zero mean, unit unbiased variance, at least two tokens', () => {
    const w = maskedWhiten([[1, 2], [3], [10]]).flat();
    const mean = w.reduce((a, b) => a + b, 0) / w.length;
    const uvar = w.reduce((a, b) => a + (b - mean) ** 2, 0) / (w.length - 1);
    assert.ok(Math.abs(mean) < 1e-12 && Math.abs(uvar - 1) < 1e-6, `mean ${mean} unbiased var ${uvar}`);
    assert.throws(() => maskedWhiten([[1]]), /needs at least 2 tokens, got 1/);
  });
});

describe('RLOO and GSPO pieces', () => {
  test('RLOO: reward minus the mean of the OTHER rollouts; a group of one keeps its reward', () => {
    // group a: 1 − (0 + 0.5)/2 = 0.75, 0 − 0.75 = −0.75, 0.5 − 0.5 = 0; group b alone: 0.3
    close(rlooAdvantages([1, 0, 0.3, 0.5], ['a', 'a', 'b', 'a']), [0.75, -0.75, 0.3, 0]);
    assert.throws(() => rlooAdvantages([1], []), /rlooAdvantages: 1 rewards but 0 group ids/);
  });

  test("GSPO: each sequence's mean log-ratio repeated over its tokens; an empty sequence gives nothing", () => {
    assert.deepEqual(sequenceLogRatios([[-1, -2], [], [-0.5]], [[-2, -4], [], [-0.5]]), [[1.5, 1.5], [], [0]]);
  });
});

describe('reward API edges', () => {
  const item = (completion: string): RewardInput => ({
    prompt: 'p',
    completion,
    completionIds: [1],
    truncated: false,
    step: 1,
    example: { index: 0, messages: [{ role: 'user', content: 'q' }], groundTruth: '1', dataSource: 't', columns: {} },
  });

  test('weights: default 1, explicit 0 counts as 0, non-finite is refused; an empty batch has mean 0', async () => {
    const r = await scoreRewards(
      [
        { name: 'a', fn: (b) => b.map(() => 2) },
        { name: 'b', fn: (b) => b.map(() => 5), weight: 0 },
      ],
      [item('x')],
    );
    assert.deepEqual(r.total, [2]);
    assert.deepEqual(r.meanByName, { a: 2, b: 5 });
    const empty = await scoreRewards([{ name: 'a', fn: () => [] }], []);
    assert.deepEqual(empty, { total: [], meanByName: { a: 0 } });
    assert.throws(() => rewardList([{ name: 'w', fn: () => [], weight: Number.NaN }]), /rewards: 'w' has weight NaN/);
    assert.throws(() => rewardList([{ name: 'nofn', fn: 3 as never }]), /rewards: 'nofn' has no function \(fn\)/);
    assert.equal(rewardList([{ name: 'ok', fn: () => [], weight: -2 }]).length, 1);
  });

  test('a reward that returns no array is named, with what it returned; strings are read as numbers', async () => {
    await assert.rejects(scoreRewards([{ name: 'bad', fn: () => 3 as never }], [item('x')]), /reward 'bad' returned number for 1 completions/);
    const r = await scoreRewards([{ name: 's', fn: () => ['0.5' as never] }], [item('x')]);
    assert.deepEqual(r.total, [0.5]);
  });
});

describe("the fork's loss weights: shapes and errors", () => {
  test('each bad shape fails with its own message', () => {
    const b = { ranks: 2, maxTokensPerRank: 100, miniBatchPerRank: 2 };
    assert.throws(() => forkLossWeights([10, 10], [5], b), /forkLossWeights: 2 sequence lengths but 1 response lengths/);
    assert.throws(() => forkLossWeights([10, 10, 10], [5, 5, 5], b), /3 rollouts of a step to split evenly over 2 ranks/);
    assert.throws(() => forkLossWeights([10, 10, 10, 10, 10, 10], [5, 5, 5, 5, 5, 5], b), /3 rollouts per rank do not split into mini-batches of 2/);
    assert.throws(() => forkLossWeights([10, 101, 10, 10], [5, 5, 5, 5], b), /a sequence of 101 tokens exceeds the micro-batch token budget 100/);
    assert.throws(() => karmarkarKarp([1, 2], 3, false), /cannot split 2 sequences into 3 parts/);
    assert.throws(() => karmarkarKarp([1, 2, 3], 2, true), /3 sequences do not split evenly into 2 parts/);
  });

  test('a budget exactly filled is one micro-batch; one token over makes two', () => {
    // one rank, 2 sequences of 50 tokens (response 10 and 30): 100 ≤ 100 → one micro-batch, weight 1/40 each
    const one = forkLossWeights([50, 50], [10, 30], { ranks: 1, maxTokensPerRank: 100, miniBatchPerRank: 2 });
    assert.deepEqual(one.microBatches, [[[[0, 1]]]]);
    close(one.weight, [1 / 40, 1 / 40]);
    // 101 tokens → two micro-batches of one sequence: (1/2)/10 and (1/2)/30
    const two = forkLossWeights([50, 51], [10, 30], { ranks: 1, maxTokensPerRank: 100, miniBatchPerRank: 2 });
    assert.equal(two.microBatches[0]![0]!.length, 2);
    close(two.weight, [0.05, 1 / 60]);
  });

  test('ties everywhere (equal lengths, equal sums, equal spreads): the same partition as the PyTorch reference (test/py/fork_weights_ref.py)', () => {
    // Karmarkar–Karp's tie-breaks (set order by sum, size, then items; state order by spread, then first set;
    // equal lengths sorted by index) pick which sequences share a micro-batch, hence their token weights.
    const cases = [
      { seq: [10, 10, 10, 10, 20, 20, 20, 20], resp: [3, 4, 5, 6, 7, 8, 9, 10], ranks: 2, maxTokens: 30, mini: 4 },
      { seq: [5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5], resp: [1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 1, 2], ranks: 3, maxTokens: 12, mini: 4 },
      { seq: [7, 3, 7, 3, 4, 6, 4, 6, 5, 5, 5, 5], resp: [2, 1, 3, 1, 2, 4, 1, 3, 2, 2, 3, 1], ranks: 2, maxTokens: 11, mini: 6 },
      { seq: [30, 10, 20, 30, 10, 20], resp: [9, 3, 6, 8, 2, 5], ranks: 1, maxTokens: 30, mini: 6 },
    ];
    const ref = JSON.parse(
      runPython(
        path.join(repoRoot, 'test', 'py', 'fork_weights_ref.py'),
        [],
        JSON.stringify(cases.map((c) => ({ seq_lens: c.seq, resp_lens: c.resp, ranks: c.ranks, max_tokens: c.maxTokens, mini_per_rank: c.mini }))),
      ),
    ) as { weight: number[]; mini: number[]; rank: number[] }[];
    cases.forEach((c, k) => {
      const ours = forkLossWeights(c.seq, c.resp, { ranks: c.ranks, maxTokensPerRank: c.maxTokens, miniBatchPerRank: c.mini });
      assert.deepEqual(ours.rank, ref[k]!.rank, `case ${k}: ranks`);
      assert.deepEqual(ours.miniBatch, ref[k]!.mini, `case ${k}: mini-batches`);
      ours.weight.forEach((w, i) => assert.ok(Math.abs(w - ref[k]!.weight[i]!) <= 1e-12, `case ${k} weight ${i}: ${w} vs ${ref[k]!.weight[i]}`));
    });
    // a sequence exactly as long as the budget fits
    assert.equal(forkLossWeights([100, 10], [50, 5], { ranks: 1, maxTokensPerRank: 100, miniBatchPerRank: 2 }).microBatches[0]![0]!.length, 2);
  });

  test('Karmarkar–Karp balances sums: [8, 7, 6, 5, 4] into 2 parts differ by at most 2 (optimum 0 is not required)', () => {
    const lens = [8, 7, 6, 5, 4];
    const parts = karmarkarKarp(lens, 2, false);
    const sums = parts.map((p) => p.reduce((s, i) => s + lens[i]!, 0));
    assert.deepEqual([...parts.flat()].sort(), [0, 1, 2, 3, 4]);
    // largest differencing: 8−7 → 1, 6−5 → 1, then {4},{1},{1} → 4−1 = 3 → 3−1 = 2: difference 2
    assert.equal(Math.abs(sums[0]! - sums[1]!), 2);
    parts.forEach((p) =>
      assert.deepEqual(
        p,
        [...p].sort((x, y) => x - y),
      ),
    );
  });
});

describe("the policy's micro-batching and packing", () => {
  const seq = (p: number, r: number, base = 1): Sequence => ({
    promptIds: Array.from({ length: p }, (_, k) => base + k),
    responseIds: Array.from({ length: r }, (_, k) => 100 + base + k),
  });

  test('micro-batches: longest first (ties by index), padded size count × longest within the budget, exactly full allowed', () => {
    // lengths 5, 8, 5, 3
    const s = [seq(2, 3), seq(4, 4), seq(1, 4), seq(1, 2)];
    assert.deepEqual(microBatches(s, 16), [
      [1, 0],
      [2, 3],
    ]); // 2 × 8 = 16 fits exactly; 3 × 8 = 24 does not
    assert.deepEqual(microBatches(s, 15), [[1], [0, 2, 3]]); // 3 × 5 = 15 fits exactly
    assert.deepEqual(microBatches(s, 14), [[1], [0, 2], [3]]);
    assert.deepEqual(microBatches(s, 1000), [[1, 0, 2, 3]]);
    assert.deepEqual(microBatches([], 10), []);
    // padding: [1,0] pads to 2 × 8, [2,3] to 2 × 5; real tokens 8 + 5 + 5 + 3
    assert.deepEqual(
      paddingOf(s, [
        [1, 0],
        [2, 3],
      ]),
      { padded: 26, real: 21 },
    );
  });

  test('pack: right-padded ids, the flat row before each response token, its target, response lengths', () => {
    const s = [seq(2, 2, 1), seq(1, 1, 7)]; // [1, 2 | 101, 102] and [7 | 107]
    const p = pack(s, 'cpu');
    const [ids, rows, targets] = tidy(() => [p.ids.toNumbers(), p.rows.toNumbers(), p.targets.toNumbers()]);
    assert.deepEqual(ids, [1, 2, 101, 102, 7, 107, 0, 0]); // [2, L=4]
    assert.deepEqual(rows, [1, 2, 4]); // row j·L + t − 1 predicts token t
    assert.deepEqual(targets, [101, 102, 107]);
    assert.deepEqual(p.lengths, [2, 1]);
    assert.deepEqual(splitPerSequence([1, 2, 3, 4, 5], [2, 0, 3]), [[1, 2], [], [3, 4, 5]]);
  });
});

describe('policy gradient accumulation: the GSPO sequence ratio and the KL term, from the formulas', () => {
  const cfg: ModelConfig = {
    architecture: 'Qwen2ForCausalLM',
    hiddenSize: 16,
    intermediateSize: 24,
    numLayers: 1,
    numHeads: 2,
    numKvHeads: 1,
    headDim: 8,
    vocabSize: 24,
    rmsNormEps: 1e-6,
    ropeTheta: 10000,
    ropeScaling: null,
    tieWordEmbeddings: false,
    attentionBias: true,
    maxPositionEmbeddings: 512,
    bosTokenId: null,
    eosTokenId: null,
    torchDtype: 'float32',
  };
  // 3 × 300 response tokens: the head runs in two 512-row chunks and sequence 1 straddles them
  const mk = (k: number, len: number): Sequence => ({ promptIds: [1 + k, 2], responseIds: Array.from({ length: len }, (_, t) => (t * 7 + k * 3) % 24) });
  const seqs = [mk(0, 300), mk(1, 300), mk(2, 300)];
  const T = 0.7;

  test('stats = Σ w·max(−A·s, −A·clip(s)) with s = exp(mean(logp − old)) per sequence, and Σ w·k3(logp, ref)', () => {
    manualSeed(5);
    const model = CausalLM.randomInit(cfg).requiresGrad_(true);
    const lp = responseLogprobs(model, seqs, T, 100000).logp;
    const A = [1.5, -0.8, 0.6];
    const shift = [0.02, 0.5, -0.3]; // old = logp + shift: s ≈ e^-0.02 (inside the clip), e^-0.5 with A < 0 and e^0.3 with A > 0 (both clipped)
    const w = 1 / 900;
    const targets = seqs.map((_, i) => ({
      oldLogp: lp[i]!.map((v, t) => v + shift[i]! + 0.05 * Math.sin(t + i)),
      refLogp: lp[i]!.map((v, t) => v - 0.1 * Math.cos(t * (i + 1))),
      advantage: A[i]!,
      weights: new Array<number>(300).fill(w),
    }));
    const eps = 0.2;
    let pg = 0,
      kl = 0,
      clip = 0;
    seqs.forEach((_, i) => {
      const t0 = targets[i]!;
      const s = Math.exp(lp[i]!.reduce((a, v, t) => a + v - t0.oldLogp[t]!, 0) / 300);
      const un = -A[i]! * s;
      const cl = -A[i]! * Math.min(Math.max(s, 1 - eps), 1 + eps);
      pg += 300 * w * Math.max(un, cl);
      clip += cl > un ? 300 * w : 0;
      lp[i]!.forEach((v, t) => {
        const d = t0.refLogp[t]! - v;
        kl += w * (Math.exp(d) - d - 1);
      });
    });
    for (const p of model.parameters()) p.grad = null;
    const stats = tidy(() =>
      accumulatePolicyGradient(model, seqs, targets, T, { clipRatio: eps, klCoef: 0.05, entropyCoef: 0, policyGradient: true, policyLoss: 'gspo' }).toNumbers(),
    );
    // [loss, pg, entropy, kl, clipFrac]
    assert.ok(Math.abs(stats[1]! - pg) < 1e-5, `pg ${stats[1]} vs ${pg}`);
    assert.ok(Math.abs(stats[3]! - kl) < 1e-6 && kl > 1e-4, `kl ${stats[3]} vs ${kl}`);
    assert.ok(Math.abs(stats[4]! - clip) < 1e-6 && clip > 0 && clip < 1, `clipFrac ${stats[4]} vs ${clip}`);
    assert.ok(Math.abs(stats[0]! - (pg + 0.05 * kl)) < 1e-5, `loss ${stats[0]} vs ${pg + 0.05 * kl}`);
    const g = tidy(() => model.parameters().flatMap((p) => p.grad!.toNumbers()));
    assert.ok(g.some((x) => x !== 0) && g.every(Number.isFinite));
  });

  test('per-token advantages (GAE) and klCoef 0: stats = Σ w·max(−A_t·r_t, −A_t·clip(r_t)), kl stat 0', () => {
    manualSeed(6);
    const model = CausalLM.randomInit(cfg).requiresGrad_(true);
    const few = [mk(0, 5), mk(1, 3)];
    const lp = responseLogprobs(model, few, T, 100000).logp;
    const targets = few.map((q, i) => ({
      oldLogp: lp[i]!.map((v, t) => v + 0.4 * Math.sin(3 * t + i)),
      refLogp: null,
      advantage: q.responseIds.map((_, t) => (t % 2 ? 1 : -1) * (0.5 + 0.25 * t)),
      weights: new Array<number>(q.responseIds.length).fill(1 / 8),
    }));
    let pg = 0;
    few.forEach((_, i) =>
      lp[i]!.forEach((v, t) => {
        const A = (targets[i]!.advantage as number[])[t]!;
        const r = Math.exp(v - targets[i]!.oldLogp[t]!);
        pg += (1 / 8) * Math.max(-A * r, -A * Math.min(Math.max(r, 0.8), 1.2));
      }),
    );
    for (const p of model.parameters()) p.grad = null;
    const stats = tidy(() => accumulatePolicyGradient(model, few, targets, T, { clipRatio: 0.2, klCoef: 0, entropyCoef: 0, policyGradient: true }).toNumbers());
    assert.ok(Math.abs(stats[1]! - pg) < 1e-5, `pg ${stats[1]} vs ${pg}`);
    assert.equal(stats[3], 0);
    assert.equal(stats.length, 5);
  });
});
