// GRPOTrainer.fromPretrained validates a partial config with the run schema of `rlvr train`:
// paper defaults fill the rest, bad values fail in one line before any model is loaded.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PAPER_GRPO_CONFIG } from '../../src/rl/config.js';
import { validateRunOptions } from '../../src/rl/pretrained.js';
import { GRPOTrainer } from '../../src/rl/trainer.js';

test('a partial config gets the paper defaults; in-code examples are accepted', () => {
  const { grpo, run } = validateRunOptions('/models/m', { data: [], grpo: { steps: 3, lr: 1e-5 }, preset: 'pg-only' });
  assert.equal(grpo.steps, 3);
  assert.equal(grpo.lr, 1e-5);
  assert.equal(grpo.groupSize, PAPER_GRPO_CONFIG.groupSize);
  assert.equal(grpo.klCoef, 0, 'the preset applies');
  assert.equal(run.model, '/models/m');
});

test('bad values and unknown keys: one line naming the field, before anything is loaded', async () => {
  await assert.rejects(GRPOTrainer.fromPretrained('/nonexistent', { data: 'x.jsonl', grpo: { lr: -1 } }), /grpo\.lr.*> 0|lr: must be > 0/);
  await assert.rejects(GRPOTrainer.fromPretrained('/nonexistent', { data: 'x.jsonl', grpo: { stesp: 3 } as never }), /did you mean 'steps'/);
  await assert.rejects(GRPOTrainer.fromPretrained('/nonexistent', { data: 'x.jsonl', preset: 'nope' }), /preset/);
});
