// `rlvr train` end to end on a tiny random Qwen2 with the real Qwen tokenizer: metrics,
// validation, checkpoints, --resume, and one-line errors for bad input.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { buildTinyQwenModel } from '../helpers/tiny-model.js';
import { repoRoot } from '../helpers/paths.js';

const cli = path.join(repoRoot, 'dist/src/cli/main.js');

function rlvr(args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
}

describe('rlvr train', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-train-cli-'));
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
  const common = ['--set', 'trainBatchSize=2,miniBatchSize=1,groupSize=2,maxResponseLength=4,saveEvery=1,validateEvery=2', '--threads', '1'];

  test('trains, validates, checkpoints, and resumes', () => {
    const r = rlvr(['train', '--model', modelDir, '--data', data, '--out', out, '--steps', '2', '--val-data', data, '--val-limit', '1', ...common]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /step 2\/2 \| reward/);
    const lines = fs
      .readFileSync(path.join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(lines[0].step, 0);
    assert.equal(typeof lines[0].validation.accuracy, 'number');
    assert.equal(lines.at(-1).step, 2);
    assert.ok(fs.existsSync(path.join(out, 'checkpoints/step-000002/model.safetensors')));
    assert.ok(fs.existsSync(path.join(out, 'checkpoints/step-000002/tokenizer.json')), 'checkpoints are complete model folders');

    const again = rlvr(['train', '--out', out, '--resume', '--steps', '3']);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stderr, /resuming at step 2/);
    const after = fs
      .readFileSync(path.join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(after.at(-1).step, 3);
  });

  test('bad input gets one clear line and exit code 2', () => {
    const missing = rlvr(['train', '--model', modelDir, '--data', path.join(tmp, 'nope.parquet')]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /no such file/);
    const badPreset = rlvr(['train', '--model', modelDir, '--data', data, '--preset', 'nonsense']);
    assert.equal(badPreset.status, 2);
    assert.match(badPreset.stderr, /^rlvr: --preset: must be one of full, .*got "nonsense"\n$/);
    const badModel = rlvr(['train', '--model', path.join(tmp, 'no-model'), '--data', data]);
    assert.equal(badModel.status, 2);
    assert.match(badModel.stderr, /no such model folder/);
  });
});
