// REINFORCE++ (src/algorithms/reinforce-plus-plus.ts) against verl's formula re-run in PyTorch
// (test/py/reinforce_pp_ref.py: apply_kl_penalty, compute_reinforce_plus_plus_outcome_advantage,
// masked_whiten in the padded [B, T] + mask form), float64, ≤ 1e-9; and one trainer step of its preset.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { estimatorOf } from '../../src/algorithms/registry.js';
import { Rng } from '../../src/data/rng.js';
import { manualSeed } from '../../src/engine/index.js';
import { CausalLM } from '../../src/model/transformer.js';
import { computeAdvantages } from '../../src/rl/algorithm.js';
import { ADVANTAGE_ESTIMATORS, grpoConfig, PRESETS } from '../../src/rl/config.js';
import type { RewardInput } from '../../src/tasks/reward.js';
import { GRPOTrainer } from '../../src/rl/trainer.js';
import { repoRoot } from '../helpers/paths.js';
import { hasPythonModule, runPython } from '../helpers/python.js';
import { codec, toyExamples, toyModelConfig } from '../helpers/toy-task.js';

const torchMissing = !hasPythonModule('torch') && 'python torch is not installed';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-rpp-'));

function reference(spec: object): { advantages: number[]; returns: number[] } {
  const file = path.join(tmp, `in-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(file, JSON.stringify(spec));
  return JSON.parse(runPython(path.join(repoRoot, 'test/py/reinforce_pp_ref.py'), [file]));
}

describe('REINFORCE++', () => {
  test('registered: an estimator name, a preset, no critic, a global statistic', () => {
    assert.ok((ADVANTAGE_ESTIMATORS as readonly string[]).includes('reinforce_plus_plus'));
    assert.equal(grpoConfig({}, 'reinforce++').advantageEstimator, 'reinforce_plus_plus');
    assert.match(PRESETS['reinforce++']!.description, /REINFORCE\+\+/);
    const e = estimatorOf('reinforce_plus_plus');
    assert.deepEqual(e.needs, { critic: false, globalStatistics: true });
  });

  for (const [gamma, beta, seed] of [
    [1.0, 0.001, 1],
    [0.9, 0.05, 2],
    [0.5, 0, 3],
  ] as const) {
    test(`advantages equal verl's (γ ${gamma}, KL-in-reward β ${beta})`, { skip: torchMissing }, () => {
      const B = 7,
        T = 9;
      const rng = new Rng(seed);
      const lengths = Array.from({ length: B }, (_, i) => (i === 0 ? 1 : 1 + rng.int(T)));
      const scores = Array.from({ length: B }, () => (rng.float() < 0.5 ? 1 : 0) - 0.1 * rng.float());
      const old = lengths.map((n) => Array.from({ length: n }, () => -3 * rng.float()));
      const ref = lengths.map((n) => Array.from({ length: n }, () => -3 * rng.float()));
      const pad = (rows: number[][]) => rows.flatMap((r) => [...r, ...new Array<number>(T - r.length).fill(0)]);
      const mask = lengths.flatMap((n) => Array.from({ length: T }, (_, t) => (t < n ? 1 : 0)));
      const cfg = grpoConfig({ gamma, klRewardCoef: beta }, 'reinforce++');
      const groups = lengths.map((_, i) => i % 3);
      const { advantages, returns } = computeAdvantages(cfg, { scores, groups, oldLogp: old, refLogp: ref, values: null });
      assert.equal(returns, null);
      const want = reference({ B, T, mask, scores, old: pad(old), ref: pad(ref), beta, gamma });
      const got = pad(advantages.map((a, i) => (typeof a === 'number' ? new Array<number>(lengths[i]!).fill(a) : a)));
      assert.equal(got.length, want.advantages.length);
      got.forEach((x, k) => assert.ok(Math.abs(x - want.advantages[k]!) <= 1e-9, `token ${k}: ${x} vs verl ${want.advantages[k]}`));
      // Not a group estimator: rollouts of one group with equal rewards still get different advantages by length.
      assert.ok(new Set(got.filter((_, k) => mask[k] === 1).map((x) => x.toFixed(6))).size > 2);
    });
  }

  test('its preset trains one step (KL in the reward, reference model, no critic)', async () => {
    manualSeed(11);
    const policy = CausalLM.randomInit(toyModelConfig());
    manualSeed(11);
    const reference = CausalLM.randomInit(toyModelConfig());
    const config = grpoConfig(
      { trainBatchSize: 4, groupSize: 4, maxResponseLength: 6, lr: 1e-2, steps: 1, saveEvery: 0, validateEvery: 0, microBatchTokens: 64, seed: 3 },
      'reinforce++',
    );
    const rewards = async (items: RewardInput[]) => items.map((it) => (it.completion.includes('a') ? 1 : 0));
    const t = new GRPOTrainer({
      policy,
      reference,
      tokenizer: codec,
      examples: toyExamples(8),
      renderPrompt: (ex) => ex.messages[0]!.content,
      stopTokenIds: [31],
      rewards,
      config,
      runDir: path.join(tmp, 'run'),
      log: () => {},
    });
    const [m] = await t.train();
    assert.ok(m && Number.isFinite(m.gradNorm) && m.gradNorm > 0, `grad norm ${m?.gradNorm}`);
    assert.equal(typeof m.klReward, 'number');
    t.disposeOptimizers();
    policy.dispose();
    reference.dispose();
  });
});
