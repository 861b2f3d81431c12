// The trainer's task option (src/tasks/task.ts, the slice the trainer needs): rollouts.jsonl's
// `extracted` comes from task.extract (null without a task), and a task whose rewards are not 0/1
// accuracies counts a rollout as solved when its reward is positive (train accuracy and history);
// with 0/1 rewards, or no task, the history is the reward's mean, as always.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { manualSeed } from '../../src/engine/index.js';
import { CausalLM } from '../../src/model/transformer.js';
import { grpoConfig } from '../../src/rl/config.js';
import type { RewardInput } from '../../src/tasks/reward.js';
import { GRPOTrainer, type TrainerTask } from '../../src/rl/trainer.js';
import { codec, toyExamples, toyModelConfig } from '../helpers/toy-task.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-task-'));
// Graded: 0.5 for an 'a', 0 otherwise.
const graded = async (items: RewardInput[]) => items.map((it) => (it.completion.includes('a') ? 0.5 : 0));

async function run(name: string, task: TrainerTask | undefined) {
  manualSeed(11);
  const policy = CausalLM.randomInit(toyModelConfig());
  const config = grpoConfig({
    trainBatchSize: 4,
    groupSize: 4,
    maxResponseLength: 6,
    lr: 1e-2,
    steps: 1,
    saveEvery: 0,
    validateEvery: 0,
    microBatchTokens: 64,
    seed: 3,
    klCoef: 0,
    rolloutSamples: 16,
  });
  const runDir = path.join(tmp, name);
  const t = new GRPOTrainer({
    policy,
    reference: null,
    tokenizer: codec,
    examples: toyExamples(4),
    renderPrompt: (ex) => ex.messages[0]!.content,
    stopTokenIds: [31],
    rewards: graded,
    config,
    runDir,
    log: () => {},
    task,
  });
  const [m] = await t.train();
  t.disposeOptimizers();
  policy.dispose();
  const rollouts = fs
    .readFileSync(path.join(runDir, 'rollouts.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { text: string; extracted: string | null; verified: number; promptId: number });
  const history = JSON.parse(fs.readFileSync(path.join(runDir, 'accuracy_history.json'), 'utf8')) as Record<string, number[]>;
  return { m: m!, rollouts, history };
}

describe('trainer task option', () => {
  test('extracted comes from the task; graded rewards count as solved when positive; no task keeps the reward mean', async () => {
    const task: TrainerTask = { name: 'first-two', extract: (text) => (text.length ? text.slice(0, 2) : null), binaryReward: false };
    const withTask = await run('graded', task);
    const without = await run('none', undefined);
    assert.equal(withTask.rollouts.length, 16);
    for (const r of withTask.rollouts) assert.equal(r.extracted, r.text.length ? r.text.slice(0, 2) : null);
    for (const r of without.rollouts) assert.equal(r.extracted, null);
    // Same rollouts either way (same seeds); some are rewarded, so the two history rules differ.
    assert.deepEqual(
      withTask.rollouts.map((r) => r.verified),
      without.rollouts.map((r) => r.verified),
    );
    assert.ok(
      withTask.rollouts.some((r) => r.verified > 0),
      'some rollout has an a',
    );
    const share = (id: number) => {
      const rs = withTask.rollouts.filter((r) => r.promptId === id);
      return rs.filter((r) => r.verified > 0).length / rs.length;
    };
    const meanReward = (id: number) => {
      const rs = without.rollouts.filter((r) => r.promptId === id);
      return rs.reduce((s, r) => s + r.verified, 0) / rs.length;
    };
    for (const id of Object.keys(withTask.history).map(Number)) {
      assert.equal(withTask.history[id]![0], share(id));
      assert.equal(without.history[id]![0], meanReward(id));
    }
    assert.equal(withTask.m.trainAccuracy, without.m.trainAccuracy, 'train accuracy: share of positive rewards either way');
  });
});
