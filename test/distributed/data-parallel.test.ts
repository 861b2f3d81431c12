// Data-parallel GRPO on CPU with gloo, through the real launcher:
//  - 2 ranks give the same weights after 3 steps as one process with the same global batch and
//    seed (float32, max |diff| <= 1e-6), and the same metrics; also with the paper's fork weights;
//  - `rlvr train --nproc 2`: a rank SIGKILLed mid-run makes the other fail with one clear error,
//    the launcher exits non-zero with one line naming the rank and signal within 60 s, and
//    `--resume` continues the run (with 2 ranks again) from the last checkpoint.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { launch } from '../../src/distributed/launch.js';
import { checkpointName } from '../../src/rl/checkpoints.js';
import { buildTinyQwenModel } from '../helpers/tiny-model.js';
import { maxAbsDiff, readWeights } from '../helpers/weights.js';
import { repoRoot } from '../helpers/paths.js';

const cli = path.join(repoRoot, 'dist/src/cli/main.js');
const worker = path.join(path.dirname(fileURLToPath(import.meta.url)), 'dp-worker.js');

describe('data-parallel GRPO (gloo, CPU)', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-dp-'));
  const modelDir = path.join(tmp, 'model');
  buildTinyQwenModel(modelDir, 5);
  const data = path.join(tmp, 'train.jsonl');
  fs.writeFileSync(
    data,
    Array.from({ length: 6 }, (_, i) => JSON.stringify({ problem: `What is ${i}+${i + 1}?`, answer: String(2 * i + 1) })).join('\n') + '\n',
  );

  /** Trains `steps` steps in one process and in 2 ranks (launcher) with the same settings; compares weights and metrics. */
  async function compare(
    name: string,
    grpo: Record<string, unknown>,
    steps: number,
    t: { diagnostic(m: string): void },
    lib?: { lora: { rank: number } },
  ): Promise<void> {
    const settings = JSON.stringify({ lr: 1e-3, klCoef: 0, ...grpo, steps, saveEvery: 0, validateEvery: 0, rolloutSamples: 0 });
    const extra = lib ? [JSON.stringify(lib)] : [];
    const one = spawnSync(process.execPath, [worker, modelDir, data, path.join(tmp, `${name}-one`), settings, ...extra], {
      encoding: 'utf8',
      env: { ...process.env, OMP_NUM_THREADS: '1' },
    });
    assert.equal(one.status, 0, one.stderr);
    const code = await launch({
      nproc: 2,
      nnodes: 1,
      nodeRank: 0,
      masterAddr: '127.0.0.1',
      masterPort: 0,
      graceMs: 5000,
      command: [process.execPath, worker, modelDir, data, path.join(tmp, `${name}-two`), settings, ...extra],
      env: { OMP_NUM_THREADS: '1' },
      log: () => {},
    });
    assert.equal(code, 0);
    const final = (run: string) => path.join(tmp, run, 'checkpoints', checkpointName(steps));
    // LoRA: the checkpoint is the adapter (B starts at zero: how far it moved is max |B|).
    const file = lib ? 'adapter_model.safetensors' : 'model.safetensors';
    const w1 = readWeights(final(`${name}-one`), file);
    const w2 = readWeights(final(`${name}-two`), file);
    const moved = lib
      ? Math.max(...[...w1].filter(([n]) => n.includes('lora_B')).map(([, v]) => v.reduce((m, x) => Math.max(m, Math.abs(x)), 0)))
      : maxAbsDiff(readWeights(modelDir), w1);
    assert.ok(moved > 1e-4, `the weights must move for the comparison to mean anything (moved ${moved})`);
    const diff = maxAbsDiff(w1, w2);
    t.diagnostic(`${name}: max |w(2 ranks) - w(1 process)| = ${diff}; weights moved up to ${moved}`);
    assert.ok(diff <= 1e-6, `max |w(2 ranks) - w(1 process)| = ${diff}`);
    const metrics = (run: string) =>
      fs
        .readFileSync(path.join(tmp, run, 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, number>);
    const [m1, m2] = [metrics(`${name}-one`), metrics(`${name}-two`)];
    assert.equal(m2.length, steps);
    for (let i = 0; i < steps; i++) {
      for (const k of ['rewardMean', 'rewardStd', 'trainAccuracy', 'responseLengthMean', 'responseLengthMax', 'zeroVarianceGroupFrac', 'truncatedFrac']) {
        assert.equal(m2[i]![k], m1[i]![k], `step ${i + 1} ${k}`);
      }
      for (const k of ['entropy', 'pgLoss', 'gradNorm'])
        assert.ok(Math.abs(m2[i]![k]! - m1[i]![k]!) <= 1e-5 * Math.max(1, Math.abs(m1[i]![k]!)), `step ${i + 1} ${k}: ${m2[i]![k]} vs ${m1[i]![k]}`);
    }
    assert.ok(
      m1.some((m) => m.rewardStd! > 0),
      'some groups had reward variance',
    );
  }

  // 6 groups in 3 sampling shards: rank 0 samples groups 0-1, rank 1 groups 2-5. Mini-batches of
  // 3 groups: the first spans both ranks, the second has no rows of rank 0 (zero gradient there,
  // all-reduced all the same).
  const layout = { trainBatchSize: 6, miniBatchSize: 3, groupSize: 2, maxResponseLength: 6, samplingShards: 3, microBatchTokens: 64 };

  test('2 ranks = 1 process after 3 steps (token-mean over the global mini-batch): weights within 1e-6, same metrics', { timeout: 120_000 }, async (t) => {
    await compare('token-mean', layout, 3, t);
  });

  test("2 ranks = 1 process with the paper's loss weighting (verl-fork, 2 emulated ranks, small micro-batch budget)", { timeout: 120_000 }, async (t) => {
    await compare('fork', { ...layout, lossAggregation: 'verl-fork', forkRanks: 2, maxPromptLength: 64, forkMaxTokensPerRank: 100 }, 2, t);
  });

  test('LoRA: 2 ranks = 1 process after 3 steps, KL to the base, plain and ZeRO-1: adapters within 1e-6', { timeout: 240_000 }, async (t) => {
    const lora = { lora: { rank: 2, alpha: 4 } };
    await compare('lora', { ...layout, lr: 1e-2, klCoef: 0.05 }, 3, t, lora);
    await compare('lora-zero1', { ...layout, lr: 1e-2, klCoef: 0.05, zeroStage: 1 }, 3, t, lora);
  });

  test('rlvr train --nproc 2: a SIGKILLed rank stops the run with one clear line; --resume continues it', { timeout: 120_000 }, async () => {
    const out = path.join(tmp, 'killed');
    const args = [
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
      '--nproc',
      '2',
      '--set',
      'trainBatchSize=2,groupSize=2,maxResponseLength=4,saveEvery=1,validateEvery=0,klCoef=0,rolloutSamples=0',
    ];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OMP_NUM_THREADS: '1' } });
    let stderr = '';
    let killedAt = 0;
    const exit = await new Promise<{ code: number | null; seconds: number }>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        const pids = /pids (\d+) (\d+)\)/.exec(stderr);
        if (!killedAt && pids && /step 2\/100000/.test(stderr)) {
          killedAt = Date.now();
          process.kill(Number(pids[2]), 'SIGKILL'); // rank 1, mid-run
        }
      });
      child.on('exit', (code) => resolve({ code, seconds: (Date.now() - killedAt) / 1000 }));
    });
    assert.ok(killedAt > 0, stderr);
    assert.notEqual(exit.code, 0, stderr);
    assert.equal(exit.code, 137, "the launcher exits with the killed rank's status (128 + 9)");
    assert.ok(exit.seconds < 60, `stopped ${exit.seconds} s after the kill`);
    // Rank 0 fails with one line naming itself and the collective; the launcher names rank 1 and the signal.
    assert.match(stderr, /rlvr: rank 0: [a-z -]+\([a-z]+\) failed \(another rank exited or stopped answering\): [^\n]+\n/);
    assert.match(stderr, /rlvr train: rank 1 \(pid \d+\) was killed by SIGKILL; the other 1 rank of this node stopped\n/);
    const metrics = fs
      .readFileSync(path.join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { step: number });
    const done = metrics.at(-1)!.step;
    assert.ok(done >= 2);
    // --resume: the recorded --nproc 2 starts 2 ranks again, from the newest checkpoint.
    const again = spawnSync(process.execPath, [cli, 'train', '--out', out, '--resume', '--steps', String(done + 2), '--threads', '1'], {
      encoding: 'utf8',
      env: { ...process.env, OMP_NUM_THREADS: '1' },
    });
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stderr, /2 ranks on this node/);
    assert.match(again.stderr, /resuming at step \d+/);
    assert.match(again.stderr, new RegExp(`step ${done + 2}/${done + 2}`));
    const after = fs
      .readFileSync(path.join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { step: number });
    assert.deepEqual(
      after.map((m) => m.step),
      Array.from({ length: done + 2 }, (_, i) => i + 1),
      'every step once',
    );
  });
});
