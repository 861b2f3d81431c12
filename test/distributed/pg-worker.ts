// One rank of test/distributed/process-group.test.ts: runs the collectives named by argv[2] on
// tensors that depend on the rank and prints the results as one JSON line.
import { tensor, arange, zeros } from '../../src/engine/creation.js';
import { fromEnv } from '../../src/distributed/process-group.js';

const mode = process.argv[2] ?? 'collectives';
const timeoutMs = Number(process.env.TEST_TIMEOUT_MS ?? 60_000);
const pg = fromEnv({ timeoutMs, rendezvousTimeoutMs: 30_000 });
const r = pg.rank;

if (mode === 'collectives') {
  // Mixed shapes, a non-contiguous view, two dtypes; a tiny bucket size forces several buckets.
  const a = tensor([1 + r, 2 + r, 3 + r], [3]);
  const b = arange(0, 6, 1, { dtype: 'float32' })
    .add(10 * r)
    .reshape(2, 3);
  const bt = b.T; // [3, 2] non-contiguous view of b
  const c = tensor([r * 7], [1], { dtype: 'int64' });
  pg.allReduce([a, bt, c]);
  const mx = tensor([r, -r], [2]);
  pg.allReduce([mx], 'max');
  const mn = tensor([r, -r], [2]);
  pg.allReduce([mn], 'min');
  const bc = tensor([r + 100, r + 200], [2]);
  const bc2 = tensor([r + 300], [1]);
  pg.broadcast([bc, bc2], 1);
  const gathered = pg.allGather(tensor([r, r * 10], [2]));
  const into = zeros([2 * pg.worldSize]);
  pg.allGatherInto(into, tensor([r + 0.5, r + 0.25], [2]));
  const rsOut = zeros([2]);
  pg.reduceScatter(rsOut, arange(0, 2 * pg.worldSize, 1, { dtype: 'float32' }).add(r));
  const nums = pg.allReduceNumbers([r + 1, 0.5]);
  pg.barrier();
  console.log(
    JSON.stringify({
      rank: r,
      worldSize: pg.worldSize,
      backend: pg.backend,
      a: a.toNumbers(),
      b: b.toNumbers(),
      c: c.toNumbers(),
      max: mx.toNumbers(),
      min: mn.toNumbers(),
      bc: [...bc.toNumbers(), ...bc2.toNumbers()],
      gathered: gathered.map((g) => g.toNumbers()),
      into: into.toNumbers(),
      rs: rsOut.toNumbers(),
      nums,
    }),
  );
  pg.close();
} else if (mode === 'die') {
  // Rank 1 dies (SIGKILL, no cleanup) after rendezvous; rank 0 then all-reduces.
  pg.barrier();
  if (r === 1) process.kill(process.pid, 'SIGKILL');
  const t0 = Date.now();
  try {
    // Several collectives: the first may still be buffered by the kernel before the peer's reset.
    for (let i = 0; i < 100; i++) pg.allReduce([tensor([1, 2, 3], [3])]);
    console.log(JSON.stringify({ rank: r, error: null }));
  } catch (e) {
    console.log(JSON.stringify({ rank: r, error: (e as Error).message, code: (e as { code?: string }).code, seconds: (Date.now() - t0) / 1000 }));
  }
} else if (mode === 'silent') {
  // Rank 1 stays alive but never joins the collective: rank 0 fails after its timeout.
  pg.barrier();
  if (r === 1) {
    setTimeout(() => process.exit(0), timeoutMs + 1500);
  } else {
    const t0 = Date.now();
    try {
      pg.allReduce([tensor([1], [1])]);
      console.log(JSON.stringify({ rank: r, error: null }));
    } catch (e) {
      console.log(JSON.stringify({ rank: r, error: (e as Error).message, seconds: (Date.now() - t0) / 1000 }));
    }
    process.exit(0);
  }
}
