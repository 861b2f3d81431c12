// The GRPO gradient does not depend on how the work is cut: micro-batches (gradient
// accumulation) and activation checkpointing give the same parameter gradients as one pass,
// and chunked log-probs equal the full-logits computation.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hostReads, manualSeed, tensor, tidy } from '../../src/engine/index.js';
import { Rng } from '../../src/data/rng.js';
import type { ModelConfig } from '../../src/model/config.js';
import { CausalLM } from '../../src/model/transformer.js';
import { aggregationWeights } from '../../src/rl/losses.js';
import { STAT_NAMES, accumulatePolicyGradient, microBatches, paddingOf, responseLogprobs, type Sequence } from '../../src/rl/policy.js';

const cfg: ModelConfig = {
  architecture: 'Qwen2ForCausalLM',
  hiddenSize: 32,
  intermediateSize: 48,
  numLayers: 3,
  numHeads: 4,
  numKvHeads: 2,
  headDim: 8,
  vocabSize: 40,
  rmsNormEps: 1e-6,
  ropeTheta: 10000,
  ropeScaling: null,
  tieWordEmbeddings: false,
  attentionBias: true,
  maxPositionEmbeddings: 64,
  bosTokenId: null,
  eosTokenId: null,
  torchDtype: 'float32',
};
const seqs: Sequence[] = [
  { promptIds: [1, 2, 3], responseIds: [4, 5, 6, 7] },
  { promptIds: [1, 2, 3], responseIds: [9] },
  { promptIds: [8, 2], responseIds: [10, 11, 12, 13, 14, 15] },
  { promptIds: [8, 2, 30, 31], responseIds: [16, 17] },
];
const coef = { clipRatio: 0.2, klCoef: 0.001, entropyCoef: 0.001, policyGradient: true };

function gradsFor(model: CausalLM, batches: number[][], checkpointing: boolean, headChunk?: number): number[] {
  const old = responseLogprobs(model, seqs, 0.6, 1000);
  const weights = aggregationWeights(
    seqs.map((s) => s.responseIds.length),
    'token-mean',
    8,
  );
  const targets = seqs.map((s, i) => ({
    // Perturbed old/ref log-probs so that ratio, clipping and KL are all exercised.
    oldLogp: old.logp[i]!.map((v, t) => v + 0.3 * Math.sin(i + t)),
    refLogp: old.logp[i]!.map((v, t) => v - 0.2 * Math.cos(i * t)),
    advantage: [1.2, -0.4, 0.7, -1.5][i]!,
    weights: weights[i]!,
  }));
  for (const p of model.parameters()) p.grad = null;
  for (const b of batches)
    accumulatePolicyGradient(
      model,
      b.map((i) => seqs[i]!),
      b.map((i) => targets[i]!),
      0.6,
      coef,
      { checkpointing, headChunk },
    );
  return tidy(() => model.parameters().flatMap((p) => p.grad!.toNumbers()));
}

describe('policy gradient accumulation', () => {
  manualSeed(3);
  const model = CausalLM.randomInit(cfg).requiresGrad_(true);

  test('micro-batches, LM-head chunks and activation checkpointing give the same gradients as one pass', () => {
    const whole = gradsFor(model, [[0, 1, 2, 3]], false);
    const split = gradsFor(model, [[0], [1, 2], [3]], false);
    const ckpt = gradsFor(
      model,
      [
        [0, 1],
        [2, 3],
      ],
      true,
    );
    // LM-head chunks of 3 rows (the default is HEAD_CHUNK = 512: one chunk here).
    const chunked = gradsFor(model, [[0, 1, 2, 3]], false, 3);
    const maxDiff = (a: number[], b: number[]) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
    assert.ok(whole.some((g) => g !== 0));
    assert.ok(maxDiff(whole, chunked) < 1e-6, `head chunks change grads by ${maxDiff(whole, chunked)}`);
    assert.ok(maxDiff(whole, split) < 1e-6, `micro-batching changes grads by ${maxDiff(whole, split)}`);
    assert.ok(maxDiff(whole, ckpt) < 1e-6, `checkpointing changes grads by ${maxDiff(whole, ckpt)}`);
  });

  test('chunked response log-probs equal log_softmax of the full logits', () => {
    const ours = responseLogprobs(model, seqs, 0.6, 12);
    tidy(() => {
      seqs.forEach((s, i) => {
        const ids = [...s.promptIds, ...s.responseIds];
        const logits = model
          .forward(tensor(ids, [1, ids.length], { dtype: 'int64' }))
          .div(0.6)
          .logSoftmax(-1);
        const expected = s.responseIds.map((tok, t) =>
          logits
            .select(0, 0)
            .select(0, s.promptIds.length + t - 1)
            .select(0, tok)
            .item(),
        );
        expected.forEach((v, t) => assert.ok(Math.abs(v - ours.logp[i]![t]!) < 1e-5, `seq ${i} token ${t}`));
      });
    });
  });

  test('micro-batches respect the token budget and cover every sequence once', () => {
    const mbs = microBatches(seqs, 14);
    for (const mb of mbs) {
      const longest = Math.max(...mb.map((i) => seqs[i]!.promptIds.length + seqs[i]!.responseIds.length));
      assert.ok(mb.length === 1 || mb.length * longest <= 14);
    }
    assert.deepEqual(mbs.flat().sort(), [0, 1, 2, 3]);
  });

  test('stats stay on the device: a micro-batch reads nothing back to the host', () => {
    const weights = aggregationWeights(
      seqs.map((s) => s.responseIds.length),
      'token-mean',
      8,
    );
    const targets = seqs.map((s, i) => ({ oldLogp: s.responseIds.map(() => -1), refLogp: null, advantage: i - 1.5, weights: weights[i]! }));
    const before = hostReads();
    const stats = accumulatePolicyGradient(model, seqs, targets, 0.6, coef);
    assert.equal(hostReads() - before, 0);
    assert.deepEqual(stats.shape, [STAT_NAMES.length]);
    tidy(() => assert.ok(stats.toNumbers().every(Number.isFinite)));
    stats.dispose();
    for (const p of model.parameters()) p.grad = null;
  });
});

