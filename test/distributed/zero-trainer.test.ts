// ZeRO-1 in the data-parallel trainer (grpo.zeroStage 1, src/distributed/optimizer.ts): 2 gloo ranks
// give the weights of one process with whole AdamW after 2 steps (<= 1e-6), each rank writes its
// optimizer shard into the checkpoint, a 2-rank resume continues to step 3 as the uninterrupted
// run, and resuming the sharded checkpoint without ZeRO-1 is refused in one line.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { launch } from '../../src/distributed/launch.js';
import { checkpointProblem } from '../../src/rl/checkpoints.js';
import { shardedOnlyProblem } from '../../src/distributed/shard-files.js';
import { buildTinyQwenModel } from '../helpers/tiny-model.js';
import { maxAbsDiff, readWeights } from '../helpers/weights.js';

const worker = path.join(path.dirname(fileURLToPath(import.meta.url)), 'zero-trainer-worker.js');
const env = { ...process.env, OMP_NUM_THREADS: '1' };

describe('ZeRO-1 in the data-parallel trainer (gloo, CPU)', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-zero-trainer-'));
  const modelDir = path.join(tmp, 'model');
  buildTinyQwenModel(modelDir, 5);
  const data = path.join(tmp, 'train.jsonl');
  fs.writeFileSync(
    data,
    Array.from({ length: 4 }, (_, i) => JSON.stringify({ problem: `What is ${i}+${i + 1}?`, answer: String(2 * i + 1) })).join('\n') + '\n',
  );
  // Fixed sampling shards: the same rollouts on 1 and 2 ranks. Two optimizer steps per rollout step.
  const base = {
    trainBatchSize: 4,
    miniBatchSize: 2,
    groupSize: 2,
    maxResponseLength: 6,
    samplingShards: 2,
    lr: 1e-3,
    klCoef: 0,
    validateEvery: 0,
    rolloutSamples: 0,
    microBatchTokens: 64,
    saveEvery: 1,
    keepLast: 0,
  };
  const ckpt = (run: string, step: number) => path.join(tmp, run, 'checkpoints', `step-${String(step).padStart(6, '0')}`);
  const two = (mode: string, run: string, grpo: object) =>
    launch({
      nproc: 2,
      nnodes: 1,
      nodeRank: 0,
      masterAddr: '127.0.0.1',
      masterPort: 0,
      graceMs: 5000,
      command: [process.execPath, worker, mode, modelDir, data, path.join(tmp, run), JSON.stringify(grpo)],
      env: { OMP_NUM_THREADS: '1' },
      log: () => {},
    });

  test('2 ranks with ZeRO-1 = 1 process with AdamW, through a checkpoint and a 2-rank resume', { timeout: 120_000 }, async () => {
    const one = spawnSync(process.execPath, [worker, 'new', modelDir, data, path.join(tmp, 'one'), JSON.stringify({ ...base, steps: 3 })], {
      encoding: 'utf8',
      env,
    });
    assert.equal(one.status, 0, one.stderr);
    assert.equal(await two('new', 'two', { ...base, steps: 2, zeroStage: 1 }), 0);
    const moved = maxAbsDiff(readWeights(modelDir), readWeights(ckpt('one', 2)));
    assert.ok(moved > 1e-4, `the weights must move for the comparison to mean anything (moved ${moved})`);
    const d2 = maxAbsDiff(readWeights(ckpt('one', 2)), readWeights(ckpt('two', 2)));
    assert.ok(d2 <= 1e-6, `step 2: max |w(2 ranks, ZeRO-1) - w(1 process)| = ${d2}`);
    // Each rank's shard, no whole file; the checkpoint is intact.
    const files = fs.readdirSync(ckpt('two', 2));
    assert.ok(files.includes('optimizer-rank0-of-2.safetensors') && files.includes('optimizer-rank1-of-2.safetensors'), files.join(' '));
    assert.ok(!files.includes('optimizer.safetensors'));
    assert.equal(checkpointProblem(ckpt('two', 2)), null);
    // Resume with 2 ranks to step 3: the uninterrupted run's weights (its AdamW moments came back from the shards).
    assert.equal(await two('resume', 'two', { steps: 3 }), 0);
    const d3 = maxAbsDiff(readWeights(ckpt('one', 3)), readWeights(ckpt('two', 3)));
    assert.ok(d3 <= 1e-6, `step 3 after resume: max |Δ| = ${d3}`);
  });

  test('the sharded checkpoint without ZeRO-1 (one process, or zeroStage 0): one line naming the world size it needs', () => {
    // What loadCheckpointState throws (as a UserError) before reading a whole optimizer file that is not there.
    assert.equal(
      shardedOnlyProblem(ckpt('two', 3)),
      `${ckpt('two', 3)}: its optimizer state is sharded over 2 ranks (ZeRO-1): resume with --nproc 2 (× nodes) and zeroStage 1`,
    );
    assert.equal(shardedOnlyProblem(ckpt('one', 3)), null, 'a whole optimizer.safetensors loads as before');
    fs.rmSync(tmp, { recursive: true, force: true });
  });
});
