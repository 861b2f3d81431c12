// Post-saturation generalisation as the demo measures it (src/demo/saturation.ts): the saturation
// step from training accuracy, and what the held-out curve did from the first evaluation on or
// after it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SATURATION, postSaturation, saturationStep } from '../../src/demo/saturation.js';

const train = (accs: number[]) => accs.map((trainAccuracy, i) => ({ step: i + 1, trainAccuracy }));
const curve = (pairs: [number, number][]) => pairs.map(([step, value]) => ({ step, value }));

describe('post-saturation measurement', () => {
  test('the first step at or above the threshold; null when never reached', () => {
    assert.equal(SATURATION, 0.95);
    assert.equal(saturationStep(train([0.2, 0.94, 0.95, 0.8, 1])), 3);
    assert.equal(saturationStep(train([0.2, 0.5])), null);
    assert.equal(
      postSaturation(
        train([0.2, 0.5]),
        curve([
          [0, 0.1],
          [2, 0.2],
        ]),
      ),
      null,
    );
  });

  test('counts rises and new highs after the first evaluation from saturation on', () => {
    // saturated at step 4; evaluations every 2 steps: step 4 is the reference (0.5)
    const p = postSaturation(
      train([0.3, 0.6, 0.9, 0.96, 1, 1, 1, 1, 1, 1]),
      curve([
        [0, 0.1],
        [2, 0.3],
        [4, 0.5],
        [6, 0.6],
        [8, 0.55],
        [10, 0.58],
      ]),
    )!;
    assert.equal(p.saturationStep, 4);
    assert.deepEqual(p.atSaturation, { step: 4, value: 0.5 });
    assert.deepEqual(p.end, { step: 10, value: 0.58 });
    assert.deepEqual(p.best, { step: 6, value: 0.6 });
    assert.equal(p.evaluationsAfter, 3);
    assert.equal(p.rises, 2, '0.5 → 0.6 and 0.55 → 0.58');
    assert.equal(p.newHighs, 1, 'only 0.6 beat everything since saturation');
    assert.equal(p.lastNewHighStep, 6);
    assert.equal(p.stepsAfter, 6);
    assert.equal(p.stepsWithFailures, 0, 'steps 5-10 all at 1');
  });

  test('saturation between evaluations takes the next one; a flat curve has no rise', () => {
    const p = postSaturation(
      train([0.5, 0.97, 1, 1, 1, 1]),
      curve([
        [0, 0.2],
        [3, 0.4],
        [6, 0.4],
      ]),
    )!;
    assert.equal(p.saturationStep, 2);
    assert.equal(p.atSaturation.step, 3);
    assert.equal(p.best, null);
    assert.equal(p.rises, 0);
    assert.equal(p.lastNewHighStep, null);
    assert.deepEqual([p.stepsAfter, p.stepsWithFailures], [4, 0]);
    assert.equal(
      postSaturation(
        train([0.96, 0.99, 1, 0.98]),
        curve([
          [0, 0.1],
          [1, 0.2],
        ]),
      )!.stepsWithFailures,
      2,
    );
    // saturated after the last evaluation: nothing to say
    assert.equal(
      postSaturation(
        train([0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.99]),
        curve([
          [0, 0.2],
          [3, 0.4],
          [6, 0.4],
        ]),
      ),
      null,
    );
  });
});