describe('on-policy old log-probs (oldLogp null: the current ones, detached)', () => {
  manualSeed(5);
  const model = CausalLM.randomInit(cfg).requiresGrad_(true);
  const maxDiff = (a: number[], b: number[]) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
  const weights = aggregationWeights(
    seqs.map((s) => s.responseIds.length),
    'token-mean',
    8,
  );
  // Gradients and stats of one pass (LM-head chunks of 3 rows, so several chunks) with the given old log-probs.
  function run(old: number[][] | null, ref: 'given' | 'fallback', policyLoss: 'vanilla' | 'gspo'): { grads: number[]; stats: number[] } {
    const refs = responseLogprobs(model, seqs, 0.6, 1000).logp.map((lp, i) => lp.map((v, t) => v - 0.2 * Math.cos(i * t)));
    const targets = seqs.map((_, i) => ({
      oldLogp: old ? old[i]! : null,
      refLogp: ref === 'given' ? refs[i]! : null,
      advantage: [1.2, -0.4, 0.7, -1.5][i]!,
      weights: weights[i]!,
    }));
    for (const p of model.parameters()) p.grad = null;
    const stats = accumulatePolicyGradient(model, seqs, targets, 0.6, { ...coef, klCoef: 0.05, policyLoss }, { headChunk: 3 });
    const out = tidy(() => ({ grads: model.parameters().flatMap((p) => p.grad!.toNumbers()), stats: stats.toNumbers() }));
    stats.dispose();
    for (const p of model.parameters()) p.grad = null;
    return out;
  }

  for (const policyLoss of ['vanilla', 'gspo'] as const) {
    for (const ref of ['given', 'fallback'] as const) {
      test(`${policyLoss}, reference ${ref}: the same gradients and stats as the recomputed old log-probs (fp32)`, () => {
        const recomputed = responseLogprobs(model, seqs, 0.6, 1000).logp;
        const a = run(recomputed, ref, policyLoss);
        const b = run(null, ref, policyLoss);
        assert.ok(a.grads.some((g) => g !== 0));
        assert.ok(maxDiff(a.grads, b.grads) < 1e-6, `grads differ by ${maxDiff(a.grads, b.grads)}`);
        assert.ok(maxDiff(a.stats, b.stats) < 1e-6, `stats differ by ${maxDiff(a.stats, b.stats)}`);
        assert.equal(b.stats[STAT_NAMES.indexOf('clipFrac')], 0, 'ratio exactly 1: nothing clipped');
        // The check can fail: old log-probs off by 0.5 give other gradients.
        const shifted = run(
          recomputed.map((lp) => lp.map((v) => v + 0.5)),
          ref,
          policyLoss,
        );
        assert.ok(maxDiff(shifted.grads, b.grads) > 1e-4);
      });
    }
  }

  test('old log-probs for some sequences only are refused', () => {
    const old = responseLogprobs(model, seqs, 0.6, 1000).logp;
    const targets = seqs.map((_, i) => ({ oldLogp: i === 0 ? null : old[i]!, refLogp: null, advantage: 1, weights: weights[i]! }));
    assert.throws(() => accumulatePolicyGradient(model, seqs, targets, 0.6, coef), /some sequences only/);
    for (const p of model.parameters()) p.grad = null;
  });
});

describe('length-grouped micro-batches', () => {
  // A typical 1-shot GRPO length mix: one 180-token prompt, 1024 responses, mostly 200-1500
  // tokens (mean ~750) and 7% cut at the 3072 limit, as issue 9 measured.
  const rng = new Rng(7);
  const mix: Sequence[] = Array.from({ length: 1024 }, () => {
    const len = rng.float() < 0.07 ? 3072 : Math.round(150 + 1300 * rng.float() ** 1.3);
    return { promptIds: new Array<number>(180).fill(1), responseIds: new Array<number>(len).fill(2) };
  });

  test('padding is at most 10% of the tokens under a 16k-token budget (sample order: ~2x)', () => {
    const meanLen = mix.reduce((a, s) => a + s.responseIds.length, 0) / mix.length;
    assert.ok(meanLen > 650 && meanLen < 900, `mean response ${meanLen}`);
    const grouped = paddingOf(mix, microBatches(mix, 16384));
    const padFrac = 1 - grouped.real / grouped.padded;
    assert.ok(padFrac <= 0.1, `padding ${(100 * padFrac).toFixed(1)}% of tokens`);
    for (const mb of microBatches(mix, 16384)) {
      const longest = Math.max(...mb.map((i) => 180 + mix[i]!.responseIds.length));
      assert.ok(mb.length * longest <= 16384);
    }
    // The old rule (sample order) on the same mix, for contrast.
    const inOrder: number[][] = [];
    let cur: number[] = [];
    let longest = 0;
    mix.forEach((s, i) => {
      const l = 180 + s.responseIds.length;
      if (cur.length && (cur.length + 1) * Math.max(longest, l) > 16384) {
        inOrder.push(cur);
        cur = [];
        longest = 0;
      }
      cur.push(i);
      longest = Math.max(longest, l);
    });
    inOrder.push(cur);
    const ordered = paddingOf(mix, inOrder);
    assert.ok(ordered.padded / ordered.real > 1.5, `sample order pads ${ordered.padded / ordered.real}x`);
  });
});
