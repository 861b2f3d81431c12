// The ablation comparison (comparison.md) shows each variant's validation accuracy with its Wilson
// interval and, on the same validation problems, the difference to the first variant with a paired
// bootstrap interval and McNemar's exact p; validation.jsonl's last line is what it compares.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { comparisonTable, readFinalOutcomes, summarizeRun } from '../../src/rl/ablation.js';
import { mcnemarExact, wilson } from '../../src/stats/index.js';

test('comparison.md: Wilson intervals and paired tests against the first variant', () => {
  const v = (after: number) => [
    { step: 0, accuracy: 0.1 },
    { step: 4, accuracy: after },
  ];
  // 40 validation problems: grpo right on 0-19, pg-only right on 10-34 (15 up, 10 down).
  const a = Array.from({ length: 40 }, (_, i) => (i < 20 ? '1' : '0')).join('');
  const b = Array.from({ length: 40 }, (_, i) => (i >= 10 && i < 35 ? '1' : '0')).join('');
  const rows = [
    summarizeRun('grpo', 'grpo', [], v(0.5), 1, a),
    summarizeRun('pg-only', 'pg-only', [], v(0.625), 1, b),
    summarizeRun('old', 'old', [], v(0.3), 1, null),
  ];
  assert.equal(rows[0]!.validationN, 40);
  const table = comparisonTable(rows);
  const w = wilson(25, 40);
  assert.ok(table.includes(`62.5% [${(100 * w.lo).toFixed(1)}, ${(100 * w.hi).toFixed(1)}]`), table);
  assert.match(table, new RegExp(`\\+12\\.5 \\[-?\\d+\\.\\d, \\d+\\.\\d\\], p ${mcnemarExact(10, 15).p.toFixed(3)}`));
  assert.match(table, /after vs grpo/);
  // A run without outcomes gets no test (and no interval without a count).
  assert.match(table.split('\n').at(-1)!, /\| old .*10\.0% → 30\.0% +\| – /);
});

test('readFinalOutcomes: the last line of validation.jsonl, null without the file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-val-'));
  assert.equal(readFinalOutcomes(dir), null);
  fs.writeFileSync(path.join(dir, 'validation.jsonl'), '{"step":0,"n":3,"outcomes":"000"}\n{"step":5,"n":3,"outcomes":"101"}\n');
  assert.equal(readFinalOutcomes(dir), '101');
});
