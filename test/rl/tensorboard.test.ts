// `rlvr train --log tensorboard`: the event files are read back with TensorBoard's own reader
// (EventAccumulator, test/py/tensorboard_read.py): every metrics.jsonl number per step as a
// scalar, the sampled rollouts as text; after a resume that reruns a step, each step once.
// CRC32C against its published check value (RFC 3720 B.4: "123456789" → 0xe3069283).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { crc32c, metricScalars } from '../../src/rl/tensorboard.js';
import { buildTinyQwenModel } from '../helpers/tiny-model.js';
import { repoRoot } from '../helpers/paths.js';
import { runPython } from '../helpers/python.js';

const cli = path.join(repoRoot, 'dist/src/cli/main.js');

test('CRC32C check value', () => {
  assert.equal(crc32c(new TextEncoder().encode('123456789')), 0xe3069283);
});

test('--log tensorboard: scalars and rollouts as TensorBoard reads them, one per step after a resume', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-tb-'));
  const model = path.join(tmp, 'model');
  buildTinyQwenModel(model, 7);
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
  const rlvr = (args: string[]) => spawnSync(process.execPath, [cli, 'train', ...args], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
  const first = rlvr([
    '--model',
    model,
    '--data',
    data,
    '--out',
    out,
    '--threads',
    '1',
    '--steps',
    '3',
    '--log',
    'tensorboard',
    '--set',
    'trainBatchSize=2,miniBatchSize=1,groupSize=2,maxResponseLength=3,validateEvery=0,saveEvery=1,rolloutSamples=2',
  ]);
  assert.equal(first.status, 0, first.stderr);
  // The newest checkpoint damaged: the resume reruns step 3 (TensorBoard must not show it twice).
  fs.truncateSync(path.join(out, 'checkpoints/step-000003/model.safetensors'), 1000);
  const resumed = rlvr(['--out', out, '--resume', '--steps', '4']);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.match(resumed.stderr, /resuming at step 2/);

  const tb = JSON.parse(runPython(path.join(repoRoot, 'test/py/tensorboard_read.py'), [path.join(out, 'tensorboard')])) as {
    scalars: Record<string, [number, number][]>;
    text: Record<string, [number, string, string][]>;
  };
  const metrics = fs
    .readFileSync(path.join(out, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(
    metrics.map((m) => m.step),
    [1, 2, 3, 4],
  );
  // Every number of metrics.jsonl, per step, as float32.
  const expected = new Map<string, [number, number][]>();
  for (const m of metrics) {
    for (const [tag, v] of Object.entries(metricScalars(m)))
      if (Number.isFinite(v)) expected.set(tag, [...(expected.get(tag) ?? []), [m.step as number, Math.fround(v)]]);
  }
  assert.ok(expected.has('train/rewardMean') && expected.has('train/entropy') && expected.has('train/timeGeneration'));
  assert.deepEqual(Object.keys(tb.scalars).sort(), [...expected.keys()].sort());
  for (const [tag, points] of expected) assert.deepEqual(tb.scalars[tag], points, tag);
  // The sampled rollouts: one text per step, holding each rollouts.jsonl response of that step.
  const rollouts = fs
    .readFileSync(path.join(out, 'rollouts.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { step: number; text: string; promptId: number; sample: number });
  const texts = tb.text['rollouts']!;
  assert.deepEqual(
    texts.map((t) => t[0]),
    [1, 2, 3, 4],
  );
  for (const [step, text, plugin] of texts) {
    assert.equal(plugin, 'text');
    const mine = rollouts.filter((r) => r.step === step);
    assert.equal(mine.length, 2);
    for (const r of mine) {
      assert.ok(text.includes(`**example ${r.promptId}, sample ${r.sample}**`), text);
      assert.ok(text.includes(r.text.replace(/```/g, "'''")), `step ${step}: the response text`);
    }
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});
