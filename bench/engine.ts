// `npm run bench:engine`: the engine's per-op overhead and a small training step against
// PyTorch (Python) on the same machine, same sizes, same thread count.
//
//   node dist/bench/engine.js [--device cpu|cuda] [--threads N] [--iters 200000] [--steps 300] [--reps 5]
//
// Tiny-op loop: a, b of shape [16]; per iteration tidy(() => a.add(b).mul(a).sub(b).exp())
// (4 ops; the tidy scope frees the temporaries, as Python's refcounting does). Also timed with
// explicit dispose() instead of tidy. MLP step: 256 -> 512 (ReLU) -> 256, batch 64, MSE,
// backward, fused AdamW, zeroGrad. Both sides: warm-up, then best of `reps` repetitions.
// Python is timed before and after the TS run (best of both), so drifting machine load does
// not favour one side. Prints a table and, last, one JSON line; writes bench/results/engine-<device>.json.
// overhead_ratio_vs_pytorch = TS µs/op ÷ PyTorch µs/op on the tiny-op loop (tidy variant).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { provenance } from '../src/util/provenance.js';
import { AdamW, cuda, F, Generator, getNumThreads, randn, setNumThreads, tidy, torchVersion, zeros, type Tensor } from '../src/engine/index.js';
import { peakRssBytes } from '../src/util/peak-rss.js';

function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('package.json not found');
    dir = up;
  }
  return dir;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : fallback;
}

const device = arg('device', 'cpu');
const threads = Number(arg('threads', String(getNumThreads())));
const iters = Number(arg('iters', '200000'));
const steps = Number(arg('steps', '300'));
const reps = Number(arg('reps', '5'));
const onCuda = device.startsWith('cuda');
setNumThreads(threads);
const sync = () => {
  if (onCuda) cuda.synchronize(device);
};
const OPS_PER_ITER = 4;

interface PyResult {
  torch: string;
  threads: number;
  tiny_op_us: number;
  mlp_step_ms: number;
  tiny_op_us_reps: number[];
  mlp_step_ms_reps: number[];
}

