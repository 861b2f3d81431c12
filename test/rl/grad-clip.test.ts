// gradClip 0 means "off" (the norm is reported, nothing is scaled), not "scale every gradient to 0".
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { clipGradNorm, manualSeed, randn, tidy } from '../../src/engine/index.js';
import type { TrainExample } from '../../src/data/examples.js';
import type { ModelConfig } from '../../src/model/config.js';
import { CausalLM } from '../../src/model/transformer.js';
import { grpoConfig } from '../../src/rl/config.js';
import { GRPOTrainer } from '../../src/rl/trainer.js';

test('clipGradNorm(Infinity) measures the norm and leaves the gradients alone', () => {
  tidy(() => {
    const p = randn([3, 4]).requiresGrad_(true);
    p.mul(p).sum().backward();
    const g = p.grad!.toNumbers();
    const norm = clipGradNorm([p], Infinity);
    assert.ok(Math.abs(norm - Math.hypot(...g)) < 1e-4);
    assert.deepEqual(p.grad!.toNumbers(), g);
  });
});

test('a trainer step with gradClip 0 updates the weights (and reports the gradient norm)', async () => {
  const tiny: ModelConfig = {
    architecture: 'Qwen2ForCausalLM',
    hiddenSize: 16,
    intermediateSize: 32,
    numLayers: 1,
    numHeads: 2,
    numKvHeads: 1,
    headDim: 8,
    vocabSize: 32,
    rmsNormEps: 1e-6,
    ropeTheta: 10000,
    ropeScaling: null,
    tieWordEmbeddings: true,
    attentionBias: true,
    maxPositionEmbeddings: 64,
    bosTokenId: null,
    eosTokenId: 31,
    torchDtype: 'float32',
  };
  manualSeed(5);
  const policy = CausalLM.randomInit(tiny);
  const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123 ?';
  const codec = {
    encode: (s: string) => [...s].map((c) => Math.max(0, ALPHABET.indexOf(c))),
    decode: (ids: number[]) => ids.map((i) => ALPHABET[i] ?? '?').join(''),
  };
  const examples: TrainExample[] = [{ index: 0, messages: [{ role: 'user', content: 'abc' }], groundTruth: 'a', dataSource: 'test' }];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-gradclip-'));
  try {
    const trainer = new GRPOTrainer({
      policy,
      reference: null,
      tokenizer: codec,
      examples,
      renderPrompt: (ex) => ex.messages[0]!.content,
      stopTokenIds: [31],
      // Rewards by rollout position: every group has variance, so the policy gradient is not zero.
      rewards: async (items) => items.map((_, i) => i % 2),
      config: grpoConfig({
        gradClip: 0,
        weightDecay: 0,
        klCoef: 0,
        entropyCoef: 0,
        trainBatchSize: 1,
        miniBatchSize: 1,
        groupSize: 4,
        maxResponseLength: 4,
        lr: 1e-2,
        steps: 1,
      }),
      runDir: dir,
      log: () => {},
    });
    const before = tidy(() => policy.parameters().flatMap((p) => p.toNumbers()));
    const m = await trainer.trainStep();
    const after = tidy(() => policy.parameters().flatMap((p) => p.toNumbers()));
    assert.ok(m.gradNorm > 0, 'the norm is reported');
    assert.ok(
      after.some((v, i) => v !== before[i]),
      'gradClip 0 must not zero the gradients',
    );
    await trainer.close();
  } finally {
    policy.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
