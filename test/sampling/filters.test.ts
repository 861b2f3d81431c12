// Sampling filters against transformers: the distribution each of our samplers draws from (the
// reference sampler's `filterLogits`, src/rollout/reference-sampler.ts, and the rollout engine's,
// src/rollout/sample.ts) equals the one `generate(do_sample=True)` builds with
// TemperatureLogitsWarper → TopKLogitsWarper → TopPLogitsWarper (test/py/sampling_ref.py): the
// same kept set exactly, probabilities within 1e-6, on random logits and on adversarial ones
// (ties at the top-k boundary and inside the nucleus, all-equal rows, huge magnitudes, -inf
// entries, top-p at and next to a cumulative boundary, top-p tiny and near 1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { tensor, tidy } from '../../src/engine/index.js';
import { Rng } from '../../src/data/rng.js';
import { filterLogits as referenceFilter } from '../../src/rollout/reference-sampler.js';
import { filterLogits as engineFilter } from '../../src/rollout/sample.js';
import { repoRoot } from '../helpers/paths.js';
import { hasPythonModule, runPython } from '../helpers/python.js';

interface Case {
  name: string;
  logits: number[][]; // float32 values; -Infinity allowed
  temperature: number;
  topK: number;
  topP: number;
}

const f32 = Math.fround;

function cases(): Case[] {
  const r = new Rng(2026);
  const out: Case[] = [];
  const rows = (b: number, v: number, gen: () => number) => Array.from({ length: b }, () => Array.from({ length: v }, () => f32(gen())));
  const settings: [number, number, number][] = [
    [1, 0, 1],
    [0.6, 0, 1],
    [1.7, 0, 1],
    [0.05, 0, 1], // temperature only
    [1, 1, 1],
    [1, 5, 1],
    [0.6, 20, 1],
    [1, 999, 1],
    [1, 1000, 1],
    [1, 5000, 1], // top-k (k = V - 1, V, > V)
    [1, 0, 0.9],
    [0.6, 0, 0.95],
    [1, 0, 0.5],
    [1, 0, 1e-6],
    [1, 0, 0.999999],
    [1.3, 0, 0.3], // top-p
    [0.6, 20, 0.95],
    [1, 3, 0.5],
    [0.7, 50, 0.8],
    [1, 1, 0.9], // combined
  ];
  for (const [temperature, topK, topP] of settings) {
    for (const [v, scale] of [
      [1000, 1],
      [1000, 10],
      [50, 3],
      [7, 1],
    ] as const) {
      if (topK >= v && topK < 999) continue;
      out.push({ name: `random V=${v} x${scale}`, logits: rows(3, v, () => r.normal() * scale), temperature, topK, topP });
    }
    // Ties: few distinct values, so the k-th value and the nucleus boundary fall inside a tie.
    out.push({ name: 'ties', logits: rows(4, 64, () => [0, 1, 2, 2.5][r.int(4)]!), temperature, topK: Math.min(topK, 63), topP });
    out.push({ name: 'all equal', logits: [Array(16).fill(0.5), Array(16).fill(-3)], temperature, topK: Math.min(topK, 15), topP });
    out.push({ name: 'huge', logits: rows(2, 32, () => (r.float() < 0.5 ? 1e30 : -1e30) * r.float()), temperature, topK: Math.min(topK, 31), topP });
    out.push({ name: '-inf entries', logits: rows(2, 32, () => (r.float() < 0.3 ? -Infinity : r.normal() * 4)), temperature, topK: Math.min(topK, 31), topP });
  }
  // Top-p exactly at a cumulative boundary: probabilities 1/2, 1/4, 1/8, 1/8 (exact in float32).
  const ln = (x: number) => f32(Math.log(x));
  const dyadic = [[ln(0.5), ln(0.25), ln(0.125), ln(0.125)]];
  for (const topP of [0.5, 0.75, 0.875, 0.25, 0.5000001, 0.4999999, 0.74, 0.76])
    out.push({ name: `dyadic p=${topP}`, logits: dyadic, temperature: 1, topK: 0, topP });
  // All-equal rows at p = k/V: the nucleus boundary falls exactly between equal tokens.
  for (const topP of [0.25, 0.5, 0.75, 0.3]) {
    for (const v of [4, 8]) out.push({ name: `uniform V=${v} p=${topP}`, logits: [Array(v).fill(0), Array(v).fill(1)], temperature: 1, topK: 0, topP });
  }
  return out;
}

const missing = !hasPythonModule('transformers') ? 'python3 transformers missing (scripts/setup.sh --test)' : false;

test('sampling filters = transformers TemperatureLogitsWarper/TopKLogitsWarper/TopPLogitsWarper (kept set exact, probs <= 1e-6)', { skip: missing }, () => {
  const all = cases();
  const input = JSON.stringify({ cases: all.map((c) => ({ ...c, logits: c.logits.map((row) => row.map((x) => (x === -Infinity ? null : x))) })) });
  const want = JSON.parse(runPython(path.join(repoRoot, 'test/py/sampling_ref.py'), [], input)) as { kept: number[][]; probs: number[][] }[];
  assert.equal(want.length, all.length);
  let rows = 0;
  let truncatedRows = 0;
  let maxDiff = 0;
  for (const [name, filter] of [
    ['reference', referenceFilter],
    ['engine', engineFilter],
  ] as const) {
    for (let i = 0; i < all.length; i++) {
      const c = all[i]!;
      const b = c.logits.length;
      const v = c.logits[0]!.length;
      const { kept, probs } = tidy(() => {
        const logits = tensor(c.logits.flat(), [b, v]);
        const out = filter(logits, { temperature: c.temperature, topK: c.topK, topP: c.topP });
        return { kept: [...out.isfinite().toArray()].map(Number), probs: [...out.softmax(-1).toArray()].map(Number) };
      });
      const label = `${name}: case ${i} (${c.name}, T=${c.temperature}, k=${c.topK}, p=${c.topP})`;
      for (let row = 0; row < b; row++) {
        const wantKept = want[i]!.kept[row]!;
        const gotKept = kept.slice(row * v, (row + 1) * v);
        assert.deepEqual(gotKept, wantKept, `${label}, row ${row}: kept set`);
        for (let j = 0; j < v; j++) {
          const d = Math.abs(probs[row * v + j]! - want[i]!.probs[row]![j]!);
          maxDiff = Math.max(maxDiff, d);
          assert.ok(d <= 1e-6, `${label}, row ${row}, token ${j}: prob ${probs[row * v + j]} vs ${want[i]!.probs[row]![j]}`);
        }
        rows++;
        if (wantKept.some((k) => k === 0)) truncatedRows++;
      }
    }
  }
  console.log(
    `filters: ${all.length} cases, ${rows} rows compared (both samplers), ${truncatedRows} with truncation; max |prob diff| ${maxDiff.toExponential(2)}`,
  );
  assert.ok(truncatedRows > rows / 2, 'most rows must actually be truncated');
});