function runPython(): PyResult {
  const script = path.join(packageRoot(), 'bench/engine_ref.py');
  const r = spawnSync(
    'python3',
    [script, '--device', device, '--threads', String(threads), '--iters', String(iters), '--steps', String(steps), '--reps', String(reps)],
    { encoding: 'utf8', maxBuffer: 1 << 26 },
  );
  if (r.status !== 0) throw new Error(`python3 ${script} failed (exit ${r.status}):\n${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as PyResult;
}

function best(samples: number[]): number {
  return Math.min(...samples);
}

function benchTiny(): { tidy: number[]; dispose: number[] } {
  const g = new Generator({ seed: 0, device });
  const a = randn([16], { device, generator: g }).keep();
  const b = randn([16], { device, generator: g }).keep();
  const withTidy = (n: number) => {
    for (let i = 0; i < n; i++) tidy(() => a.add(b).mul(a).sub(b).exp());
  };
  const withDispose = (n: number) => {
    for (let i = 0; i < n; i++) {
      const c = a.add(b);
      const d = c.mul(a);
      c.dispose();
      const e = d.sub(b);
      d.dispose();
      const f = e.exp();
      e.dispose();
      f.dispose();
    }
  };
  const perRep = Math.floor(iters / reps);
  const out = { tidy: [] as number[], dispose: [] as number[] };
  withTidy(Math.min(perRep, 20_000));
  withDispose(Math.min(perRep, 20_000));
  sync();
  for (let r = 0; r < reps; r++) {
    for (const [key, fn] of [
      ['tidy', withTidy],
      ['dispose', withDispose],
    ] as const) {
      const t = performance.now();
      fn(perRep);
      sync();
      out[key].push(((performance.now() - t) * 1000) / (perRep * OPS_PER_ITER));
    }
  }
  a.dispose();
  b.dispose();
  return out;
}

function benchMlp(): number[] {
  const g = new Generator({ seed: 0, device });
  const dev = { device, generator: g };
  const params: Tensor[] = tidy(() =>
    [randn([512, 256], dev).mul(0.05), zeros([512], { device }), randn([256, 512], dev).mul(0.05), zeros([256], { device })].map((p) =>
      p.requiresGrad_(true).keep(),
    ),
  );
  const [w1, b1, w2, b2] = params as [Tensor, Tensor, Tensor, Tensor];
  const opt = new AdamW(params, { lr: 1e-3, fused: true });
  const x = randn([64, 256], dev).keep();
  const y = randn([64, 256], dev).keep();
  const train = (n: number) => {
    for (let i = 0; i < n; i++) {
      tidy(() => F.mseLoss(F.linear(F.relu(F.linear(x, w1, b1)), w2, b2), y).backward());
      opt.step();
      opt.zeroGrad();
    }
  };
  const perRep = Math.max(1, Math.floor(steps / reps));
  train(Math.max(5, Math.floor(perRep / 5)));
  sync();
  const ms: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t = performance.now();
    train(perRep);
    sync();
    ms.push((performance.now() - t) / perRep);
  }
  opt.dispose();
  for (const t of [...params, x, y]) t.dispose();
  return ms;
}

const py1 = runPython();
const tiny = benchTiny();
const mlp = benchMlp();
const py2 = runPython();

const tsTiny = best(tiny.tidy);
const tsTinyDispose = best(tiny.dispose);
const tsMlp = best(mlp);
const pyTiny = Math.min(py1.tiny_op_us, py2.tiny_op_us);
const pyMlp = Math.min(py1.mlp_step_ms, py2.mlp_step_ms);
const r = tsTiny / pyTiny;
const fmt = (v: number, d = 3) => v.toFixed(d);
const rows: [string, string, string, string][] = [
  ['tiny-op loop (µs/op), tidy per iteration', fmt(tsTiny), fmt(pyTiny), fmt(tsTiny / pyTiny)],
  ['tiny-op loop (µs/op), explicit dispose', fmt(tsTinyDispose), fmt(pyTiny), fmt(tsTinyDispose / pyTiny)],
  ['MLP 256-512-256 b64 train step (ms/step)', fmt(tsMlp), fmt(pyMlp), fmt(tsMlp / pyMlp)],
];
console.log(
  `engine benchmark: device ${device}, ${threads} thread(s), libtorch ${torchVersion()} (TS) vs torch ${py1.torch} (Python); ` +
    `${iters} iterations x ${OPS_PER_ITER} ops, ${steps} steps, best of ${reps}; load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
);
const widths = [44, 12, 12, 8];
const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
console.log(line(['', 'TS', 'PyTorch', 'ratio']));
for (const row of rows) console.log(line(row));
const result = {
  provenance: provenance({ threads: getNumThreads(), libtorch: torchVersion(), gpu: onCuda ? 'cuda' : null }),
  peakRssBytes: peakRssBytes(),
  overhead_ratio_vs_pytorch: Number(r.toFixed(4)),
  ratio_definition: 'tiny-op loop µs/op, TS (tidy per iteration) / PyTorch',
  tiny_op_us_ts: Number(tsTiny.toFixed(4)),
  tiny_op_us_ts_dispose: Number(tsTinyDispose.toFixed(4)),
  tiny_op_us_pytorch: Number(pyTiny.toFixed(4)),
  tiny_op_ratio_dispose: Number((tsTinyDispose / pyTiny).toFixed(4)),
  mlp_step_ms_ts: Number(tsMlp.toFixed(4)),
  mlp_step_ms_pytorch: Number(pyMlp.toFixed(4)),
  mlp_ratio: Number((tsMlp / pyMlp).toFixed(4)),
  target: 1.1,
  device,
  threads,
  iters,
  steps,
  reps,
  libtorch: torchVersion(),
  torch_python: py1.torch,
  node: process.version,
  load_average: os.loadavg().map((l) => Number(l.toFixed(2))),
  date: new Date().toISOString(),
};
const outDir = path.join(packageRoot(), 'bench/results');
fs.mkdirSync(outDir, { recursive: true });
fs.writeFileSync(path.join(outDir, `engine-${onCuda ? 'cuda' : 'cpu'}.json`), JSON.stringify(result, null, 2) + '\n');
console.log(JSON.stringify(result));
