// Presets act as their references (issue 23): DAPO and GSPO make their references' number of
// updates per rollout batch, so their clip acts (clip fraction > 0; one update at ratio 1 never
// clips); old log-probs are recomputed by default; --preset paper keeps every checkpoint of its
// 20-step schedule; DAPO's dynamic sampling filters groups on accuracy (not the overlong-shaped
// reward) and draws NEW prompts from the data for its extra batches.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { manualSeed } from '../../src/engine/index.js';
import { CausalLM } from '../../src/model/transformer.js';
import { grpoConfig, miniBatchOf, parseGRPOConfig, PAPER_GRPO_CONFIG, PRESETS, type GRPOConfig } from '../../src/rl/config.js';
import { extraBatchIndices } from '../../src/rl/dynamic-sampling.js';
import type { RewardInput } from '../../src/tasks/reward.js';
import { GRPOTrainer, type TrainerOptions } from '../../src/rl/trainer.js';
import { codec, toyExamples, toyModelConfig } from '../helpers/toy-task.js';

const tiny = toyModelConfig();
const examples = toyExamples(8);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-presets-'));

function trainer(preset: string, over: Partial<GRPOConfig>, rewards: (items: RewardInput[]) => Promise<number[]>, name: string): GRPOTrainer {
  manualSeed(11);
  const policy = CausalLM.randomInit(tiny);
  const config = grpoConfig(
    { trainBatchSize: 4, groupSize: 4, maxResponseLength: 6, lr: 1e-2, steps: 1, saveEvery: 0, validateEvery: 0, microBatchTokens: 64, seed: 3, ...over },
    preset,
  );
  const o: TrainerOptions = {
    policy,
    reference: null as never,
    tokenizer: codec,
    examples,
    renderPrompt: (ex) => ex.messages[0]!.content,
    stopTokenIds: [31],
    rewards,
    config,
    runDir: path.join(tmp, name),
    log: () => {},
  };
  return new GRPOTrainer(o);
}
const containsA = async (items: RewardInput[]) => items.map((it) => (it.completion.includes('a') ? 1 : 0));

describe('presets act as their references', () => {
  test('values: updates per rollout batch with sources, old log-probs recomputed, paper keeps every checkpoint', () => {
    assert.equal(PAPER_GRPO_CONFIG.reuseRolloutLogprobs, false);
    const dapo = grpoConfig({}, 'dapo');
    assert.equal(dapo.updatesPerRollout, 16);
    assert.equal(miniBatchOf(dapo), 128 / 16);
    assert.equal(dapo.overlongFilter, false, 'the DAPO recipe sets the soft overlong punishment, not overlong filtering');
    assert.equal(dapo.overlong, 'soft');
    const gspo = grpoConfig({}, 'gspo');
    assert.equal(gspo.updatesPerRollout, 8);
    assert.equal(miniBatchOf(gspo), 16);
    assert.match(PRESETS.dapo!.description, /16 updates per rollout batch/);
    assert.match(PRESETS.gspo!.description, /8 updates per rollout batch/);
    const paper = grpoConfig({}, 'paper');
    assert.equal(paper.saveEvery, 20);
    assert.equal(paper.keepLast, 0);
    assert.equal(paper.reuseRolloutLogprobs, false);
    assert.equal(miniBatchOf(PAPER_GRPO_CONFIG), 128, 'the paper: one update');
    // A small batch: at most one group per update; a count that does not divide the batch is refused.
    assert.equal(miniBatchOf(grpoConfig({ trainBatchSize: 4 }, 'dapo')), 1);
    assert.throws(() => parseGRPOConfig({ trainBatchSize: 24, miniBatchSize: 24, updatesPerRollout: 16 }), /updatesPerRollout: must divide trainBatchSize 24/);
  });

  for (const preset of ['dapo', 'gspo'] as const) {
    test(`${preset}: several updates per rollout batch clip (clip fraction > 0); one update never does`, async () => {
      const several = await trainer(preset, {}, containsA, `${preset}-several`).train();
      const one = await trainer(preset, { updatesPerRollout: null, miniBatchSize: 4 }, containsA, `${preset}-one`).train();
      assert.ok(several[0]!.clipFrac > 0, `${preset} clip fraction ${several[0]!.clipFrac}`);
      assert.equal(one[0]!.clipFrac, 0, 'one update at ratio 1 (old log-probs recomputed by the same forward)');
    });
  }

  test('dynamic sampling filters on accuracy: groups equal in accuracy are dropped although overlong shaping makes their rewards differ', async () => {
    const seen: number[] = [];
    // Accuracy 0 everywhere; the soft overlong penalty (buffer 5 of 6 tokens) gives rollouts of different lengths different rewards.
    const zero = async (items: RewardInput[]) => {
      for (const it of items) seen.push(it.example.index);
      return items.map(() => 0);
    };
    const t = trainer('dapo', { maxGenerationBatches: 3, overlongBuffer: 5 }, zero, 'dapo-acc');
    const [m] = await t.train();
    assert.equal(m!.trainedGroups, 0);
    assert.equal(m!.generationBatches, 3);
    // The extra batches drew NEW prompts from the data, not this step's 4 again.
    const first = new Set(t.batchFor(0).examples.map((e) => e.index));
    assert.ok(
      [...new Set(seen)].some((i) => !first.has(i)),
      `prompts seen: ${[...new Set(seen)].join(',')}, the step's: ${[...first].join(',')}`,
    );
  });

  test('extra batches: a seeded shuffle of the whole data, rank slices disjoint, one-example data repeats its example', () => {
    assert.deepEqual(extraBatchIndices(1, 5, 123), [0, 0, 0, 0, 0]);
    const a = extraBatchIndices(50, 4, 7, 0);
    assert.deepEqual(a, extraBatchIndices(50, 4, 7, 0));
    assert.notDeepEqual(a, extraBatchIndices(50, 4, 8, 0));
    const b = extraBatchIndices(50, 4, 7, 4);
    assert.equal(new Set([...a, ...b]).size, 8);
  });
});
