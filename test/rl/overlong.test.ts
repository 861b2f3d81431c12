// Overlong handling, the zero-variance warning, the rollout sample, and trainBatchSize-alone overrides:
// small pure functions, checked against their definitions.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { shapeOverlongReward, softOverlongPenalty } from '../../src/rl/overlong.js';
import { zeroVarianceWarning } from '../../src/rl/group-stats.js';
import { rolloutSampleIndices } from '../../src/rl/rollout-log.js';
import { PAPER_GRPO_CONFIG, overlongBufferOf, validateConfig, withMatchingMiniBatch } from '../../src/rl/config.js';

/** DAPO's reference (verl recipe/dapo reward manager): min(-(L - (Lmax - Lc)) / Lc, 0). */
function dapoReference(length: number, maxLength: number, buffer: number): number {
  const expected = maxLength - buffer;
  return Math.min(-(length - expected) / buffer, 0);
}

describe('overlong handling', () => {
  test("the soft penalty is DAPO's: 0 before the buffer, a linear ramp to -1 at the limit", () => {
    for (const L of [0, 100, 400, 401, 450, 499, 500]) {
      assert.equal(softOverlongPenalty(L, 500, 100) + 0, dapoReference(L, 500, 100) + 0, `L=${L}`);
    }
    assert.equal(softOverlongPenalty(450, 500, 100), -0.5);
    assert.equal(softOverlongPenalty(500, 500, 100), -1);
    assert.equal(softOverlongPenalty(501, 500, 100), -1);
  });

  test('modes: off keeps the reward, zero zeroes truncated responses, soft adds the penalty', () => {
    const o = { maxLength: 10, buffer: 4 };
    assert.equal(shapeOverlongReward(1, 10, true, { ...o, mode: 'off' }), 1);
    assert.equal(shapeOverlongReward(1, 10, true, { ...o, mode: 'zero' }), 0);
    assert.equal(shapeOverlongReward(1, 7, false, { ...o, mode: 'zero' }), 1);
    assert.equal(shapeOverlongReward(1, 10, true, { ...o, mode: 'soft' }), 0);
    assert.equal(shapeOverlongReward(1, 8, false, { ...o, mode: 'soft' }), 0.5);
    assert.equal(shapeOverlongReward(0, 5, false, { ...o, mode: 'soft' }), 0);
  });

  test('config: the buffer defaults to a fifth of maxResponseLength; bad modes and buffers are refused', () => {
    assert.equal(overlongBufferOf(PAPER_GRPO_CONFIG), 614);
    assert.equal(overlongBufferOf({ ...PAPER_GRPO_CONFIG, overlongBuffer: 100 }), 100);
    assert.throws(() => validateConfig({ ...PAPER_GRPO_CONFIG, overlong: 'hard' as never }), /overlong: must be one of off, zero, soft/);
    assert.throws(() => validateConfig({ ...PAPER_GRPO_CONFIG, overlongBuffer: 4000 }), /overlongBuffer/);
  });
});

describe('step signals', () => {
  test('the zero-variance warning: more than half the groups, with a hint when everything scored 0', () => {
    assert.match(zeroVarianceWarning(3, 2 / 3, 0.5)!, /WARNING: step 3: 67% of groups have zero reward variance \(mean reward 0.500\)/);
    assert.equal(zeroVarianceWarning(3, 0.5, 0.5), null);
    assert.match(zeroVarianceWarning(1, 1, 0)!, /Every response scored 0.*\\boxed\{\}.*--prompt-suffix/);
    // The hint only when everything scored 0; the line ends after the sentence otherwise.
    assert.ok(zeroVarianceWarning(3, 2 / 3, 0.5)!.endsWith('they give no policy-gradient signal.'), zeroVarianceWarning(3, 2 / 3, 0.5)!);
  });

  test('rollout sample: evenly spaced, first included, never more than there are', () => {
    assert.deepEqual(rolloutSampleIndices(16, 4), [0, 4, 8, 12]);
    assert.deepEqual(rolloutSampleIndices(3, 4), [0, 1, 2]);
    assert.deepEqual(rolloutSampleIndices(10, 0), []);
  });

  test('trainBatchSize alone sets miniBatchSize to match; both given stay as given', () => {
    assert.deepEqual(withMatchingMiniBatch({ trainBatchSize: 4 }), { trainBatchSize: 4, miniBatchSize: 4 });
    assert.deepEqual(withMatchingMiniBatch({ trainBatchSize: 4, miniBatchSize: 2 }), { trainBatchSize: 4, miniBatchSize: 2 });
    assert.deepEqual(withMatchingMiniBatch({ lr: 1 }), { lr: 1 });
    validateConfig({ ...PAPER_GRPO_CONFIG, ...withMatchingMiniBatch({ trainBatchSize: 4 }) });
  });
});
