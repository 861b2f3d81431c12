// `rlvr train --preset A,B,C`: variants one after another on the same data and seed, each an ordinary
// run folder, compared in comparison.md / comparison.json; a PPO variant resumes with its critic.
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

describe('rlvr train --preset A,B,C', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-ablation-'));
  const modelDir = path.join(tmp, 'model');
  buildTinyQwenModel(modelDir, 5);
  const data = path.join(tmp, 'train.jsonl');
  fs.writeFileSync(data, JSON.stringify({ problem: 'What is 1+1?', answer: '2' }) + '\n');
  const out = path.join(tmp, 'ablation');

  test('runs each preset into its own folder and writes the comparison', () => {
    const r = rlvr([
      'train',
      '--model',
      modelDir,
      '--data',
      data,
      '--out',
      out,
      '--preset',
      'grpo,ppo,rloo',
      '--steps',
      '2',
      '--set',
      'trainBatchSize=1,miniBatchSize=1,groupSize=2,maxResponseLength=3,saveEvery=1,validateEvery=0',
      '--threads',
      '1',
    ]);
    assert.equal(r.status, 0, r.stderr);
    const cmp = JSON.parse(fs.readFileSync(path.join(out, 'comparison.json'), 'utf8'));
    assert.deepEqual(
      cmp.runs.map((x: { name: string }) => x.name),
      ['grpo', 'ppo', 'rloo'],
    );
    for (const name of ['grpo', 'ppo', 'rloo']) {
      const lines = fs
        .readFileSync(path.join(out, name, 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      assert.equal(lines.at(-1).step, 2);
      const cfg = JSON.parse(fs.readFileSync(path.join(out, name, 'run_config.json'), 'utf8'));
      assert.equal(cfg.grpo.seed, PAPER_SEED, 'same seed for every variant');
    }
    assert.ok(fs.existsSync(path.join(out, 'ppo', 'checkpoints', 'step-000002', 'critic.safetensors')), 'the PPO checkpoint holds the critic');
    assert.equal(
      typeof JSON.parse(
        fs
          .readFileSync(path.join(out, 'ppo', 'metrics.jsonl'), 'utf8')
          .trim()
          .split('\n')
          .at(-1)!,
      ).valueLoss,
      'number',
    );
    assert.match(r.stdout, /\| preset +\| steps/);
    assert.match(fs.readFileSync(path.join(out, 'comparison.md'), 'utf8'), /\| ppo +\| 2 /);

    const again = rlvr(['train', '--out', path.join(out, 'ppo'), '--resume', '--steps', '3']);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stderr, /resuming at step 2/);
  });

  test('an unknown preset in the list is one clear line', () => {
    const bad = rlvr(['train', '--model', modelDir, '--data', data, '--preset', 'grpo,nonsense']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /preset.*nonsense|nonsense.*preset/);
  });
});

const PAPER_SEED = 1;
