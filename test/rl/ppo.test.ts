// PPO with a critic end to end on a tiny random model: the critic learns, is checkpointed, and a
// killed run resumed from its checkpoint ends bit-identical (policy AND critic); the other presets
// (DAPO with dynamic sampling, GSPO, RLOO) update the policy and leak nothing; DAPO trains only on
// informative groups and makes no update when there are none.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { liveTensors, manualSeed, tidy } from '../../src/engine/index.js';
import { loadModel, saveModel } from '../../src/model/checkpoint.js';
import { CausalLM } from '../../src/model/transformer.js';
import { LOSS_PRESETS, PAPER_GRPO_CONFIG, needsReference, type GRPOConfig } from '../../src/rl/config.js';
import { ValueModel } from '../../src/rl/critic.js';
import { estimatorOf } from '../../src/algorithms/registry.js';
import type { RewardInput } from '../../src/tasks/reward.js';
import { GRPOTrainer, latestCheckpoint, type TrainerOptions } from '../../src/rl/trainer.js';
import { codec, toyExamples, toyModelConfig } from '../helpers/toy-task.js';

const tiny = toyModelConfig(false);
const examples = toyExamples();
const base: GRPOConfig = {
  ...PAPER_GRPO_CONFIG,
  trainBatchSize: 2,
  miniBatchSize: 1,
  groupSize: 4,
  maxResponseLength: 6,
  lr: 1e-2,
  steps: 4,
  saveEvery: 2,
  validateEvery: 0,
  microBatchTokens: 24,
  seed: 3,
};
const rewards = async (items: RewardInput[]) => items.map((it) => (it.completion.includes(it.example.groundTruth) ? 1 : 0));

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-ppo-'));
const modelDir = path.join(tmp, 'init');
manualSeed(5);
{
  const m = CausalLM.randomInit(tiny);
  saveModel(m, modelDir);
  m.dispose();
}

function weights(ps: { parameters(): import('../../src/engine/index.js').Tensor[] }): number[] {
  return tidy(() => ps.parameters().flatMap((p) => p.toNumbers()));
}

function setup(config: GRPOConfig, runDir: string, from = modelDir, reward: TrainerOptions['rewards'] = rewards) {
  const policy = loadModel(from);
  const reference = needsReference(config) ? loadModel(modelDir) : null;
  const critic = estimatorOf(config.advantageEstimator).needs.critic ? ValueModel.fromPolicy(modelDir, { seed: config.seed }) : null;
  const opts: TrainerOptions = {
    policy,
    reference,
    critic,
    tokenizer: codec,
    examples,
    renderPrompt: (ex) => ex.messages[0]!.content,
    stopTokenIds: [31],
    rewards: reward,
    config,
    runDir,
    log: () => {},
  };
  const trainer = new GRPOTrainer(opts);
  const dispose = () => {
    policy.dispose();
    reference?.dispose();
    critic?.dispose();
    trainer.disposeOptimizers();
  };
  return { policy, critic, trainer, dispose };
}

