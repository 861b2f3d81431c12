// c10d process groups (gloo, CPU) between real processes on localhost: every collective's
// values against what it must compute, a world of one without any store, and failures: a
// SIGKILLed peer fails the survivor at once with one DistributedError, a silent one after the
// timeout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tensor } from '../../src/engine/creation.js';
import { fromEnv, initProcessGroup } from '../../src/distributed/process-group.js';
import { freePort } from '../../src/distributed/launch.js';

const worker = path.join(path.dirname(fileURLToPath(import.meta.url)), 'pg-worker.js');

interface RankResult {
  code: number | null;
  signal: string | null;
  out: string;
  err: string;
}

async function runRanks(mode: string, worldSize: number, extraEnv: Record<string, string> = {}): Promise<RankResult[]> {
  const port = await freePort();
  return Promise.all(
    Array.from(
      { length: worldSize },
      (_, rank) =>
        new Promise<RankResult>((resolve) => {
          const p = spawn(process.execPath, [worker, mode], {
            env: {
              ...process.env,
              ...extraEnv,
              RANK: String(rank),
              WORLD_SIZE: String(worldSize),
              LOCAL_RANK: String(rank),
              MASTER_ADDR: '127.0.0.1',
              MASTER_PORT: String(port),
              OMP_NUM_THREADS: '1',
            },
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          let out = '';
          let err = '';
          p.stdout.on('data', (d) => (out += d));
          p.stderr.on('data', (d) => (err += d));
          p.on('exit', (code, signal) => resolve({ code, signal, out, err }));
        }),
    ),
  );
}

function parse(r: RankResult): Record<string, unknown> {
  const line = r.out.trim().split('\n').pop();
  assert.ok(line, `no output; stderr: ${r.err}`);
  return JSON.parse(line) as Record<string, unknown>;
}

test('gloo collectives between 2 processes compute the right values', { timeout: 60_000 }, async () => {
  const results = await runRanks('collectives', 2);
  for (const r of results) assert.equal(r.code, 0, r.err);
  const [r0, r1] = results.map(parse);
  for (const [r, res] of [
    [0, r0],
    [1, r1],
  ] as const) {
    assert.equal(res!.rank, r);
    assert.equal(res!.backend, 'gloo');
    assert.deepEqual(res!.a, [3, 5, 7]);
    // b (and its transposed view, all-reduced in place) = sum over ranks of arange(6) + 10r
    assert.deepEqual(res!.b, [10, 12, 14, 16, 18, 20]);
    assert.deepEqual(res!.c, [7]);
    assert.deepEqual(res!.max, [1, 0]);
    assert.deepEqual(res!.min, [0, -1]);
    assert.deepEqual(res!.bc, [101, 201, 301]);
    assert.deepEqual(res!.gathered, [
      [0, 0],
      [1, 10],
    ]);
    assert.deepEqual(res!.into, [0.5, 0.25, 1.5, 1.25]);
    // reduce-scatter of arange(4) + r over 2 ranks: rank k gets the sum of elements [2k, 2k+2)
    assert.deepEqual(res!.rs, r === 0 ? [1, 3] : [5, 7]);
    assert.deepEqual(res!.nums, [3, 1]);
  }
});

test('a world of one rank needs no store: collectives are no-ops', () => {
  const pg = fromEnv({}, {});
  assert.equal(pg.worldSize, 1);
  assert.equal(pg.backend, 'none');
  const t = tensor([1, 2], [2]);
  pg.allReduce([t]);
  pg.broadcast([t], 0);
  pg.barrier();
  assert.deepEqual(t.toNumbers(), [1, 2]);
  assert.deepEqual(
    pg.allGather(t).map((g) => g.toNumbers()),
    [[1, 2]],
  );
  assert.deepEqual(pg.allReduceNumbers([4]), [4]);
  const one = initProcessGroup({ rank: 0, worldSize: 1 });
  assert.equal(one.worldSize, 1);
  pg.close();
});

test('a SIGKILLed peer fails the survivor at once with one DistributedError', { timeout: 60_000 }, async () => {
  // A long collective timeout: the failure must come from the closed connection, not the timeout.
  const [r0, r1] = await runRanks('die', 2, { TEST_TIMEOUT_MS: '120000' });
  assert.equal(r1!.signal, 'SIGKILL');
  const res = parse(r0!);
  assert.equal(typeof res.error, 'string', 'the survivor must fail');
  assert.equal(res.code, 'EDISTRIBUTED');
  assert.match(res.error as string, /^rank 0: all-reduce \(sum\) failed \(another rank exited or stopped answering\)/);
  assert.ok(!(res.error as string).includes('\n'), 'one line');
  assert.ok((res.seconds as number) < 10, `failed after ${res.seconds as number} s`);
});

test('a peer that stays silent fails the collective after the timeout', { timeout: 60_000 }, async () => {
  const [r0] = await runRanks('silent', 2, { TEST_TIMEOUT_MS: '2000' });
  const res = parse(r0!);
  assert.equal(typeof res.error, 'string');
  assert.match(res.error as string, /^rank 0: all-reduce/);
  assert.ok((res.seconds as number) >= 1.5 && (res.seconds as number) < 20, `failed after ${res.seconds as number} s`);
});
