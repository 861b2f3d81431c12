// GRPOTrainer.fromPretrained validates a partial config with the run schema of `rlvr train`:
// paper defaults fill the rest, bad values fail in one line before any model is loaded.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PAPER_GRPO_CONFIG } from '../../src/rl/config.js';
import { validateRunOptions } from '../../src/run/run-settings.js';
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

test('the library builds the trainer as `rlvr train` does (one builder): EOS + run.stop stop rollouts; a bad stop token is the same one line', async () => {
  const fs = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const { buildTinyQwenModel } = await import('../helpers/tiny-model.js');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-pretrained-'));
  try {
    const model = path.join(tmp, 'model');
    buildTinyQwenModel(model, 3);
    const data = path.join(tmp, 'train.jsonl');
    fs.writeFileSync(data, JSON.stringify({ problem: 'What is 1+1?', answer: '2' }) + '\n');
    // Before, the library ignored `stop` (and added eval stops of its own); the CLI refused a bad one.
    await assert.rejects(
      GRPOTrainer.fromPretrained(model, { data, out: path.join(tmp, 'bad'), stop: ['not one token'] }),
      /--stop: 'not one token' is not a token/,
    );
    const trainer = await GRPOTrainer.fromPretrained(model, { data, out: path.join(tmp, 'run'), stop: ['<|im_end|>'], grpo: { steps: 1 } });
    try {
      const o = (trainer as unknown as { o: { stopTokenIds: number[] } }).o;
      assert.deepEqual(
        [...o.stopTokenIds].sort((a, b) => a - b),
        [151643, 151645],
        "the model's EOS id and <|im_end|>",
      );
      const rc = JSON.parse(fs.readFileSync(path.join(tmp, 'run', 'run_config.json'), 'utf8'));
      assert.deepEqual(rc.stop, ['<|im_end|>']);
      assert.equal(rc.grpo.steps, 1);
    } finally {
      await trainer.close();
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('the library trainer: its checkpoints are complete HF folders; one writer per run folder, released by close()', async () => {
  const fs = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const { buildTinyQwenModel } = await import('../helpers/tiny-model.js');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-pretrained-ck-'));
  try {
    const model = path.join(tmp, 'model');
    buildTinyQwenModel(model, 3);
    const data = path.join(tmp, 'train.jsonl');
    fs.writeFileSync(
      data,
      [
        { problem: 'What is 1+1?', answer: '2' },
        { problem: 'What is 2+3?', answer: '5' },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n') + '\n',
    );
    const out = path.join(tmp, 'run');
    const grpo = { steps: 1, trainBatchSize: 2, miniBatchSize: 1, groupSize: 2, maxResponseLength: 3, validateEvery: 0 };
    const trainer = await GRPOTrainer.fromPretrained(model, { data, out, threads: 1, grpo, log: () => {} });
    try {
      assert.ok(fs.existsSync(path.join(out, '.lock')), 'locked while open');
      await assert.rejects(GRPOTrainer.fromPretrained(model, { data, out, threads: 1, grpo }), /run folder .*run is already in use by this process/);
      await trainer.train();
    } finally {
      await trainer.close();
    }
    assert.ok(!fs.existsSync(path.join(out, '.lock')), 'released by close()');
    const ck = path.join(out, 'checkpoints', 'step-000001');
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']) assert.ok(fs.existsSync(path.join(ck, f)), f);
    // ...and the run resumes from it (the same process, after close).
    const resumed = await GRPOTrainer.resume(out, { grpo: { steps: 2 }, log: () => {} });
    try {
      assert.equal(resumed.step, 1);
      // The change is recorded as `rlvr train --resume --set steps=2` records it (one resume merge).
      const rc = JSON.parse(fs.readFileSync(path.join(out, 'run_config.json'), 'utf8'));
      assert.equal(rc.resumes.length, 1);
      assert.equal(rc.resumes[0].step, 1);
      assert.deepEqual(rc.resumes[0].changed, { 'grpo.steps': [1, 2] });
      assert.equal(rc.grpo.steps, 2);
      assert.equal(rc.task, 'math');
    } finally {
      await resumed.close();
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