describe('PPO with a critic', () => {
  test('critic is checkpointed; a killed PPO run resumed from its checkpoint ends bit-identical', async () => {
    const before = liveTensors();
    const config: GRPOConfig = { ...base, ...LOSS_PRESETS.ppo, criticLr: 1e-2, criticWarmup: 1 };
    const full = setup(config, path.join(tmp, 'full'));
    const initialPolicy = weights(full.policy);
    const fullMetrics = await full.trainer.train();
    assert.equal(fullMetrics.length, 4);
    assert.ok(
      fullMetrics.every((m) => typeof m.valueLoss === 'number' && m.criticGradNorm! > 0),
      'the critic is updated every step',
    );
    assert.ok(
      fullMetrics.every((m) => typeof m.klReward === 'number'),
      'KL in the reward is reported',
    );
    assert.equal(fullMetrics[0]!.gradNorm, 0, 'critic warm-up: no actor update on step 1');
    assert.ok(
      fullMetrics.slice(1).some((m) => m.gradNorm > 0),
      'the actor is updated after the warm-up',
    );
    assert.notDeepEqual(weights(full.policy), initialPolicy);
    const fullPolicy = weights(full.policy);
    const fullCritic = weights(full.critic!);
    const ckpt2 = path.join(tmp, 'full', 'checkpoints', 'step-000002');
    assert.ok(fs.existsSync(path.join(ckpt2, 'critic.safetensors')) && fs.existsSync(path.join(ckpt2, 'critic_optimizer.safetensors')));
    full.dispose();

    const first = setup({ ...config, steps: 2 }, path.join(tmp, 'resumed'));
    await first.trainer.train();
    first.dispose();
    const ckpt = latestCheckpoint(path.join(tmp, 'resumed'))!;
    const resumed = setup(config, path.join(tmp, 'resumed'), ckpt);
    resumed.trainer.loadCheckpointState(ckpt);
    assert.equal(resumed.trainer.step, 2);
    const rest = await resumed.trainer.train();
    assert.deepEqual(
      rest.map((m) => [m.rewardMean, m.gradNorm, m.valueLoss]),
      fullMetrics.slice(2).map((m) => [m.rewardMean, m.gradNorm, m.valueLoss]),
    );
    assert.deepEqual(weights(resumed.policy), fullPolicy);
    assert.deepEqual(weights(resumed.critic!), fullCritic);
    resumed.dispose();
    assert.equal(liveTensors(), before, 'no native tensor leaks');
  });
});

describe('other presets on the trainer', () => {
  for (const name of ['gspo', 'rloo']) {
    test(`${name}: runs, updates, leaks nothing`, async () => {
      const before = liveTensors();
      const config: GRPOConfig = { ...base, ...LOSS_PRESETS[name], steps: 2, saveEvery: 0, maxGenerationBatches: 3 };
      const r = setup(config, path.join(tmp, name));
      const m = await r.trainer.train();
      assert.equal(m.length, 2);
      assert.ok(m.some((x) => x.gradNorm > 0));
      r.dispose();
      assert.equal(liveTensors(), before);
    });
  }

  test('dapo: dynamic sampling trains on informative groups and updates the policy; with none it makes no update; leaks nothing', async () => {
    const before = liveTensors();
    // Responses of up to 40 tokens: most end with the stop token (1/32 per token), so DAPO's overlong
    // filter leaves tokens to train on. Settings stated explicitly, not taken from defaults.
    const config: GRPOConfig = {
      ...base,
      ...LOSS_PRESETS.dapo,
      steps: 2,
      saveEvery: 0,
      maxGenerationBatches: 3,
      maxResponseLength: 40,
      microBatchTokens: 256,
      dynamicSampling: true,
      overlongFilter: true,
      clipRatio: 0.2,
      clipRatioHigh: 0.28,
      klCoef: 0,
      entropyCoef: 0,
      ppoEpochs: 1,
      lr: 1e-2,
    };
    const r = setup(config, path.join(tmp, 'dapo'));
    const initial = weights(r.policy);
    const m = await r.trainer.train();
    assert.equal(m.length, 2);
    for (const x of m) {
      assert.ok(x.generationBatches! >= 1 && x.generationBatches! <= 3, `generationBatches ${x.generationBatches}`);
      assert.ok(x.trainedGroups! >= 1 && x.trainedGroups! <= 2, `trainedGroups ${x.trainedGroups}`);
    }
    assert.ok(
      m.every((x) => x.gradNorm > 0),
      `every step updates: gradNorm ${m.map((x) => x.gradNorm)}`,
    );
    assert.notDeepEqual(weights(r.policy), initial);
    r.dispose();

    // Every rollout of every prompt earns the same reward (and no soft overlong penalty, which would
    // tell long responses apart): no group is informative, every batch is drawn
    // (maxGenerationBatches), nothing is trained on, and the weights do not move.
    const flat = setup({ ...config, overlong: 'off' }, path.join(tmp, 'dapo-flat'), modelDir, async (items: RewardInput[]) => items.map(() => 1));
    const w0 = weights(flat.policy);
    const mf = await flat.trainer.train();
    assert.deepEqual(
      mf.map((x) => [x.trainedGroups, x.generationBatches, x.gradNorm]),
      [
        [0, 3, 0],
        [0, 3, 0],
      ],
    );
    assert.deepEqual(weights(flat.policy), w0);
    flat.dispose();
    assert.equal(liveTensors(), before);
  });
});
