import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { sharedData } from '../helpers/paths.js';
import { hasPythonModule } from '../helpers/python.js';
import {
  AccuracyHistory,
  parseHistory,
  populationVariance,
  rankByVariance,
  allZeroHistory,
  firstAlive,
  readHistory,
  selectRandom,
  topLevelKeys,
} from '../../src/data/selection.js';
import { loadExamples } from '../../src/data/examples.js';
import { Rng, mulberry32 } from '../../src/data/rng.js';

const historyFile = path.join(sharedData, 'selection', 'acc_step_500.json');

test('acc_step_500.json ranks π1=124, π2=267, π13=682, π1209=789 (the paper)', () => {
  const history = readHistory(historyFile);
  assert.equal(history.length, 1209);
  const ranked = rankByVariance(history);
  assert.equal(ranked.length, 1209);
  const pi = (k: number) => ranked[k - 1]!;
  assert.deepEqual([pi(1).index, pi(2).index, pi(13).index, pi(1209).index], [124, 267, 682, 789]);
  assert.deepEqual(
    ranked.map((r) => r.rank),
    Array.from({ length: 1209 }, (_, i) => i + 1),
  );
  assert.ok(Math.abs(pi(1).variance - 0.16545033819864718) < 1e-15);
  assert.equal(pi(1209).variance, 0);
  for (let i = 1; i < ranked.length; i++) assert.ok(ranked[i - 1]!.variance >= ranked[i]!.variance - 1e-15);
});

test('the ranked indices are the extra_info.index of the released πk parquet files', async () => {
  const ranked = rankByVariance(readHistory(historyFile));
  const files: [string, number][] = [
    ['pi1_r128.parquet', 1],
    ['pi2_r128.parquet', 2],
    ['pi13_r128.parquet', 13],
    ['pi1209_r128.parquet', 1209],
  ];
  for (const [file, k] of files) {
    const ex = await loadExamples(path.join(sharedData, 'train', file));
    assert.equal(ex[0]!.index, ranked[k - 1]!.index, file);
  }
});

test("ties follow the file's key order, which JSON.parse would lose", () => {
  const text = fs.readFileSync(historyFile, 'utf8');
  const keys = topLevelKeys(text);
  assert.equal(keys.length, 1209);
  assert.equal(keys[0], '1033', 'the file does not start at key 0');
  assert.notDeepEqual(keys, Object.keys(JSON.parse(text)));
  // 104 examples have variance 0; the last of them in file order is π1209 = 789. A plain object
  // enumerates integer keys ascending, and would make it 1206.
  const fromObject = rankByVariance(JSON.parse(text) as Record<string, number[]>);
  assert.equal(fromObject[1208]!.index, 1206);
  assert.equal(rankByVariance(parseHistory(text))[1208]!.index, 789);
});

