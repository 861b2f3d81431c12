// One rank of test/distributed/sharded-adamw.test.ts (not a test itself): gloo on localhost.
//   node sharded-adamw-worker.js RANK WORLD PORT DIR
// Every rank adds its own random gradients, all-reduces them (sum), clips them (1.0) and steps
// ShardedAdamW 3 times; saves its shard into DIR/ckpt; then two fresh optimizers continue for 2
// more steps from (a) the shards and (b) DIR/whole/optimizer.safetensors (an AdamW state the test
// wrote). Parameters and state sizes go to DIR/rank-R.*.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { clipGradNorm, tidy } from '../../src/engine/index.js';
import { initProcessGroup } from '../../src/distributed/process-group.js';
import { ShardedAdamW } from '../../src/distributed/sharded-adamw.js';
import { tensorToWrite } from '../../src/model/checkpoint.js';
import { writeSafetensors } from '../../src/model/safetensors.js';
import { ADAMW, makeGrads, makeParams } from './sharded-adamw-setup.js';

const [rank, world, port] = process.argv.slice(2, 5).map(Number) as [number, number, number];
const dir = process.argv[5]!;
const group = initProcessGroup({ backend: 'gloo', rank, worldSize: world, masterAddr: '127.0.0.1', masterPort: port, timeoutMs: 60_000 });

function train(opt: ShardedAdamW, params: ReturnType<typeof makeParams>, steps: number[]): void {
  for (const s of steps) {
    tidy(() => {
      makeGrads(params, s, rank).forEach((g, i) => {
        params[i]!.grad = g;
      });
      group.allReduce(
        params.map((p) => p.grad!),
        'sum',
      );
      clipGradNorm(params, 1.0);
    });
    opt.step();
    opt.zeroGrad();
  }
}
const save = (params: ReturnType<typeof makeParams>, name: string) =>
  writeSafetensors(
    path.join(dir, `rank-${rank}.${name}.safetensors`),
    params.map((p, i) => tensorToWrite(`p.${i}`, p)),
  );

const params = makeParams();
const opt = new ShardedAdamW(params, group, ADAMW);
train(opt, params, [1, 2, 3]);
save(params, 'step3');
fs.mkdirSync(path.join(dir, 'ckpt'), { recursive: true });
opt.save(path.join(dir, 'ckpt'));
fs.writeFileSync(path.join(dir, `rank-${rank}.json`), JSON.stringify({ stateBytes: opt.stateBytes(), owned: opt.owned }));
opt.dispose();

// (a) resume from the shards: fresh parameters from step 3, a fresh optimizer.
const resumed = makeParams(path.join(dir, `rank-${rank}.step3.safetensors`));
const a = new ShardedAdamW(resumed, group, ADAMW);
a.load(path.join(dir, 'ckpt'));
train(a, resumed, [4, 5]);
save(resumed, 'step5-shards');
a.dispose();

// (b) resume a run without ZeRO-1 (one whole optimizer file) with ZeRO-1.
const converted = makeParams(path.join(dir, `rank-${rank}.step3.safetensors`));
const b = new ShardedAdamW(converted, group, ADAMW);
b.load(path.join(dir, 'whole'));
train(b, converted, [4, 5]);
save(converted, 'step5-whole');
b.dispose();
group.barrier();
group.close();
