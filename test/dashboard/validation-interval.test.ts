// The dashboard's accuracy chart draws the validation accuracy's Wilson 95% interval when the run
// folder says how many problems were validated (validation.jsonl), and nothing extra otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCharts } from '../../src/dashboard/charts.js';
import { readRun } from '../../src/dashboard/run-data.js';
import { wilson } from '../../src/stats/index.js';

test('accuracy chart: validation accuracy with its Wilson band from validation.jsonl', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-dash-ci-'));
  const rows = [
    { step: 0, validation: { accuracy: 0.25 } },
    { step: 1, trainAccuracy: 0.5 },
    { step: 2, trainAccuracy: 0.75, validation: { accuracy: 0.5 } },
  ];
  fs.writeFileSync(path.join(dir, 'metrics.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const noBand = runCharts([readRun(dir)]).find((c) => c.id === 'accuracy')!;
  assert.ok(!noBand.series.some((s) => /95%/.test(s.label)));
  fs.writeFileSync(path.join(dir, 'validation.jsonl'), '{"step":0,"n":40,"outcomes":"x"}\n{"step":2,"n":40,"outcomes":"x"}\n');
  const acc = runCharts([readRun(dir)]).find((c) => c.id === 'accuracy')!;
  const lo = acc.series.find((s) => s.label === 'validation accuracy 95% low')!;
  const hi = acc.series.find((s) => s.label === 'validation accuracy 95% high')!;
  assert.deepEqual(lo.x, [0, 2]);
  assert.deepEqual(lo.y, [wilson(10, 40).lo, wilson(20, 40).lo]);
  assert.deepEqual(hi.y, [wilson(10, 40).hi, wilson(20, 40).hi]);
});
