// The GRPO loop end to end on a tiny random model: metrics, checkpoints, exact resume on CPU,
// and the divergence guard.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { isGradEnabled, liveTensors, manualSeed, tidy } from '../../src/engine/index.js';
import { deviceCaps } from '../../src/engine/device.js';
import { loadModel } from '../../src/model/checkpoint.js';
import { CausalLM } from '../../src/model/transformer.js';
import { PAPER_GRPO_CONFIG, type GRPOConfig } from '../../src/rl/config.js';
import type { RewardFunction } from '../../src/tasks/reward.js';
import { DivergenceError, GRPOTrainer, latestCheckpoint, type TrainerOptions } from '../../src/rl/trainer.js';
import { codec, toyExamples, toyModelConfig } from '../helpers/toy-task.js';

const tiny = toyModelConfig();
const examples = toyExamples();
const config: GRPOConfig = {
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
// Reward: the response contains the letter 'a' (something the policy can learn).
const rewards: RewardFunction = async (batch) => batch.map((it) => (it.completion.includes(it.example.groundTruth) ? 1 : 0));

function options(policy: CausalLM, reference: CausalLM, runDir: string, over: Partial<TrainerOptions> = {}): TrainerOptions {
  return {
    policy,
    reference,
    tokenizer: codec,
    examples,
    renderPrompt: (ex) => ex.messages[0]!.content,
    stopTokenIds: [31],
    rewards,
    config,
    runDir,
    log: () => {},
    ...over,
  };
}

function freshModels(): { policy: CausalLM; reference: CausalLM } {
  manualSeed(11);
  const policy = CausalLM.randomInit(tiny);
  manualSeed(11);
  const reference = CausalLM.randomInit(tiny);
  return { policy, reference };
}

function weights(m: CausalLM): number[] {
  return tidy(() => m.parameters().flatMap((p) => p.toNumbers()));
}

describe('GRPO trainer', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-trainer-'));

  test('a killed run resumed from its checkpoint ends bit-identical to the uninterrupted run', async () => {
    const before = liveTensors();
    // Uninterrupted: 4 steps.
    const a = freshModels();
    const full = new GRPOTrainer(options(a.policy, a.reference, path.join(tmp, 'full')));
    const fullMetrics = await full.train();
    const fullWeights = weights(a.policy);
    assert.equal(fullMetrics.length, 4);
    assert.ok(
      fullMetrics.some((m) => m.gradNorm > 0),
      'the policy was updated',
    );

    // Interrupted after step 2 ("killed"), then resumed in a new trainer from the checkpoint.
    const b = freshModels();
    const first = new GRPOTrainer(options(b.policy, b.reference, path.join(tmp, 'resumed'), { config: { ...config, steps: 2 } }));
    await first.train();
    b.policy.dispose();
    first.optimizer.dispose();
    const ckpt = latestCheckpoint(path.join(tmp, 'resumed'))!;
    assert.match(ckpt, /step-000002$/);
    const policy = loadModel(ckpt);
    const resumed = new GRPOTrainer(options(policy, b.reference, path.join(tmp, 'resumed')));
    resumed.loadCheckpointState(ckpt);
    assert.equal(resumed.step, 2);
    const rest = await resumed.train();
    assert.deepEqual(
      rest.map((m) => m.rewardMean),
      fullMetrics.slice(2).map((m) => m.rewardMean),
    );
    assert.deepEqual(
      rest.map((m) => m.gradNorm),
      fullMetrics.slice(2).map((m) => m.gradNorm),
    );
    assert.deepEqual(weights(policy), fullWeights);

    const lines = fs
      .readFileSync(path.join(tmp, 'full', 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(lines.length, 4);
    for (const key of [
      'rewardMean',
      'trainAccuracy',
      'entropy',
      'kl',
      'clipFrac',
      'gradNorm',
      'lr',
      'responseLengthMean',
      'responseLengthMax',
      'tokensPerSecond',
      'timeGeneration',
      'timeLogprobs',
      'timeUpdate',
    ]) {
      assert.ok(typeof lines[3][key] === 'number', `metrics have ${key}`);
    }
    // One host read per optimizer step (2 updates per rollout step here), old log-probs recomputed (the default).
    for (const m of fullMetrics) {
      assert.equal(m.updateHostReads, 2);
      assert.equal(m.oldLogprobsFrom, 'recomputed');
      assert.ok(m.paddingRatio >= 1);
    }
    const history = JSON.parse(fs.readFileSync(path.join(tmp, 'full', 'accuracy_history.json'), 'utf8')) as Record<string, number[]>;
    assert.deepEqual(Object.keys(history).sort(), ['0', '1', '2', '3']);

    for (const m of [a.policy, a.reference, policy, b.reference]) m.dispose();
    full.optimizer.dispose();
    resumed.optimizer.dispose();
    assert.equal(liveTensors(), before, 'no native tensor leaks across whole runs');
  });

  test('reusing the rollout log-probs trains as recomputing them does (fp32, CPU)', async () => {
    const runs = [];
    for (const reuse of [true, false]) {
      const m = freshModels();
      const t = new GRPOTrainer(
        options(m.policy, m.reference, path.join(tmp, `reuse-${reuse}`), {
          config: { ...config, steps: 2, reuseRolloutLogprobs: reuse, computeDtype: 'float32' },
        }),
      );
      const metrics = await t.train();
      runs.push({ metrics, weights: weights(m.policy) });
      m.policy.dispose();
      m.reference.dispose();
      t.optimizer.dispose();
    }
    const [reused, recomputed] = runs as [(typeof runs)[0], (typeof runs)[0]];
    assert.deepEqual(
      reused.metrics.map((m) => m.oldLogprobsFrom),
      ['rollout', 'rollout'],
    );
    assert.deepEqual(
      recomputed.metrics.map((m) => m.oldLogprobsFrom),
      ['recomputed', 'recomputed'],
    );
    // Same rollouts (same seeds), old log-probs equal up to kernel rounding: same updates.
    assert.deepEqual(
      reused.metrics.map((m) => m.rewardMean),
      recomputed.metrics.map((m) => m.rewardMean),
    );
    const maxDiff = reused.weights.reduce((mx, v, i) => Math.max(mx, Math.abs(v - recomputed.weights[i]!)), 0);
    assert.ok(maxDiff < 1e-5, `weights differ by ${maxDiff}`);
  });

  // One optimizer step per rollout step (trainBatchSize = miniBatchSize, ppoEpochs 1): exactly on-policy.
  const onPolicy: GRPOConfig = { ...config, miniBatchSize: 2, steps: 2, computeDtype: 'float32' };

  /** Trains `cfg`, counting the policy's no-grad full-sequence forwards (prepare's old log-probs; generation uses a KV cache). */
  async function trainCounting(
    cfg: GRPOConfig,
    dir: string,
  ): Promise<{ metrics: Awaited<ReturnType<GRPOTrainer['train']>>; weights: number[]; oldForwards: number }> {
    const m = freshModels();
    let oldForwards = 0;
    const hiddenStates = m.policy.hiddenStates.bind(m.policy);
    m.policy.hiddenStates = (ids, opts) => {
      if (!isGradEnabled() && opts?.cache === undefined) oldForwards++;
      return hiddenStates(ids, opts);
    };
    const t = new GRPOTrainer(options(m.policy, m.reference, path.join(tmp, dir), { config: cfg }));
    const metrics = await t.train();
    const w = weights(m.policy);
    m.policy.dispose();
    m.reference.dispose();
    t.optimizer.dispose();
    return { metrics, weights: w, oldForwards };
  }

  test('an exactly on-policy update uses its own log-probs detached and trains as with old log-probs from elsewhere (fp32, CPU)', async () => {
    const current = await trainCounting(onPolicy, 'onpolicy-current');
    // The rollout's own log-probs equal the recomputed ones up to kernel rounding (previous test).
    const rollout = await trainCounting({ ...onPolicy, reuseRolloutLogprobs: true }, 'onpolicy-rollout');
    assert.deepEqual(
      current.metrics.map((m) => m.oldLogprobsFrom),
      ['current', 'current'],
    );
    assert.deepEqual(
      rollout.metrics.map((m) => m.oldLogprobsFrom),
      ['rollout', 'rollout'],
    );
    assert.equal(current.oldForwards, 0, 'no old log-prob forward');
    assert.deepEqual(
      current.metrics.map((m) => m.rewardMean),
      rollout.metrics.map((m) => m.rewardMean),
    );
    assert.ok(current.metrics.some((m) => m.gradNorm > 0));
    for (const m of current.metrics) assert.equal(m.clipFrac, 0, 'ratio exactly 1');
    const maxDiff = current.weights.reduce((mx, v, i) => Math.max(mx, Math.abs(v - rollout.weights[i]!)), 0);
    assert.ok(maxDiff < 1e-5, `weights differ by ${maxDiff}`);
    // The weights moved: the comparison is not between two untouched models.
    const m0 = freshModels();
    const init = weights(m0.policy);
    m0.policy.dispose();
    m0.reference.dispose();
    assert.ok(current.weights.some((v, i) => Math.abs(v - init[i]!) > 1e-4));
  });

  test('old log-probs are recomputed when the update is not exactly on-policy', async () => {
    const cases: [string, GRPOConfig][] = [
      ['two epochs', { ...onPolicy, steps: 1, ppoEpochs: 2 }],
      ['two mini-batches', { ...onPolicy, steps: 1, miniBatchSize: 1 }],
      ['two updates per rollout', { ...onPolicy, steps: 1, updatesPerRollout: 2 }],
      ['KL in the reward', { ...onPolicy, steps: 1, klRewardCoef: 0.01 }],
    ];
    for (const [name, cfg] of cases) {
      const r = await trainCounting(cfg, `recompute-${name.replaceAll(' ', '-')}`);
      assert.deepEqual(
        r.metrics.map((m) => m.oldLogprobsFrom),
        ['recomputed'],
        name,
      );
      assert.ok(r.oldForwards > 0, `${name}: the old log-probs forward ran`);
    }
  });

  test('bf16 compute on CPU trains float32 master weights; bf16 master weights are refused', async () => {
    const m = freshModels();
    const before = weights(m.policy);
    const t = new GRPOTrainer(options(m.policy, m.reference, path.join(tmp, 'bf16'), { config: { ...config, steps: 1, computeDtype: 'bfloat16' } }));
    assert.equal(t.computeDtype, 'bfloat16');
    const [metrics] = await t.train();
    assert.ok(Number.isFinite(metrics!.gradNorm) && metrics!.gradNorm > 0);
    const after = weights(m.policy);
    assert.ok(after.filter((v, i) => v !== before[i]).length / after.length > 0.99);
    assert.ok(m.policy.parameters().every((p) => p.dtype === 'float32'));
    t.optimizer.dispose();
    const low = new CausalLM(tiny, new Map([...m.policy.params].map(([k, v]) => [k, tidy(() => v.to({ dtype: 'bfloat16' })).keep()])));
    assert.throws(
      () => new GRPOTrainer(options(low, m.reference, path.join(tmp, 'bf16-master'), { config: { ...config, computeDtype: 'bfloat16' } })),
      /float32 master weights/,
    );
    low.dispose();
    m.policy.dispose();
    m.reference.dispose();
  });

  test('the memory plan sets the micro-batch budget when auto, keeps a fixed one, and refuses a run that cannot fit', async () => {
    const m = freshModels();
    const fixed = new GRPOTrainer(options(m.policy, m.reference, path.join(tmp, 'plan-fixed')));
    assert.equal(fixed.plan.training.microBatchTokens, 24);
    fixed.optimizer.dispose();
    const auto = new GRPOTrainer(
      options(m.policy, m.reference, path.join(tmp, 'plan-auto'), {
        config: { ...config, steps: 1, microBatchTokens: 'auto', activationCheckpointing: 'auto' },
        // On CPU the plan reads available host memory: given here, so the test does not depend on the machine's load.
        deviceMemoryBytes: 16e9,
      }),
    );
    // The CPU cap (a 2-layer model fits anywhere), but never below one longest sequence in whole 1024-token steps.
    const longest = auto.plan.kv.promptTokens + config.maxResponseLength;
    const cap = Math.max(deviceCaps('cpu').maxMicroBatchTokens!, Math.ceil(longest / 1024) * 1024);
    assert.equal(auto.plan.training.microBatchTokens, cap);
    assert.equal(auto.plan.training.activationCheckpointing, false);
    await auto.train();
    const saved = JSON.parse(fs.readFileSync(path.join(tmp, 'plan-auto', 'plan.json'), 'utf8'));
    assert.equal(saved.training.microBatchTokens, cap);
    auto.optimizer.dispose();
    assert.throws(
      () => new GRPOTrainer(options(m.policy, m.reference, path.join(tmp, 'plan-tiny'), { deviceMemoryBytes: 1e6 })),
      /does not fit on cpu \(0\.00 GB\): update needs/,
    );
    m.policy.dispose();
    m.reference.dispose();
  });

  test('a non-finite loss stops the run and keeps the last good checkpoint intact', async () => {
    const m = freshModels();
    const dir = path.join(tmp, 'nan');
    let calls = 0;
    const poisoned: RewardFunction = async (items) => {
      calls++;
      return items.map((_, i) => (calls >= 3 && i === 0 ? Number.NaN : i % 2));
    };
    const trainer = new GRPOTrainer(options(m.policy, m.reference, dir, { rewards: poisoned }));
    await assert.rejects(trainer.train(), DivergenceError);
    const ckpt = latestCheckpoint(dir)!;
    assert.match(ckpt, /step-000002$/);
    const reloaded = loadModel(ckpt);
    assert.ok(weights(reloaded).every(Number.isFinite));
    assert.equal(fs.readdirSync(path.join(dir, 'checkpoints')).filter((f) => f.endsWith('.tmp')).length, 0);
    reloaded.dispose();
    m.policy.dispose();
    m.reference.dispose();
    trainer.optimizer.dispose();
  });

  test('rollouts.jsonl holds a sample of every step; stop requests end the run with a checkpoint', async () => {
    const m = freshModels();
    const dir = path.join(tmp, 'stop');
    const lines: string[] = [];
    // A reward that is always 0: every group has zero variance, the trainer must warn.
    const trainer = new GRPOTrainer(
      options(m.policy, m.reference, dir, {
        rewards: async (items) => items.map(() => 0),
        log: (l) => lines.push(l),
        config: { ...config, steps: 10, saveEvery: 0, rolloutSamples: 3 },
        onStep: (s) => {
          if (s.step === 2) trainer.requestStop('finish');
        },
      }),
    );
    await trainer.train();
    assert.equal(trainer.step, 2);
    assert.equal(trainer.stopped, 'finish');
    assert.match(latestCheckpoint(dir)!, /step-000002$/);
    assert.ok(lines.some((l) => /WARNING: step 1: 100% of groups have zero reward variance/.test(l)));
    const rolls = fs
      .readFileSync(path.join(dir, 'rollouts.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(rolls.length, 6);
    assert.deepEqual(
      rolls.map((r) => r.step),
      [1, 1, 1, 2, 2, 2],
    );
    for (const r of rolls) {
      assert.deepEqual(Object.keys(r).sort(), ['extracted', 'length', 'promptId', 'reward', 'sample', 'step', 'text', 'truncated', 'verified']);
      assert.ok(r.length >= 1 && r.length <= config.maxResponseLength);
      if (r.truncated) assert.equal(r.length, config.maxResponseLength);
      assert.equal(r.reward, 0);
    }

    // 'abandon' during a step: the step leaves no trace (no metrics line, no history), the checkpoint is the previous step's.
    const abandon = new GRPOTrainer(
      options(m.policy, m.reference, path.join(tmp, 'abandon'), {
        config: { ...config, steps: 10, saveEvery: 0 },
        rewards: async (items) => {
          if (abandon.step === 1) abandon.requestStop('abandon');
          return items.map(() => 1);
        },
      }),
    );
    await abandon.train();
    assert.equal(abandon.step, 1);
    assert.equal(abandon.stopped, 'abandon');
    assert.match(latestCheckpoint(path.join(tmp, 'abandon'))!, /step-000001$/);
    assert.equal(
      fs
        .readFileSync(path.join(tmp, 'abandon', 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n').length,
      1,
    );
    m.policy.dispose();
    m.reference.dispose();
    trainer.optimizer.dispose();
    abandon.optimizer.dispose();
  });
});
