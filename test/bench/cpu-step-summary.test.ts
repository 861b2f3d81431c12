// bench/cpu-step-summary.ts: medians, ranges and TRL/ours ratios on hand-computed cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatTable, median, spread, summarize, type StepRun } from '../../bench/cpu-step-summary.js';

const run = (step: number, rss: number): StepRun => ({ step, generation: step / 2, logprobs: step / 4, update: step / 4, peakRssBytes: rss });

test('median: odd and even counts, unsorted input, empty input throws', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([5]), 5);
  assert.throws(() => median([]));
});

test('spread: median, min, max and count', () => {
  assert.deepEqual(spread([10, 30, 20]), { median: 20, min: 10, max: 30, n: 3 });
});

test('summarize: ratio of medians and median of per-pair ratios differ when pairs are unbalanced', () => {
  const ours = [run(100, 4), run(110, 4), run(200, 4)];
  const trl = [run(150, 8), run(330, 6), run(220, 10)];
  const s = summarize(ours, trl);
  assert.deepEqual(s.step.ours, { median: 110, min: 100, max: 200, n: 3 });
  assert.deepEqual(s.step.trl, { median: 220, min: 150, max: 330, n: 3 });
  assert.equal(s.step.ratioOfMedians, 2);
  // pair ratios 1.5, 3, 1.1 -> median 1.5
  assert.equal(s.step.medianPairRatio, 1.5);
  assert.equal(s.generation.ratioOfMedians, 2);
  assert.equal(s.peakRssBytes.ratioOfMedians, 2);
  assert.equal(s.peakRssBytes.medianPairRatio, 2);
});

test('summarize: unpaired or empty runs are refused', () => {
  assert.throws(() => summarize([run(1, 1)], []), /unpaired/);
  assert.throws(() => summarize([], []), /unpaired/);
});

test('formatTable: one row per case and metric, with the ratios', () => {
  const s = summarize([run(100, 2 ** 30)], [run(150, 2 ** 31)]);
  const lines = formatTable([{ name: 'c', summary: s }]).split('\n');
  assert.equal(lines.length, 1 + 5);
  assert.match(lines[1]!, /^c\s+step\s+100\.0 \[100\.0–100\.0\] s\s+150\.0 \[150\.0–150\.0\] s\s+1\.50x\s+1\.50x$/);
  assert.match(lines[5]!, /peakRssBytes\s+1\.00 \[1\.00–1\.00\] GiB\s+2\.00 \[2\.00–2\.00\] GiB\s+2\.00x/);
});
