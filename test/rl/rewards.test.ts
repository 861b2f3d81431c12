// The reward API: weighted sums, per-reward logging, what a reward function sees inside the
// trainer, and the math verifier as one reward function.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { manualSeed } from '../../src/engine/index.js';
import type { TrainExample } from '../../src/data/examples.js';
import type { ModelConfig } from '../../src/model/config.js';
import { CausalLM } from '../../src/model/transformer.js';
import { VerifierPool } from '../../src/tasks/math/verifier/pool.js';
import { PAPER_GRPO_CONFIG } from '../../src/rl/config.js';
import { scoreRewards, type RewardInput } from '../../src/tasks/reward.js';
import { mathReward } from '../../src/tasks/math/reward.js';
import { GRPOTrainer } from '../../src/rl/trainer.js';

const ex = (gold: string, columns: Record<string, unknown> = {}): TrainExample => ({
  index: 0,
  messages: [{ role: 'user', content: 'q' }],
  groundTruth: gold,
  dataSource: 't',
  columns,
});
const item = (completion: string, gold = '1'): RewardInput => ({
  prompt: 'p',
  completion,
  completionIds: [1, 2],
  truncated: false,
  example: ex(gold),
  step: 1,
});

describe('reward API', () => {
  test('several weighted rewards: the sum per item and each mean by name', async () => {
    const batch = [item('a'), item('bb'), item('ccc')];
    const r = await scoreRewards(
      [
        { name: 'len', fn: (b) => b.map((x) => x.completion.length), weight: 0.5 },
        { name: 'isB', fn: async (b) => b.map((x) => (x.completion.startsWith('b') ? 1 : 0)) },
      ],
      batch,
    );
    assert.deepEqual(r.total, [0.5, 2, 1.5]);
    assert.deepEqual(r.meanByName, { len: 2, isB: 1 / 3 });
    const single = await scoreRewards((b) => b.map(() => 7), batch);
    assert.deepEqual(single.meanByName, { reward: 7 });
  });

  test('a reward returning the wrong count, a duplicate name or no rewards: one clear error', async () => {
    await assert.rejects(scoreRewards([{ name: 'short', fn: () => [1] }], [item('a'), item('b')]), /reward 'short' returned 1 values for 2 completions/);
    await assert.rejects(
      scoreRewards(
        [
          { name: 'x', fn: () => [1] },
          { name: 'x', fn: () => [1] },
        ],
        [item('a')],
      ),
      /'x' is used twice/,
    );
    await assert.rejects(scoreRewards([], [item('a')]), /at least one reward/);
  });

  test('the math verifier is a reward function (worker pool)', async () => {
    const pool = new VerifierPool({ size: 1 });
    try {
      const r = await mathReward(pool)([item('so \\boxed{\\frac{1}{2}}', '0.5'), item('\\boxed{3}', '0.5'), item('0.5 with no box', '0.5')]);
      assert.deepEqual(r, [1, 0, 0]);
    } finally {
      await pool.close();
    }
  });

  test('inside the trainer: prompt, completion ids, all columns and the step reach the reward; each reward is logged per step', async () => {
    const alphabet = 'abcdefghijklmnopqrstuvwxyz0123 ?';
    const codec = {
      encode: (s: string) => [...s].map((c) => Math.max(0, alphabet.indexOf(c))),
      decode: (ids: number[]) => ids.map((i) => alphabet[i] ?? '?').join(''),
    };
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
    const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-rewards-'));
    const seen: RewardInput[][] = [];
    const trainer = new GRPOTrainer({
      policy,
      reference: null,
      tokenizer: codec,
      stopTokenIds: [31],
      runDir,
      log: () => {},
      examples: [ex('a', { target: 3, numbers: [1, 2] })],
      renderPrompt: (e) => `abc${e.index}`,
      config: {
        ...PAPER_GRPO_CONFIG,
        trainBatchSize: 1,
        miniBatchSize: 1,
        groupSize: 3,
        maxResponseLength: 4,
        klCoef: 0,
        steps: 2,
        saveEvery: 0,
        validateEvery: 0,
        microBatchTokens: 64,
      },
      rewards: [
        {
          name: 'hasA',
          fn: (b) => {
            seen.push(b);
            return b.map((x) => (x.completion.includes('a') ? 1 : 0));
          },
        },
        { name: 'target', fn: (b) => b.map((x) => Number(x.example.columns!['target'])), weight: 0.1 },
      ],
    });
    try {
      const metrics = await trainer.train();
      assert.equal(seen.length, 2);
      assert.deepEqual(
        seen.map((b) => b.map((x) => x.step)),
        [
          [1, 1, 1],
          [2, 2, 2],
        ],
      );
      for (const x of seen[0]!) {
        assert.equal(x.prompt, 'abc0');
        assert.deepEqual(x.example.columns, { target: 3, numbers: [1, 2] });
        assert.equal(codec.decode(x.completionIds.filter((t) => t !== 31)), x.completion);
      }
      const lines = fs
        .readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.equal(lines.length, 2);
      const byName = lines[0]!['rewardsByName'] as Record<string, number>;
      assert.equal(byName['target'], 3);
      const hasA = seen[0]!.filter((x) => x.completion.includes('a')).length / 3;
      assert.ok(Math.abs(byName['hasA']! - hasA) < 1e-12);
      assert.ok(Math.abs(metrics[0]!.rewardMean - (hasA + 0.3)) < 1e-12, 'the advantage reward is the weighted sum');
    } finally {
      policy.dispose();
      trainer.optimizer.dispose();
    }
  });
});
