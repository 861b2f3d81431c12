// Fuzz: ≥ 5,000 adversarial inputs (the shapes that once hung a check, nesting to 10k, 1 MB
// responses, random LaTeX token soup), each checked in both modes in-process: no check may
// throw or take 1 s. Prints the slowest checks so CI logs show the margin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verify } from '../../src/reward/verifier.js';
import { parseWithComputeEngine } from '../../src/reward/ce.js';
import { fuzzInputs } from './fuzz-inputs.js';

const LIMIT_MS = 1000;

test('fuzz: 5,000+ adversarial inputs, both modes, no throw and no check over 1 s', () => {
  parseWithComputeEngine('x'); // load the compute engine once (its start-up is not a check)
  const inputs = fuzzInputs(4500, 12);
  assert.ok(inputs.length >= 5000 - 500 && inputs.length * 2 >= 5000, `only ${inputs.length} inputs`);
  const slow: { ms: number; name: string; mode: string }[] = [];
  let checks = 0;
  let max = 0;
  const t0 = performance.now();
  for (const x of inputs) {
    for (const mode of ['reward', 'eval'] as const) {
      const t = performance.now();
      const r = verify(x.gold, x.response, { mode });
      const ms = performance.now() - t;
      checks++;
      max = Math.max(max, ms);
      if (ms > 100) slow.push({ ms, name: x.name, mode });
      assert.notEqual(r.reason, 'error', `${x.name} (${mode}) errored`);
    }
  }
  slow.sort((a, b) => b.ms - a.ms);
  console.log(`fuzz: ${inputs.length} inputs, ${checks} checks in ${((performance.now() - t0) / 1000).toFixed(1)} s, max ${max.toFixed(0)} ms; slowest: ${slow.slice(0, 5).map((s) => `${s.name}/${s.mode} ${s.ms.toFixed(0)} ms`).join(', ') || 'none over 100 ms'}`);
  assert.ok(max < LIMIT_MS, `slowest check ${max.toFixed(0)} ms: ${JSON.stringify(slow.slice(0, 3))}`);
});

test('fuzz: the issue\'s hang shapes are quick and score 0', () => {
  const box = (s: string) => `\\boxed{${s}}`;
  const shapes = [
    box('('.repeat(17) + '1'),
    box('['.repeat(16) + ']'),
    box('.'.repeat(40)),
    box('-'.repeat(40)),
    box('1 ' + 'm'.repeat(36) + 'X'),
    '$' + 'x\n'.repeat(500_000),
  ];
  for (const s of shapes) {
    for (const mode of ['reward', 'eval'] as const) {
      const t = performance.now();
      const r = verify('7', s, { mode });
      assert.ok(performance.now() - t < 300, `${JSON.stringify(s.slice(0, 40))} ${mode}`);
      assert.equal(r.correct, false);
    }
  }
});
