// Memory: 10,000 small training steps (tiny MLP, each step in tidy, AdamW) keep RSS flat within
// ±10% between the end of warm-up (step 1000) and the end, and live tensors return to baseline.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AdamW, F, getNumThreads, Generator, liveTensors, randn, setNumThreads, tidy, type Tensor } from '../../src/engine/index.js';
import { DEVICE } from './parity.js';

test('10,000 training steps: RSS flat within ±10%, no leaked tensors', () => {
  // Tiny tensors gain nothing from intra-op threads, and on a busy machine OpenMP's barriers
  // between them cost milliseconds per step; one thread keeps this test to a few seconds.
  const threads = getNumThreads();
  setNumThreads(1);
  const baseline = liveTensors();
  const gen = new Generator({ seed: 0, device: DEVICE });
  const dev = { device: DEVICE, generator: gen };
  const params: Tensor[] = tidy(() =>
    [randn([32, 16], dev).mul(0.25), randn([32], dev).mul(0.1), randn([16, 32], dev).mul(0.18), randn([16], dev).mul(0.1)].map((p) =>
      p.requiresGrad_(true).keep(),
    ),
  );
  const opt = new AdamW(params, { lr: 1e-3 });
  const x = randn([8, 16], dev).keep();
  const target = tidy(() => x.flip(1).mul(0.5).keep());
  const STEPS = 10_000;
  const WARMUP = 1_000;
  let rssWarm = 0;
  let first = 0;
  let last = 0;
  let liveInLoop = -1;
  const t0 = performance.now();
  for (let step = 1; step <= STEPS; step++) {
    const loss = tidy(() => {
      const h = F.silu(F.linear(x, params[0]!, params[1]!));
      const l = F.mseLoss(F.linear(h, params[2]!, params[3]!), target);
      l.backward();
      return l.item();
    });
    opt.step();
    opt.zeroGrad();
    if (step === 1) {
      first = loss;
      liveInLoop = liveTensors();
    }
    if (step === WARMUP) rssWarm = process.memoryUsage().rss;
    if (step > 1) assert.ok(step % 1000 !== 0 || liveTensors() === liveInLoop, `live tensors grew by step ${step}`);
    last = loss;
  }
  const seconds = (performance.now() - t0) / 1000;
  const rssEnd = process.memoryUsage().rss;
  const drift = (rssEnd - rssWarm) / rssWarm;
  console.log(
    `# ${STEPS} steps in ${seconds.toFixed(1)} s; RSS ${(rssWarm / 2 ** 20).toFixed(1)} MiB at step ${WARMUP} -> ` +
      `${(rssEnd / 2 ** 20).toFixed(1)} MiB at the end (${(drift * 100).toFixed(2)}%); loss ${first.toFixed(4)} -> ${last.toFixed(4)}`,
  );
  assert.ok(Math.abs(drift) <= 0.1, `RSS drifted ${(drift * 100).toFixed(1)}% (${rssWarm} -> ${rssEnd} bytes)`);
  assert.ok(last < first, 'the model trains');
  opt.dispose();
  for (const t of [...params, x, target]) t.dispose();
  assert.equal(liveTensors(), baseline, 'every tensor is freed');
  setNumThreads(threads);
});