test("ranking matches np.std + stable sort (the paper's data_selection.py) at every position", {
  skip: !hasPythonModule('numpy') && 'needs python3 numpy',
}, () => {
  const script = `
import json, sys, numpy as np
d = json.load(open(sys.argv[1]))
print(json.dumps([int(k) for k in sorted(d, key=lambda k: np.std(d[k]), reverse=True)]))`;
  const r = spawnSync('python3', ['-c', script, historyFile], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const expected = JSON.parse(r.stdout) as number[];
  assert.deepEqual(
    rankByVariance(readHistory(historyFile)).map((x) => x.index),
    expected,
  );
});

test('ulp-level ties: π114/π115 tie under np.std and keep file order (567 before 747)', () => {
  const ranked = rankByVariance(readHistory(historyFile));
  assert.equal(ranked[113]!.index, 567);
  assert.equal(ranked[114]!.index, 747);
  // Their variances differ in the last bit; sqrt maps both to the same std.
  assert.ok(ranked[113]!.variance !== ranked[114]!.variance);
  assert.equal(Math.sqrt(ranked[113]!.variance), Math.sqrt(ranked[114]!.variance));
});

test('populationVariance', () => {
  assert.equal(populationVariance([]), 0);
  assert.equal(populationVariance([0.5]), 0);
  assert.equal(populationVariance([0, 1]), 0.25);
  assert.ok(Math.abs(populationVariance([1, 2, 3, 4]) - 1.25) < 1e-15);
  const long = Array.from({ length: 300 }, (_, i) => (i % 9) / 8);
  const m = long.reduce((a, b) => a + b) / long.length;
  const v = long.reduce((a, b) => a + (b - m) ** 2, 0) / long.length;
  assert.ok(Math.abs(populationVariance(long) - v) < 1e-14);
});

test('topLevelKeys skips nested values and strings containing brackets, commas and quotes', () => {
  const text = '{ "2": [1, [2, 3]], "b\\"]},": {"x": "}{,"}, "1": "[", "0": [] }';
  assert.deepEqual(topLevelKeys(text), ['2', 'b"]},', '1', '0']);
  assert.deepEqual(topLevelKeys(' {} '), []);
});

test('history errors: missing file, bad JSON, bad values, non-integer keys', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-sel-'));
  const missing = path.join(dir, 'none.json');
  assert.throws(() => readHistory(missing), { message: `no such file: ${missing}` });
  assert.throws(() => parseHistory('{"1": [0.5', 'h.json'), /h\.json: invalid JSON/);
  assert.throws(() => parseHistory('[1, 2]', 'h.json'), /h\.json: expected an object/);
  assert.throws(() => parseHistory('{"1": [0.5, "x"]}', 'h.json'), { message: 'h.json: key "1": expected a list of accuracies (numbers)' });
  assert.throws(() => parseHistory('{"a": [0.5]}', 'h.json'), /key "a" is not an example index/);
  assert.throws(() => parseHistory('{"1": [0.5], "1": [0.25]}', 'h.json'), /duplicate key "1"/);
});

test('AccuracyHistory records epochs and round-trips in the same format, keeping insertion order', () => {
  const h = new AccuracyHistory();
  // Epoch 1: example 10 seen twice (mean), 2 and 1 once.
  h.record(10, 0.25);
  h.record(2, 0);
  h.record(10, 0.75);
  h.record(1, 1);
  h.endEpoch();
  // Epoch 2: example 1 not seen; its list stays shorter.
  h.record(10, 0);
  h.record(2, 0);
  h.endEpoch();
  h.record(2, 1); // an open epoch is not serialised
  assert.deepEqual(h.entries(), [
    { index: 10, accs: [0.5, 0] },
    { index: 2, accs: [0, 0] },
    { index: 1, accs: [1] },
  ]);
  const text = h.serialize();
  assert.deepEqual(topLevelKeys(text), ['10', '2', '1']);
  assert.deepEqual(parseHistory(text), h.entries());
  // 2 and 1 tie at variance 0: file order decides.
  assert.deepEqual(
    rankByVariance(parseHistory(text)).map((r) => r.index),
    [10, 2, 1],
  );
  assert.deepEqual(AccuracyHistory.parse(text).entries(), h.entries());

  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-sel-')), 'hist.json');
  h.save(file);
  assert.deepEqual(readHistory(file), h.entries());
  assert.equal(new AccuracyHistory().serialize(), '{}\n');
  assert.throws(() => h.record(-1, 0.5), /non-negative integer/);
  assert.throws(() => h.record(1, NaN), /finite/);
});

test('selectRandom: deterministic per seed, distinct, within the keys', () => {
  const keys = Array.from({ length: 1209 }, (_, i) => i);
  const a = selectRandom(keys, 16, 42);
  assert.deepEqual(selectRandom(keys, 16, 42), a);
  assert.notDeepEqual(selectRandom(keys, 16, 43), a);
  assert.equal(new Set(a).size, 16);
  assert.ok(a.every((k) => k >= 0 && k < 1209));
  assert.deepEqual(selectRandom(keys, 5, 7), selectRandom(keys, 10, 7).slice(0, 5), 'a larger k extends the draw');
  assert.deepEqual([...selectRandom(['a', 'b', 'c'], 3, 1)].sort(), ['a', 'b', 'c']);
  assert.throws(() => selectRandom(keys, 2000, 1), /k must be an integer in \[0, 1209\]/);
});

