// Full-vocabulary logits never exist for a whole micro-batch (issue 27): a spy on the model's LM
// head records how many rows each call gets. Training and log-prob passes call it on at most
// HEAD_CHUNK rows, covering every response token once; the rollout engine's prefill calls it on
// the last position of each prompt only, and decoding on one row per live sequence.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { manualSeed, type Tensor } from '../../src/engine/index.js';
import type { ModelConfig } from '../../src/model/config.js';
import { CausalLM } from '../../src/model/transformer.js';
import { HEAD_CHUNK } from '../../src/memory-plan/memory.js';
import { aggregationWeights } from '../../src/rl/losses.js';
import { accumulatePolicyGradient, responseLogprobs, type Sequence } from '../../src/rl/policy.js';
import { rollout } from '../../src/rollout/engine.js';

const cfg: ModelConfig = {
  architecture: 'Qwen2ForCausalLM',
  hiddenSize: 16,
  intermediateSize: 32,
  numLayers: 1,
  numHeads: 2,
  numKvHeads: 1,
  headDim: 8,
  vocabSize: 24,
  rmsNormEps: 1e-6,
  ropeTheta: 10000,
  ropeScaling: null,
  tieWordEmbeddings: true,
  attentionBias: false,
  maxPositionEmbeddings: 1024,
  bosTokenId: null,
  eosTokenId: null,
  torchDtype: 'float32',
};

/** The model with its head wrapped: every call's row count is pushed to `rows`. */
function spied(): { model: CausalLM; rows: number[] } {
  manualSeed(3);
  const model = CausalLM.randomInit(cfg);
  const rows: number[] = [];
  const head = model.logits.bind(model);
  model.logits = (hidden: Tensor) => {
    rows.push(hidden.numel / hidden.size(-1));
    return head(hidden);
  };
  return { model, rows };
}

describe('the LM head never sees a whole micro-batch', () => {
  // One micro-batch of 3 × 200 response tokens: 600 > HEAD_CHUNK rows.
  const seqs: Sequence[] = [0, 1, 2].map((j) => ({
    promptIds: [1 + j, 2, 3, 4],
    responseIds: Array.from({ length: 200 }, (_, t) => (t * 7 + j) % cfg.vocabSize),
  }));
  const responseTokens = seqs.reduce((a, s) => a + s.responseIds.length, 0);

  test('training: chunks of at most HEAD_CHUNK rows, every response token once', () => {
    const { model, rows } = spied();
    model.requiresGrad_(true);
    const weights = aggregationWeights(
      seqs.map((s) => s.responseIds.length),
      'token-mean',
      200,
    );
    const targets = seqs.map((s, i) => ({
      oldLogp: s.responseIds.map(() => -3),
      refLogp: s.responseIds.map(() => -3),
      advantage: i - 1,
      weights: weights[i]!,
    }));
    const coef = { clipRatio: 0.2, klCoef: 0.001, entropyCoef: 0, policyGradient: true };
    accumulatePolicyGradient(model, seqs, targets, 0.6, coef).dispose();
    assert.ok(responseTokens > HEAD_CHUNK);
    assert.ok(Math.max(...rows) <= HEAD_CHUNK, `head rows ${rows.join(',')}`);
    assert.equal(
      rows.reduce((a, b) => a + b, 0),
      responseTokens,
    );
    model.dispose();
  });

  test('log-probs: the same bound', () => {
    const { model, rows } = spied();
    responseLogprobs(model, seqs, 0.6, 100_000);
    assert.ok(Math.max(...rows) <= HEAD_CHUNK, `head rows ${rows.join(',')}`);
    assert.equal(
      rows.reduce((a, b) => a + b, 0),
      responseTokens,
    );
    model.dispose();
  });

  test('rollouts: prefill scores the last prompt position only, decoding one row per sequence', () => {
    const { model, rows } = spied();
    const prompts = [Array.from({ length: 40 }, (_, t) => t % cfg.vocabSize), [5, 6, 7]];
    const { samples } = rollout(model, prompts, { maxNewTokens: 4, greedy: true, n: 2 });
    assert.equal(samples.length, 4);
    assert.ok(rows.length > 0);
    assert.ok(Math.max(...rows) <= 4, `head rows ${rows.join(',')}`);
    model.dispose();
  });
});
