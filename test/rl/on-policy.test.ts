// When the update is exactly on-policy (one epoch, one optimizer step, no KL in the reward),
// prepare skips the old log-probs forward (stages/indexing.ts onPolicyUpdate). The decision must
// be the same on every data-parallel rank: it counts the GLOBAL batch's groups, as globalLayout does.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DataParallel } from '../../src/distributed/data-parallel.js';
import { PAPER_GRPO_CONFIG } from '../../src/rl/config.js';
import { globalGroupCount, onPolicyUpdate } from '../../src/rl/stages/indexing.js';
import type { RankBatch } from '../../src/rl/stages/types.js';

const base = { ...PAPER_GRPO_CONFIG, trainBatchSize: 4, miniBatchSize: 4, updatesPerRollout: null, ppoEpochs: 1, klRewardCoef: 0 };

describe('on-policy update (no old log-probs forward)', () => {
  test('one epoch of one mini-batch without KL in the reward, and nothing else', () => {
    assert.equal(onPolicyUpdate(base, 4), true);
    assert.equal(onPolicyUpdate(PAPER_GRPO_CONFIG, PAPER_GRPO_CONFIG.trainBatchSize), true, 'the paper: 128 prompts, one update');
    assert.equal(onPolicyUpdate({ ...base, ppoEpochs: 2 }, 4), false);
    assert.equal(onPolicyUpdate({ ...base, miniBatchSize: 2 }, 4), false);
    assert.equal(onPolicyUpdate({ ...base, updatesPerRollout: 2 }, 4), false);
    assert.equal(onPolicyUpdate({ ...base, updatesPerRollout: 1, miniBatchSize: 1 }, 4), true, 'updatesPerRollout overrides miniBatchSize');
    assert.equal(onPolicyUpdate({ ...base, klRewardCoef: 0.001 }, 4), false);
    // Fewer groups kept than a mini-batch holds (dynamic sampling's last batch): still one update.
    assert.equal(onPolicyUpdate({ ...base, miniBatchSize: 2 }, 2), true);
  });

  test('data parallel: every rank counts the global batch, not its own groups', () => {
    const all = new Array(4).fill(null) as unknown as RankBatch['all'];
    const dp = (worldSize: number) => ({ worldSize }) as DataParallel;
    const rb = { all } as RankBatch;
    // Two ranks of two groups each: 4 global groups.
    assert.equal(globalGroupCount(dp(2), rb, 2), 4);
    assert.equal(onPolicyUpdate({ ...base, miniBatchSize: 2 }, globalGroupCount(dp(2), rb, 2)), false);
    assert.equal(onPolicyUpdate(base, globalGroupCount(dp(2), rb, 2)), true);
    // One process: the groups it kept.
    assert.equal(globalGroupCount(dp(1), rb, 3), 3);
  });
});