test('Rng: fixed stream per seed, sane distribution', () => {
  // mulberry32 values for seed 0, pinned: other parts rely on the stream staying the same.
  const g = mulberry32(0);
  const first = [g(), g(), g()];
  assert.deepEqual(
    first.map((x) => Math.round(x * 1e9)),
    [266429209, 329746, 223272027],
  );
  const rng = new Rng(123);
  let sum = 0;
  let sumN = 0;
  let sumN2 = 0;
  const counts = new Array(10).fill(0);
  const n = 20000;
  for (let i = 0; i < n; i++) {
    const u = rng.float();
    assert.ok(u >= 0 && u < 1);
    sum += u;
    counts[rng.int(10)]++;
    const z = rng.normal();
    sumN += z;
    sumN2 += z * z;
  }
  assert.ok(Math.abs(sum / n - 0.5) < 0.01);
  assert.ok(counts.every((c) => Math.abs(c - n / 10) < n / 50));
  assert.ok(Math.abs(sumN / n) < 0.03);
  assert.ok(Math.abs(sumN2 / n - 1) < 0.05);
  const shuffled = new Rng(5).shuffle([1, 2, 3, 4, 5, 6]);
  assert.deepEqual([...shuffled].sort(), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(new Rng(5).shuffle([1, 2, 3, 4, 5, 6]), shuffled);
});

test('allZeroHistory: true only when every accuracy of every example is 0', () => {
  assert.equal(
    allZeroHistory([
      { index: 0, accs: [0, 0] },
      { index: 1, accs: [0] },
    ]),
    true,
  );
  assert.equal(
    allZeroHistory([
      { index: 0, accs: [0, 0] },
      { index: 1, accs: [0, 0.125] },
    ]),
    false,
  );
  // Constant but solved (all ones) is not "all zero": the model solves the pool.
  assert.equal(allZeroHistory([{ index: 0, accs: [1, 1] }]), false);
});

test('firstAlive skips top-ranked examples with no reward variance on the base model', () => {
  // The seed-1 shape: the top example moved a lot during the pool run (0.88, 1, 1, 0.25)
  // but the base model always solves it; the next one is solved half the time.
  const history = [
    { index: 5, accs: [0.875, 1, 1, 0.25] },
    { index: 2, accs: [0.25, 0.5, 0.75, 0.5] },
    { index: 9, accs: [0, 0, 0.25, 0] },
  ];
  const ranked = rankByVariance(history);
  assert.deepEqual(
    ranked.map((r) => r.index),
    [5, 2, 9],
  );
  const base = new Map([
    [5, { accuracy: 1, rollouts: 32 }],
    [2, { accuracy: 0.5, rollouts: 32 }],
    [9, { accuracy: 0, rollouts: 32 }],
  ]);
  const { pick, skipped } = firstAlive(ranked, base);
  assert.equal(pick.index, 2);
  assert.equal(pick.rank, 2); // keeps its place in the paper's ranking: π2
  assert.deepEqual(
    skipped.map((s) => [s.index, s.accuracy, s.rollouts]),
    [[5, 1, 32]],
  );
  // Never-solved examples are dead too.
  const b2 = new Map([
    [5, { accuracy: 0, rollouts: 8 }],
    [2, { accuracy: 1, rollouts: 8 }],
    [9, { accuracy: 0.125, rollouts: 8 }],
  ]);
  assert.equal(firstAlive(ranked, b2).pick.index, 9);
  // An alive top example is kept; an explicit start rank is honoured and searched from.
  assert.equal(firstAlive(ranked, new Map([[5, { accuracy: 0.5, rollouts: 8 }]])).pick.index, 5);
  assert.equal(firstAlive(ranked, base, 2).pick.index, 2);
  // No candidate has variance: the requested rank, nothing skipped (there is nothing better).
  const dead = new Map(ranked.map((r) => [r.index, { accuracy: 1, rollouts: 8 }]));
  assert.deepEqual([firstAlive(ranked, dead).pick.index, firstAlive(ranked, dead).skipped.length], [5, 0]);
  assert.throws(() => firstAlive(ranked, base, 4), /startRank must be an integer from 1 to 3/);
});
