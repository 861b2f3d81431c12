// The algorithm registry (src/algorithms/registry.ts) is where the config's enums and presets come
// from: every registered estimator / loss is a valid config value with its help, every algorithm's
// preset validates, and the trainer refuses what an estimator's needs rule out.
import assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { ALGORITHMS, ADVANTAGE_ESTIMATOR_REGISTRY, POLICY_LOSS_REGISTRY, estimatorOf, policyLossOf } from '../../src/algorithms/index.js';
import { manualSeed } from '../../src/engine/index.js';
import { CausalLM } from '../../src/model/transformer.js';
import { ADVANTAGE_ESTIMATORS, GRPO_FIELDS, grpoConfig, POLICY_LOSSES, PRESETS } from '../../src/rl/config.js';
import { GRPOTrainer } from '../../src/rl/trainer.js';
import { codec, toyExamples, toyModelConfig } from '../helpers/toy-task.js';

describe('algorithm registry', () => {
  test('the schema enums are the registered names, in registry order, each in the field help', () => {
    assert.deepEqual([...ADVANTAGE_ESTIMATORS], [...ADVANTAGE_ESTIMATOR_REGISTRY.keys()]);
    assert.deepEqual([...POLICY_LOSSES], [...POLICY_LOSS_REGISTRY.keys()]);
    for (const name of ['grpo', 'gae', 'rloo']) assert.ok((ADVANTAGE_ESTIMATORS as readonly string[]).includes(name), name);
    assert.deepEqual([...POLICY_LOSSES].slice(0, 2), ['vanilla', 'gspo']);
    for (const n of ADVANTAGE_ESTIMATORS) assert.ok(GRPO_FIELDS.advantageEstimator.description!.includes(`${n}: `), n);
    for (const n of POLICY_LOSSES) assert.ok(GRPO_FIELDS.policyLoss.description!.includes(`${n}: `), n);
  });

  test("every algorithm's preset is a preset, with its description, and validates", () => {
    for (const a of ALGORITHMS) {
      assert.equal(PRESETS[a.name]!.description, a.description);
      const c = grpoConfig({}, a.name);
      if (a.advantageEstimator && a.name !== 'grpo') assert.equal(c.advantageEstimator, a.advantageEstimator.name);
      if (a.policyLoss && a.name !== 'ppo') assert.equal(c.policyLoss, a.policyLoss.name);
    }
    for (const name of ['grpo', 'ppo', 'dapo', 'gspo', 'rloo']) assert.ok(PRESETS[name], name);
    // The ablation presets stay.
    for (const name of ['full', 'pg-only', 'dr-grpo', 'paper']) assert.ok(PRESETS[name], name);
  });

  test('declared needs: PPO has a critic; GSPO a sequence log-ratio; unknown names are refused', () => {
    assert.deepEqual(estimatorOf('gae').needs, { critic: true, globalStatistics: true });
    assert.deepEqual(estimatorOf('grpo').needs, { critic: false, globalStatistics: false });
    assert.equal(policyLossOf('gspo').needs.sequenceLogRatio, true);
    assert.equal(policyLossOf('vanilla').needs.sequenceLogRatio, false);
    assert.throws(() => estimatorOf('nope'), /unknown advantage estimator 'nope' \(registered: grpo, gae/);
    assert.throws(() => grpoConfig({ advantageEstimator: 'nope' as never }), /advantageEstimator/);
  });

  test('the trainer asks the estimator: a critic estimator without a critic is refused', () => {
    manualSeed(1);
    const policy = CausalLM.randomInit(toyModelConfig());
    const config = grpoConfig({ trainBatchSize: 2, groupSize: 2, maxResponseLength: 4, steps: 1, klRewardCoef: 0 }, 'ppo');
    assert.throws(
      () =>
        new GRPOTrainer({
          policy,
          reference: null,
          tokenizer: codec,
          examples: toyExamples(2),
          renderPrompt: (ex) => ex.messages[0]!.content,
          stopTokenIds: [31],
          rewards: async (xs) => xs.map(() => 0),
          config,
          runDir: path.join(os.tmpdir(), 'rlvr-registry-none'),
          log: () => {},
        }),
      /advantageEstimator 'gae' \(PPO\) needs a critic/,
    );
    policy.dispose();
  });
});
