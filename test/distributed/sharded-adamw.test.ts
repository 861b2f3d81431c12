// ZeRO-1 (src/distributed/sharded-adamw.ts) over 2 gloo ranks on localhost against AdamW in this one
// process on the same global gradients: the same weights after 3 steps (<= 1e-6), half the
// optimizer state per rank, and checkpoints: per-rank shards resume to the same weights after
// 2 more steps, a whole AdamW file converts, a different world size is refused in one line.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { AdamW, clipGradNorm, tidy, type Tensor } from '../../src/engine/index.js';
import { tensorToWrite } from '../../src/model/checkpoint.js';
import { SafetensorsReader, writeSafetensors } from '../../src/model/safetensors.js';
import { ShardedAdamW } from '../../src/distributed/sharded-adamw.js';
import { checkpointProblem } from '../../src/rl/checkpoints.js';
import { ADAMW, SHAPES, makeGrads, makeParams } from './sharded-adamw-setup.js';
import { freePort } from '../../src/distributed/launch.js';

const WORLD = 2;
const worker = path.join(path.dirname(fileURLToPath(import.meta.url)), 'sharded-adamw-worker.js');

/** Runs the ranks; resolves when all exit 0, rejects with their stderr otherwise (60 s cap). */
async function runRanks(dir: string): Promise<void> {
  const port = await freePort();
  const procs = Array.from({ length: WORLD }, (_, r) => {
    const p = spawn(process.execPath, [worker, String(r), String(WORLD), String(port), dir], {
      env: { ...process.env, OMP_NUM_THREADS: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    p.stderr!.on('data', (d) => {
      err += d;
    });
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        p.kill('SIGKILL');
        reject(new Error(`rank ${r} timed out\n${err}`));
      }, 60_000);
      p.on('exit', (code) => {
        clearTimeout(timer);
        code === 0 ? resolve() : reject(new Error(`rank ${r} exited ${code}\n${err}`));
      });
    });
  });
  await Promise.all(procs);
}

/** The single-process reference: AdamW on the summed gradients, clipped, over `steps`. */
function reference(params: Tensor[], opt: AdamW, steps: number[]): void {
  for (const s of steps) {
    tidy(() => {
      const g0 = makeGrads(params, s, 0);
      const g1 = makeGrads(params, s, 1);
      params.forEach((p, i) => {
        p.grad = g0[i]!.add(g1[i]!);
      });
      clipGradNorm(params, 1.0);
    });
    opt.step();
    opt.zeroGrad();
  }
}

function readParams(file: string): Float32Array[] {
  const r = new SafetensorsReader(file);
  try {
    return SHAPES.map((_, i) => new Float32Array(r.read(`p.${i}`).buffer));
  } finally {
    r.close();
  }
}

function maxDiff(a: Float32Array[], b: Tensor[]): number {
  let m = 0;
  a.forEach((x, i) => {
    const y = b[i]!.toNumbers();
    for (let k = 0; k < x.length; k++) m = Math.max(m, Math.abs(x[k]! - y[k]!));
  });
  return m;
}

describe('ShardedAdamW (ZeRO-1) over 2 gloo ranks', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-zero1-'));
  // The reference run, and its AdamW state after step 3 as a whole optimizer.safetensors (the trainer's names).
  const params = makeParams();
  const opt = new AdamW(params, ADAMW);
  reference(params, opt, [1, 2, 3]);
  const at3 = params.map((p) => p.detach().clone().keep());
  fs.mkdirSync(path.join(dir, 'whole'));
  const st = opt.state();
  writeSafetensors(path.join(dir, 'whole', 'optimizer.safetensors'), [
    ...st.expAvg.map((t, i) => tensorToWrite(`exp_avg.${i}`, t)),
    ...st.expAvgSq.map((t, i) => tensorToWrite(`exp_avg_sq.${i}`, t)),
    ...st.steps.map((t, i) => tensorToWrite(`step.${i}`, t)),
  ]);
  const wholeStateBytes = [...st.expAvg, ...st.expAvgSq, ...st.steps].reduce((a, t) => a + 4 * t.numel, 0);
  reference(params, opt, [4, 5]);
  const ranDone = runRanks(dir);
  ranDone.catch(() => {}); // reported by the tests that await it

  test('3 steps: both ranks hold the same weights as AdamW in one process (<= 1e-6)', async () => {
    await ranDone;
    const r0 = readParams(path.join(dir, 'rank-0.step3.safetensors'));
    const r1 = readParams(path.join(dir, 'rank-1.step3.safetensors'));
    assert.deepEqual(r1, r0, 'the ranks agree exactly');
    const d = maxDiff(r0, at3);
    assert.ok(d <= 1e-6, `max |Δ| ${d}`);
    // The update is not trivially small: the weights moved.
    const init = makeParams();
    assert.ok(maxDiff(r0, init) > 1e-2);
    init.forEach((t) => t.dispose());
  });

  test('each rank keeps about half of the optimizer state; the shards cover every parameter once', async () => {
    await ranDone;
    const info = [0, 1].map((r) => JSON.parse(fs.readFileSync(path.join(dir, `rank-${r}.json`), 'utf8')) as { stateBytes: number; owned: number[] });
    assert.equal(info[0]!.stateBytes + info[1]!.stateBytes, wholeStateBytes);
    for (const { stateBytes } of info)
      assert.ok(stateBytes > 0.4 * wholeStateBytes && stateBytes < 0.6 * wholeStateBytes, `${stateBytes} of ${wholeStateBytes}`);
    assert.deepEqual(
      [...info[0]!.owned, ...info[1]!.owned].sort((a, b) => a - b),
      SHAPES.map((_, i) => i),
    );
  });

  test('checkpoint: resuming from the per-rank shards, or from a whole AdamW file, gives the uninterrupted run after 2 more steps', async () => {
    await ranDone;
    for (const name of ['step5-shards', 'step5-whole']) {
      for (const r of [0, 1]) {
        const d = maxDiff(readParams(path.join(dir, `rank-${r}.${name}.safetensors`)), params);
        assert.ok(d <= 1e-6, `${name}, rank ${r}: max |Δ| ${d}`);
      }
    }
  });

  test('a different world size is one line; a missing shard makes the checkpoint damaged', async () => {
    await ranDone;
    const ckpt = path.join(dir, 'ckpt');
    const p = makeParams();
    for (const worldSize of [1, 4]) {
      const o = new ShardedAdamW(
        p,
        {
          rank: 0,
          worldSize,
          broadcast: () => {
            throw new Error('no collectives here');
          },
          barrier: () => {},
        },
        ADAMW,
      );
      assert.throws(
        () => o.load(ckpt),
        (e: Error) =>
          e.message ===
          `${ckpt}: its optimizer state is sharded over 2 ranks (ZeRO-1) but this run has ${worldSize}: resume with --nproc 2 (× nodes), the same world size`,
      );
      o.dispose();
    }
    p.forEach((t) => t.dispose());
    fs.writeFileSync(path.join(ckpt, 'trainer_state.json'), JSON.stringify({ step: 3 }));
    assert.equal(checkpointProblem(ckpt), null);
    fs.rmSync(path.join(ckpt, 'optimizer-rank1-of-2.safetensors'));
    assert.match(checkpointProblem(ckpt) ?? '', /optimizer-rank1-of-2\.safetensors/);
    fs.rmSync(dir, { recursive: true, force: true });
    opt.dispose();
    [...params, ...at3].forEach((t) => t.dispose());
  });
});
