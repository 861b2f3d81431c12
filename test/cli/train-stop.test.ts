// `rlvr train` as a user meets it: a {problem, answer} file gets the paper's answer-format
// suffix (printed, with the first rendered prompt), trainBatchSize alone works, and SIGTERM in
// the middle of a run finishes the step, writes a checkpoint and says how to resume (which works).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { buildTinyQwenModel } from '../helpers/tiny-model.js';
import { repoRoot } from '../helpers/paths.js';

const cli = path.join(repoRoot, 'dist/src/cli/main.js');

describe('rlvr train: prompt suffix, trainBatchSize alone, clean stop on a signal', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-train-stop-'));
  const modelDir = path.join(tmp, 'model');
  buildTinyQwenModel(modelDir, 9);
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

  test('SIGTERM: the step finishes, a checkpoint is written, the resume command is printed and works', async () => {
    const child = spawn(
      process.execPath,
      [
        cli,
        'train',
        '--model',
        modelDir,
        '--data',
        data,
        '--out',
        out,
        '--steps',
        '100000',
        '--threads',
        '1',
        '--set',
        'trainBatchSize=2,groupSize=2,maxResponseLength=4,saveEvery=0,validateEvery=0,klCoef=0',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    let sent = false;
    const code = await new Promise<number | null>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (!sent && /step 2\/100000/.test(stderr)) {
          sent = true;
          child.kill('SIGTERM');
        }
      });
      child.on('exit', (c) => resolve(c));
    });
    assert.equal(code, 143, stderr);
    // The user asked for nothing: the paper's suffix is used and said so, with the first prompt.
    assert.match(
      stderr,
      /prompt suffix for \{problem, answer\} rows: " Let's think step by step and output the final answer within \\\\boxed\{\}\." \(the paper's, the default/,
    );
    assert.match(stderr, /first prompt \(example 0\):\n[\s\S]*What is 1\+1\? Let's think step by step/);
    assert.match(stderr, /threads: 1 \(--threads\)/);
    assert.match(stderr, /SIGTERM: finishing step \d+, then writing a checkpoint/);
    const m = /stopped by SIGTERM after step (\d+)\/100000; checkpoint (\S+)\nresume with: rlvr train --out (\S+) --resume/.exec(stderr);
    assert.ok(m, stderr);
    const stoppedAt = Number(m[1]);
    assert.ok(stoppedAt >= 2);
    assert.ok(fs.existsSync(path.join(m[2]!, 'model.safetensors')));
    assert.equal(m[3], out);
    assert.ok(!fs.existsSync(path.join(out, '.lock')), 'the run folder lock is released after SIGTERM');
    const metrics = fs
      .readFileSync(path.join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(metrics.at(-1).step, stoppedAt);
    assert.ok(fs.statSync(path.join(out, 'rollouts.jsonl')).size > 0);
    const config = JSON.parse(fs.readFileSync(path.join(out, 'run_config.json'), 'utf8'));
    assert.equal(config.grpo.miniBatchSize, 2, 'trainBatchSize alone set miniBatchSize');

    const again = spawnSync(process.execPath, [cli, 'train', '--out', out, '--resume', '--steps', String(stoppedAt + 1), '--threads', '1'], {
      encoding: 'utf8',
    });
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stderr, new RegExp(`resuming at step ${stoppedAt}`));
    assert.match(again.stderr, new RegExp(`step ${stoppedAt + 1}/${stoppedAt + 1}`));
  });

  test('--prompt-suffix none and a bad --overlong', () => {
    const r = spawnSync(
      process.execPath,
      [
        cli,
        'train',
        '--model',
        modelDir,
        '--data',
        data,
        '--out',
        path.join(tmp, 'r2'),
        '--steps',
        '1',
        '--threads',
        '1',
        '--prompt-suffix',
        'none',
        '--overlong',
        'soft',
        '--set',
        'trainBatchSize=2,groupSize=2,maxResponseLength=4,validateEvery=0,klCoef=0',
      ],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /prompt suffix for \{problem, answer\} rows: "" \(given/);
    assert.match(r.stderr, /overlong responses: soft/);
    assert.match(r.stderr, /user\nWhat is 1\+1\?<\|im_end\|>/);
    const bad = spawnSync(process.execPath, [cli, 'train', '--model', modelDir, '--data', data, '--overlong', 'hard'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /overlong: must be one of off, zero, soft/);
  });
});
