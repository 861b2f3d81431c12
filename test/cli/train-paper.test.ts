// `rlvr train --preset paper` end to end on a tiny random Qwen2: the paper's settings land in
// the run config, the fork's loss weighting runs, stop tokens come from the model's EOS ids.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { buildTinyQwenModel } from '../helpers/tiny-model.js';
import { repoRoot } from '../helpers/paths.js';

const cli = path.join(repoRoot, 'dist/src/cli/main.js');
const rlvr = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });

test('rlvr train --preset paper: fork weighting over emulated ranks, paper reward, validation by the reward', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-train-paper-'));
  const modelDir = path.join(tmp, 'model');
  buildTinyQwenModel(modelDir, 5);
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
  const r = rlvr([
    'train',
    '--model',
    modelDir,
    '--data',
    data,
    '--out',
    out,
    '--steps',
    '1',
    '--preset',
    'paper',
    '--val-data',
    data,
    '--val-limit',
    '1',
    '--set',
    'trainBatchSize=2,miniBatchSize=2,groupSize=2,maxResponseLength=4,forkRanks=2',
    '--stop',
    '<|im_end|>',
    '--threads',
    '1',
  ]);
  assert.equal(r.status, 0, r.stderr);
  const saved = JSON.parse(fs.readFileSync(path.join(out, 'run_config.json'), 'utf8'));
  assert.equal(saved.grpo.lossAggregation, 'verl-fork');
  assert.equal(saved.grpo.reward, 'paper');
  assert.equal(saved.grpo.validationScoring, 'reward');
  assert.equal(saved.grpo.saveEvery, 20);
  const lines = fs
    .readFileSync(path.join(out, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(lines.at(-1).step, 1);
  assert.ok(Number.isFinite(lines.at(-1).gradNorm));
  assert.equal(typeof lines.at(-1).validation.accuracy, 'number');

  const badStop = rlvr(['train', '--model', modelDir, '--data', data, '--out', path.join(tmp, 'x'), '--stop', 'not one token at all']);
  assert.equal(badStop.status, 2);
  assert.match(badStop.stderr, /--stop: 'not one token at all' is not a token/);
  const badRanks = rlvr([
    'train',
    '--model',
    modelDir,
    '--data',
    data,
    '--out',
    path.join(tmp, 'y'),
    '--preset',
    'paper',
    '--set',
    'trainBatchSize=2,miniBatchSize=2,groupSize=3',
  ]);
  assert.equal(badRanks.status, 2);
  assert.match(badRanks.stderr, /split evenly over forkRanks, got 8/);
});
