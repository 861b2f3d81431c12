// rlvr compare: two eval folders on the same problems -> per benchmark and total, Wilson intervals,
// the paired difference, McNemar's exact test and the flipped problems; mismatched sets refused in one line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { repoRoot } from '../helpers/paths.js';
import { mcnemarExact, wilson } from '../../src/stats/index.js';

const main = path.join(repoRoot, 'dist', 'src', 'cli', 'main.js');

function writeEval(dir: string, bench: string, correct: boolean[][]): void {
  fs.mkdirSync(dir, { recursive: true });
  const lines = correct.flatMap((samples, index) =>
    samples.map((c, sample) =>
      JSON.stringify({
        bench,
        index,
        id: `p${index}`,
        sample,
        problem: `problem ${index}`,
        gold: String(index),
        response: c ? String(index) : 'x',
        extracted: c ? String(index) : 'x',
        correct: c,
        rewardCorrect: c,
        reason: c ? 'equal' : 'not-equal',
        tokens: 3,
        finishReason: 'stop',
        selfReflection: false,
      }),
    ),
  );
  fs.writeFileSync(path.join(dir, `${bench}.jsonl`), lines.join('\n') + '\n');
}

function rlvr(...args: string[]) {
  const r = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('rlvr compare: per benchmark and total, flips each way, McNemar and Wilson as src/stats computes them', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-compare-'));
  // own: 40 greedy problems; A right on 0-9, B right on 5-24 (15 up, 5 down).
  const a = Array.from({ length: 40 }, (_, i) => [i < 10]);
  const b = Array.from({ length: 40 }, (_, i) => [i >= 5 && i < 25]);
  writeEval(path.join(tmp, 'A'), 'own', a);
  writeEval(path.join(tmp, 'B', 'eval'), 'own', b); // a run folder: eval/ inside
  // aime: 3 problems x 4 samples (avg@4): shares 0.25/0.75/0 in A, 0.75/0.75/0.5 in B.
  writeEval(path.join(tmp, 'A'), 'aime', [
    [true, false, false, false],
    [true, true, true, false],
    [false, false, false, false],
  ]);
  writeEval(path.join(tmp, 'B', 'eval'), 'aime', [
    [true, true, true, false],
    [true, true, false, true],
    [true, false, true, false],
  ]);
  const r = rlvr('compare', path.join(tmp, 'A'), path.join(tmp, 'B'), '--json');
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  const own = out.rows.find((x: { name: string }) => x.name === 'own');
  assert.equal(own.n, 40);
  assert.deepEqual([own.up.length, own.down.length], [15, 5]);
  assert.deepEqual(own.down, ['p0', 'p1', 'p2', 'p3', 'p4']);
  assert.equal(own.difference.diff, 10 / 40);
  assert.equal(own.difference.mcnemar.p, mcnemarExact(5, 15).p);
  assert.ok(own.difference.lo < 0.25 && own.difference.hi > 0.25);
  assert.deepEqual([own.a.lo, own.a.hi], [wilson(10, 40).lo, wilson(10, 40).hi]);
  const aime = out.rows.find((x: { name: string }) => x.name === 'aime');
  assert.equal(aime.difference.diff, (0.75 - 0.25 + 0 + 0.5) / 3);
  assert.deepEqual(aime.up, ['p0']); // problem 2 at 0.5 in B is not "solved" (more than half)
  const total = out.rows.find((x: { name: string }) => x.name === 'total');
  assert.equal(total.n, 43);
  assert.deepEqual([total.up.length, total.down.length], [16, 5]);
  assert.match(r.stdout, /own\s+40\s+25\.0% \[14\.2, 40\.2\]\s+50\.0% /);
  assert.match(r.stdout, /own: right in A only \(5\): p0, p1, p2, p3, p4/);
  // Same seed, same interval; the table says what it computed.
  assert.equal(
    JSON.parse(rlvr('compare', path.join(tmp, 'A'), path.join(tmp, 'B'), '--json').stdout.trim().split('\n').at(-1)!).rows[0].difference.lo,
    out.rows[0].difference.lo,
  );

  // Mismatched problem sets: one line, exit 2.
  writeEval(path.join(tmp, 'C'), 'own', a.slice(0, 30));
  writeEval(path.join(tmp, 'C'), 'aime', [[true], [true], [true]]);
  const bad = rlvr('compare', path.join(tmp, 'A'), path.join(tmp, 'C'));
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
  assert.match(bad.stderr, /not the same problems: own has 40 problems in .*A and 30 in .*C/);
  const none = rlvr('compare', path.join(tmp, 'A'), tmp);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /no rlvr eval responses/);
});
